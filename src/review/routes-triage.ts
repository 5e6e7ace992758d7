import type { Context, Hono } from 'hono';
import { UsageError } from '../errors.ts';
import { type AppDeps, leadId, type ReviewEnv } from './context.ts';
import { isDecision } from './decisions.ts';
import { decideMany, saveFilter } from './triage.ts';

const wantsJson = (c: Context<ReviewEnv>) => c.req.header('accept')?.includes('application/json') === true;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Where to go back to: a local path and query only (never another site). */
function backTo(form: Record<string, unknown>, fallback = '/'): string {
  const back = str(form.back);
  return back.startsWith('/') && !back.startsWith('//') ? back : fallback;
}

/** Bulk decisions, undo, claims and saved filters: forms that work without JavaScript, and JSON for app.js. */
export function registerTriage(app: Hono<ReviewEnv>, deps: AppDeps): void {
  const { store } = deps;

  app.post('/leads/bulk', async (c) => {
    const form = await c.req.parseBody({ all: true });
    const decision = str(form.decision);
    if (!isDecision(decision))
      throw new UsageError(`decision "${decision}": use confirm, dismiss or escalate`);
    const raw = form.id === undefined ? [] : Array.isArray(form.id) ? form.id : [form.id];
    const ids = raw.map((v) => Number(v)).filter((n) => Number.isSafeInteger(n) && n > 0);
    const done = await decideMany(store, c.get('analyst'), ids, decision, str(form.note));
    deps.metrics.decisions.inc({ decision }, done.length);
    if (wantsJson(c)) return c.json({ decided: done });
    const back = new URL(backTo(form), 'http://x');
    back.searchParams.set('decided', done.map((d) => d.auditId).join(','));
    return c.redirect(back.pathname + back.search, 303);
  });

  app.post('/audit/:id/undo', async (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1)
      throw new UsageError(`audit row "${c.req.param('id')}": not a number`);
    const form = wantsJson(c) ? {} : await c.req.parseBody();
    const r = await store.triage.undo(c.get('analyst'), id);
    if (wantsJson(c)) return c.json(r);
    return c.redirect(backTo(form), 303);
  });

  for (const [path, how] of [
    ['/leads/:id/claim', 'claim'],
    ['/leads/:id/release', 'release'],
  ] as const) {
    app.post(path, async (c) => {
      const id = leadId(c);
      const form = await c.req.parseBody();
      await store.triage[how](c.get('analyst'), id);
      return wantsJson(c) ? c.json({ id }) : c.redirect(backTo(form, `/leads/${id}`), 303);
    });
  }

  app.post('/filters', async (c) => {
    const form = await c.req.parseBody();
    const query = str(form.query).replace(/^\?/, '');
    await saveFilter(store, c.get('analyst'), str(form.name), query);
    return c.redirect(`/?${query}`, 303);
  });

  app.post('/filters/:id/delete', async (c) => {
    const id = Number(c.req.param('id'));
    if (Number.isSafeInteger(id)) await store.triage.deleteFilter(c.get('analyst'), id);
    return c.redirect('/', 303);
  });
}
