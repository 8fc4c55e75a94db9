/**
 * Script-to-speech benchmark (issue: script to lesson). A long script (60 paragraphs of 3 sentences,
 * English, eSpeak NG) spoken with an empty sentence cache, then again after one paragraph is edited:
 * the time and synthesis calls each takes, and what the cache saved.
 *   npx tsx bench/narration.ts [--paragraphs 60]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EspeakEngine } from '../lti-tool/src/narration/espeak-engine.js';
import { Narrator } from '../lti-tool/src/narration/narrator.js';
import { parseScript } from '../lti-tool/src/narration/script.js';
import { SpeechCache } from '../lti-tool/src/narration/speech-cache.js';
import { longScript } from './long-script.js';
import { durationOf } from '../lti-tool/src/narration/wav.js';
import { recordFigures } from './bench-results.js';

const i = process.argv.indexOf('--paragraphs');
const PARAGRAPHS = i > 0 ? Number(process.argv[i + 1]) : 60;
const scriptOf = (edited?: number): string => longScript(PARAGRAPHS, edited);

const dir = mkdtempSync(join(tmpdir(), 'vt-bench-speech-'));
const narrator = new Narrator([await EspeakEngine.open()], new SpeechCache(dir));
const speak = async (
  source: string,
): Promise<{ ms: number; synthesized: number; sentences: number; sec: number }> => {
  const t0 = performance.now();
  const n = await narrator.narrate('bench', parseScript(source, 'en', 1_000_000), 'espeak-ng/en-us');
  return {
    ms: performance.now() - t0,
    synthesized: n.synthesized,
    sentences: n.sentences,
    sec: durationOf(n.pcm),
  };
};

const cold = await speak(scriptOf());
const edited = await speak(scriptOf(Math.floor(PARAGRAPHS / 2)));
const same = await speak(scriptOf(Math.floor(PARAGRAPHS / 2)));
rmSync(dir, { recursive: true, force: true });

const line = (name: string, r: typeof cold): string =>
  `  ${name}: ${(r.ms / 1000).toFixed(2)} s, ${r.synthesized} of ${r.sentences} sentences synthesised`;
console.log(
  `Script to speech: ${PARAGRAPHS} paragraphs, ${cold.sentences} sentences, ${(cold.sec / 60).toFixed(1)} min of speech (eSpeak NG, English)`,
);
console.log(`${line('empty cache', cold)} (${(cold.sec / (cold.ms / 1000)).toFixed(0)}× real time)`);
console.log(line('one paragraph edited', edited));
console.log(line('unchanged', same));
console.log(
  `  the edit took ${((100 * edited.ms) / cold.ms).toFixed(1)} % of the cold time ` +
    `(${(100 - (100 * edited.synthesized) / cold.synthesized).toFixed(1)} % fewer synthesis calls)`,
);
await recordFigures('narration', [
  { name: 'script to speech, empty cache', figure: cold.ms / 1000, unit: 's' },
  {
    name: 'one paragraph edited',
    figure: edited.ms / 1000,
    unit: 's',
    floor: cold.ms / 1000,
    floorWhat: 'the whole script, cold',
    ratio: edited.ms / cold.ms,
  },
]);
