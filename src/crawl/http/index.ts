export { fetchHttp } from './fetch-http.ts';
export { closeHttpDispatchers, parseProxy } from './dispatchers.ts';
export type { ProxySpec } from './dispatchers.ts';
export type { HttpFetchOptions } from './options.ts';
export { DEFAULT_ACCEPT_TYPES, DEFAULT_USER_AGENT } from './options.ts';
export { classifyAddress, isForbiddenAddress, isOnionHost } from './ssrf.ts';
export type { AddressClass } from './ssrf.ts';
export { detectCharset, decodeText, normaliseCharset } from './charset.ts';
export { parseRetryAfter } from './fetch-errors.ts';
