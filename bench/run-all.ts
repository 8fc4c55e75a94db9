/**
 * `npm run bench`: every benchmark, one after another (each wants the machine to itself), each in a
 * process of its own. Each records its figures, the floor measured in the same run and the ratio
 * (bench-results.ts) into one summary, bench/results/latest.json (not committed), and this prints
 * them side by side at the end, so a regression shows at a glance.
 *   npx tsx bench/run-all.ts [name …]     (names: see BENCHES)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../render-node/src/config.js';
import type { BenchFigure } from './bench-results.js';

/** Each benchmark and how it runs; the preview engine's runs the built `vt`, as a user would. */
const BENCHES: Readonly<Record<string, readonly string[]>> = {
  'preview-engine': ['node', 'dist/bench/preview-engine.js'],
  'lti-launch': ['npx', 'tsx', 'bench/lti-launch.ts'],
  progress: ['npx', 'tsx', 'bench/progress.ts'],
  answers: ['npx', 'tsx', 'bench/answers.ts'],
  'media-range': ['npx', 'tsx', 'bench/media-range.ts'],
  farm: ['npx', 'tsx', 'bench/render-farm.ts'],
  narration: ['npx', 'tsx', 'bench/narration.ts'],
  rerender: ['npx', 'tsx', 'bench/script-rerender.ts'],
  dingtalk: ['npx', 'tsx', 'bench/dingtalk-notices.ts'],
  tutor: ['npx', 'tsx', 'bench/tutor.ts'],
};

const results = join(REPO_ROOT, 'bench/results/latest.json');
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(BENCHES);
const unknown = chosen.filter((n) => !BENCHES[n]);
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
rmSync(results, { force: true });
if (chosen.includes('preview-engine'))
  spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
const failed: string[] = [];
for (const name of chosen) {
  console.log(`\n=== ${name}`);
  const [command, ...args] = BENCHES[name]!;
  const r = spawnSync(command!, args, {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: { ...process.env, VT_BENCH_RESULTS: results },
  });
  if (r.status !== 0) failed.push(name);
}

const summary = JSON.parse(existsSync(results) ? readFileSync(results, 'utf8') : '{}') as Record<
  string,
  { figures: BenchFigure[] }
>;
console.log(`\n=== summary (${results})`);
for (const [bench, { figures }] of Object.entries(summary))
  for (const f of figures) {
    const ratio = f.ratio === undefined ? '' : `${(f.ratio * 100).toFixed(0)} %`;
    const verdict =
      f.target === undefined || f.ratio === undefined ? '' : f.ratio >= f.target ? 'ok' : 'BELOW';
    console.log(
      `${`${bench} · ${f.name}`.padEnd(64)} ${`${f.figure.toFixed(1)} ${f.unit}`.padStart(14)} ` +
        `${f.floor === undefined ? ''.padStart(14) : `${f.floor.toFixed(1)}`.padStart(14)} ${ratio.padStart(6)} ` +
        `${f.target === undefined ? '' : `≥ ${(f.target * 100).toFixed(0)} %`} ${verdict}`,
    );
  }
if (failed.length) {
  console.error(`\nfailed to run: ${failed.join(', ')}`);
  process.exitCode = 1;
}
