import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, REDIS_URL, repoRoot, runCli, tempDir } from '../helpers/runtime.ts';

/** Starts `spiderweb serve` (the built CLI) and resolves once it has printed everything up to "press Ctrl-C". */
function serve(configDir: string, args: string[]): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn(process.execPath, [bin, '--config', configDir, 'serve', ...args], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (out.includes('press Ctrl-C')) resolve({ child, out });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
}

describe('first run: serve --login, analyst link and passwd (the built CLI, real SQLite)', () => {
  let dir: ReturnType<typeof tempDir>;
  let configDir: string;
  let dataDir: string;
  let server: { child: ChildProcess; out: string };

  beforeAll(async () => {
    dir = tempDir('spiderweb-first-run-');
    configDir = join(dir.path, 'config');
    dataDir = join(dir.path, 'data');
    mkdirSync(configDir);
    writeFileSync(
      join(configDir, 'spiderweb.yaml'),
      `redis: { url: "${REDIS_URL}" }\ndataDir: "${dataDir}"\n`,
    );
    server = await serve(configDir, ['--port', '0', '--login', 'newbie']);
  });
  afterAll(() => {
    server?.child.kill('SIGKILL');
    dir?.remove();
  });

  it('says how to give the account it created a password', () => {
    expect(server.out).toContain(
      'newbie has no password yet: `npx spiderweb analyst passwd newbie` sets one',
    );
  });

  it('analyst link prints the port the app really serves on, and the link signs in', async () => {
    const url = /review app serving at (http:\/\/127\.0\.0\.1:\d+)\//.exec(server.out)![1]!;
    expect(url).not.toBe('http://127.0.0.1:8080');
    const r = await runCli(['--config', configDir, 'analyst', 'link', 'newbie']);
    expect(r.code).toBe(0);
    const link = r.stdout.split('\n')[0]!;
    expect(link.startsWith(`${url}/login/once?token=`)).toBe(true);
    const res = await fetch(link, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/spw_session=/);
  });

  it('analyst passwd sets a piped password', async () => {
    const r = await runCli(['--config', configDir, 'analyst', 'passwd', 'newbie'], {
      input: 'correct horse battery staple\n',
    });
    expect(r.code).toBe(0);
    const list = await runCli(['--config', configDir, 'analyst', 'list', '--json']);
    expect(JSON.parse(list.stdout.trim())).toMatchObject({ name: 'newbie', hasPassword: true });
  });

  it('after serve stops, analyst link says it assumes an address', async () => {
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
    expect(existsSync(join(dataDir, 'review-app.json'))).toBe(false);
    const r = await runCli(['--config', configDir, 'analyst', 'link', 'newbie']);
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:8080\/login\/once\?token=/);
    expect(r.stdout).toContain('no `spiderweb serve` is running');
  });
});
