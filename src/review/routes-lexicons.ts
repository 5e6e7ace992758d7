import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, normalize, sep } from 'node:path';
import type { Context, Hono } from 'hono';
import { type CompiledLexicons, type LintFinding, type LintResult, lintLexicons } from '../classify/index.ts';
import {
  lexiconDirFingerprint,
  loadLexicons,
  loadProposedLexicons,
  readLexiconDir,
} from '../config/index.ts';
import { ConfigError, errorMessage } from '../errors.ts';
import type { Store } from '../leads/index.ts';
import { countFetchedPages, rescore } from '../leads/index.ts';
import { type AppDeps, pageCtx, type ReviewEnv } from './context.ts';
import {
  type DiskLexicons,
  lexiconsPage,
  type WhatIfForm,
  type WhatIfResult,
  whatIfPage,
} from './view-lexicons.ts';

/**
 * `/lexicons`: the lexicon version in force and the versions seen in the store, the lint result of the
 * files on disk, and `/lexicons/what-if`: a rescoring of stored pages with a proposed lexicon directory,
 * without writing. The proposed directory is read on the server: only an absolute path to an existing
 * directory under one of `whatIfRoots` (symbolic links resolved) is accepted, and only its `*.yaml`
 * files are read.
 */

/** Pages a what-if may rescore in one request; more must be narrowed by date or site (or use the CLI). */
export const WHAT_IF_MAX_PAGES = 5000;
/** Default window of a what-if: pages fetched in the last 30 days. */
export const WHAT_IF_DEFAULT_DAYS = 30;
/** Rows listed per section of the diff (the counts are always complete). */
export const WHAT_IF_LIST_LIMIT = 100;

export function registerLexicons(app: Hono<ReviewEnv>, deps: AppDeps): void {
  const { store } = deps;
  const ctx = (c: Context<ReviewEnv>) => pageCtx(c, deps.queueCounts !== undefined);
  const disk = deps.lexiconsDir ? new DiskCache(deps.lexiconsDir) : null;
  let running = false;

  app.get('/lexicons', async (c) => {
    const [state, versions] = await Promise.all([disk ? disk.get() : null, store.review.lexiconVersions()]);
    return c.html(
      lexiconsPage(ctx(c), { disk: state, versions, form: emptyForm(), maxPages: WHAT_IF_MAX_PAGES }),
    );
  });

  app.get('/lexicons/what-if', async (c) => {
    const q = c.req.query();
    const form: WhatIfForm = {
      dir: (q.dir ?? '').slice(0, 4096),
      since: (q.since ?? '').trim().slice(0, 40) || defaultSince(),
      site: (q.site ?? '').trim().slice(0, 200),
    };
    const show = (result: WhatIfResult | null, status: 200 | 400 | 429 = 200) =>
      c.html(whatIfPage(ctx(c), { form, result, maxPages: WHAT_IF_MAX_PAGES }), status);
    if (!form.dir) return show(null);
    const dir = await checkDir(form.dir, deps.whatIfRoots);
    if (typeof dir !== 'string') return show({ kind: 'refused', message: dir.error }, 400);
    const since = parseSince(form.since);
    if (since === null)
      return show({ kind: 'refused', message: `"${form.since}" is not a date (YYYY-MM-DD)` }, 400);
    if (running)
      return show({ kind: 'refused', message: 'Another what-if is running: try again shortly.' }, 429);
    running = true;
    try {
      const result = await whatIf(store, deps, disk, dir, since, form.site);
      deps.log.info(
        { analyst: c.get('analyst').name, dir, since, site: form.site || undefined, kind: result.kind },
        'lexicon what-if',
      );
      return show(result);
    } finally {
      running = false;
    }
  });
}

