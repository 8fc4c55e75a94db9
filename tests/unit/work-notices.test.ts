import { DingTalkAdapter } from '../../adapters/dingtalk/dingtalk-adapter.js';
import type { DingTalkApi } from '../../adapters/dingtalk/dingtalk-api.js';
import { overLimits, WORK_NOTICE_LIMITS } from '../../adapters/dingtalk/work-notice-limits.js';
import { DeliveryError } from '../../adapters/lms-adapter.js';
import {
  assignmentNotice,
  completionNotice,
  SUMMARY_MAX_PARTS,
  summaryNotices,
} from '../../lti-tool/src/dingtalk/notice-messages.js';

/**
 * Work notices within DingTalk's limits (shared/docs/dingtalk.md §4: msg ≤ 2,048 bytes, button title
 * ≤ 20 characters, button link ≤ 500): every notice the tool writes fits, a day's summary is split
 * instead of cut, and a notice over a limit is never sent.
 */
const page = 'https://tutor.example.com/dingtalk/lessons/l1?corpId=ding1';
const people = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    name: `员工${i} 王丽娜 Employee ${i}`,
    lesson: `安全生产第${i % 7}讲：仓库里的叉车与搬运 Forklift safety, part ${i % 7}`,
  }));

describe('the notices the tool writes', () => {
  it('fit, whatever the title: a poster that would not fit is left out', () => {
    const long = '仓库安全'.repeat(60);
    for (const n of [
      assignmentNotice({
        title: long,
        posterUrl: `https://tutor.example.com/p?sig=${'a'.repeat(300)}`,
        pageUrl: page,
      }),
      assignmentNotice({
        title: long,
        posterUrl: `https://tutor.example.com/p?sig=${'a'.repeat(1900)}`,
        pageUrl: page,
      }),
      completionNotice({ title: long, pageUrl: page }),
      completionNotice({ title: long, pageUrl: page, score: { grade: 0.8, earned: 8, total: 10 } }),
      ...summaryNotices('2026-12-01', people(3), 'https://tutor.example.com/admin/progress?corp=ding1'),
    ])
      expect(overLimits(n)).toEqual([]);
    expect(
      assignmentNotice({
        title: 'Lifting',
        posterUrl: 'https://tutor.example.com/p?sig=short',
        pageUrl: page,
      }).markdown,
    ).toContain('](https://tutor.example.com/p?sig=short)');
    expect(
      assignmentNotice({
        title: 'Lifting',
        posterUrl: `https://t.example/p?sig=${'a'.repeat(1900)}`,
        pageUrl: page,
      }).markdown,
    ).not.toContain('sig=');
  });

  it("a day's summary is one notice when it fits, with every line", () => {
    const [only, ...rest] = summaryNotices('2026-12-01', people(3), 'https://t.example/admin/progress');
    expect(rest).toEqual([]);
    expect(only!.title).toBe('学习日报 Daily completions 2026-12-01');
    expect(only!.markdown.match(/^- /gm)).toHaveLength(3);
  });

  it('a long summary is split into numbered notices that each fit; past the last, the rest are counted', () => {
    const done = people(40);
    const parts = summaryNotices('2026-12-01', done, 'https://t.example/admin/progress');
    expect(parts.length).toBeGreaterThan(1);
    parts.forEach((n, k) => {
      expect(overLimits(n)).toEqual([]);
      expect(n.title).toBe(`学习日报 Daily completions 2026-12-01 (${k + 1}/${parts.length})`);
    });
    const listed = parts.flatMap((n) => n.markdown.split('\n').filter((l) => l.startsWith('- ')));
    expect(listed).toHaveLength(40);
    expect(listed[39]).toContain('Employee 39');

    const many = summaryNotices('2026-12-01', people(1000), 'https://t.example/admin/progress');
    expect(many).toHaveLength(SUMMARY_MAX_PARTS);
    many.forEach((n) => expect(overLimits(n)).toEqual([]));
    const shown = many.flatMap((n) => n.markdown.split('\n').filter((l) => /^- (?!…)/.test(l))).length;
    expect(many.at(-1)!.markdown).toContain(`- … +${1000 - shown} `);
  });
});

describe('a notice over a limit', () => {
  it('is named for what is over, and refused for good before anything is sent', async () => {
    const notice = {
      title: 'Daily',
      markdown: '完成'.repeat(400),
      linkTitle: '查看完成情况 Open the dashboard',
      linkUrl: `https://t.example/${'x'.repeat(WORK_NOTICE_LIMITS.buttonUrlChars)}`,
    };
    expect(overLimits(notice)).toEqual([
      expect.stringMatching(/^the message is \d+ bytes \(at most 2048\)$/),
      'the button title is 25 characters (at most 20)',
      expect.stringMatching(/^the button's link is \d+ characters \(at most 500\)$/),
    ]);
    const nothingSent = {} as DingTalkApi; // any call on it would throw
    const adapter = new DingTalkAdapter(nothingSent, () => Promise.resolve(undefined));
    const refusal = await adapter.notify('ding1', ['u1'], notice).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DeliveryError);
    expect((refusal as DeliveryError).permanent).toBe(true);
    expect((refusal as Error).message).toMatch(/^the work notice is too large: the message is/);
  });
});
