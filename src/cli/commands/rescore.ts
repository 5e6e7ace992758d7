import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type CompiledLexicons, scoreText } from '../../classify/index.ts';
import { loadConfig, loadLexicons, loadProposedLexicons } from '../../config/index.ts';
import { errorMessage, UsageError } from '../../errors.ts';
import { Store } from '../../leads/index.ts';
import {
  applyRescore,
  type LeadChange,
  type LeadState,
  type RescoreDiff,
  rescore,
  type SiteKind,
  type TermRef,
} from '../../leads/index.ts';
import { collect, out } from '../output.ts';

interface RescoreCliOptions {
  lexicons?: string;
  since?: string;
  site?: string[];
  apply?: boolean;
  json?: boolean;
  limit?: string;
}

const HELP = `
Re-classifies every stored page (the text it was last fetched with) with the given lexicons and
compares the result with the leads as they stand. Nothing is written without --apply.

  new       a page that is not a lead now and would be
  dropped   a lead that would fall below the threshold (marked !! when analysts confirmed or
            escalated it; with --apply it stays in the store with its status and the new score)
  changed   still a lead, with another category or kind
  rescored  still a lead, with another score or other terms

Exit code: 0, also when confirmed leads would drop (read the !! lines).

Examples:
  spiderweb rescore --lexicons /tmp/lexicons-next
  spiderweb rescore --lexicons /tmp/lexicons-next --site shop1 --since 2024-05-01 --json
  spiderweb rescore --lexicons /tmp/lexicons-next --apply`;

export function register(program: Command): void {
  program
    .command('rescore')
    .description(
      'what-if: re-classify stored pages with other lexicons and show new, dropped and changed leads',
    )
    .option('--lexicons <dir>', 'the proposed lexicon directory (default: <config>/lexicons)')
    .option('--since <date>', 'only pages fetched on or after this date (YYYY-MM-DD or ISO time)')
    .option('--site <id>', 'only pages of this site (repeatable)', collect)
    .option('--apply', 'write the changes (keeps analyst statuses, records the lexicon version)')
    .option('--limit <n>', 'list at most n leads per section (default 50; --json lists all)', '50')
    .option('--json', 'print the diff as one JSON object')
    .addHelpText('after', HELP)
    .action(async (opts: RescoreCliOptions, cmd: Command) => {
      const since = opts.since === undefined ? undefined : dateOption(opts.since);
      const limit = Number(opts.limit ?? 50);
      if (!Number.isInteger(limit) || limit < 0) throw new UsageError('--limit must be a whole number ≥ 0');
      const config = await loadConfig(String(cmd.optsWithGlobals().config ?? 'config'));
      const currentDir = config.lexiconsDir;
      const proposedDir = opts.lexicons ? resolve(opts.lexicons) : currentDir;
      const lex = await loadProposedLexicons(proposedDir, currentDir);
      let baseline: CompiledLexicons | undefined = lex;
      if (proposedDir !== currentDir) {
        baseline = await loadLexicons(currentDir).catch((err: unknown) => {
          process.stderr.write(
            `note: current lexicons not loaded (${errorMessage(err)}); "before" terms of pages without a lead are empty\n`,
          );
          return undefined;
        });
      }
      const siteKinds = new Map<string, SiteKind>([...config.sites].map(([id, s]) => [id, s.kind]));
      const store = await Store.open(config.runtime.store.url, config.runtime.dataDir);
      try {
        const tty = process.stderr.isTTY && !opts.json;
        const diff = await rescore(store, lex, {
          ...(since ? { since } : {}),
          ...(opts.site?.length ? { siteIds: opts.site } : {}),
          siteKinds,
          ...(baseline ? { baseline } : {}),
          onProgress: (done, total) => {
            if (tty) process.stderr.write(`\rrescoring ${done}/${total} pages`);
          },
        });
        if (tty) process.stderr.write('\n');
        let written: number | null = null;
        if (opts.apply) written = await applyRescore(store, lex, diff, { siteKinds });
        if (opts.json) out(JSON.stringify({ lexicons: proposedDir, ...diff, applied: written }));
        else {
          out(formatDiff(diff, proposedDir, store.location, limit));
          if (written !== null) {
            out(
              `applied: ${written} lead(s) written with lexicons ${diff.lexiconVersion} (statuses kept; history records the version)`,
            );
          } else if (count(diff) > 0) {
            out(`nothing written; to apply: spiderweb rescore --lexicons ${proposedDir} --apply`);
          }
        }
      } finally {
        await store.close();
      }
    });
}

