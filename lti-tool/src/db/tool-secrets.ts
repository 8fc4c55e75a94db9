import { randomBytes } from 'node:crypto';
import type { Db } from './database.js';

/**
 * A secret the tool generates on first start and every instance then shares, kept in PostgreSQL
 * (the tool is stateless between requests). Concurrent first starts agree on the first one written.
 */
export async function toolSecret(db: Db, name: string): Promise<Buffer> {
  await db.query('INSERT INTO tool_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    randomBytes(32).toString('base64url'),
  ]);
  const { rows } = await db.query<{ value: string }>('SELECT value FROM tool_secrets WHERE name = $1', [
    name,
  ]);
  return Buffer.from(rows[0]!.value, 'base64url');
}
