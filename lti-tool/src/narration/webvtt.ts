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
