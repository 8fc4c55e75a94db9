#!/usr/bin/env node
// STAND-IN for `torchrun … minimal_inference/s2v_streaming_interact.py` of Live Avatar, for tests
// only: the 14B model cannot run here. It takes the same arguments, refuses what the real CLI refuses,
// prints what the real one prints (INFO log lines on stdout, four tqdm bars a clip on stderr, from
// every rank in TPP), and writes a real MP4 with ffmpeg: 48·clips − 3 frames at 25 fps, muxed with the
// audio and cut to the shorter stream, as the model's own save does.
//
// Faults, by environment:
//   STANDIN_GPU_UNITS   memory budget; a run costs area/10000 × steps/4 × (online decode ? 0.8 : 1)
//                       units and prints torch's CUDA OOM error when over budget (default: no limit)
//   STANDIN_HANG_AT_CLIP=k   stop printing and sleep forever at clip k (ignores SIGTERM, like a stuck NCCL rank)
//   STANDIN_DIE_AT_CLIP=k    crash at clip k (exit 1); with STANDIN_DIE_ONCE=<file> only the first time
//   STANDIN_CALLS=<file>     appends one JSON line per launch (arguments and environment seen)
//   STANDIN_DIE_ON_LAUNCH=n  with STANDIN_CALLS: crash in the n-th launch (1-based), at its first clip
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const argv = process.argv.slice(2);
const torchrun = {};
while (argv[0]?.startsWith('--')) {
  const [k, v] = argv.shift().slice(2).split('=');
  torchrun[k] = v;
}
const entry = argv.shift();
const args = {};
for (let i = 0; i < argv.length; i++) {
  const flag = argv[i].slice(2);
  const next = argv[i + 1];
  if (next === undefined || next.startsWith('--')) args[flag] = true;
  else args[flag] = argv[++i];
}
const procs = Number(torchrun.nproc_per_node ?? 1);
const log = (m) =>
  console.log(
    `[${new Date().toISOString().replace('T', ' ').replace('Z', '').replace('.', ',')}] INFO: ${m}`,
  );
const fail = (m) => {
  console.error(`Traceback (most recent call last):\n  File "${entry}", line 1, in <module>\n${m}`);
  process.exit(1);
};
if (process.env.STANDIN_CALLS) {
  appendFileSync(
    process.env.STANDIN_CALLS,
    JSON.stringify({
      torchrun,
      entry,
      args,
      env: {
        CUDA_VISIBLE_DEVICES: process.env.CUDA_VISIBLE_DEVICES,
        NCCL_P2P_DISABLE: process.env.NCCL_P2P_DISABLE,
        TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC: process.env.TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC,
      },
      cwd: process.cwd(),
    }) + '\n',
  );
}

const launchNumber = process.env.STANDIN_CALLS
  ? readFileSync(process.env.STANDIN_CALLS, 'utf8').trim().split('\n').length
  : 0;

// What the real CLI refuses.
if (entry !== 'minimal_inference/s2v_streaming_interact.py') fail(`can't open file '${entry}'`);
if (args.task !== 's2v-14B') fail(`AssertionError: Unsupport task: ${args.task}`);
if (!args.ckpt_dir) fail('AssertionError: Please specify the checkpoint directory.');
if (args.load_lora && !args.training_config) fail("KeyError: 'lora_rank'");
if (args.sample_solver !== 'euler') fail('NotImplementedError: Unsupported solver.');
if (procs !== 1 && (procs < 5 || args.num_gpus_dit !== '4'))
  fail('AssertionError: At least 5 GPUs are supported for distributed inference.');
if (procs > 1 && !args.enable_vae_parallel)
  fail('AssertionError: VAE parallel is required for distributed inference.');
const steps = Number(args.sample_steps);
if (steps > 4) fail(`KeyError: '${steps}'`);
if (!args.save_file) fail('stand-in: always pass --save_file');
const sizes = { '720*400': [720, 400], '704*384': [704, 384], '688*368': [688, 368], '384*256': [384, 256] };
if (!sizes[args.size]) fail(`argument --size: invalid choice: '${args.size}'`);

