import { pino } from 'pino';

/**
 * The process logger: structured JSON lines on stderr (stdout belongs to command output).
 * `LOG_LEVEL` sets the level (default `info`; `silent` in tests). Components take a child:
 * `log.child({ component: 'fetch' })`.
 */
export const log = pino(
  { level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid } },
  pino.destination({ dest: 2, sync: false }),
);

export type Logger = typeof log;
