import type { Notice } from '../../../adapters/lms-adapter.js';
import { openInDingTalk } from '../../../adapters/dingtalk/dingtalk-adapter.js';

/** Text from authors and DingTalk goes into a Markdown card: its markup characters are shown as text. */
const md = (s: string): string => s.replace(/[\r\n]+/g, ' ').replace(/[\\`*_[\]()#!<>|~]/g, '\\$&');

/** The page that opens a lesson inside DingTalk (free-login, then the player). */
export const lessonPageUrl = (publicUrl: string, corpId: string, lessonId: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/dingtalk/lessons/${encodeURIComponent(lessonId)}?${new URLSearchParams({ corpId })}`;

/** The work notice announcing an assigned lesson: its poster, and a button that opens it in DingTalk. */
export function assignmentNotice(lesson: { title: string; posterUrl?: string; pageUrl: string }): Notice {
  return {
    title: `学习任务 New lesson: ${lesson.title}`.slice(0, 100),
    markdown: [
      `### ${md(lesson.title)}`,
      lesson.posterUrl ? `![${md(lesson.title)}](${lesson.posterUrl})` : '',
      '你有一节新的课程，请在钉钉中打开学习。',
      'A lesson has been assigned to you: open it in DingTalk to watch.',
    ]
      .filter(Boolean)
      .join('\n\n'),
    linkTitle: '开始学习 Start lesson',
    linkUrl: openInDingTalk(lesson.pageUrl),
  };
}

/** The learner's confirmation that a lesson counts as completed. */
export function completionNotice(lesson: { title: string; pageUrl: string }): Notice {
  return {
    title: `已完成 Completed: ${lesson.title}`.slice(0, 100),
    markdown: [
      `### ✅ ${md(lesson.title)}`,
      '你已完成本课程，学习记录已保存。',
      'You have completed this lesson; your record is saved.',
    ].join('\n\n'),
    linkTitle: '再看一遍 Watch again',
    linkUrl: openInDingTalk(lesson.pageUrl),
  };
}

/** The assigning admin's summary of one day's completions. */
export function summaryNotice(
  day: string,
  done: readonly { name: string; lesson: string }[],
  dashboardUrl: string,
): Notice {
  const shown = done.slice(0, 20).map((d) => `- ${md(d.name)}: ${md(d.lesson)}`);
  if (done.length > shown.length) shown.push(`- … +${done.length - shown.length}`);
  return {
    title: `学习日报 Daily completions ${day}`,
    markdown: [
      `### ${day}`,
      `${done.length} 项课程完成 · ${done.length} completion${done.length === 1 ? '' : 's'}`,
      shown.join('\n'),
    ].join('\n\n'),
    linkTitle: '查看完成情况 Open the dashboard',
    linkUrl: dashboardUrl,
  };
}
