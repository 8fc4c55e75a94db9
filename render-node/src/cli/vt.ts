#!/usr/bin/env node
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../config.js';
import { isRenderError } from '../contract/render-errors.js';
import { parseFps, parseSize, SUPPORTED_SIZES } from '../render-size.js';
import { renderBatch } from './batch.js';
import { printGpuPlan } from './gpus-command.js';
import { printDoctor, runSmoke } from './node-commands.js';
import { progressBar } from './progress-bar.js';
import { renderLesson } from './render-lesson.js';
import { renderLessonWithLiveAvatar } from './render-liveavatar.js';
import { describeSettings } from '../engines/liveavatar/liveavatar-engine.js';

/** Exit codes: 0 done, 1 something failed, 2 bad input (fix the input; retrying will not help). */
const program = new Command()
  .name('vt')
  .description('Virtual Tutor render node: portrait + voice → a talking-portrait lesson video')
  .showHelpAfterError();

const sizeOption = new Option('--size <w*h>', `frame size: ${SUPPORTED_SIZES.join(', ')}`).default('688*368');
const fpsOption = new Option('--fps <n>', 'frames per second').default('25');
const promptOption = new Option('--prompt <text>', 'scene prompt (kept with the lesson; see docs)').default(
  '',
);
const maxOption = new Option(
  '--max-duration <seconds>',
  'longest audio accepted (default: $VT_MAX_AUDIO_SECONDS or 3600)',
);

program
  .command('render')
  .description('render one lesson')
  .requiredOption('--image <file>', 'portrait (JPEG, PNG or WebP)')
  .requiredOption('--audio <file>', 'voice track (WAV, MP3, M4A, OGG or FLAC)')
  .requiredOption(
    '--out <file.mp4>',
    'output MP4; the poster (.jpg), HLS (.hls/) and metadata (.json) go beside it',
  )
  .addOption(promptOption)
  .addOption(sizeOption)
  .addOption(fpsOption)
  .addOption(maxOption)
  .addOption(
    new Option('--engine <name>', 'preview (any CPU) or liveavatar (80 GB GPUs)')
      .choices(['preview', 'liveavatar'])
      .default('preview'),
  )
  .option('--force', 'replace existing outputs')
  .action(async (o: RenderFlags) => {
    const config = configWith(o.maxDuration);
    if (o.engine === 'liveavatar') return renderWithLiveAvatar(o, config);
    const req = {
      imagePath: resolve(o.image),
      audioPath: resolve(o.audio),
      prompt: o.prompt,
      size: parseSize(o.size),
      fps: parseFps(o.fps),
    };
    const bar = progressBar('vt');
    try {
      const { result, paths } = await renderLesson(req, o.out, {
        config,
        force: o.force,
        onProgress: (p) => bar.update(p),
        onWorkDir: (dir) =>
          process.stderr.isTTY && console.error(`live HLS while rendering: ${dir}/hls/index.m3u8`),
      });
      bar.stop();
      const t = result.timings.totalSec;
      for (const w of result.warnings) console.error(`warning: ${w}`);
      console.log(
        `${paths.mp4}: ${result.durationSec.toFixed(2)} s, ${result.frames} frames at ${result.fps} fps, ` +
          `rendered in ${t.toFixed(1)} s (${(result.frames / t).toFixed(0)} fps, ` +
          `${(result.audioDurationSec / t).toFixed(1)}× real time)`,
      );
      console.log(
        `  poster ${paths.poster}\n  hls    ${paths.hlsDir}/index.m3u8\n  meta   ${paths.metadata}`,
      );
    } finally {
      bar.stop();
    }
  });

interface RenderFlags {
  image: string;
  audio: string;
  out: string;
  prompt: string;
  size: string;
  fps: string;
  maxDuration?: string;
  engine: 'preview' | 'liveavatar';
  force?: boolean;
}

