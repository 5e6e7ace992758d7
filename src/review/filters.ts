import { UsageError } from '../errors.ts';
import type { Cursor, LeadStatus, PageRequest, QueueFilter, SortKey } from '../leads/index.ts';

export type { Cursor, PageRequest, QueueFilter, SortKey } from '../leads/index.ts';

export const STATUSES: readonly LeadStatus[] = ['new', 'confirmed', 'dismissed', 'escalated'];
export const SORTS = ['score', 'last_seen', 'first_seen', 'id'] as const satisfies readonly SortKey[];

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.v, c.id])).toString('base64url');
}

export function decodeCursor(s: string, name: string): Cursor {
  try {
    const [v, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown[];
    if ((typeof v === 'number' || typeof v === 'string') && Number.isInteger(id))
      return { v, id: id as number };
  } catch {
    // fall through
  }
  throw new UsageError(`${name}: not a valid page cursor`);
}

const list = (p: URLSearchParams, name: string) =>
  p
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)
    .slice(0, 50);

function day(value: string, name: string, plusDays = 0): string {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) throw new UsageError(`${name}=${value}: not a date (use YYYY-MM-DD)`);
  return new Date(d.getTime() + plusDays * 86_400_000).toISOString();
}

function score(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  const x = Number(value);
  if (!(x >= 0 && x <= 1)) throw new UsageError(`${name}=${value}: use a number from 0 to 1`);
  return x;
}

/**
 * Reads the queue's filters from a query string (the UI's form, the API and the exports share it).
 * Throws `UsageError` naming the bad parameter. `status` defaults to `new` in the UI only (see `defaultNew`).
 */
export function parseFilter(p: URLSearchParams, opts: { defaultNew?: boolean } = {}): QueueFilter {
  const f: QueueFilter = { sort: 'score', dir: 'desc' };
  const status = list(p, 'status');
  if (status.includes('all')) {
    // every status
  } else if (status.length) {
    const bad = status.find((s) => !STATUSES.includes(s as LeadStatus));
    if (bad) throw new UsageError(`status=${bad}: use one of ${STATUSES.join(', ')}, all`);
    f.status = status as LeadStatus[];
  } else if (opts.defaultNew) f.status = ['new'];
  const min = score(p.get('min_score'), 'min_score');
  if (min !== undefined) f.minScore = min;
  const max = score(p.get('max_score'), 'max_score');
  if (max !== undefined) f.maxScore = max;
  for (const key of ['category', 'site', 'lang'] as const) {
    const v = list(p, key);
    if (v.length) f[key] = v;
  }
  const text = (name: string) => p.get(name)?.trim().slice(0, 200) || undefined;
  const substance = text('substance');
  if (substance) f.substance = substance;
  const identifier = text('identifier');
  if (identifier) f.identifier = identifier;
  const q = text('q');
  if (q) f.q = q;
  const inText = p.get('in_text');
  if (inText && inText !== '0') {
    if (inText !== '1' && inText !== 'on') throw new UsageError(`in_text=${inText}: use 1 or 0`);
    f.inText = true;
  }
  const claimed = text('claimed');
  if (claimed) f.claimed = claimed;
  const since = text('since');
  if (since) f.since = day(since, 'since');
  const until = text('until');
  if (until) f.until = day(until, 'until', /^\d{4}-\d{2}-\d{2}$/.test(until) ? 1 : 0);
  const sort = p.get('sort');
  if (sort) {
    if (!SORTS.includes(sort as SortKey))
      throw new UsageError(`sort=${sort}: use one of ${SORTS.join(', ')}`);
    f.sort = sort as SortKey;
  }
  const dir = p.get('dir');
  if (dir) {
    if (dir !== 'asc' && dir !== 'desc') throw new UsageError(`dir=${dir}: use asc or desc`);
    f.dir = dir;
  }
  return f;
}

export function parsePage(p: URLSearchParams): PageRequest {
  const page: PageRequest = { limit: DEFAULT_LIMIT };
  const limit = p.get('limit');
  if (limit) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT)
      throw new UsageError(`limit=${limit}: use a whole number from 1 to ${MAX_LIMIT}`);
    page.limit = n;
  }
  const after = p.get('after');
  if (after) page.after = decodeCursor(after, 'after');
  const before = p.get('before');
  if (before && !after) page.before = decodeCursor(before, 'before');
  return page;
}

/** The query string of a filter (for links: pagination, sorting, exports), without defaults. */
export function filterParams(f: QueueFilter): URLSearchParams {
  const p = new URLSearchParams();
  p.set('status', f.status?.length ? f.status.join(',') : 'all');
  if (f.minScore !== undefined) p.set('min_score', String(f.minScore));
  if (f.maxScore !== undefined) p.set('max_score', String(f.maxScore));
  for (const key of ['category', 'site', 'lang'] as const) if (f[key]?.length) p.set(key, f[key].join(','));
  if (f.substance) p.set('substance', f.substance);
  if (f.identifier) p.set('identifier', f.identifier);
  if (f.q) p.set('q', f.q);
  if (f.inText) p.set('in_text', '1');
  if (f.claimed) p.set('claimed', f.claimed);
  if (f.since) p.set('since', f.since);
  if (f.until) p.set('until', f.until);
  if (f.sort !== 'score') p.set('sort', f.sort);
  if (f.dir !== 'desc') p.set('dir', f.dir);
  return p;
}
