import cliProgress from 'cli-progress';
import type { RenderProgress } from '../engines/preview/preview-engine.js';

/** A progress bar on an interactive terminal; silence otherwise (logs and pipes get the summary line). */
export function progressBar(label: string): { update(p: RenderProgress): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} {stage} |{bar}| {percentage}% | {frames} | ETA {eta}s`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(100, 0, { stage: 'analyse', frames: '', eta: '?' });
  return {
    update(p) {
      bar.update(Math.round(p.fraction * 100), {
        stage: p.stage.padEnd(7),
        frames: p.framesTotal ? `${p.framesDone}/${p.framesTotal} frames` : 'listening',
        eta: p.etaSec === undefined ? '?' : p.etaSec.toFixed(0),
      });
    },
    stop: () => bar.stop(),
  };
}
