import type { Logger } from 'pino';
import type { LaunchValidator } from './launch-validator.js';
import type { LtiSessions } from './lti-sessions.js';

/** What expires: launch sessions and spent nonces, each deleted by the file that owns its table. */
export interface Expiring {
  readonly sessions: Pick<LtiSessions, 'sweep'>;
  readonly nonces: Pick<LaunchValidator, 'sweepNonces'>;
}

/** Deletes launch sessions and nonces whose time is over; idempotent, so every instance may run it. */
export async function sweepExpired(e: Expiring): Promise<{ sessions: number; nonces: number }> {
  return { sessions: await e.sessions.sweep(), nonces: await e.nonces.sweepNonces() };
}

/** Sweeps every `everyMs` until stopped; a failed sweep (database away) is retried next time. */
export function startSweeping(e: Expiring, everyMs: number, log: Logger): () => void {
  const timer = setInterval(() => {
    sweepExpired(e).then(
      (n) => {
        if (n.sessions || n.nonces) log.debug(n, 'expired LTI sessions and nonces deleted');
      },
      (err: Error) => log.warn({ err: err.message }, 'LTI sweep failed; will retry'),
    );
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
