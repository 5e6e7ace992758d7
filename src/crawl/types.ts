/** What any fetcher (HTTP or browser) returns. Everything after fetching is shared. */
export interface FetchedPage {
  /** The URL asked for (normalised). */
  url: string;
  /** The URL after redirects. */
  finalUrl: string;
  status: number;
  /** Response headers, lower-cased names. */
  headers: Record<string, string>;
  /** Media type without parameters, lower-cased (`text/html`). Empty when the server sent none. */
  contentType: string;
  /** The raw body bytes as received (after content-encoding was removed), possibly truncated. */
  body: Buffer;
  /** The body decoded to text with the detected charset. */
  text: string;
  /** The charset used to decode `text` (`utf-8`, `windows-1251`, `gb18030`...). */
  charset: string;
  /** True when the body was cut at the size cap. */
  truncated: boolean;
  /** `http` or `browser`. */
  via: 'http' | 'browser';
  /** Capture time, ISO 8601 UTC. */
  fetchedAt: string;
  /** Milliseconds from request to last byte. */
  elapsedMs: number;
  /** Each redirect hop taken, in order (not including `url`). */
  redirects: string[];
  /** Full-page PNG screenshot (browser fetcher, when asked). */
  screenshot?: Buffer;
  /** The request headers sent for the final URL (HTTP fetcher), for the evidence WARC. */
  requestHeaders?: Record<string, string>;
}