async function whatIf(
  store: Store,
  deps: AppDeps,
  disk: DiskCache | null,
  dir: string,
  since: string,
  site: string,
): Promise<WhatIfResult> {
  let lint: LintResult;
  try {
    lint = lintLexicons(await readLexiconDir(dir));
  } catch (err) {
    return { kind: 'refused', message: errorMessage(err) };
  }
  if (lint.errors > 0) return { kind: 'invalid', dir, lint };
  let lex: CompiledLexicons;
  try {
    lex = await loadProposedLexicons(dir, deps.lexiconsDir);
  } catch (err) {
    // Lint passed but the loader refused: shown as one more finding.
    return { kind: 'invalid', dir, lint: withFinding(lint, configFinding(dir, err)) };
  }
  const siteIds = site ? [site] : undefined;
  const pages = await countFetchedPages(store, { since, ...(siteIds ? { siteIds } : {}) });
  if (pages > WHAT_IF_MAX_PAGES) return { kind: 'too-many', dir, pages, since };
  const baseline = disk ? (await disk.get()).lexicons : undefined;
  const started = performance.now();
  const diff = await rescore(store, lex, {
    since,
    ...(siteIds ? { siteIds } : {}),
    ...(deps.siteKinds ? { siteKinds: deps.siteKinds } : {}),
    ...(baseline ? { baseline } : {}),
  });
  const ms = Math.round(performance.now() - started);
  return { kind: 'diff', dir, lint, diff, ms, since, baseline: baseline?.version ?? null };
}

/** An absolute path to an existing directory under one of `roots` (links resolved), normalised; or why not. */
export async function checkDir(raw: string, roots: readonly string[]): Promise<string | { error: string }> {
  if (raw.includes('\0')) return { error: 'The path contains a NUL character.' };
  if (!isAbsolute(raw))
    return { error: `"${raw}" is not an absolute path: give the full path of a directory.` };
  const dir = normalize(raw);
  try {
    if (!(await stat(dir)).isDirectory()) return { error: `"${raw}" is not a directory.` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    return { error: `"${raw}" cannot be read (${code}).` };
  }
  const real = await realpath(dir);
  const allowed = await Promise.all(roots.map((r) => realpath(r).catch(() => null)));
  if (!allowed.some((r) => r !== null && (real === r || real.startsWith(r.endsWith(sep) ? r : r + sep)))) {
    return {
      error: `"${raw}" is outside the directories a what-if may read (${roots.join(', ') || 'none configured'}): put the proposed lexicons in one of them.`,
    };
  }
  return real;
}

/** `YYYY-MM-DD` or an ISO time → ISO time; null when it is not a date. */
export function parseSince(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function defaultSince(): string {
  return new Date(Date.now() - WHAT_IF_DEFAULT_DAYS * 86_400_000).toISOString().slice(0, 10);
}

function emptyForm(): WhatIfForm {
  return { dir: '', since: defaultSince(), site: '' };
}

function configFinding(dir: string, err: unknown): LintFinding {
  const c = err instanceof ConfigError ? err : null;
  return {
    file: c?.file ?? dir,
    line: c?.line ?? 1,
    column: c?.column ?? 1,
    severity: 'error',
    code: 'schema',
    message: errorMessage(err),
    ...(c?.field ? { field: c.field } : {}),
  };
}

function withFinding(lint: LintResult, f: LintFinding): LintResult {
  return { ...lint, findings: [...lint.findings, f], errors: lint.errors + 1 };
}

/**
 * The lexicons on disk, compiled and linted again only when a file's name, size or time changed
 * (compiling and linting take most of a second).
 */
type DiskState = DiskLexicons & { lexicons?: CompiledLexicons };

class DiskCache {
  private cached: { fingerprint: string; state: Promise<DiskState> } | null = null;
  constructor(private readonly dir: string) {}

  async get(): Promise<DiskState> {
    const fingerprint = await this.scan();
    if (this.cached?.fingerprint === fingerprint) return this.cached.state;
    const state = this.load();
    this.cached = { fingerprint, state };
    state.catch(() => {
      this.cached = null;
    });
    return state;
  }

  private async load(): Promise<DiskState> {
    const checkedAt = new Date().toISOString();
    let lint: LintResult | null = null;
    let readError: string | null = null;
    try {
      lint = lintLexicons(await readLexiconDir(this.dir));
    } catch (err) {
      readError = errorMessage(err);
    }
    try {
      const lexicons = await loadLexicons(this.dir);
      return { dir: this.dir, version: lexicons.version, error: null, lint, readError, checkedAt, lexicons };
    } catch (err) {
      return { dir: this.dir, version: null, error: errorMessage(err), lint, readError, checkedAt };
    }
  }

  private async scan(): Promise<string> {
    // Unreadable: never equal to the last fingerprint, so the next request checks again.
    return (await lexiconDirFingerprint(this.dir)) ?? `unreadable:${Date.now()}`;
  }
}
