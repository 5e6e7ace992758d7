import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, siteSchema } from '../../src/config/index.ts';
import { openRuntime, type Runtime, runCrawl } from '../../src/runtime/index.ts';
import { type FixtureServer, startServer } from '../helpers/fixture-server.ts';
import { bin, dropPrefix, REDIS_URL, repoRoot, tempDir, testPrefix } from '../helpers/runtime.ts';

const SLANG = 'кракозябра';
const PAGE = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Витрина</title></head><body>
<p>Свежая ${SLANG}, 1г — 3500₽. Доставка по городу, закладки. Пишите в телеграм.</p></body></html>`;
// One dead-drop word only: two (закладки, магнит) would carry an unnamed substance, a lead with no slang.

describe('workers pick up lexicon changes without a restart', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: FixtureServer;
  let worker: ChildProcess;
  let rt: Runtime;
  let workerLog = '';
  const prefix = testPrefix();

  beforeAll(async () => {
    dir = tempDir();
    mkdirSync(join(dir.path, 'config'));
    cpSync(join(repoRoot, 'config/lexicons'), join(dir.path, 'config/lexicons'), { recursive: true });
    writeFileSync(
      join(dir.path, 'config/spiderweb.yaml'),
      `redis: { url: "${REDIS_URL}", prefix: "${prefix}" }\ndataDir: "${join(dir.path, 'data')}"\n`,
    );
    server = await startServer({
      '/': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      },
    });
    worker = spawn(
      process.execPath,
      [bin, '--config', join(dir.path, 'config'), 'worker', '--concurrency', '2'],
      {
        cwd: repoRoot,
        env: { ...process.env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    worker.stderr?.on('data', (d: Buffer) => {
      workerLog += d.toString();
    });
    while (!workerLog.includes('worker ready')) await new Promise((r) => setTimeout(r, 50));
    rt = await openRuntime(await loadConfig(join(dir.path, 'config'), { env: {} }));
  });

  afterAll(async () => {
    worker?.kill('SIGTERM');
    await rt?.close();
    await server?.close();
    await dropPrefix(prefix);
    dir?.remove();
  });

  const crawl = async () => {
    const summary = await runCrawl(rt, {
      sites: [
        siteSchema.parse({ id: 'shop', seeds: [server.url], allowPrivateNetwork: true, robots: 'ignore' }),
      ],
      workers: null,
      progressMs: 50,
    });
    const lead = (await rt.store.leads()).find((l) => l.crawl_id === summary.crawlId);
    return { summary, lead };
  };

  it('a new slang term turns a page into a lead; a broken file is refused while classifying goes on', async () => {
    const before = await crawl();
    expect(before.summary.leads).toBe(0);

    const written = Date.now();
    writeFileSync(
      join(dir.path, 'config/lexicons/zz-new-slang.yaml'),
      `description: new street name seen this week\nlang: ru\nsubstances:\n  - term: mephedrone\n    class: cathinone\n    weight: 0.9\n    forms: [${SLANG}]\n`,
    );
    while (!workerLog.includes('lexicons reloaded')) {
      expect(Date.now() - written).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 20));
    }
    const after = await crawl();
    expect(after.summary.leads).toBe(1);
    const newVersion = after.lead!.lexicon_version;
    expect(
      JSON.parse(after.lead!.reasons).some((r: { form: string }) => r.form.toLowerCase() === SLANG),
    ).toBe(true);

    writeFileSync(
      join(dir.path, 'config/lexicons/zz-broken.yaml'),
      'substances:\n  - term: x\n    weight: [oops\n',
    );
    while (!workerLog.includes('lexicon change refused')) await new Promise((r) => setTimeout(r, 20));
    expect(workerLog).toMatch(/zz-broken\.yaml:\d+/);
    const still = await crawl();
    expect(still.summary.leads).toBe(1);
    expect(still.lead!.lexicon_version).toBe(newVersion);
    expect(worker.exitCode).toBeNull();
  });
});
