/**
 * Edited-script re-render benchmark (issue: script to lesson). A script of N paragraphs is spoken
 * (eSpeak NG) and rendered by the preview engine in its voice's parts, each kept by its audio key as
 * the farm keeps them; then one paragraph is edited and the lesson rendered again. Prints both
 * renders' times, the parts each rendered, and the saving.
 *   npx tsx bench/script-rerender.ts [--paragraphs 20] [--size 688*368]
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../render-node/src/config.js';
import { renderPreview } from '../render-node/src/engines/preview/preview-engine.js';
import { voiceParts } from '../render-node/src/node/part-keys.js';
import { parseSize } from '../render-node/src/render-size.js';
import { EspeakEngine } from '../lti-tool/src/narration/espeak-engine.js';
import { Narrator } from '../lti-tool/src/narration/narrator.js';
import { parseScript } from '../lti-tool/src/narration/script.js';
import { SpeechCache } from '../lti-tool/src/narration/speech-cache.js';
import { longScript } from './long-script.js';
import { durationOf, writeWav } from '../lti-tool/src/narration/wav.js';
import { recordFigures } from './bench-results.js';
import { arg } from './bench-args.js';

const PARAGRAPHS = Number(arg('--paragraphs', '20'));
const SIZE = arg('--size', '688*368');
const FPS = 25;
const config = loadConfig();
const scriptOf = (edited?: number): string => longScript(PARAGRAPHS, edited);

const dir = mkdtempSync(join(tmpdir(), 'vt-bench-rerender-'));
const store = join(dir, 'parts'); // what the tool keeps of a tenant's parts, by key
mkdirSync(store);
const narrator = new Narrator([await EspeakEngine.open()], new SpeechCache(join(dir, 'speech')));

async function renderScript(name: string, source: string) {
  const n = await narrator.narrate('bench', parseScript(source, 'en', 1_000_000), 'espeak-ng/en-us');
  const audio = join(dir, `${name}.wav`);
  writeFileSync(audio, writeWav(n.pcm));
  const t0 = performance.now();
  const { starts, keys } = await voiceParts(audio, n.parts, FPS);
  const work = join(dir, name);
  const chunks = join(work, 'chunks');
  mkdirSync(join(work, 'out'), { recursive: true });
  mkdirSync(chunks);
  let rendered = 0;
  const result = await renderPreview(
    {
      imagePath: 'samples/trainer-portrait.jpg',
      audioPath: audio,
      prompt: '',
      size: parseSize(SIZE),
      fps: FPS,
    },
    {
      workDir: join(work, 'out'),
      maxAudioSeconds: 3600,
      x264Preset: config.VT_X264_PRESET,
      x264Crf: config.VT_X264_CRF,
      chunks: {
        starts: (total) => starts.filter((f) => f < total),
        independent: true,
        dir: chunks,
        existing: async (i) => {
          const kept = join(store, `${keys[i]}.mp4`);
          return existsSync(kept) ? kept : undefined;
        },
        onChunk: async (i, file) => {
          rendered++;
          copyFileSync(file, join(store, `${keys[i]}.mp4`));
        },
      },
    },
  );
  return {
    sec: (performance.now() - t0) / 1000,
    rendered,
    parts: starts.length,
    video: result.durationSec,
    speech: durationOf(n.pcm),
  };
}

const cold = await renderScript('cold', scriptOf());
const edited = await renderScript('edited', scriptOf(Math.floor(PARAGRAPHS / 2)));
rmSync(dir, { recursive: true, force: true });

const line = (name: string, r: typeof cold): string =>
  `  ${name}: ${r.sec.toFixed(1)} s for ${r.video.toFixed(1)} s of video, ${r.rendered} of ${r.parts} parts rendered`;
console.log(
  `Edited script re-render: ${PARAGRAPHS} paragraphs at ${SIZE}@${FPS} (preview engine, x264 ${config.VT_X264_PRESET} crf ${config.VT_X264_CRF})`,
);
console.log(line('first render', cold));
console.log(line('one paragraph edited', edited));
console.log(
  `  the edit took ${((100 * edited.sec) / cold.sec).toFixed(1)} % of the first render's time ` +
    `(${(100 - (100 * edited.rendered) / cold.rendered).toFixed(1)} % fewer parts rendered)`,
);
await recordFigures('rerender', [
  { name: 'first render', figure: cold.sec, unit: 's' },
  {
    name: 'one paragraph edited',
    figure: edited.sec,
    unit: 's',
    floor: cold.sec,
    floorWhat: 'the first render',
    ratio: edited.sec / cold.sec,
  },
]);
