import robotsParserCjs from 'robots-parser';
import { describe, expect, it } from 'vitest';
import { patternMatches, robotsParser } from '../../../src/crawl/robots.ts';

const original = robotsParserCjs as unknown as typeof robotsParserCjs.default;

function random(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

describe('robots.txt rules matched in linear time', () => {
  it('patterns match paths as robots-parser decides, on 20,000 random pairs', () => {
    const pick = random(3);
    const from = (alphabet: string[], max: number) =>
      Array.from({ length: pick(max) }, () => alphabet[pick(alphabet.length)]).join('');
    for (let n = 0; n < 20_000; n++) {
      const pattern = `/${from(['a', 'b', '/', '*', '*', '$', '.', '%2F'], 8)}${pick(3) ? '' : '$'}`;
      const path = `/${from(['a', 'b', '/', '.', '%2F', '$'], 10)}`;
      const file = `User-agent: *\nDisallow: ${pattern}\n`;
      const expected = !original('http://a.test/robots.txt', file).isAllowed(`http://a.test${path}`, 'bot');
      expect(patternMatches(pattern, path), `${pattern} on ${path}`).toBe(expected);
    }
  });

  it('answers as robots-parser does on 2,000 random files: groups, allow and disallow, ties, origins', () => {
    const pick = random(11);
    const agents = ['*', 'Spiderweb', 'spiderweb/2.0', 'Googlebot', 'other'];
    const piece = () => ['/a', '/b', '*', '/a/b', '.html', '$', '?q=', '%2f', '/ü'][pick(9)];
    for (let n = 0; n < 2_000; n++) {
      const lines: string[] = [];
      for (let g = 0; g < 1 + pick(3); g++) {
        lines.push(`User-agent: ${agents[pick(agents.length)]}`);
        for (let r = 0; r < pick(6); r++)
          lines.push(
            `${pick(2) ? 'Allow' : 'Disallow'}: ${Array.from({ length: 1 + pick(4) }, piece).join('')}`,
          );
      }
      const file = lines.join('\n');
      const ours = robotsParser('https://a.test/robots.txt', file);
      const theirs = original('https://a.test/robots.txt', file);
      for (let u = 0; u < 10; u++) {
        const origin = ['https://a.test', 'http://a.test', 'https://b.test', 'https://a.test:8443'][pick(4)];
        const url = `${origin}${Array.from({ length: pick(5) }, piece).join('') || '/'}`;
        for (const agent of ['Spiderweb/1.0', 'nobody'])
          expect(ours.isAllowed(url, agent), `${file}\n${url} ${agent}`).toBe(theirs.isAllowed(url, agent));
      }
    }
  });

  it('a hostile file of 2,000 wildcard rules costs milliseconds per URL, not a second', () => {
    const pattern = `/${'*a'.repeat(100)}`;
    const file = `User-agent: *\n${Array.from({ length: 2_000 }, (_, i) => `Disallow: ${pattern}${i}\n`).join('')}`;
    const robots = robotsParser('http://a.test/robots.txt', file);
    const started = performance.now();
    for (let i = 0; i < 20; i++)
      expect(robots.isAllowed(`http://a.test/${'a'.repeat(2000)}${i}`, 'bot')).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
