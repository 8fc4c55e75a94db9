import { join } from 'node:path';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { REPO_ROOT } from '../config.js';
import { PreparingClient } from './prepared-statements.js';

export type Db = pg.Pool;
/** The pool or a transaction's client: what a repository method that may join a transaction takes. */
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * A pool that survives PostgreSQL restarts: idle clients that die are dropped and replaced. Its
 * statements are prepared once per connection (PreparingClient).
 */
export function openDatabase(url: string): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: 20,
    connectionTimeoutMillis: 5000,
    Client: PreparingClient,
  });
  pool.on('error', () => {}); // an idle client lost its server; the next query gets a fresh one
  return pool;
}

/** Brings the schema up to date (SQL files in lti-tool/migrations); safe to run from every instance. */
export async function migrate(db: Db): Promise<void> {
  const client = await db.connect();
  try {
    await runner({
      dbClient: client,
      dir: join(REPO_ROOT, 'lti-tool/migrations'),
      direction: 'up',
      migrationsTable: 'pgmigrations',
      log: () => {},
    });
  } finally {
    client.release();
  }
}

/** Runs `fn` in one transaction. */
export async function inTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
