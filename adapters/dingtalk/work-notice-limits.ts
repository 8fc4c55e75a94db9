import type { Notice } from '../lms-adapter.js';

/**
 * What one work notice may hold (shared/docs/dingtalk.md §4): the whole `msg` at most 2,048 bytes,
 * an action card's button title at most 20 characters and its URL at most 500, and the Markdown
 * body best kept under 1,000 characters. DingTalk does not say which limit it enforces how, so a
 * notice over any of them is not sent.
 */
export const WORK_NOTICE_LIMITS = {
  msgBytes: 2048,
  buttonTitleChars: 20,
  buttonUrlChars: 500,
  markdownChars: 1000,
} as const;

/** The `msg` of an asyncsend_v2 call carrying `notice` as an action card with one button. */
export const actionCardMsg = (n: Notice) => ({
  msgtype: 'action_card' as const,
  action_card: { title: n.title, markdown: n.markdown, single_title: n.linkTitle, single_url: n.linkUrl },
});

/** Characters as DingTalk counts them (code points: a Chinese character is one). */
const chars = (s: string): number => [...s].length;

/** What in `notice` is over DingTalk's limits, one sentence each; empty when it may be sent. */
export function overLimits(n: Notice): string[] {
  const L = WORK_NOTICE_LIMITS;
  const bytes = Buffer.byteLength(JSON.stringify(actionCardMsg(n)));
  return [
    bytes > L.msgBytes && `the message is ${bytes} bytes (at most ${L.msgBytes})`,
    chars(n.linkTitle) > L.buttonTitleChars &&
      `the button title is ${chars(n.linkTitle)} characters (at most ${L.buttonTitleChars})`,
    chars(n.linkUrl) > L.buttonUrlChars &&
      `the button's link is ${chars(n.linkUrl)} characters (at most ${L.buttonUrlChars})`,
    chars(n.markdown) > L.markdownChars &&
      `the text is ${chars(n.markdown)} characters (at most ${L.markdownChars})`,
  ].filter((p): p is string => typeof p === 'string');
}

/** Whether `notice` is within every limit. */
export const fitsWorkNotice = (n: Notice): boolean => overLimits(n).length === 0;

/** `s` cut to at most `max` characters, with an ellipsis when it was cut. */
export const clip = (s: string, max: number): string =>
  chars(s) <= max ? s : `${[...s].slice(0, Math.max(0, max - 1)).join('')}…`;
