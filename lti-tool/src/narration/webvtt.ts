import { splitText } from './script.js';

/** A timed text: a caption, or a chapter (from its heading to the next). Seconds. */
export interface Cue {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const stamp = (sec: number): string => {
  const ms = Math.round(sec * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
};

/** Cue text as WebVTT reads it: the author's words never become tags (or an early "-->"). */
const inert = (text: string): string =>
  text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!).replace(/\s*\n\s*/g, ' ');

/** A WebVTT file of the cues, numbered in order. */
export function webVtt(cues: readonly Cue[]): string {
  return (
    'WEBVTT\n\n' +
    cues.map((c, i) => `${i + 1}\n${stamp(c.start)} --> ${stamp(c.end)}\n${inert(c.text)}\n`).join('\n')
  );
}

/** Caption cues longer than this are shown in parts, timed by their share of the characters. */
const MAX_CUE_CHARS = 90;

/** A sentence's caption: one cue, or for a long sentence several, timed by their characters. */
export function sentenceCues(text: string, start: number, end: number): Cue[] {
  const pieces = splitText(text, MAX_CUE_CHARS, ['，', '、', '；']);
  const total = pieces.reduce((n, p) => n + p.length, 0);
  let t = start;
  return pieces.map((p, i) => {
    const cueEnd = i === pieces.length - 1 ? end : t + ((end - start) * p.length) / total;
    const cue = { text: p, start: t, end: cueEnd };
    t = cueEnd;
    return cue;
  });
}

/** Chapters as cues: each from its start to the next chapter's (the last to `end`). */
export function chapterCues(starts: readonly { title: string; start: number }[], end: number): Cue[] {
  return starts.map((c, i) => ({ text: c.title, start: c.start, end: starts[i + 1]?.start ?? end }));
}