async function renderWithLiveAvatar(o: RenderFlags, config: ReturnType<typeof configWith>): Promise<void> {
  const started = performance.now();
  const { result, paths } = await renderLessonWithLiveAvatar(
    {
      imagePath: resolve(o.image),
      audioPath: resolve(o.audio),
      prompt: o.prompt,
      size: o.size,
      force: o.force,
      onProgress: (text) => process.stderr.isTTY && process.stderr.write(`\rvt liveavatar ${text}   `),
    },
    o.out,
    config,
  );
  const t = (performance.now() - started) / 1000;
  const d = result.delivered;
  console.log(
    `${paths.mp4}: ${result.durationSec.toFixed(2)} s in ${result.batches} batch${result.batches > 1 ? 'es' : ''}, ` +
      `rendered in ${t.toFixed(1)} s at ${describeSettings(d)} (${result.frame})`,
  );
  for (const a of result.history.filter((h) => h.outcome === 'oom'))
    console.log(`  note: batch ${a.batch + 1}: ${a.note}`);
}

program
  .command('batch')
  .description('render every audio file in a folder against one portrait; skips what is already done')
  .argument('<folder>', 'folder of audio files')
  .requiredOption('--image <file>', 'portrait (JPEG, PNG or WebP)')
  .option('--out <dir>', 'output folder (default: <folder>/rendered)')
  .addOption(promptOption)
  .addOption(sizeOption)
  .addOption(fpsOption)
  .addOption(maxOption)
  .action(
    async (
      folder: string,
      o: { image: string; out?: string; prompt: string; size: string; fps: string; maxDuration?: string },
    ) => {
      const summary = await renderBatch(resolve(folder), {
        imagePath: resolve(o.image),
        outDir: resolve(o.out ?? resolve(folder, 'rendered')),
        prompt: o.prompt,
        size: parseSize(o.size),
        fps: parseFps(o.fps),
        config: configWith(o.maxDuration),
        log: (line) => console.log(line),
      });
      console.log(
        `batch: ${summary.rendered} rendered, ${summary.skipped} skipped, ${summary.failed} failed`,
      );
      if (summary.failed > 0) process.exitCode = 1;
    },
  );

program
  .command('gpus')
  .description('show the GPUs nvidia-smi reports and the Live Avatar launch plan for a lesson')
  .option('--from <dir>', 'read saved nvidia-smi output (query.csv, q.xml, topo.txt) instead of running it')
  .option('--size <w*h>', 'Live Avatar size', '704*384')
  .option('--seconds <n>', 'lesson length in seconds', '60')
  .option('--no-fp8', 'plan without FP8 (the node lacks gcc or Triton: see docs/gpu-node.md)')
  .option('--host-gib <n>', "the node's RAM in GiB (default: this machine's)")
  .action(async (o: { from?: string; size: string; seconds: string; fp8: boolean; hostGib?: string }) => {
    const ok = await printGpuPlan(
      {
        from: o.from,
        size: o.size,
        seconds: Number(o.seconds),
        fp8Toolchain: o.fp8,
        hostGiB: o.hostGib === undefined ? undefined : Number(o.hostGib),
        nvidiaSmi: loadConfig().VT_NVIDIA_SMI,
      },
      (line) => console.log(line),
    );
    if (!ok) process.exitCode = 1;
  });

program
  .command('doctor')
  .description('check this node for Live Avatar: GPUs, Python, torch, flash-attn, FP8, ffmpeg, weights, disk')
  .action(async () => {
    if (!(await printDoctor(loadConfig(), (line) => console.log(line)))) process.exitCode = 1;
  });

program
  .command('smoke')
  .description('run the model twice (1 clip at 384*256, 10 at 704*384) and save its stage timings')
  .addOption(new Option('--engine <name>', 'engine to try').choices(['liveavatar']).default('liveavatar'))
  .option('--image <file>', 'a portrait (default: a plain grey image; timings do not depend on it)')
  .action(async (o: { image?: string }) => {
    await runSmoke(loadConfig(), { imagePath: o.image && resolve(o.image) }, (line) => console.log(line));
  });

function configWith(maxDuration: string | undefined) {
  return loadConfig(
    maxDuration === undefined ? process.env : { ...process.env, VT_MAX_AUDIO_SECONDS: maxDuration },
  );
}

try {
  await program.parseAsync();
} catch (e) {
  if (isRenderError(e)) {
    console.error(`vt: ${e.message} [${e.code}]`);
    process.exitCode = e.permanent ? 2 : 1;
  } else {
    console.error(`vt: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
