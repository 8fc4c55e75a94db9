/**
 * What the preview engine takes from the scene prompt. It cannot paint a new scene (that is what the
 * Live Avatar model is for); it reads a few plain words, in English or Chinese, and frames the shot and
 * treats the photo's background accordingly. Everything else in the prompt is kept in the output's
 * metadata for the final render. `notes` says, in words, what was applied.
 */
export type Framing = 'close' | 'medium' | 'wide';
export type Background =
  | { readonly kind: 'photo' }
  | { readonly kind: 'blur' }
  | { readonly kind: 'colour'; readonly name: string; readonly rgb: readonly [number, number, number] };

export interface ScenePlan {
  readonly framing: Framing;
  readonly background: Background;
  readonly notes: readonly string[];
}

const COLOURS: ReadonlyArray<{ name: string; words: RegExp; rgb: [number, number, number] }> = [
  { name: 'white', words: /\bwhite\b|白色?/, rgb: [236, 236, 232] },
  { name: 'black', words: /\bblack\b|黑色?/, rgb: [24, 24, 28] },
  { name: 'grey', words: /\bgr[ae]y\b|灰色?/, rgb: [128, 130, 134] },
  { name: 'blue', words: /\b(blue|navy)\b|蓝色?/, rgb: [38, 74, 140] },
  { name: 'green', words: /\bgreen\b|绿色?/, rgb: [46, 120, 76] },
  { name: 'beige', words: /\b(beige|cream)\b|米色/, rgb: [214, 198, 170] },
  { name: 'red', words: /\bred\b|红色?/, rgb: [150, 40, 40] },
];
const CLOSE = /close[- ]?up|head ?shot|特写|近景/i;
const WIDE = /\bwide\b|full[- ]body|half[- ]body|全景|远景|全身|半身/i;
const BLUR = /\bblur(red)?\b|bokeh|depth of field|虚化|模糊/i;
const SETTING = /\b(office|classroom|studio|meeting room|library|lab)\b|办公室|教室|演播室|会议室/i;

export function planScene(prompt: string): ScenePlan {
  const notes: string[] = [];
  const framing: Framing = CLOSE.test(prompt) ? 'close' : WIDE.test(prompt) ? 'wide' : 'medium';
  notes.push(`framing: ${framing}${framing === 'medium' ? ' (default)' : ''}`);

  // A colour counts only where the prompt says it of the background: "a blue background", "蓝色背景".
  const backgroundPhrase = /([\w\s-]{0,24})\b(background|backdrop|wall)\b|(.{0,4})背景/i.exec(prompt);
  const said = backgroundPhrase ? (backgroundPhrase[1] ?? '') + (backgroundPhrase[3] ?? '') : '';
  const colour = COLOURS.find((c) => c.words.test(said.toLowerCase()));
  let background: Background = { kind: 'photo' };
  if (colour) {
    background = { kind: 'colour', name: colour.name, rgb: colour.rgb };
    notes.push(`background: ${colour.name}, blended behind the presenter`);
  } else if (BLUR.test(prompt) || SETTING.test(prompt)) {
    background = { kind: 'blur' };
    notes.push('background: the photo, blurred behind the presenter');
  } else {
    notes.push('background: the photo as it is');
  }
  return { framing, background, notes };
}
