import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { csvHeader, csvRow, leadJson } from '../../review/index.ts';
import { type FilterOptions, filterOptions, openStore, toFilter } from './leads.ts';

export function register(program: Command): void {
  filterOptions(program.command('export').description('write leads as CSV or JSONL (stdout, or -o FILE)'))
    .requiredOption('--format <format>', 'csv or jsonl')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (opts: FilterOptions & { format: string; output?: string }, cmd: Command) => {
      if (opts.format !== 'csv' && opts.format !== 'jsonl') {
        throw new UsageError(`--format ${opts.format}: use csv or jsonl`);
      }
      const filter = toFilter(opts);
      const store = await openStore(cmd);
      const sink: Writable = opts.output ? createWriteStream(opts.output) : process.stdout;
      try {
        const leads = await store.leads(filter);
        const ids = await store.identifiersByPage(leads.map((l) => l.page_id));
        const lines =
          opts.format === 'csv'
            ? [csvHeader(), ...leads.map((l) => csvRow(l, ids.get(l.page_id)))]
            : leads.map((l) => JSON.stringify(leadJson(l, ids.get(l.page_id))));
        sink.write(lines.length ? `${lines.join('\n')}\n` : '');
        if (opts.output) {
          sink.end();
          await finished(sink);
          process.stderr.write(`wrote ${leads.length} lead(s) to ${opts.output}\n`);
        }
      } finally {
        await store.close();
      }
    });
}
