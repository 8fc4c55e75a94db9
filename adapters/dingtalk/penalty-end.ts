/**
 * When a DingTalk rate-limit penalty ends, from its errmsg. The penalties for too many calls (90002,
 * 90005, 90006) last as long as DingTalk decides, undocumented (shared/docs/dingtalk.md §7, #21);
 * their errmsg often says when they end, as a time in China ("限制将在2026-12-02 10:15:00结束") or as
 * a duration ("请30秒后重试", "5分钟"). Answers the wait in ms, or undefined when the message does not
 * say (or says something implausible: over a day, or past).
 */
export function penaltyEndsIn(errmsg: string, now = Date.now()): number | undefined {
  const MAX_MS = 24 * 3600_000;
  const at = /(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)/.exec(errmsg);
  if (at) {
    // DingTalk states times in China Standard Time (UTC+8, no daylight saving).
    const end = Date.parse(`${at[1]}T${at[2]!.length === 5 ? `${at[2]}:00` : at[2]}+08:00`);
    const wait = end - now;
    return Number.isFinite(wait) && wait > 0 && wait <= MAX_MS ? wait : undefined;
  }
  const span = /(\d+)\s*(秒|分钟|小时|seconds?|minutes?|hours?|s\b|min\b|h\b)/i.exec(errmsg);
  if (!span) return undefined;
  const unit = span[2]!.toLowerCase();
  const ms = /^(秒|s|sec)/.test(unit) ? 1000 : /^(分钟|min)/.test(unit) ? 60_000 : 3600_000;
  const wait = Number(span[1]) * ms;
  return wait > 0 && wait <= MAX_MS ? wait : undefined;
}
