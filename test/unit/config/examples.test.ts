import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, readYamlFile, siteSchema } from '../../../src/config/index.ts';
import { repoRoot } from '../../helpers/runtime.ts';

const examples = join(repoRoot, 'config/examples/sites');

describe('documented config', () => {
  it.each(readdirSync(examples))('example site %s is valid', async (name) => {
    const site = await readYamlFile(join(examples, name), siteSchema);
    expect(site.id).toMatch(/^example-/);
  });

  it('the shipped config loads, with no sites of its own and the bundled lexicons', async () => {
    const config = await loadConfig(join(repoRoot, 'config'), { env: {} });
    expect(config.sites.size).toBe(0);
    expect(config.runtime.redis.prefix).toBe('spiderweb');
    expect(config.lexiconsDir).toBe(join(repoRoot, 'config/lexicons'));
  });

  it('environment overrides win', async () => {
    const config = await loadConfig(join(repoRoot, 'config'), {
      env: {
        REDIS_URL: 'redis://10.0.0.5:6379',
        DATABASE_URL: 'postgres://x@y/z',
        SPIDERWEB_DATA_DIR: '/tmp/sw',
      },
    });
    expect(config.runtime.redis.url).toBe('redis://10.0.0.5:6379');
    expect(config.runtime.store.url).toBe('postgres://x@y/z');
    expect(config.runtime.dataDir).toBe('/tmp/sw');
  });
});
