import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { runDoctor } from '../../doctor/index.ts';
import { out } from '../output.ts';

export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'check this machine: Redis, the store, Chromium, CJK and Cyrillic fonts, disk space; exit 1 when something required is missing',
    )
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = await loadConfig(cmd.optsWithGlobals().config);
      const checks = await runDoctor(config);
      const failed = checks.filter((c) => !c.ok && c.required);
      if (opts.json) out(JSON.stringify({ ok: failed.length === 0, checks }, null, 2));
      else {
        for (const c of checks) {
          const mark = c.ok ? 'ok' : c.required ? 'MISSING' : 'warning';
          out(`${mark.padEnd(8)} ${c.name.padEnd(15)} ${c.detail}`);
          if (c.fix) out(`${' '.repeat(25)}fix: ${c.fix}`);
        }
        out(
          failed.length
            ? `${failed.length} required check(s) failed: ${failed.map((c) => c.name).join(', ')}`
            : 'everything required is here',
        );
      }
      if (failed.length) process.exitCode = 1;
    });
}
