import type { FetchedPage } from '../../../src/crawl/types.ts';

/** A fetched page as the HTTP fetcher returns it (a listing in Russian, gzip on the wire), with `over` applied. */
export function fetchedPage(over: Partial<FetchedPage> = {}): FetchedPage {
  const body = Buffer.from('<html><body>мефедрон 1г — закладка</body></html>', 'utf8');
  return {
    url: 'http://shop.example/item?id=1',
    finalUrl: 'http://shop.example/item/1',
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-encoding': 'gzip',
      'content-length': '77',
      server: 'nginx',
    },
    contentType: 'text/html',
    body,
    text: body.toString('utf8'),
    charset: 'utf-8',
    truncated: false,
    via: 'http',
    fetchedAt: '2024-05-01T10:20:30.456Z',
    elapsedMs: 12,
    redirects: ['http://shop.example/item/1'],
    ...over,
  };
}
