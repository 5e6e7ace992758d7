import { InvalidArgumentError } from 'commander';

/** Small helpers for human output on stdout. */

export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A warning for the person at the terminal, on stderr (stdout stays machine-readable with --json). */
export function warn(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A plain text table: columns padded to their widest cell (capped), long cells cut with `…`. */
export function table(headers: string[], rows: Array<Array<string | number | null>>, maxWidth = 48): string {
  const cells = rows.map((r) =>
    r.map((c) => cut(c === null ? '' : String(c).replace(/\s+/g, ' '), maxWidth)),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function cut(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}

/** Parses a positive integer option or throws a usage message naming the option. */
export function intOption(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${value}"`);
    return n;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
