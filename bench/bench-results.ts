import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One benchmark line: the figure, the floor measured in the same run, their ratio and the target. */
export interface BenchFigure {
  readonly name: string;
  readonly figure: number;
  readonly unit: string;
  readonly floor?: number;
  readonly floorWhat?: string;
  /** figure / floor (or floor / figure where lower is better), as a fraction. */
  readonly ratio?: number;
  /** The ratio the issue asks for, e.g. 0.7 for "≥ 70 % of nginx". */
  readonly target?: number;
}

/**
 * Adds a benchmark's figures to the summary `npm run bench` writes (VT_BENCH_RESULTS names the
 * file; unset when a benchmark runs alone, and then this only prints).
 */
export async function recordFigures(bench: string, figures: readonly BenchFigure[]): Promise<void> {
  for (const f of figures)
    console.log(
      `RESULT ${bench} · ${f.name}: ${f.figure.toFixed(2)} ${f.unit}` +
        (f.floor !== undefined ? ` · floor ${f.floor.toFixed(2)} (${f.floorWhat ?? 'floor'})` : '') +
        (f.ratio !== undefined ? ` · ratio ${(f.ratio * 100).toFixed(0)} %` : '') +
        (f.target !== undefined ? ` · target ${(f.target * 100).toFixed(0)} %` : ''),
    );
  const file = process.env.VT_BENCH_RESULTS;
  if (!file) return;
  await mkdir(dirname(file), { recursive: true });
  const summary = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Record<string, unknown>;
  summary[bench] = { at: new Date().toISOString(), figures };
  await writeFile(file, JSON.stringify(summary, null, 2));
}
