import type { Identifier } from '../../../src/extract/index.ts';
import type { FetchedRecord, Store } from '../../../src/leads/index.ts';
import { storeDb } from '../../../src/leads/store.ts';

/** A page and its lead written straight into the store, as the classifier would. */
export async function insertLead(
  store: Store,
  l: {
    url: string;
    title: string;
    text: string;
    siteId?: string;
    score?: number;
    category?: string | null;
    substances?: string[];
    lang?: string | null;
    reasons?: unknown[];
    at?: string;
    identifiers?: Identifier[];
  },
): Promise<{ leadId: number; pageId: number }> {
  const at = l.at ?? new Date().toISOString();
  const siteId = l.siteId ?? 'fixture';
  const page = await store.recordFetched({
    crawlId: 'fixture',
    siteId,
    url: l.url,
    finalUrl: l.url,
    status: 200,
    contentHash: `h-${l.url}`,
    title: l.title,
    text: l.text,
    listing: null,
    lang: l.lang ?? 'ru',
    identifiers: l.identifiers ?? [],
    fetchedVia: 'http',
    robots: 'ignore',
    foundVia: 'seed',
    depth: 0,
    at,
  } as FetchedRecord);
  const lead = await storeDb(store)
    .insertInto('leads')
    .values({
      page_id: page.pageId,
      site_id: siteId,
      url: l.url,
      title: l.title,
      score: l.score ?? 0.9,
      kind: 'sale',
      category: l.category === undefined ? 'synthetic' : l.category,
      substances: JSON.stringify(l.substances ?? ['mephedrone']),
      reasons: JSON.stringify(l.reasons ?? []),
      lexicon_version: 'test',
      found_via: 'seed',
      first_seen: at,
      last_seen: at,
      gone_at: null,
      crawl_id: 'fixture',
      cluster_id: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { leadId: lead.id, pageId: page.pageId };
}

/** A signed-in client of an app's `fetch` handler: keeps the session cookie, knows the CSRF token. */
export class AppClient {
  cookie = '';
  csrf = '';
  constructor(
    private readonly app: { fetch(req: Request): Response | Promise<Response> },
    readonly base = 'http://127.0.0.1',
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie && !headers.has('cookie')) headers.set('cookie', this.cookie);
    const res = await this.app.fetch(new Request(this.base + path, { ...init, headers, redirect: 'manual' }));
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=');
      const jar = new Map(
        this.cookie
          .split('; ')
          .filter(Boolean)
          .map((p) => p.split('=') as [string, string]),
      );
      if (value) jar.set(name!, value);
      else jar.delete(name!);
      this.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    return res;
  }

  async login(name: string, password: string): Promise<Response> {
    const page = await (await this.request('/login')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const res = await this.request('/login', {
      method: 'POST',
      body: new URLSearchParams({ _csrf: token, name, password }),
    });
    const home = await (await this.request('/')).text();
    this.csrf = /name="csrf-token" content="([^"]+)"/.exec(home)?.[1] ?? '';
    return res;
  }

  post(path: string, form: Record<string, string>, withCsrf = true): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      body: new URLSearchParams(withCsrf ? { _csrf: this.csrf, ...form } : form),
    });
  }
}