function dateOption(value: string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--since ${value}: not a date (use YYYY-MM-DD)`);
  return d.toISOString();
}

function count(d: RescoreDiff): number {
  return d.added.length + d.dropped.length + d.changed.length + d.rescored.length;
}

/** The human report: loud lines for confirmed drops first, then each section, then the terms responsible. */
export function formatDiff(d: RescoreDiff, dir: string, location: string, limit: number): string {
  const lines: string[] = [];
  const inferred = d.sites.filter((s) => s.inferred && s.kind === 'marketplace').map((s) => s.siteId);
  lines.push(
    `rescore: ${d.pages} page(s) in ${location} with ${dir} (lexicons ${d.lexiconVersion}); current leads from ${d.currentVersions.join(', ') || '-'}`,
  );
  if (inferred.length)
    lines.push(`sites judged as marketplaces from their past leads: ${inferred.join(', ')}`);
  lines.push(
    `leads: ${d.leadsBefore} → ${d.leadsAfter}   +${d.added.length} new  -${d.dropped.length} dropped  ${d.changed.length} changed  ${d.rescored.length} rescored`,
  );
  for (const c of d.flagged) {
    lines.push(
      `!! DROPS ${c.status?.toUpperCase()} LEAD #${c.leadId}  ${fmt(c.before)} → ${fmt(c.after)}  ${c.url}  ${termList(c)}`,
    );
  }
  const section = (title: string, list: LeadChange[], mark: string) => {
    if (list.length === 0) return;
    lines.push('', `${title} (${list.length}):`);
    for (const c of list.slice(0, limit)) {
      const who = c.leadId === null ? `page ${c.pageId}` : `lead #${c.leadId} ${c.status}`;
      const cat =
        c.change === 'changed'
          ? `  ${c.before?.kind ?? '-'}/${c.before?.category ?? '-'} → ${c.after.kind ?? '-'}/${c.after.category ?? '-'}`
          : `  ${c.after.kind ?? c.before?.kind ?? '-'}/${c.after.category ?? c.before?.category ?? '-'}`;
      lines.push(`  ${mark} ${who}  ${fmt(c.before)} → ${fmt(c.after)}${cat}  ${c.url}`);
      const terms = termList(c);
      if (terms) lines.push(`      ${terms}`);
    }
    if (list.length > limit) lines.push(`  … ${list.length - limit} more (--limit or --json)`);
  };
  section('new leads', d.added, '+');
  section('dropped leads', d.dropped, '-');
  section('category or kind changed', d.changed, '~');
  section('rescored', d.rescored, '·');
  if (d.terms.length) {
    lines.push('', 'terms responsible (leads):');
    for (const t of d.terms.slice(0, Math.max(limit, 10))) {
      lines.push(
        `  ${`${t.group}: ${t.term}`.padEnd(40)} +${t.added} new  -${t.dropped} dropped  ${t.changed} changed`,
      );
    }
  }
  if (count(d) === 0) lines.push('', 'no differences');
  return lines.join('\n');
}

function termList(c: LeadChange): string {
  const show = (t: TermRef) =>
    `${t.group}:${t.term}${t.forms.length ? ` "${t.forms.slice(0, 3).join('", "')}"` : ''}`;
  return [
    ...c.termsAdded.map((t) => `+${show(t)}`),
    ...c.termsRemoved.map((t) => `-${show(t)}`),
    ...c.termsReweighted.map((t) => `${t.group}:${t.term} ${t.before}→${t.after}`),
  ].join('  ');
}

function fmt(x: LeadState | null | undefined): string {
  return x ? scoreText(x.score, x.lead) : '-';
}
