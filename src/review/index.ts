export { createReviewApp, type ReviewAppOptions } from './app.ts';
export {
  addAnalyst,
  createApiToken,
  createOneTimeLogin,
  disableAnalyst,
  hashPassword,
  listAnalysts,
  setPassword,
  verifyPassword,
} from './auth.ts';
export { type Decision, decide } from './decisions.ts';
export type { EvidenceAccess, EvidenceView } from './evidence.ts';
export { csvCell, csvHeader, csvRow, leadJson } from './export.ts';
export { type QueueFilter, parseFilter } from './filters.ts';
export { recordServedUrl, servedUrl } from './served-url.ts';
export { type ReviewServer, type ReviewServerOptions, startReviewServer } from './server.ts';
