import type { Notice } from '../../../adapters/lms-adapter.js';
import { openInDingTalk } from '../../../adapters/dingtalk/dingtalk-adapter.js';
import { clip, fitsWorkNotice } from '../../../adapters/dingtalk/work-notice-limits.js';

/** Text from authors and DingTalk goes into a Markdown card: its markup characters are shown as text. */
const md = (s: string): string => s.replace(/[\r\n]+/g, ' ').replace(/[\\`*_[\]()#!<>|~]/g, '\\$&');

/** The page that opens a lesson inside DingTalk (free-login, then the player). */
export const lessonPageUrl = (publicUrl: string, corpId: string, lessonId: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/dingtalk/lessons/${encodeURIComponent(lessonId)}?${new URLSearchParams({ corpId })}`;

/** A lesson title as a notice shows it: long titles are cut (the card has room for a line or two). */
const TITLE_CHARS = 60;

/**
 * The work notice announcing an assigned lesson: its poster, and a button that opens it in DingTalk.
 * Within DingTalk's limits (adapters/dingtalk/work-notice-limits.ts): the poster's signed link is
 * left out when the message would be too large with it.
 */
export function assignmentNotice(lesson: { title: string; posterUrl?: string; pageUrl: string }): Notice {
  const title = clip(lesson.title, TITLE_CHARS);
  const card = (poster: string | undefined): Notice => ({
    title: `学习任务 New lesson: ${title}`,
    markdown: [
      `### ${md(title)}`,
      poster ? `![${md(title)}](${poster})` : '',
      '你有一节新的课程，请在钉钉中打开学习。',
      'A lesson has been assigned to you: open it in DingTalk to watch.',
    ]
      .filter(Boolean)
      .join('\n\n'),
    linkTitle: '开始学习 Start lesson',
    linkUrl: openInDingTalk(lesson.pageUrl),
  });
  const withPoster = card(lesson.posterUrl);
  return fitsWorkNotice(withPoster) ? withPoster : card(undefined);
}

/** The learner's confirmation that a lesson counts as completed. */
export function completionNotice(lesson: {
  title: string;
  pageUrl: string;
  /** On a lesson with questions: the grade (0 … 1) and the points earned of the total. */
  score?: { grade: number; earned: number; total: number };
}): Notice {
  const title = clip(lesson.title, TITLE_CHARS);
  const s = lesson.score;
  const percent = s && Math.round(s.grade * 100);
  return {
    title: `已完成 Completed: ${title}`,
    markdown: [
      `### ✅ ${md(title)}`,
      '你已完成本课程，学习记录已保存。',
      'You have completed this lesson; your record is saved.',
      ...(s
        ? [
            `得分 ${percent} 分（答题 ${s.earned}/${s.total}）· Score ${percent} % (questions ${s.earned}/${s.total})`,
          ]
        : []),
    ].join('\n\n'),
    linkTitle: '再看一遍 Watch again',
    linkUrl: openInDingTalk(lesson.pageUrl),
  };
}

/** A day's summary goes out in at most this many notices; the rest are counted, for the dashboard. */
export const SUMMARY_MAX_PARTS = 5;

/**
 * The assigning admin's summary of one day's completions, as few notices as DingTalk's size limits
 * allow (a line is a person and a lesson; a notice holds about twenty), at most SUMMARY_MAX_PARTS:
 * past them the last notice counts the rest, and the button opens the dashboard, which has them all.
 */
export function summaryNotices(
  day: string,
  done: readonly { name: string; lesson: string }[],
  dashboardUrl: string,
): Notice[] {
  const total = `${done.length} 项课程完成 · ${done.length} completion${done.length === 1 ? '' : 's'}`;
  const card = (part: string, lines: readonly string[]): Notice => ({
    title: `学习日报 Daily completions ${day}${part}`,
    markdown: [`### ${day}${part}`, total, lines.join('\n')].join('\n\n'),
    linkTitle: '查看完成情况 Progress',
    linkUrl: dashboardUrl,
  });
  // Filled one line at a time, measured with the widest part label and room for the "+N" line.
  const widest = ` (${SUMMARY_MAX_PARTS}/${SUMMARY_MAX_PARTS})`;
  const more = (n: number): string => `- … +${n} (查看完成情况 see the dashboard)`;
  const lines = done.map((d) => `- ${md(clip(d.name, 30))}: ${md(clip(d.lesson, TITLE_CHARS))}`);
  const pages: string[][] = [];
  let i = 0;
  while (i < lines.length && pages.length < SUMMARY_MAX_PARTS) {
    const last = pages.length === SUMMARY_MAX_PARTS - 1;
    const page: string[] = [];
    while (
      i < lines.length &&
      fitsWorkNotice(card(widest, [...page, lines[i]!, ...(last ? [more(lines.length)] : [])]))
    )
      page.push(lines[i++]!);
    if (!page.length) page.push(clip(lines[i++]!, 100)); // one line too long for a card on its own
    pages.push(page);
  }
  if (i < lines.length) pages[pages.length - 1]!.push(more(lines.length - i));
  if (!pages.length) return [card('', [])];
  return pages.map((page, k) => card(pages.length > 1 ? ` (${k + 1}/${pages.length})` : '', page));
}