const probe = (file, entries) =>
  execFileSync('ffprobe', ['-v', 'error', '-show_entries', entries, '-of', 'csv=p=0', file], {
    encoding: 'utf8',
  }).trim();
const audioSec = Number(probe(args.audio, 'format=duration'));
const clips = Math.min(Number(args.num_clip ?? 1e9), Math.floor(audioSec / 1.92) + 1);
const online = !!args.enable_online_decode && procs === 1;

log(`COMPILE: ${process.env.ENABLE_COMPILE ?? 'true'}`);
log(`world_size: ${procs}`);
log(
  procs === 1
    ? `Using single GPU inference with offload mode: ${args.offload_model}`
    : 'Using TPP distributed inference.',
);
log(`Input prompt: ${args.prompt}`);
log(`Input image: ${args.image}`);
log('Generating video ...');

const [w, h] = sizes[args.size];
const budget = Number(process.env.STANDIN_GPU_UNITS ?? Infinity);
const cost = ((w * h) / 10000) * (steps / 4) * (online ? 0.8 : 1);
if (cost > budget) {
  console.error(
    `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.31 GiB. GPU 0 has a total capacity of 79.19 GiB ` +
      `of which 1.02 GiB is free. (stand-in: cost ${cost.toFixed(1)} > budget ${budget})`,
  );
  process.exit(1);
}

const bar = (done, rate) =>
  `${String(Math.round((done / 4) * 100)).padStart(3)}%|${'█'.repeat((done * 2.5) | 0).padEnd(10)}| ${done}/4 [00:00<00:00, ${rate}it/s]`;
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
for (let clip = 0; clip < clips; clip++) {
  if (Number(process.env.STANDIN_HANG_AT_CLIP) === clip) {
    process.on('SIGTERM', () => {}); // a stuck rank does not answer
    setInterval(() => {}, 1 << 30);
    await new Promise(() => {});
  }
  if (clip === 0 && Number(process.env.STANDIN_DIE_ON_LAUNCH) === launchNumber) {
    fail('RuntimeError: NCCL communicator was aborted on rank 0.');
  }
  if (Number(process.env.STANDIN_DIE_AT_CLIP) === clip) {
    const once = process.env.STANDIN_DIE_ONCE;
    if (!once || !existsSync(once)) {
      if (once) writeFileSync(once, 'died');
      fail('RuntimeError: NCCL communicator was aborted on rank 0.');
    }
  }
  for (let rank = 0; rank < procs; rank++)
    for (let block = 0; block < 4; block++) {
      for (let s = 0; s <= 4; s++) process.stderr.write(`\r${bar(s, (12.3).toFixed(2))}`);
      process.stderr.write('\n');
    }
  sleep(Number(process.env.STANDIN_CLIP_MS ?? 5));
}
log('denoising video done');

// The video: 48 frames a clip, the first clip 3 short; then the model's own mux (-shortest).
const frames = 48 * clips - 3;
const video = `${args.save_file}.video.mp4`;
if (!existsSync(dirname(args.save_file))) fail(`FileNotFoundError: ${dirname(args.save_file)}`);
const run = (a) => {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...a]);
  if (r.status !== 0) fail(`FFmpeg execute failed: ${r.stderr}`);
};
run([
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=${w}x${h}:rate=25`,
  '-frames:v',
  String(frames),
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-crf',
  '10',
  '-pix_fmt',
  'yuv420p',
  video,
]);
log(`Saving generated video to ${args.save_file}`);
log('Start merging video and audio...');
run([
  '-i',
  video,
  '-i',
  args.audio,
  '-c:v',
  'copy',
  '-c:a',
  'aac',
  '-b:a',
  '192k',
  '-map',
  '0:v:0',
  '-map',
  '1:a:0',
  '-shortest',
  args.save_file,
]);
execFileSync('rm', ['-f', video]);
log(`Merge completed, saved to ${args.save_file}`);
log('Finished.');
