import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import { Store } from '../../leads/index.ts';
import type { SiteKind } from '../../leads/index.ts';
import { suggest, type Suggestions } from '../../leads/index.ts';
import { collect, out, table } from '../output.ts';
import { type LexiconCliOptions, lexiconsFor } from './classify.ts';

interface SuggestCliOptions extends LexiconCliOptions {
  minCount?: string;
  minLift?: string;
  limit?: string;
  site?: string[];
  json?: boolean;
}

const HELP = `
Learns from analysts' decisions (confirmed and escalated leads = right, dismissed = wrong), with the
stored pages classified again by the lexicons:
  terms in dismissed leads   candidates for a lower weight or a negative context (count in dismissed
                             vs confirmed leads, example lead ids)
  unmatched words            frequent words of confirmed leads that no lexicon term matches:
                             candidates for new slang (occurrences, confirmed leads with it, dismissed
                             leads and other pages with it, lift = how much likelier in confirmed leads)
Stop-words, numbers and 1-2 letter words are left out; Chinese is counted in character pairs.

Examples:
  spiderweb suggest
  spiderweb suggest --min-count 3 --json`;

export function register(program: Command): void {
  program
    .command('suggest')
    .description(
      "suggest lexicon changes from analysts' decisions: terms behind dismissed leads, unmatched words of confirmed leads",
    )
    .option('--min-count <n>', 'least number of leads per suggestion', '2')
    .option('--min-lift <x>', 'unmatched words: least lift over other pages', '2')
    .option('--limit <n>', 'suggestions per list', '30')
    .option('--site <id>', 'only leads of this site (repeatable)', collect)
    .option('--lexicons <dir>', 'lexicon directory (default: <config>/lexicons)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', HELP)
    .action(async (opts: SuggestCliOptions, cmd: Command) => {
      const minCount = intArg('--min-count', opts.minCount ?? '2', 1);
      const limit = intArg('--limit', opts.limit ?? '30', 1);
      const minLift = Number(opts.minLift ?? 2);
      if (!(minLift >= 0)) throw new UsageError('--min-lift must be a number ≥ 0');
      const config = await loadConfig(String(cmd.optsWithGlobals().config ?? 'config'));
      const lex = await lexiconsFor(cmd, opts);
      const siteKinds = new Map<string, SiteKind>([...config.sites].map(([id, s]) => [id, s.kind]));
      const store = await Store.open(config.runtime.store.url, config.runtime.dataDir);
      try {
        const s = await suggest(store, lex, {
          minCount,
          minLift,
          limit,
          siteKinds,
          ...(opts.site?.length ? { siteIds: opts.site } : {}),
        });
        if (opts.json) out(JSON.stringify(s));
        else out(formatSuggestions(s, store.location));
      } finally {
        await store.close();
      }
    });
}

function intArg(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number ≥ ${min}`);
  return n;
}

function formatSuggestions(s: Suggestions, location: string): string {
  const ids = (xs: number[]) => xs.map((x) => `#${x}`).join(' ');
  const lines = [
    `suggest: ${s.confirmedLeads} confirmed/escalated and ${s.dismissedLeads} dismissed lead(s), ${s.otherPages} other page(s) in ${location} (lexicons ${s.lexiconVersion})`,
    '',
    'terms in dismissed leads (lower the weight or add a negative context):',
    s.dismissedTerms.length
      ? table(
          ['term', 'dismissed', 'confirmed', 'share', 'forms', 'examples'],
          s.dismissedTerms.map((t) => [
            `${t.group}: ${t.term}`,
            t.dismissed,
            t.confirmed,
            t.dismissedShare.toFixed(2),
            t.forms.join(', '),
            ids(t.examples),
          ]),
        )
      : '  -',
    '',
    'unmatched words of confirmed leads (new slang?):',
    s.newTerms.length
      ? table(
          ['word', 'count', 'confirmed', 'dismissed', 'other pages', 'lift', 'variants', 'examples'],
          s.newTerms.map((t) => [
            t.token,
            t.count,
            t.confirmed,
            t.dismissed,
            t.unjudged,
            t.lift.toFixed(2),
            t.variants.join(', '),
            ids(t.examples),
          ]),
        )
      : '  -',
  ];
  if (s.confirmedLeads + s.dismissedLeads === 0) {
    lines.push('', 'no reviewed leads yet: confirm or dismiss leads in the review app first');
  }
  return lines.join('\n');
}
