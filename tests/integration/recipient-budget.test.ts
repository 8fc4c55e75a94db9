import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RecipientBudget } from '../../lti-tool/src/dingtalk/recipient-budget.js';
import { REDIS_URL } from '../helpers/farm.js';

/**
 * DingTalk delivers nothing past 5,000 recipients an app a minute (and still answers "sent"): the
 * budget every tool instance shares in the real Redis, here with a one-second window to see it slide.
 */
let redis: Redis;
const prefix = `vt-test-budget-${randomBytes(4).toString('hex')}`;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

it('grants at most the limit in any window, shared by every instance, and takes back what a send did not use', async () => {
  const limit = 250;
  const a = new RecipientBudget(redis, prefix, limit, 1000);
  const b = new RecipientBudget(redis.duplicate(), prefix, limit, 1000); // another tool instance
  const grants = await Promise.all([a, b, a, b].map((x) => x.take('corp-1', 100)));
  expect(grants.map((g) => g.granted)).toEqual(expect.arrayContaining([100, 100, 50, 0]));
  const refused = grants.find((g) => g.granted === 0)!;
  expect('waitMs' in refused && refused.waitMs).toBeGreaterThan(0);
  expect('waitMs' in refused && refused.waitMs).toBeLessThanOrEqual(1000);
  // Another organisation has a budget of its own.
  expect((await a.take('corp-2', 100)).granted).toBe(100);

  // A send that found only 30 people waiting gives 70 back.
  const full = grants.find((g) => g.granted === 100 && 'member' in g)!;
  await a.settle('corp-1', full as { granted: number; member: string }, 30);
  expect((await b.take('corp-1', 100)).granted).toBe(70);
  expect((await b.take('corp-1', 100)).granted).toBe(0);

  // The window slides: once the grants are a window old, the budget is whole again.
  await new Promise((r) => setTimeout(r, 1100));
  expect((await a.take('corp-1', 100)).granted).toBe(100);
  b['redis'].disconnect();
});

it('never grants more than the limit within a window, however the takes fall', async () => {
  const limit = 300;
  const budget = new RecipientBudget(redis, prefix, limit, 500);
  const log: { at: number; n: number }[] = [];
  // Takes until the budget has refilled twice over (three windows' worth at least), however slowly
  // this machine runs the loop.
  const granted = (): number => log.reduce((s, x) => s + x.n, 0);
  const deadline = Date.now() + 60_000;
  while (granted() <= 2 * limit && Date.now() < deadline) {
    const g = await budget.take('corp-slide', 1 + Math.floor(Math.random() * 100));
    // When Redis granted it (its clock, as the budget counts), not when this busy process heard back.
    if ('member' in g)
      log.push({
        at: Number(await redis.zscore(`${prefix}:dingtalk:recipients:corp-slide`, g.member)),
        n: g.granted,
      });
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
  }
  // Measured from each grant, the next 500 ms hold at most the limit.
  for (const g of log) {
    const inWindow = log.filter((x) => x.at >= g.at && x.at < g.at + 500).reduce((s, x) => s + x.n, 0);
    expect(inWindow).toBeLessThanOrEqual(limit);
  }
  // And it did keep granting: the window slid, again and again.
  expect(granted()).toBeGreaterThan(2 * limit);
});
