/**
 * ReplayWeb.page in a test: its prebuilt `ui.js` and `sw.js` (fetched by `npm run fetch:replaywebpage`)
 * and one WACZ, served from 127.0.0.1 as its embedding guide lays them out, so Chromium replays the
 * bundle as an analyst's browser would, with nothing from the internet.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { type FixtureServer, startServer } from './fixture-server.ts';
import { repoRoot } from './runtime.ts';

export const REPLAYWEBPAGE_DIR = join(repoRoot, 'node_modules', '.cache', 'replaywebpage-2.5.3');

/** `body`, or the byte range asked for: ReplayWeb.page reads a WACZ's entries by range. */
function send(req: IncomingMessage, res: ServerResponse, body: Buffer, type: string): void {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    const end = Math.min(range[2] ? Number(range[2]) : body.length - 1, body.length - 1);
    res.writeHead(206, {
      'content-type': type,
      'content-range': `bytes ${start}-${end}/${body.length}`,
      'accept-ranges': 'bytes',
    });
    res.end(body.subarray(start, end + 1));
    return;
  }
  res.writeHead(200, { 'content-type': type, 'accept-ranges': 'bytes' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A page embedding `<replay-web-page>` for `pageUrl` in the bundle, and what it loads. */
export function startReplayServer(wacz: Buffer, pageUrl: string): Promise<FixtureServer> {
  const js = (name: string) => readFileSync(join(REPLAYWEBPAGE_DIR, name));
  const page = `<!doctype html><meta charset="utf-8"><script src="/replay/ui.js"></script>
<replay-web-page source="/bundle.wacz" url="${pageUrl}" replayBase="/replay/" embed="replayonly"
  style="display:block;width:1000px;height:700px"></replay-web-page>`;
  return startServer({
    '/': (req, res) => send(req, res, Buffer.from(page), 'text/html; charset=utf-8'),
    '/replay/ui.js': (req, res) => send(req, res, js('ui.js'), 'application/javascript'),
    '/replay/sw.js': (req, res) => send(req, res, js('sw.js'), 'application/javascript'),
    '/bundle.wacz': (req, res) => send(req, res, wacz, 'application/zip'),
  });
}

/**
 * Opens the replay page and waits for a frame whose text contains `want`: the archived page as
 * replayed. Returns that frame's URL and text, or null when none showed it within `timeoutMs`.
 */
export async function replayedFrame(
  browser: Browser,
  server: FixtureServer,
  want: string,
  timeoutMs = 30_000,
): Promise<{ url: string; text: string; requests: string[] } | null> {
  const context = await browser.newContext();
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
      for (const frame of page.frames()) {
        const text = await frame
          .evaluate<string>('document.body ? document.body.innerText : ""')
          .catch(() => '');
        if (text.includes(want)) return { url: frame.url(), text, requests };
      }
      await page.waitForTimeout(250);
    }
    return null;
  } finally {
    await context.close();
  }
}
