import { DingTalkError } from '../../adapters/dingtalk/dingtalk-api.js';
import { penaltyEndsIn } from '../../adapters/dingtalk/penalty-end.js';

/**
 * A DingTalk penalty lasts as long as its errmsg says (shared/docs/dingtalk.md #21), not an assumed
 * 60 s: a time in China (UTC+8) or a duration; without either, the usual wait for the code.
 */
const NOW = Date.parse('2026-12-02T02:00:00Z'); // 10:00 in China

describe('penaltyEndsIn', () => {
  it('reads the end as a time in China, or as a duration', () => {
    expect(penaltyEndsIn('调用过于频繁，限制将在2026-12-02 10:15:00结束', NOW)).toBe(15 * 60_000);
    expect(penaltyEndsIn('forbidden until 2026-12-02T10:01', NOW)).toBe(60_000);
    expect(penaltyEndsIn('应用调用频率过高，请30秒后重试', NOW)).toBe(30_000);
    expect(penaltyEndsIn('禁止调用 5 分钟', NOW)).toBe(5 * 60_000);
  });

  it('says nothing for a message without an end, a past end or one more than a day away', () => {
    expect(penaltyEndsIn('当前请求被限流，请稍后重试', NOW)).toBeUndefined();
    expect(penaltyEndsIn('限制将在2026-12-02 09:59:00结束', NOW)).toBeUndefined();
    expect(penaltyEndsIn('限制将在2026-12-05 10:00:00结束', NOW)).toBeUndefined();
  });
});

describe('a rate-limited answer', () => {
  it('waits until the end its errmsg names; without one, a minute for the per-minute limits', () => {
    const inTenMinutes = new Date(Date.now() + 10 * 60_000 + 8 * 3600_000).toISOString().slice(0, 19);
    const said = new DingTalkError(90006, `限制将在${inTenMinutes.replace('T', ' ')}结束`, 400);
    expect(said.rateLimited).toBe(true);
    expect(said.retryAfterMs).toBeGreaterThan(9 * 60_000);
    expect(said.retryAfterMs).toBeLessThanOrEqual(10 * 60_000);
    expect(new DingTalkError(90005, '企业调用过于频繁', 400).retryAfterMs).toBe(60_000);
    expect(new DingTalkError(90018, '当前请求被限流', 400).retryAfterMs).toBe(1000);
  });
});
