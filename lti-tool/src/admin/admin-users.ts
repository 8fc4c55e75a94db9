import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Db } from '../db/database.js';

/** Who is signed in to the admin pages, as actions are logged and attributed ("by"). */
export const adminOf = (req: { user?: unknown }): string =>
  (req.user as { username?: string } | undefined)?.username ?? 'admin';

const scryptAsync = promisify(scrypt) as (
  pw: string,
  salt: Buffer,
  len: number,
  o: object,
) => Promise<Buffer>;
const PARAMS = { N: 16384, r: 8, p: 1 };

/**
 * scrypt runs on libuv's thread pool, which file reads (media serving) share: at most this many hash
 * at once, so guesses can never take every thread; at most QUEUE wait, and past that a sign-in is
 * refused as busy rather than queued without end.
 */
const HASHING = 2;
const QUEUE = 32;

export class HashingBusy extends Error {
  constructor() {
    super('Too many sign-ins are being checked right now.');
    this.name = 'HashingBusy';
  }
}

let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= HASHING) {
    if (waiting.length >= QUEUE) throw new HashingBusy();
    await new Promise<void>((r) => waiting.push(r));
  } else running++;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await limited(() => scryptAsync(password, salt, 32, PARAMS));
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await limited(() =>
    scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
      N: Number(N),
      r: Number(r),
      p: Number(p),
    }),
  );
  return timingSafeEqual(actual, expected);
}

/** The tool's administrators (render farm, tenants), with scrypt-hashed passwords. */
export class AdminUsers {
  constructor(private readonly db: Db) {}

  async set(username: string, password: string): Promise<void> {
    if (password.length < 12) throw new Error('An admin password needs at least 12 characters.');
    await this.db.query(
      `INSERT INTO admin_users (username, password_hash) VALUES ($1, $2)
       ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash`,
      [username, await hashPassword(password)],
    );
  }

  /** The username when the password is right; undefined otherwise (same time either way, near enough). */
  async check(username: string, password: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ password_hash: string }>(
      'SELECT password_hash FROM admin_users WHERE username = $1',
      [username],
    );
    const stored = rows[0]?.password_hash ?? (await hashPassword('not-a-user-password'));
    return (await verifyPassword(password, stored)) && rows[0] ? username : undefined;
  }

  async exists(username: string): Promise<boolean> {
    const { rowCount } = await this.db.query('SELECT 1 FROM admin_users WHERE username = $1', [username]);
    return rowCount === 1;
  }
}
