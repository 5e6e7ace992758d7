export { needsBrowser, roughText } from './auto.ts';
export { resolveChromiumPath } from './chromium-path.ts';
export type { BrowserPoolOptions, BrowserPoolStats, RenderOptions, WaitFor } from './options.ts';
export { BrowserPool } from './pool.ts';
