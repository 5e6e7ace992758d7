import type { Command } from 'commander';
import { formatFinding, lintLexicons } from '../../classify/index.ts';
import { loadConfig, readLexiconDir } from '../../config/index.ts';
import { out } from '../output.ts';

const LINT_HELP = `
Checks, with file:line:column and the field of each finding:
  error    YAML syntax and schema errors; a form that normalises to nothing; a single form that is
           one of the most common words of its language (it would match nearly every text); one
           form claimed by two terms of a group; an unknown substance class or language; two files
           setting scoring; anything else the loader would refuse
  warning  duplicate forms and terms; forms shadowed by a negative term or claimed by two groups;
           two terms whose forms share a stem; 1-2 letter forms (1 character in Chinese); a common
           word in another language or in a weak term; an unknown (non-substance) class

Exit code: 2 when there are errors, 0 otherwise (warnings are listed).

Examples:
  spiderweb lexicon lint
  spiderweb lexicon lint /tmp/lexicons-next
  spiderweb lexicon lint /tmp/lexicons-next --json`;

export function register(program: Command): void {
  const lexicon = program.command('lexicon').description('check lexicon (keyword) files');
  lexicon
    .command('lint')
    .description(
      'check lexicon files: schema, duplicates, shadowed terms, common-word forms, unknown classes and languages',
    )
    .argument('[dir]', 'lexicon directory (default: <config>/lexicons)')
    .option('--json', 'print {findings, errors, warnings, ...} as one JSON object')
    .addHelpText('after', LINT_HELP)
    .action(async (dirArg: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const dir = dirArg ?? (await loadConfig(cmd.optsWithGlobals().config)).lexiconsDir;
      const inputs = await readLexiconDir(dir);
      const result = lintLexicons(inputs);
      if (opts.json) out(JSON.stringify({ dir, ...result }));
      else {
        for (const f of result.findings) out(formatFinding(f));
        out(
          `${result.errors} error(s), ${result.warnings} warning(s) in ${result.files} file(s) (${result.terms} terms, ${result.forms} forms): ${dir}`,
        );
      }
      if (result.errors > 0) process.exitCode = 2;
    });
}
