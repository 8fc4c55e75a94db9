import type { Logger } from 'pino';
import type { Db } from '../db/database.js';

/** Deletes launch sessions and nonces whose time is over; idempotent, so every instance may run it. */
export async function sweepExpired(db: Db): Promise<{ sessions: number; nonces: number }> {
  const sessions = await db.query('DELETE FROM lti_sessions WHERE expires_at < now()');
  const nonces = await db.query('DELETE FROM lti_nonces WHERE expires_at < now()');
  return { sessions: sessions.rowCount ?? 0, nonces: nonces.rowCount ?? 0 };
}

/** Sweeps every `everyMs` until stopped; a failed sweep (database away) is retried next time. */
export function startSweeping(db: Db, everyMs: number, log: Logger): () => void {
  const timer = setInterval(() => {
    sweepExpired(db).then(
      (n) => {
        if (n.sessions || n.nonces) log.debug(n, 'expired LTI sessions and nonces deleted');
      },
      (e: Error) => log.warn({ err: e.message }, 'LTI sweep failed; will retry'),
    );
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
