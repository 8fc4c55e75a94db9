import type { ToolConfig } from '../../lti-tool/src/config.js';
import { ACCOUNT_FAILURES, ADDRESS_ATTEMPTS } from '../../lti-tool/src/admin/login-guard.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';

/**
 * Attack: password guessing on /admin/login. Before, there was no limit at all, and 32 guesses at once
 * filled libuv's thread pool with scrypt, starving everything else that uses it (media files). Now
 * failures lock the account for a while, attempts are limited per address, and scrypt runs at most
 * two at a time.
 */
const PASSWORD = 'correct horse battery staple';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let config: ToolConfig;
let tool: RunningTool;

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({ VT_DATABASE_URL: db.url });
  tool = await startTestTool(config);
  await tool.adminUsers.set('ops', PASSWORD);
  await tool.adminUsers.set('other', PASSWORD);
});

afterAll(async () => {
  await tool?.close();
  await db?.drop();
});

/** A sign-in from `address` (the tool trusts X-Forwarded-For from its loopback proxy). */
const signIn = (username: string, password: string, address = '198.51.100.1') =>
  fetch(`${tool.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: tool.url,
      'x-forwarded-for': address,
    },
    body: new URLSearchParams({ username, password }),
  });

describe('admin sign-in against guessing', () => {
  it('locks an account after repeated failures, says so and for how long, and lets the others in', async () => {
    for (let i = 0; i < ACCOUNT_FAILURES; i++) {
      const r = await signIn('ops', `guess ${i}`, `198.51.100.${10 + i}`);
      expect(r.headers.get('location')).toBe('/admin/login?failed');
    }
    // Now even the right password is refused, from any address, until the lockout ends.
    const locked = await signIn('ops', PASSWORD, '198.51.100.99');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const page = await locked.text();
    expect(page).toMatch(/this account is locked for \d+ more minutes/);
    const zh = await (
      await fetch(`${tool.url}/admin/login`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: tool.url,
          'accept-language': 'zh-CN',
        },
        body: new URLSearchParams({ username: 'OPS', password: PASSWORD }),
      })
    ).text();
    expect(zh).toContain('此账户将锁定');
    const other = await signIn('other', PASSWORD, '198.51.100.99');
    expect(other.status).toBe(303);
    expect(other.headers.get('location')).toBe('/admin');
  });

  it('limits attempts per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= ADDRESS_ATTEMPTS; i++)
      statuses.push((await signIn(`nobody-${i}`, 'x', '192.0.2.77')).status);
    expect(statuses.slice(0, ADDRESS_ATTEMPTS).every((s) => s === 303)).toBe(true);
    expect(statuses[ADDRESS_ATTEMPTS]).toBe(429);
  });

  it('a storm of guesses does not starve file serving', async () => {
    const order: string[] = [];
    let firstDone!: () => void;
    const hashing = new Promise<void>((r) => (firstDone = r));
    const guesses = Array.from({ length: 32 }, (_, i) =>
      signIn(`storm-${i}`, 'wrong', `203.0.113.${i + 1}`).then((r) => {
        order.push(`guess ${r.status}`);
        firstDone();
      }),
    );
    // Once the first guess is answered the others are hashing: now a file is asked for.
    await hashing;
    const asked = order.length;
    const file = fetch(`${tool.url}/static/logo.svg`).then(async (r) => {
      await r.arrayBuffer();
      order.push(`file ${r.status}`);
    });
    await Promise.all([...guesses, file]);
    expect(order).toContain('file 200');
    // The file was served while most of the guesses still waited for their hash.
    const before = order.indexOf('file 200') - asked;
    expect(before).toBeLessThan((32 - asked) / 2);
    expect(
      order.filter((o) => o.startsWith('guess')).every((o) => o === 'guess 303' || o === 'guess 503'),
    ).toBe(true);
  });
});
