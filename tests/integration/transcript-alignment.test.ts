import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { speechSpans } from '../../lti-tool/src/narration/speech-spans.js';
import { decodeAudio } from '../../render-node/src/media/ffmpeg.js';
import { alignTranscript } from '../../lti-tool/src/narration/transcript-alignment.js';
import { readWav } from '../../lti-tool/src/narration/wav.js';
import { makeSpeech, type SpeechPart } from '../helpers/speech.js';

/**
 * An author's transcript timed against a real recording (eSpeak NG speech with known silences between
 * the sentences, so where each sentence really is, is known): each sentence's cue must land on it.
 */
type Said = Extract<SpeechPart, { say: string }>;

/**
 * The recording: the sentences with the given silences between them; and each sentence's true span,
 * from its own part's samples (eSpeak NG pads its speech with silence, which is no part of the span).
 */
async function recording(sentences: readonly Said[], pauses: readonly number[]) {
  const parts: SpeechPart[] = [{ silence: 0.4 }];
  sentences.forEach((s, i) => parts.push(s, ...(i < pauses.length ? [{ silence: pauses[i]! }] : [])));
  parts.push({ silence: 0.5 });
  const speech = await makeSpeech(parts);
  const truth = speech.parts.flatMap((p, i) => {
    if (!('say' in p)) return [];
    const { samples, sampleRate } = readWav(readFileSync(join(dirname(speech.path), `part-${i}.wav`)));
    const loud = (x: number): boolean => Math.abs(x) > 300;
    const first = samples.findIndex(loud);
    const last = samples.findLastIndex(loud);
    return [[p.start + first / sampleRate, p.start + (last + 1) / sampleRate] as const];
  });
  return { speech, truth };
}

/** How far each aligned sentence's start and end are from the truth, at worst, in seconds. */
const worst = (
  aligned: readonly (readonly [number, number])[],
  truth: readonly (readonly [number, number])[],
) => Math.max(...aligned.flatMap(([a, b], i) => [Math.abs(a - truth[i]![0]), Math.abs(b - truth[i]![1])]));

/** The proportional placement alone (no pauses): what the alignment must beat. */
function proportional(texts: readonly string[], first: number, last: number): [number, number][] {
  const total = texts.reduce((n, t) => n + t.length, 0);
  let at = first;
  return texts.map((t) => {
    const end = at + ((last - first) * t.length) / total;
    const span: [number, number] = [at, end];
    at = end;
    return span;
  });
}

it('times English sentences to the recording, within a tenth of a second, through uneven pauses', async () => {
  const texts = [
    'Welcome to the safety course.',
    'Lift with your legs, not with your back, and keep the load close.',
    'Stop.',
    'Ask a colleague for help with anything heavier than twenty kilograms.',
    'Report every injury the same day.',
    'Thank you.',
  ];
  const { speech, truth } = await recording(
    texts.map((say) => ({ say })),
    [0.2, 0.9, 0.15, 0.6, 1.3],
  );
  const spans = await speechSpans(speech.path, 600, decodeAudio);
  expect(spans.durationSec).toBeCloseTo(speech.durationSec, 1);
  const aligned = alignTranscript(texts, spans);
  expect(aligned).toHaveLength(texts.length);
  aligned.forEach(([a, b], i) => {
    expect(b).toBeGreaterThan(a);
    if (i) expect(a).toBeGreaterThanOrEqual(aligned[i - 1]![1]);
  });
  expect(worst(aligned, truth)).toBeLessThan(0.1);
  // Proportions alone are far off on this recording: the pauses are what places the sentences.
  expect(worst(proportional(texts, spans.spans[0]![0], spans.spans.at(-1)![1]), truth)).toBeGreaterThan(0.6);
});

it('times Mandarin sentences too', async () => {
  const texts = ['欢迎参加安全课程。', '搬运重物时，用腿发力，不要用腰。', '好。', '每次受伤都要当天报告。'];
  const { speech, truth } = await recording(
    texts.map((say) => ({ say, voice: 'cmn' as const })),
    [0.7, 0.2, 1.1],
  );
  const aligned = alignTranscript(texts, await speechSpans(speech.path, 600, decodeAudio));
  expect(worst(aligned, truth)).toBeLessThan(0.1);
});

it('places sentences where the speaker does not pause in proportion, in order, inside the speech', async () => {
  // Two sentences run together with no pause, then a long pause before the third.
  const texts = ['One two three four five six.', 'Seven eight nine ten.', 'The end of the lesson.'];
  const { speech, truth } = await recording([{ say: `${texts[0]} ${texts[1]}` }, { say: texts[2]! }], [1.0]);
  const spans = await speechSpans(speech.path, 600, decodeAudio);
  const aligned = alignTranscript(texts, spans);
  expect(aligned).toHaveLength(3);
  expect(aligned[0]![1]).toBeLessThanOrEqual(aligned[1]![0]);
  expect(aligned[1]![0]).toBeGreaterThan(truth[0]![0] + 0.5);
  expect(aligned[1]![1]).toBeLessThan(truth[1]![0]);
  expect(Math.abs(aligned[2]![0] - truth[1]![0])).toBeLessThan(0.25);
  expect(Math.abs(aligned[1]![1] - truth[0]![1])).toBeLessThan(0.25);
});

it('finds no speech in silence', async () => {
  const silence = await makeSpeech([{ silence: 2 }]);
  const spans = await speechSpans(silence.path, 600, decodeAudio);
  expect(spans.spans).toEqual([]);
  expect(alignTranscript(['Anything.'], spans)).toEqual([]);
});
