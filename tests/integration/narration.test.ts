import { CloudSpeechEngine } from '../../lti-tool/src/narration/cloud-speech-engine.js';
import { EspeakEngine } from '../../lti-tool/src/narration/espeak-engine.js';
import { Narrator, type Narration } from '../../lti-tool/src/narration/narrator.js';
import { parseScript, ScriptError } from '../../lti-tool/src/narration/script.js';
import { SpeechCache } from '../../lti-tool/src/narration/speech-cache.js';
import { SpeechError } from '../../lti-tool/src/narration/speech-engine.js';
import { durationOf } from '../../lti-tool/src/narration/wav.js';
import { webVtt } from '../../lti-tool/src/narration/webvtt.js';
import { outboundHttp } from '../../lti-tool/src/net/outbound-http.js';
import { CloudTtsSimulator } from '../helpers/cloud-tts-simulator.js';
import { scratchDir } from '../helpers/speech.js';

/**
 * Scripts to speech and captions with the real eSpeak NG, and the cloud engine against the CLOUD TTS
 * SIMULATOR: plausible durations in English and Mandarin, captions that follow the audio, chapters
 * from headings, inert HTML, the sentence cache, and clear failures.
 */
const LIMIT = 20_000;
const english = `# Fire safety

Welcome to the fire safety course. It takes ten minutes.

## Exits

Know your two nearest exits. Never use the lift in a fire!

- Keep corridors clear.
- Close doors behind you.

<script>alert("not said")</script>
<div>Said, <b>without</b> the tags.</div>
`;
const mandarin = `# 消防安全

欢迎参加消防安全培训。本课程需要十分钟。

## 安全出口

请记住离你最近的两个出口。发生火灾时不要乘坐电梯！
`;

let narrator: Narrator;
let cacheDir: string;

beforeAll(async () => {
  cacheDir = scratchDir('vt-speech-');
  narrator = new Narrator([await EspeakEngine.open()], new SpeechCache(cacheDir));
});

/** Captions in order, without overlap, inside the audio; each spoken, not silence. */
function expectCaptionsFollowAudio(n: Narration): void {
  const duration = durationOf(n.pcm);
  let last = 0;
  for (const cue of n.captions) {
    expect(cue.start).toBeGreaterThanOrEqual(last - 1e-9);
    expect(cue.end).toBeGreaterThan(cue.start);
    expect(cue.end).toBeLessThanOrEqual(duration);
    const from = Math.floor(cue.start * n.pcm.sampleRate);
    const to = Math.floor(cue.end * n.pcm.sampleRate);
    const peak = n.pcm.samples.subarray(from, to).reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(peak).toBeGreaterThan(1000);
    last = cue.end;
  }
  // Between cues only the pauses: the captions cover the speech.
  const covered = n.captions.reduce((s, c) => s + c.end - c.start, 0);
  expect(covered / duration).toBeGreaterThan(0.6);
}

describe('scripts', () => {
  it('makes chapters of headings, sentences of paragraphs and list items, and drops HTML', () => {
    const s = parseScript(english, 'en', LIMIT);
    expect(s.chapters.map((c) => c.title)).toEqual(['Fire safety', 'Exits']);
    expect(s.chapters[0]!.paragraphs).toEqual([
      ['Welcome to the fire safety course.', 'It takes ten minutes.'],
    ]);
    expect(s.chapters[1]!.paragraphs).toEqual([
      ['Know your two nearest exits.', 'Never use the lift in a fire!'],
      ['Keep corridors clear.'],
      ['Close doors behind you.'],
      ['Said, without the tags.'],
    ]);
    expect(JSON.stringify(s)).not.toMatch(/alert|<|script/);
    expect(parseScript(mandarin, 'zh', LIMIT).chapters[1]!.paragraphs[0]).toEqual([
      '请记住离你最近的两个出口。',
      '发生火灾时不要乘坐电梯！',
    ]);
  });

  it('refuses an empty script and one over the limit, saying which', () => {
    for (const empty of ['', '   \n\n', '<script>x()</script>', '```\ncode only\n```'])
      expect(() => parseScript(empty, 'en', LIMIT)).toThrow(
        expect.objectContaining({ problem: 'empty' }) as unknown as Error,
      );
    expect(() => parseScript('Hello. '.repeat(100), 'en', 200)).toThrow(ScriptError);
    expect(() => parseScript('Hello. '.repeat(100), 'en', 200)).toThrow(/700 characters; the limit is 200/);
  });

  it('writes captions as WebVTT in which the text stays text', () => {
    const vtt = webVtt([
      { start: 0.3, end: 2.25, text: 'Use <script> & "-->" freely' },
      { start: 3661.5, end: 3662, text: 'Later' },
    ]);
    expect(vtt).toBe(
      'WEBVTT\n\n1\n00:00:00.300 --> 00:00:02.250\nUse &lt;script&gt; &amp; "--&gt;" freely\n\n' +
        '2\n01:01:01.500 --> 01:01:02.000\nLater\n',
    );
  });
});

