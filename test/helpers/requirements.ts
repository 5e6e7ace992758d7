import { describe } from 'vitest';

/**
 * Which optional parts this machine lacks, as found once by test/global-setup.ts. A suite that needs
 * one is declared with `needsChromium(...)` / `needsPostgres(...)` instead of `describe(...)` (or
 * `describe.skipIf(!HAS_CHROMIUM)`): skipped on a machine without it (the global setup says, once,
 * what to install), required under `CI=true` (the global setup fails the run).
 */
const missing = (process.env.SPIDERWEB_TEST_MISSING ?? '').split(',');

export const HAS_CHROMIUM = !missing.includes('chromium');
export const HAS_POSTGRES = !missing.includes('postgres');
export const HAS_REPLAYWEBPAGE = !missing.includes('replaywebpage');

/** `describe` for a suite that needs Chromium (`describe.skip` without it). */
export const needsChromium = HAS_CHROMIUM ? describe : describe.skip;
/** `describe` for a suite that needs PostgreSQL (`describe.skip` without it). */
export const needsPostgres = HAS_POSTGRES ? describe : describe.skip;
/** `describe` for a suite that needs Chromium and ReplayWeb.page's files (`describe.skip` without both). */
export const needsReplayWebPage = HAS_CHROMIUM && HAS_REPLAYWEBPAGE ? describe : describe.skip;
