/**
 * ReplayWeb.page in a test: its prebuilt `ui.js` and `sw.js` (fetched by `npm run fetch:replaywebpage`)
 * and one WACZ, served from 127.0.0.1 as its embedding guide lays them out, so Chromium replays the
 * bundle as an analyst's browser would, with nothing from the internet.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { type FixtureServer, type RouteHandler, startServer } from './fixture-server.ts';
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

/** A replay server, and the paths it serves (what a failure names the requests beyond). */
export type ReplayServer = FixtureServer & { served: ReadonlySet<string> };

/** A page embedding `<replay-web-page>` for `pageUrl` in the bundle, and what it loads. */
export async function startReplayServer(wacz: Buffer, pageUrl: string): Promise<ReplayServer> {
  const js = (name: string) => readFileSync(join(REPLAYWEBPAGE_DIR, name));
  const page = `<!doctype html><meta charset="utf-8"><script src="/replay/ui.js"></script>
<replay-web-page source="/bundle.wacz" url="${pageUrl}" replayBase="/replay/" embed="replayonly"
  style="display:block;width:1000px;height:700px"></replay-web-page>`;
  const routes: Record<string, RouteHandler> = {
    '/': (req, res) => send(req, res, Buffer.from(page), 'text/html; charset=utf-8'),
    '/replay/ui.js': (req, res) => send(req, res, js('ui.js'), 'application/javascript'),
    '/replay/sw.js': (req, res) => send(req, res, js('sw.js'), 'application/javascript'),
    '/bundle.wacz': (req, res) => send(req, res, wacz, 'application/zip'),
  };
  return Object.assign(await startServer(routes), { served: new Set(Object.keys(routes)) });
}

/**
 * Opens the replay page and waits for a frame whose text contains `want`: the archived page as
 * replayed. Returns that frame's URL and text, and the URLs the browser requested. If nothing shows
 * by half of `timeoutMs`, the page is reloaded once, as an analyst would: on a busy machine the
 * replayer's service worker can take control after its first frame has asked our server instead.
 * Throws when no frame showed it within `timeoutMs`, naming every frame and the start of its text
 * at the last look, the paths our server did not have, and the requests made, so a failure says
 * where the replay stopped.
 */
export async function replayedFrame(
  browser: Browser,
  server: ReplayServer,
  want: string,
  timeoutMs = 30_000,
): Promise<{ url: string; text: string; requests: string[] }> {
  const context = await browser.newContext();
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  let seen: string[] = [];
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    const start = Date.now();
    let reloaded = false;
    for (const until = start + timeoutMs; Date.now() < until; ) {
      if (!reloaded && Date.now() - start > timeoutMs / 2) {
        reloaded = true;
        await page.reload().catch(() => {});
      }
      seen = [];
      for (const frame of page.frames()) {
        // A frame torn down mid-call can leave `evaluate` pending; one look must not eat the wait.
        const text = await Promise.race([
          frame
            .evaluate<string>('document.body ? document.body.innerText : ""')
            .catch((e: Error) => `(${e.message})`),
          new Promise<string>((resolve) => setTimeout(resolve, 2_000, '(no answer in 2 s)')),
        ]);
        if (text.includes(want)) return { url: frame.url(), text, requests };
        seen.push(`${frame.url()}: ${JSON.stringify(text.slice(0, 120))}`);
      }
      await page.waitForTimeout(250);
    }
  } finally {
    await context.close();
  }
  const missing = server.hits.filter((h) => !server.served.has(h.path.split('?')[0]!)).map((h) => h.path);
  throw new Error(
    `no frame showed ${JSON.stringify(want)} within ${timeoutMs} ms, reloaded once.\nFrames at the last look:\n  ${seen.join('\n  ')}` +
      `\nAsked of our server, which has no such path: ${missing.length ? missing.join(', ') : 'nothing'}` +
      `\nRequests (${requests.length}):\n  ${requests.slice(-30).join('\n  ')}`,
  );
}
