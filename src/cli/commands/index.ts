import type { Command } from 'commander';
import { register as classify } from './classify.ts';
import { register as crawl } from './crawl.ts';
import { register as crawls } from './crawls.ts';
import { register as demo } from './demo.ts';
import { register as doctor } from './doctor.ts';
import { register as evaluate } from './eval.ts';
import { register as evidence } from './evidence.ts';
import { register as explain } from './explain.ts';
import { register as exportLeads } from './export.ts';
import { register as extract } from './extract.ts';
import { register as identifiers } from './identifiers.ts';
import { register as leads } from './leads.ts';
import { register as lexicon } from './lexicon.ts';
import { register as rescore } from './rescore.ts';
import { register as suggest } from './suggest.ts';
import { register as trainModel } from './train.ts';
import { register as analyst } from './analyst.ts';
import { register as schedule } from './schedule.ts';
import { register as serve } from './serve.ts';
import { register as worker } from './worker.ts';

/** Every CLI command, in help order. Each module exports `register(program)`. */
export const commands: Array<(program: Command) => void> = [
  demo,
  doctor,
  crawl,
  crawls,
  schedule,
  worker,
  serve,
  analyst,
  leads,
  exportLeads,
  classify,
  explain,
  evaluate,
  trainModel,
  lexicon,
  rescore,
  suggest,
  extract,
  identifiers,
  evidence,
];
