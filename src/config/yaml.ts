import { readdir, readFile } from 'node:fs/promises';
import { isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { yamlErrorOffset } from '../classify/index.ts';
import { ConfigError } from '../errors.ts';

/**
 * Parses YAML text and validates it with a zod schema. Any failure is a `ConfigError` naming the
 * file, the line and column, and the dotted field path; a YAML syntax error names its line too.
 */
export function parseYaml<S extends z.ZodType>(file: string, text: string, schema: S): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = lineCounter.linePos(yamlErrorOffset(text, syntax.pos[0]));
    throw new ConfigError(file, `invalid YAML: ${syntax.message.split('\n')[0]}`, {
      line: pos.line,
      column: pos.col,
    });
  }
  const result = schema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String);
  // An unknown key: point at the key itself, not at the object that holds it.
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  if (unknown !== undefined) {
    const holder = path.length ? doc.getIn(path, true) : doc.contents;
    const pair = isMap(holder)
      ? holder.items.find((p) => isScalar(p.key) && p.key.value === unknown)
      : undefined;
    if (pair && isNode(pair.key) && pair.key.range) {
      const pos = lineCounter.linePos(pair.key.range[0]);
      throw new ConfigError(file, issue.message, {
        line: pos.line,
        column: pos.col,
        field: [...path, unknown].join('.'),
      });
    }
  }
  // Point at the deepest node of the path that exists in the document.
  let line: number | undefined;
  let column: number | undefined;
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      line = pos.line;
      column = pos.col;
      break;
    }
  }
  throw new ConfigError(file, issue.message, {
    line,
    column,
    field: path.length ? path.join('.') : undefined,
  });
}

export async function readYamlFile<S extends z.ZodType>(file: string, schema: S): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseYaml(file, text, schema);
}

/** The `*.yaml`/`*.yml` files of a config directory, sorted by name (the order they are read in). */
export async function yamlFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
}
