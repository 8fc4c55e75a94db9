import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';

/**
 * The tool process's policy for errors nobody caught: a failure belongs to the one request or job it
 * happened in, and never ends the process that serves everyone else. Each is logged once, with a
 * reference, at `error` (a bug to fix, not a condition to live with).
 * Shutdown is by signal only (SIGTERM, SIGINT), and startup failures still exit (startTool rejects).
 */
export function installProcessPolicy(log: Logger): void {
  const report = (kind: string) => (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    log.error(
      { err, kind, reference: randomBytes(5).toString('hex') },
      'uncaught error; the process goes on',
    );
  };
  process.on('unhandledRejection', report('unhandledRejection'));
  process.on('uncaughtException', report('uncaughtException'));
}