describe('speech with eSpeak NG', () => {
  it('speaks an English script for about as long as it takes to read, with captions and chapters', async () => {
    const n = await narrator.narrate('t1', parseScript(english, 'en', LIMIT), 'espeak-ng/en-us');
    const words = english.replace(/<script>.*<\/script>/, '').match(/[A-Za-z]+/g)!.length;
    const duration = durationOf(n.pcm);
    // 160 words a minute, plus the pauses: within a factor of two either way.
    expect(duration).toBeGreaterThan(((words / 160) * 60) / 2);
    expect(duration).toBeLessThan((words / 160) * 60 * 2 + 8);
    expect(n.sentences).toBe(9); // two headings and seven sentences
    expect(n.captions.map((c) => c.text)).toContain('Never use the lift in a fire!');
    expectCaptionsFollowAudio(n);
    expect(n.chapters.map((c) => c.text)).toEqual(['Fire safety', 'Exits']);
    expect(n.chapters[0]!.end).toBeCloseTo(n.chapters[1]!.start, 6);
    expect(n.chapters[1]!.end).toBeCloseTo(duration, 6);
  });

  it('speaks Mandarin', async () => {
    const n = await narrator.narrate('t1', parseScript(mandarin, 'zh', LIMIT), 'espeak-ng/cmn');
    const chars = (mandarin.match(/\p{Script=Han}/gu) ?? []).length;
    const duration = durationOf(n.pcm);
    // Three to six characters a second, plus the pauses.
    expect(duration).toBeGreaterThan(chars / 6);
    expect(duration).toBeLessThan(chars / 2 + 8);
    expectCaptionsFollowAudio(n);
    expect(n.chapters.map((c) => c.text)).toEqual(['消防安全', '安全出口']);
  });

  it('re-synthesises only the sentences of an edited paragraph', async () => {
    const paragraphs = Array.from(
      { length: 6 },
      (_, i) =>
        `Paragraph ${i + 1} opens here. Sentence two of paragraph ${i + 1}. And a third one, number ${i + 1}.`,
    );
    const first = await narrator.narrate(
      't2',
      parseScript(paragraphs.join('\n\n'), 'en', LIMIT),
      'espeak-ng/en-gb',
    );
    expect(first.synthesized).toBe(18);
    const edited = [...paragraphs];
    edited[3] = 'Paragraph 4 now says something else. Only two sentences.';
    const second = await narrator.narrate(
      't2',
      parseScript(edited.join('\n\n'), 'en', LIMIT),
      'espeak-ng/en-gb',
    );
    expect(second.synthesized).toBe(2);
    const before = new Set(first.keys);
    const changed = second.keys.filter((k) => !before.has(k));
    expect(changed).toEqual(second.keys.slice(9, 11)); // exactly the new paragraph's sentences
    // The same script for another tenant shares nothing with this one's cache.
    const other = await narrator.narrate(
      't3',
      parseScript(edited.join('\n\n'), 'en', LIMIT),
      'espeak-ng/en-gb',
    );
    expect(other.synthesized).toBe(17);
  });

  it('refuses an unknown voice, and a voice of another language', async () => {
    const script = parseScript(english, 'en', LIMIT);
    await expect(narrator.narrate('t1', script, 'espeak-ng/xx')).rejects.toThrow(/no voice espeak-ng\/xx/);
    await expect(narrator.narrate('t1', script, 'espeak-ng/cmn')).rejects.toThrow(/does not speak/);
  });
});

describe('the cloud engine, against the CLOUD TTS SIMULATOR', () => {
  let sim: CloudTtsSimulator;
  beforeAll(async () => (sim = await new CloudTtsSimulator().start()));
  afterAll(() => sim.close());
  const cloud = (key = sim.key): Narrator =>
    new Narrator(
      [
        new CloudSpeechEngine({
          url: sim.url,
          key,
          backoffMs: 20,
          // The simulator is on loopback: the tool's client, with private hosts allowed as in tests.
          http: outboundHttp({ allowPrivate: true, maxResponseBytes: 64 << 20 }),
        }),
      ],
      new SpeechCache(scratchDir('vt-speech-')),
    );

  it('speaks both languages, the text escaped into SSML', async () => {
    const en = await cloud().narrate(
      't1',
      parseScript('Fish & chips < 5 €. "Quoted".', 'en', LIMIT),
      'cloud/en-US-JennyNeural',
    );
    expect(en.sentences).toBe(2);
    expectCaptionsFollowAudio(en);
    const zh = await cloud().narrate('t1', parseScript(mandarin, 'zh', LIMIT), 'cloud/zh-CN-XiaoxiaoNeural');
    expectCaptionsFollowAudio(zh);
  });

  it('waits out a rate limit and a server error, then succeeds', async () => {
    const before = { ...sim.answered };
    sim.rateLimitNext = 1;
    sim.failNext = 1;
    const n = await cloud().narrate(
      't1',
      parseScript('One sentence only.', 'en', LIMIT),
      'cloud/en-US-GuyNeural',
    );
    expect(n.synthesized).toBe(1);
    expect(sim.answered.limited - before.limited).toBe(1);
    expect(sim.answered.failed - before.failed).toBe(1);
  });

  it('fails clearly on a refused key (at once) and on a service that keeps failing', async () => {
    const refused = sim.answered.refused;
    const err = await cloud('wrong-key')
      .narrate('t1', parseScript('Hello there.', 'en', LIMIT), 'cloud/en-US-GuyNeural')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpeechError);
    expect((err as SpeechError).permanent).toBe(true);
    expect((err as Error).message).toMatch(/refused the key/);
    expect(sim.answered.refused - refused).toBe(1);
    sim.failNext = 10;
    await expect(
      cloud().narrate('t1', parseScript('Hello again.', 'en', LIMIT), 'cloud/en-US-GuyNeural'),
    ).rejects.toThrow(/answered 500/);
    sim.failNext = 0;
  });
});
