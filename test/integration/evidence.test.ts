import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Command } from 'commander';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../../src/cli/commands/evidence.ts';
import { BrowserPool } from '../../src/crawl/browser/index.ts';
import { fetchHttp } from '../../src/crawl/http/index.ts';
import type { FetchedPage } from '../../src/crawl/types.ts';
import { UsageError } from '../../src/errors.ts';
import {
  archiveFetchedPage,
  captureEvidence,
  captureLeadEvidence,
  type EvidenceManifest,
  EvidenceStore,
  leadEvidenceFile,
  leadEvidenceSummary,
  sha256Hex,
  verifyBundle,
  writeBundle,
} from '../../src/evidence/index.ts';
import { parseHtml } from '../../src/extract/index.ts';
import { Store } from '../../src/leads/index.ts';
import { evidenceFrom } from '../../src/review/evidence.ts';
import { leadDetail } from '../../src/review/lead-detail.ts';
import { leadView } from '../../src/review/view-lead.ts';
import { BACKENDS, type TestDb, testDb } from '../helpers/db.ts';
import { packIndexLines } from '../helpers/evidence-packs.ts';
import { type FixtureServer, startServer } from '../helpers/fixture-server.ts';
import { needsChromium } from '../helpers/requirements.ts';
import { tempDir } from '../helpers/runtime.ts';
import { httpParts, parseWarc, sha256Label } from '../unit/evidence/warc-parse.ts';
import { storeDb } from '../../src/leads/store.ts';

const hasUnzip = spawnSync('unzip', ['-v']).status === 0;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const isPng = (b: Buffer) => b.subarray(0, 8).equals(PNG);

const LISTING = `<!doctype html><html><head><meta charset="utf-8"><title>Мефедрон 1г</title></head>
<body style="background:#fff"><h1>Мефедрон кристалл 1г — закладка</h1>
<p>Оплата BTC bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq, клад магнит. Price 45 USDT.</p>
<img src="http://203.0.113.9/beacon.png"><script>document.title = 'ran'</script></body></html>`;

function extract(page: FetchedPage): string {
  return parseHtml({ html: page.text, url: page.url, finalUrl: page.finalUrl, siteId: 'fixture' }).text;
}

