import { describe, expect, it } from 'vitest';
import { parseYaml, siteSchema } from '../../../src/config/index.ts';
import { ConfigError } from '../../../src/errors.ts';

function errorOf(text: string): ConfigError {
  try {
    parseYaml('sites/a.yaml', text, siteSchema);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('site YAML errors', () => {
  it('an unknown key is reported on its own line, with its field', () => {
    const top = errorOf('id: a\nseeds: ["http://example.org/"]\n\nmaxPagez: 10\n');
    expect(top.message).toMatch(/^sites\/a\.yaml:4:1 \(field maxPagez\): Unrecognized key/);
    const nested = errorOf('id: a\nseeds: ["http://example.org/"]\npoliteness:\n  maxRps: 1\n  maxrps: 2\n');
    expect(nested.message).toMatch(/^sites\/a\.yaml:5:3 \(field politeness\.maxrps\): Unrecognized key/);
  });
});
