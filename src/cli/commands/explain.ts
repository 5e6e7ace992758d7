import type { Command } from 'commander';
import {
  ansiMarker,
  bracketMarker,
  classify,
  formatReasons,
  highlight,
  summary,
} from '../../classify/index.ts';
import { contextOption, NO_MODEL, type LexiconCliOptions, lexiconsFor } from './classify.ts';

export function register(program: Command): void {
  program
    .command('explain')
    .description(
      'classify one text and show why: the decision, the text with matched terms highlighted\n' +
        '(colours on a terminal, [term]{group:canonical} otherwise) and every reason with its weight',
    )
    .argument('<text>', 'the text to classify (quote it)')
    .option('--context <kind>', 'web or marketplace (marketplace: every listing is an offer)', 'web')
    .option('--title <title>', 'a page or listing title to match as well')
    .option('--lexicons <dir>', 'lexicon directory (default: <config>/lexicons)')
    .option(...NO_MODEL)
    .option('--json', 'print the classification as JSON')
    .action(
      async (text: string, opts: LexiconCliOptions & { title?: string; json?: boolean }, cmd: Command) => {
        const context = contextOption(opts.context);
        const lex = await lexiconsFor(cmd, opts);
        const c = classify(
          text,
          lex,
          opts.title === undefined ? { context } : { context, title: opts.title },
        );
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
          return;
        }
        const mark = process.stdout.isTTY ? ansiMarker : bracketMarker;
        const lines = [summary(c), '', highlight(text, c.reasons, mark), ''];
        const model = lex.models?.[context];
        if (model && !c.model)
          lines.splice(
            1,
            0,
            `model ${model.manifest.version}: not applied, the text is longer than its ${model.manifest.maxChars} characters`,
          );
        if (opts.title !== undefined)
          lines.splice(2, 0, `title: ${highlight(opts.title, c.reasons, mark, 'title')}`);
        lines.push(c.reasons.length ? 'reasons:' : 'no terms matched');
        for (const l of formatReasons(c)) lines.push(`  ${l}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );
}