needsChromium('evidence capture (real HTTP server, SQLite, Chromium)', () => {
  let srv: FixtureServer;
  let dir: ReturnType<typeof tempDir>;
  let dataDir: string;
  let store: Store;
  let evidence: EvidenceStore;
  let pool: BrowserPool;
  const requestHeaders = {
    'user-agent': 'Spiderweb/0.1 (+monitoring)',
    accept: 'text/html',
    'accept-encoding': 'gzip, deflate, br',
  };

  beforeAll(async () => {
    srv = await startServer({
      '/item/7': (_req, res) => {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-encoding': 'gzip',
          'x-shop': 'yes',
        });
        res.end(gzipSync(Buffer.from(LISTING, 'utf8')));
      },
      '/go/7': (_req, res) => {
        res.writeHead(301, { location: '/item/7' }).end();
      },
    });
    dir = tempDir('spiderweb-evidence-');
    dataDir = join(dir.path, 'data');
    store = await Store.open(null, dataDir);
    evidence = EvidenceStore.forDataDir(dataDir);
    pool = new BrowserPool({ maxConcurrentPages: 2, navigationTimeoutMs: 15_000 });
  });

  afterAll(async () => {
    await pool?.close();
    await store?.close();
    await srv?.close();
    dir?.remove();
  });

  const fetchListing = () => fetchHttp(`${srv.url}/go/7`, { allowPrivateNetwork: true });

  /** A page row and a lead row in the real store, as the pipeline leaves them. */
  async function pageAndLead(
    page: FetchedPage,
    text: string,
    st: Store = store,
  ): Promise<{ pageId: number; leadId: number }> {
    const at = page.fetchedAt;
    const { id: pageId } = await storeDb(st)
      .insertInto('pages')
      .values({
        site_id: 'fixture',
        url: page.url,
        final_url: page.finalUrl,
        status: page.status,
        state: 'fetched',
        content_hash: sha256Hex(text),
        title: 'Мефедрон 1г',
        text,
        identifiers: '[]',
        fetched_via: page.via,
        found_via: 'seed',
        depth: 0,
        first_seen: at,
        last_fetched: at,
        crawl_id: 'c1',
      })
      .onConflict((oc) => oc.columns(['site_id', 'url']).doUpdateSet({ content_hash: sha256Hex(text), text }))
      .returning('id')
      .executeTakeFirstOrThrow();
    const { id: leadId } = await storeDb(st)
      .insertInto('leads')
      .values({
        page_id: pageId,
        site_id: 'fixture',
        url: page.url,
        title: 'Мефедрон 1г',
        score: 0.9,
        kind: 'offer',
        category: 'synthetic',
        substances: '["mephedrone"]',
        reasons: '[]',
        lexicon_version: 'test',
        found_via: 'seed',
        first_seen: at,
        last_seen: at,
        crawl_id: 'c1',
      })
      .onConflict((oc) => oc.column('page_id').doUpdateSet({ score: 0.9 }))
      .returning('id')
      .executeTakeFirstOrThrow();
    return { pageId, leadId };
  }

  it('captures a fetched page: WARC with digests, PNG screenshot, UTF-8 text, manifest of hashes', async () => {
    const page = await fetchListing();
    expect(page.redirects).toEqual([`${srv.url}/item/7`]);
    const text = extract(page);
    const png = await pool.screenshotHtml(page.text, page.finalUrl);
    const { manifest, manifestSha256 } = await captureEvidence(evidence, {
      page,
      requestHeaders,
      proxy: 'socks5h://user:secret@127.0.0.1:9050',
      text,
      screenshot: png,
      sealedAt: '2024-06-01T00:00:00.000Z',
    });

    expect(sha256Hex(await evidence.get(manifestSha256))).toBe(manifestSha256);
    expect(JSON.parse((await evidence.get(manifestSha256)).toString('utf8'))).toEqual(manifest);
    expect(manifest).toMatchObject({
      format: 'spiderweb-evidence/1',
      spiderwebVersion: JSON.parse(readFileSync('package.json', 'utf8')).version,
      url: `${srv.url}/go/7`,
      finalUrl: `${srv.url}/item/7`,
      redirects: [`${srv.url}/item/7`],
      status: 200,
      fetcher: 'http',
      proxy: 'socks5h://user:***@127.0.0.1:9050',
      capturedAt: page.fetchedAt,
      payloadSha256: sha256Hex(page.body),
      screenshot: { source: 'captured-body' },
    });
    expect(JSON.stringify(manifest)).not.toContain('secret');
    expect(manifest.files.map((f) => f.name)).toEqual(['capture.warc.gz', 'screenshot.png', 'text.txt']);
    const bytes = new Map<string, Buffer>();
    for (const f of manifest.files) {
      const b = await evidence.get(f.sha256);
      expect(sha256Hex(b)).toBe(f.sha256);
      expect(b.length).toBe(f.size);
      bytes.set(f.role, b);
    }
    expect(isPng(bytes.get('screenshot')!)).toBe(true);
    expect(bytes.get('text')!.toString('utf8')).toBe(text);
    expect(text).toContain('Мефедрон кристалл 1г');

    const records = parseWarc(bytes.get('warc')!);
    expect(records.map((r) => r.headers.get('warc-type'))).toEqual([
      'warcinfo',
      'request',
      'response',
      'metadata',
    ]);
    for (const r of records) {
      expect(Number(r.headers.get('content-length'))).toBe(r.block.length);
      expect(r.headers.get('warc-block-digest')).toBe(sha256Label(r.block));
    }
    const response = records[2]!;
    const http = httpParts(response.block);
    expect(http.statusLine).toBe('HTTP/1.1 200 OK');
    expect(http.headers).toContain('x-spiderweb-original-content-encoding: gzip');
    expect(http.headers).toContain('x-shop: yes');
    expect(http.payload.toString('utf8')).toBe(LISTING);
    expect(response.headers.get('warc-payload-digest')).toBe(sha256Label(Buffer.from(LISTING, 'utf8')));
    expect(response.headers.get('warc-target-uri')).toBe(`${srv.url}/item/7`);
    expect(records[1]!.block.toString('latin1')).toMatch(
      /^GET \/item\/7 HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\n/,
    );
    // the screenshot rendered the captured body only: nothing reached the network
    expect(srv.hits.filter((h) => h.path.includes('beacon'))).toEqual([]);
  });

  it('stores nothing twice: same capture → same objects; the fetch side skips an unchanged page', async () => {
    const page = await fetchListing();
    const text = extract(page);
    const input = { page, requestHeaders, proxy: null, text, sealedAt: '2024-06-01T00:00:00.000Z' };
    const first = await captureEvidence(evidence, input);
    const before = packIndexLines(evidence.root).length;
    const again = await captureEvidence(evidence, input);
    expect(again.manifestSha256).toBe(first.manifestSha256);
    expect(packIndexLines(evidence.root).length).toBe(before);
    // a later sealing of the same capture adds only its manifest
    await captureEvidence(evidence, { ...input, sealedAt: '2024-06-02T00:00:00.000Z' });
    expect(packIndexLines(evidence.root).length).toBe(before + 1);

    const { pageId } = await pageAndLead(page, text);
    const a = await archiveFetchedPage(
      { store, evidence },
      { pageId, page, requestHeaders, proxy: null, text },
    );
    const objects = packIndexLines(evidence.root).length;
    const refetch = await fetchListing();
    const b = await archiveFetchedPage(
      { store, evidence },
      { pageId, page: refetch, requestHeaders, proxy: null, text: extract(refetch) },
    );
    expect(b).toEqual({ evidenceId: a.evidenceId, skipped: true, warcSha256: a.warcSha256, row: null });
    expect(packIndexLines(evidence.root).length).toBe(objects);
    expect(await store.captures.has(sha256Hex(page.body), pageId)).toBe(true);
    const rows = await storeDb(store)
      .selectFrom('evidence')
      .selectAll()
      .where('page_id', '=', pageId)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.last_seen_at).toBe(new Date(refetch.fetchedAt).toISOString());
  });

  it('a capture cut at fetch.maxBytes says so: in its manifest, its summary and on the lead page', async () => {
    const st = await Store.open(null, join(dir.path, 'truncated'));
    try {
      const text = extract(await fetchListing());
      const page = await fetchHttp(`${srv.url}/go/7`, { allowPrivateNetwork: true, maxBytes: 200 });
      expect(page.truncated).toBe(true);
      expect(page.body.length).toBe(200);
      const ids = await pageAndLead(page, text, st);
      const deps = { store: st, evidence };
      await archiveFetchedPage(deps, { pageId: ids.pageId, page, requestHeaders, proxy: null, text });
      const sealed = await captureLeadEvidence({ ...deps, screenshots: pool }, ids);
      expect(sealed.manifest.truncated).toBe(true);
      expect(await leadEvidenceSummary(deps, ids.leadId)).toMatchObject({ truncated: true });
      const view = async () =>
        leadView({ analyst: 'a', csrf: 'x' }, (await leadDetail(st, ids.leadId, evidenceFrom(evidence)))!, {
          next: null,
          prev: null,
          qs: '',
        });
      expect(await view()).toContain('id="evidence-truncated"');
      // The lead page links the bundle and every file, and shows the screenshot as a link to itself.
      expect(await view()).toContain(`href="/leads/${ids.leadId}/evidence.wacz"`);
      for (const name of ['capture.warc.gz', 'screenshot.png', 'text.txt', 'manifest.json'])
        expect(await view()).toContain(`href="/leads/${ids.leadId}/evidence/${name}"`);

      // The whole page, fetched and captured later, is not marked.
      const full = await fetchListing();
      await archiveFetchedPage(deps, { pageId: ids.pageId, page: full, requestHeaders, proxy: null, text });
      const resealed = await captureLeadEvidence({ ...deps, screenshots: pool }, ids);
      expect(resealed.manifest.truncated).toBe(false);
      expect(await view()).not.toContain('id="evidence-truncated"');
    } finally {
      await st.close();
    }
  });

  describe.each(BACKENDS)('a lead in %s: sealed, bundled and verified', (backend) => {
    let leadId: number;
    let bundle: string;
    let manifestSha: string;
    let st: Store;
    let tdb: TestDb | undefined;

    afterAll(async () => {
      if (tdb) {
        await st?.close();
        await tdb.drop();
      }
    });

    beforeAll(async () => {
      if (backend === 'postgres') {
        tdb = await testDb('postgres');
        st = await tdb.open();
      } else st = store;
      const page = await fetchListing();
      const text = extract(page);
      const ids = await pageAndLead(page, text, st);
      leadId = ids.leadId;
      await archiveFetchedPage(
        { store: st, evidence },
        { pageId: ids.pageId, page, requestHeaders, proxy: null, text },
      );
      const sealed = await captureLeadEvidence({ store: st, evidence, screenshots: pool }, ids);
      expect(sealed.skipped).toBe(false);
      manifestSha = sealed.manifestSha256;
      const twice = await captureLeadEvidence({ store: st, evidence, screenshots: pool }, ids);
      expect(twice).toMatchObject({
        skipped: true,
        manifestSha256: manifestSha,
        evidenceId: sealed.evidenceId,
      });
      bundle = join(dir.path, `${backend}-lead-${leadId}.wacz`);
      await writeBundle({ store: st, evidence }, leadId, bundle);
    });

    it('seals the lead with a screenshot of the captured body and a manifest naming the lead', async () => {
      const [row] = await st.captures.ofLead(leadId);
      expect(row?.manifest_sha256).toBe(manifestSha);
      const m = JSON.parse((await evidence.get(manifestSha)).toString('utf8')) as EvidenceManifest;
      expect(m.leadId).toBe(leadId);
      expect(m.siteId).toBe('fixture');
      expect(m.screenshot.source).toBe('captured-body');
      expect(m.files.map((f) => f.name)).toEqual(['capture.warc.gz', 'screenshot.png', 'text.txt']);
      expect(isPng(await evidence.get(m.files[1]!.sha256))).toBe(true);
      const summary = await leadEvidenceSummary({ store: st, evidence }, leadId);
      expect(summary).toMatchObject({ manifestSha256: manifestSha, screenshot: true, status: 200 });
      expect(summary?.files.map((f) => f.name)).toContain('manifest.json');
      const shot = await leadEvidenceFile({ store: st, evidence }, leadId, 'screenshot.png');
      expect(shot?.type).toBe('image/png');
      expect(isPng(shot!.body)).toBe(true);
    });

    const unzip = (file: string) => unzipSync(readFileSync(file));
    const rezip = (file: string, entries: Record<string, Uint8Array>) =>
      writeFileSync(
        file,
        zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v, { level: 0 }]]))),
      );

    it('bundles a WACZ: datapackage.json hashes every file, the index points at the response', async () => {
      const entries = unzip(bundle);
      expect(Object.keys(entries).sort()).toEqual([
        'archive/capture.warc.gz',
        'datapackage-digest.json',
        'datapackage.json',
        'indexes/index.cdxj',
        'pages/pages.jsonl',
        'spiderweb/case.json',
        'spiderweb/manifest.json',
        'spiderweb/screenshot.png',
        'spiderweb/text.txt',
      ]);
      const dp = JSON.parse(Buffer.from(entries['datapackage.json']!).toString('utf8'));
      expect(dp).toMatchObject({ profile: 'data-package', wacz_version: '1.1.1' });
      expect(dp.resources).toHaveLength(7);
      for (const r of dp.resources as Array<{ path: string; hash: string; bytes: number }>) {
        expect(r.hash).toBe(`sha256:${sha256Hex(entries[r.path]!)}`);
        expect(r.bytes).toBe(entries[r.path]!.length);
      }
      const digest = JSON.parse(Buffer.from(entries['datapackage-digest.json']!).toString('utf8'));
      expect(digest).toEqual({
        path: 'datapackage.json',
        hash: `sha256:${sha256Hex(entries['datapackage.json']!)}`,
      });
      expect(sha256Hex(entries['spiderweb/manifest.json']!)).toBe(manifestSha);
      const [header, page] = Buffer.from(entries['pages/pages.jsonl']!).toString('utf8').trim().split('\n');
      expect(JSON.parse(header!)).toMatchObject({ format: 'json-pages-1.0' });
      expect(JSON.parse(page!)).toMatchObject({
        url: `${srv.url}/item/7`,
        text: expect.stringContaining('Мефедрон'),
      });
      // The index points at the response record: read it from the WARC at its offset.
      const [line] = Buffer.from(entries['indexes/index.cdxj']!).toString('utf8').trim().split('\n');
      const loc = JSON.parse(line!.slice(line!.indexOf('{'))) as {
        offset: number;
        length: number;
        status: string;
      };
      expect(line).toMatch(/^1,0,0,127:\d+\)\/item\/7 \d{14} /);
      expect(loc.status).toBe('200');
      const member = Buffer.from(entries['archive/capture.warc.gz']!).subarray(
        loc.offset,
        loc.offset + loc.length,
      );
      expect(gunzipSync(member).toString('latin1')).toMatch(/^WARC\/1\.1\r\nWARC-Type: response/);
      const cases = JSON.parse(Buffer.from(entries['spiderweb/case.json']!).toString('utf8'));
      expect(cases).toMatchObject({ lead: { id: leadId }, evidenceManifestSha256: manifestSha });
    });

    // An independent reader: Info-ZIP's unzip (installed by .ci/run; skipped where it is missing).
    it.skipIf(!hasUnzip)(
      'the system unzip opens the bundle and sha256sum agrees with datapackage.json',
      () => {
        const dp = JSON.parse(Buffer.from(unzip(bundle)['datapackage.json']!).toString('utf8'));
        const out = join(dir.path, `${backend}-unpacked`);
        mkdirSync(out);
        execFileSync('unzip', ['-q', bundle, '-d', out]);
        const sums = (dp.resources as Array<{ path: string; hash: string }>)
          .map((r) => `${r.hash.slice(7)}  ${r.path}\n`)
          .join('');
        writeFileSync(join(out, 'SHA256SUMS'), sums);
        expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' })).toContain(
          'archive/capture.warc.gz: OK',
        );
      },
    );

    it('verifies an intact bundle', async () => {
      const r = await verifyBundle(bundle, { expectedManifestSha256: manifestSha });
      expect(r.problems).toEqual([]);
      expect(r.intact).toBe(true);
      expect(r.manifest).toMatchObject({ status: 'ok', sha256: manifestSha, recorded: manifestSha });
      expect(r.files.every((f) => f.status === 'ok')).toBe(true);
    });

    it('names the WARC when one byte of it is flipped', async () => {
      const data = Buffer.from(readFileSync(bundle));
      const warc = Buffer.from(unzip(bundle)['archive/capture.warc.gz']!);
      const at = data.indexOf(warc) + Math.floor(warc.length / 2);
      data[at] = (data[at] ?? 0) ^ 0x01;
      const file = join(dir.path, `${backend}-flipped.wacz`);
      writeFileSync(file, data);
      const r = await verifyBundle(file);
      expect(r.intact).toBe(false);
      expect(r.manifest.status).toBe('ok');
      expect(r.files.filter((f) => f.status !== 'ok').map((f) => [f.name, f.status])).toEqual([
        ['archive/capture.warc.gz', 'altered'],
      ]);
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatch(/^archive\/capture\.warc\.gz was altered/);
    });

    it('says so when the manifest is tampered with, even with datapackage.json rewritten to match', async () => {
      const entries = unzip(bundle);
      const manifest = JSON.parse(
        Buffer.from(entries['spiderweb/manifest.json']!).toString('utf8'),
      ) as EvidenceManifest;
      manifest.capturedAt = '2020-01-01T00:00:00.000Z';
      entries['spiderweb/manifest.json'] = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
      const file = join(dir.path, `${backend}-manifest-edited.wacz`);
      rezip(file, entries);
      const r = await verifyBundle(file);
      expect(r.intact).toBe(false);
      expect(r.manifest.status).toBe('altered');
      expect(r.problems.join('\n')).toMatch(/spiderweb\/manifest\.json was altered/);

      // every digest rewritten consistently: only the recorded manifest hash gives it away
      const dp = JSON.parse(Buffer.from(entries['datapackage.json']!).toString('utf8'));
      for (const res of dp.resources) res.hash = `sha256:${sha256Hex(entries[res.path]!)}`;
      for (const res of dp.resources) res.bytes = entries[res.path]!.length;
      entries['datapackage.json'] = Buffer.from(JSON.stringify(dp));
      entries['datapackage-digest.json'] = Buffer.from(
        JSON.stringify({
          path: 'datapackage.json',
          hash: `sha256:${sha256Hex(entries['datapackage.json'])}`,
        }),
      );
      rezip(file, entries);
      expect((await verifyBundle(file)).intact).toBe(true);
      const strict = await verifyBundle(file, { expectedManifestSha256: manifestSha });
      expect(strict.intact).toBe(false);
      expect(strict.manifest.status).toBe('unexpected');
    });

    it('reports missing and extra files, and a damaged zip', async () => {
      const entries = unzip(bundle);
      delete entries['spiderweb/text.txt'];
      entries['note.txt'] = Buffer.from('hi');
      const file = join(dir.path, `${backend}-swapped.wacz`);
      rezip(file, entries);
      const r = await verifyBundle(file);
      expect(r.files.filter((f) => f.status !== 'ok').map((f) => [f.name, f.status])).toEqual([
        ['spiderweb/text.txt', 'missing'],
        ['note.txt', 'extra'],
      ]);
      writeFileSync(file, readFileSync(bundle).subarray(0, 1000));
      const damaged = await verifyBundle(file);
      expect(damaged.intact).toBe(false);
      expect(damaged.problems[0]).toMatch(/zip structure is damaged/);
    });

    describe('CLI', () => {
      let configDir: string;
      let printed: string[];
      const write = process.stdout.write.bind(process.stdout);

      beforeAll(() => {
        configDir = join(dir.path, `${backend}-config`);
        mkdirSync(configDir, { recursive: true });
        const storeLine = tdb ? `store: { url: "${tdb.url}" }\n` : '';
        writeFileSync(join(configDir, 'spiderweb.yaml'), `dataDir: "${dataDir}"\n${storeLine}`);
      });
      afterEach(() => {
        process.stdout.write = write;
        process.exitCode = undefined;
      });

      async function run(...args: string[]): Promise<{ code: number; out: string }> {
        printed = [];
        process.stdout.write = ((s: string) => {
          printed.push(String(s));
          return true;
        }) as typeof process.stdout.write;
        const program = new Command('spiderweb').option('-c, --config <dir>').exitOverride();
        register(program);
        try {
          await program.parseAsync(['node', 'spiderweb', '--config', configDir, ...args]);
        } finally {
          process.stdout.write = write;
        }
        const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
        process.exitCode = undefined;
        return { code, out: printed.join('') };
      }

      it('bundle, verify (0 intact, 1 naming the file) and show', async () => {
        const file = join(dir.path, `${backend}-cli.wacz`);
        const b = await run('evidence', 'bundle', String(leadId), '-o', file);
        expect(b.out).toContain(`sha256:${manifestSha}`);
        const ok = await run('evidence', 'verify', file, '--against-store');
        expect(ok.code).toBe(0);
        expect(ok.out).toContain('intact');
        const bad = await run('evidence', 'verify', join(dir.path, `${backend}-flipped.wacz`));
        expect(bad.code).toBe(1);
        expect(bad.out).toMatch(/ALTERED: archive\/capture\.warc\.gz was altered/);
        const show = await run('evidence', 'show', String(leadId));
        expect(JSON.parse(show.out)).toMatchObject({ manifestSha256: manifestSha, manifest: { leadId } });
      });

      it('refuses bad input with a usage error', async () => {
        await expect(run('evidence', 'show', 'abc')).rejects.toBeInstanceOf(UsageError);
        await expect(run('evidence', 'bundle', '99999', '-o', join(dir.path, 'x.tar'))).rejects.toThrow(
          /lead 99999 is not in the store/,
        );
        await expect(run('evidence', 'verify', join(dir.path, 'nope.tar'))).rejects.toBeInstanceOf(
          UsageError,
        );
      });
    });
  });

  it('without a browser, seals without a screenshot and the lead page says why', async () => {
    const page = await fetchListing();
    const text = extract(page);
    const ids = await pageAndLead({ ...page, url: `${page.url}?no-browser` }, text);
    const deps = { store, evidence };
    await archiveFetchedPage(deps, { pageId: ids.pageId, page, requestHeaders, proxy: null, text });
    const sealed = await captureLeadEvidence({ ...deps, screenshots: null }, ids);
    expect(sealed.manifest.screenshot).toEqual({
      source: 'none',
      reason: 'no browser was available to render the capture',
    });
    const html = leadView(
      { analyst: 'a', csrf: 'x' },
      (await leadDetail(store, ids.leadId, evidenceFrom(evidence)))!,
      { next: null, prev: null, qs: '' },
    );
    expect(html).toContain('no screenshot: no browser was available to render the capture');
    expect(html).not.toContain('evidence/screenshot.png');
  });

  it('a page built so its screenshot never finishes is sealed at once without one, saying why', async () => {
    // 100,000 nested elements: Chromium lays them out for minutes. A retry would take as long again.
    const body = Buffer.from(
      `<!doctype html><p>Мефедрон 1г</p>${'<div>'.repeat(100_000)}x${'</div>'.repeat(100_000)}`,
    );
    const page = { ...(await fetchListing()), body, text: body.toString('utf8') };
    const text = extract(page);
    const ids = await pageAndLead({ ...page, url: `${page.url}?nested` }, text);
    const deps = { store, evidence };
    await archiveFetchedPage(deps, { pageId: ids.pageId, page, requestHeaders, proxy: null, text });
    const quick = new BrowserPool({ maxConcurrentPages: 1, navigationTimeoutMs: 1500 });
    try {
      const started = Date.now();
      const sealed = await captureLeadEvidence({ ...deps, screenshots: quick }, ids);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(sealed.manifest.screenshot).toMatchObject({
        source: 'none',
        reason: expect.stringMatching(/^screenshot failed: .*did not finish in time/),
      });
      expect(sealed.manifest.files.map((f) => f.role)).toEqual(['warc', 'text']);
    } finally {
      await quick.close();
    }
  });

  it('seals the capture its worker just stored from memory, reading neither page nor capture back', async () => {
    const page = await fetchListing();
    const text = extract(page);
    const ids = await pageAndLead({ ...page, url: `${page.url}?fresh` }, text);
    const deps = { store, evidence, screenshots: null };
    const archived = await archiveFetchedPage(deps, {
      pageId: ids.pageId,
      page,
      requestHeaders,
      proxy: null,
      text,
      newPage: true,
    });
    // The row handed on is the row stored.
    expect(archived.row).toEqual(await store.captures.get(archived.evidenceId));
    const reads: string[] = [];
    const captures = Object.create(store.captures, {
      page: { value: () => reads.push('page') && store.captures.page(ids.pageId) },
      forPage: {
        value: (id: number, h: string | null) => reads.push('forPage') && store.captures.forPage(id, h),
      },
    });
    const fresh = { row: archived.row!, siteId: 'fixture', contentHash: sha256Hex(text) };
    const sealed = await captureLeadEvidence({ ...deps, store: { captures } }, { ...ids, fresh });
    expect(reads).toEqual([]);
    expect(sealed).toMatchObject({ evidenceId: archived.evidenceId, skipped: false });
    expect(sealed.manifest).toMatchObject({ pageId: ids.pageId, leadId: ids.leadId, siteId: 'fixture' });
    expect((await store.captures.ofLead(ids.leadId))[0]).toMatchObject({
      manifest_sha256: sealed.manifestSha256,
    });
    // A capture of other text than the page's (a recrawl since) is not trusted: the store is read.
    const stale = { ...fresh, contentHash: 'f'.repeat(64) };
    const again = await captureLeadEvidence({ ...deps, store: { captures } }, { ...ids, fresh: stale });
    expect(reads).toEqual(['page', 'forPage']);
    expect(again).toMatchObject({ skipped: true, manifestSha256: sealed.manifestSha256 });
  });

  it("keeps a browser render's own screenshot as the evidence screenshot", async () => {
    const page = await pool.render(`${srv.url}/item/7`, {
      siteId: 'fixture',
      allowPrivateNetwork: true,
      screenshot: true,
    });
    const text = extract(page);
    const ids = await pageAndLead({ ...page, url: `${srv.url}/item/7?browser` }, text);
    const archived = await archiveFetchedPage(
      { store, evidence },
      { pageId: ids.pageId, page, requestHeaders: null, proxy: null, text },
    );
    expect(archived.skipped).toBe(false);
    const sealed = await captureLeadEvidence({ store, evidence, screenshots: null }, ids);
    expect(sealed.manifest.fetcher).toBe('browser');
    expect(sealed.manifest.screenshot.source).toBe('browser-render');
    const shot = sealed.manifest.files.find((f) => f.role === 'screenshot')!;
    expect(shot.sha256).toBe(sha256Hex(page.screenshot!));
    const records = parseWarc(await evidence.get(sealed.manifest.files[0]!.sha256));
    expect(records.map((r) => r.headers.get('warc-type'))).toEqual(['warcinfo', 'resource', 'metadata']);
  });
});
