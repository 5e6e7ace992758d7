import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPrefix, REDIS_URL, repoRoot, runCli, tempDir, testPrefix } from '../helpers/runtime.ts';

describe('spiderweb doctor (the built CLI, real Redis and SQLite)', () => {
  let dir: ReturnType<typeof tempDir>;
  let configDir: string;
  const prefix = testPrefix();

  beforeAll(() => {
    dir = tempDir('spiderweb-doctor-');
    configDir = join(dir.path, 'config');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'spiderweb.yaml'),
      `redis: { url: "${REDIS_URL}", prefix: "${prefix}" }\ndataDir: "${join(dir.path, 'data')}"\n`,
    );
  });
  afterAll(async () => {
    await dropPrefix(prefix);
    dir?.remove();
  });

  it('exits 1 on a machine without Chromium, naming the command that installs it', async () => {
    const r = await runCli(['--config', configDir, 'doctor'], {
      env: { SPIDERWEB_CHROMIUM: join(dir.path, 'no-such-chromium') },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^MISSING\s+chromium\s+Chromium not found at .*no-such-chromium/m);
    expect(r.stdout).toContain('fix: apt-get install -y chromium');
    expect(r.stdout).toMatch(/required check\(s\) failed: chromium$/m);
    // What is there is said so: the store opened, Redis answered.
    expect(r.stdout).toMatch(/^ok\s+store\s+.*spiderweb\.sqlite opens/m);
    expect(r.stdout).toMatch(/^(ok|warning)\s+redis\s+redis:\/\/.* answers/m);
  });

  it('exits 1 when the configured Redis does not answer; --json says which checks failed', async () => {
    const cfg = join(dir.path, 'config-dead-redis');
    mkdirSync(cfg, { recursive: true });
    writeFileSync(
      join(cfg, 'spiderweb.yaml'),
      `redis: { url: "redis://127.0.0.1:1" }\ndataDir: "${join(dir.path, 'data')}"\n`,
    );
    const r = await runCli(['--config', cfg, 'doctor', '--json'], {
      env: { SPIDERWEB_CHROMIUM: join(dir.path, 'no-such-chromium') },
    });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: Array<{ name: string; ok: boolean; required: boolean }>;
    };
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok && c.required).map((c) => c.name)).toEqual([
      'redis',
      'chromium',
    ]);
    expect(report.checks.map((c) => c.name)).toEqual([
      'redis',
      'store',
      'classifier',
      'chromium',
      'fonts-cjk',
      'fonts-cyrillic',
      'disk',
    ]);
  });

  it('says when a model was trained with other lexicons, with the command that retrains it', async () => {
    const r = await runCli(['--config', configDir, 'doctor']);
    // The bundled lexicons and the models built from them agree.
    expect(r.stdout).toMatch(
      /^ok\s+classifier\s+lexicons [0-9a-f]{12} \(\d+ terms\) .*models marketplace, web, trained with these lexicons$/m,
    );
    const cfg = join(dir.path, 'config-edited');
    cpSync(configDir, cfg, { recursive: true });
    cpSync(join(repoRoot, 'config/lexicons'), join(cfg, 'lexicons'), { recursive: true });
    cpSync(join(repoRoot, 'config/models'), join(cfg, 'models'), { recursive: true });
    const same = await runCli(['--config', cfg, 'doctor']);
    expect(same.stdout).toMatch(/^ok\s+classifier\s/m);
    writeFileSync(
      join(cfg, 'lexicons/zz-local.yaml'),
      'description: a local slang form\nlang: ru\nsubstances:\n  - { term: zyuzya, class: cathinone, weight: 0.9, forms: [зюзя] }\n',
    );
    const edited = await runCli(['--config', cfg, 'doctor']);
    expect(edited.stdout).toMatch(
      /^warning\s+classifier\s+lexicons [0-9a-f]{12} .*the marketplace model was trained with lexicons [0-9a-f]{12}, the web model was trained with lexicons [0-9a-f]{12}: retrain it/m,
    );
    expect(edited.stdout).toContain('fix: npx spiderweb train --input ../shared/data/agora-dev.jsonl');
    expect(edited.stdout).not.toMatch(/required check\(s\) failed: .*classifier/);
  });

  it('demo prints the one-line warning when screenshots are unavailable', async () => {
    const r = await runCli(['--config', configDir, 'demo', '--no-serve', '--json'], {
      env: { SPIDERWEB_CHROMIUM: join(dir.path, 'no-such-chromium') },
    });
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /no Chromium: leads are sealed without screenshots.*apt-get install -y chromium/,
    );
  });
});
