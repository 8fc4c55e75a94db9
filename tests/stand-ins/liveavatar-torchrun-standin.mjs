#!/usr/bin/env node
// STAND-IN for `torchrun … minimal_inference/s2v_streaming_interact.py` of Live Avatar, for tests
// only: the 14B model cannot run here. Written from shared/docs/liveavatar.md (its corrections first)
// and the model repository's code, never from our engine. It takes the same arguments, refuses what
// the real CLI refuses, prints what the real one prints (INFO lines on stdout; tqdm bars on stderr as
// tests/fixtures/gpu-h200 recorded them: "\r"-separated updates, the final 100% twice, loader bars
// with a description), stays silent where the real one is silent, and writes a real MP4:
// - the frame is the portrait's aspect ratio within the --size AREA, sides multiples of 64
//   (get_size_less_than_area), not the --size itself;
// - clips = int(wav2vec2 frames at 30 Hz / 57.6) + 1, so k × 1.92 s of audio gives k clips;
//   frames = 48 × clips − 3 at 25 fps, muxed with the audio and cut to the shorter stream;
// - each frame's colour tells the run's --base_seed (red, blue) and the clip index (green), so a
//   test can see where a batch join falls and that the runs differ (the real model restarts its pose
//   from the portrait at every run);
// - GPU memory follows the doc's memory model: online decode and fewer steps save nothing;
//   --offload_kv_cache and --t5_cpu do; out of memory prints torch's real text.
//
// Environment:
//   STANDIN_GPU_GIB          usable GiB per GPU (default: no limit)
//   STANDIN_OOM_TEXT         torch | cuda | cublas | nccl: which out-of-memory text (default torch)
//   STANDIN_HOST_OOM=1       the host's OOM killer takes rank 0 at the first clip (torchrun's -9 summary)
//   STANDIN_LOAD_MS, STANDIN_CLIP_MS, STANDIN_COMPILE_MS (--fp8, silent, in the first step),
//   STANDIN_DECODE_MS_PER_CLIP (single GPU, silent, after the last bar), STANDIN_SAVE_MS_PER_CLIP
//   STANDIN_SAVE_FAIL=save|mux   log the failure as the model does and exit 0 anyway
//   STANDIN_HANG_AT_CLIP=k   stop printing at clip k, forever (ignores SIGTERM, like a stuck NCCL rank)
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
  const eq = argv[i].indexOf('=');
  if (eq > 0) {
    args[argv[i].slice(2, eq)] = argv[i].slice(eq + 1); // argparse's --flag=value
    continue;
  }
  const flag = argv[i].slice(2);
  const next = argv[i + 1];
  if (next === undefined || next.startsWith('-'))
    args[flag] = true; // argparse: "-x" is never a value
  else args[flag] = argv[++i];
}
const env = process.env;
const procs = Number(torchrun.nproc_per_node ?? 1);
const log = (m) =>
  console.log(
    `[${new Date().toISOString().replace('T', ' ').replace('Z', '').replace('.', ',')}] INFO: ${m}`,
  );
const fail = (m) => {
  console.error(`Traceback (most recent call last):\n  File "${entry}", line 1, in <module>\n${m}`);
  process.exit(1);
};
const sleep = (ms) => ms > 0 && Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
if (env.STANDIN_CALLS) {
  appendFileSync(
    env.STANDIN_CALLS,
    JSON.stringify({
      torchrun,
      entry,
      args,
      env: {
        CUDA_VISIBLE_DEVICES: env.CUDA_VISIBLE_DEVICES,
        NCCL_P2P_DISABLE: env.NCCL_P2P_DISABLE,
        TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC: env.TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC,
        PYTHONUNBUFFERED: env.PYTHONUNBUFFERED,
      },
      cwd: process.cwd(),
    }) + '\n',
  );
}
const launchNumber = env.STANDIN_CALLS
  ? readFileSync(env.STANDIN_CALLS, 'utf8').trim().split('\n').length
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
const steps = Number(args.sample_steps ?? 40);
if (steps > 4) fail(`KeyError: '${steps}'`);
if (!args.save_file) fail('stand-in: always pass --save_file');
if (String(args.audio).includes('+')) fail('stand-in: "+" means several speakers (SAM2 path), not modelled');
const areas = { '720*400': 288000, '704*384': 270336, '688*368': 253184, '384*256': 98304 };
if (!areas[args.size]) fail(`argument --size: invalid choice: '${args.size}'`);

const ffprobe = (file, entries) =>
  execFileSync('ffprobe', ['-v', 'error', '-show_entries', entries, '-of', 'csv=p=0', file], {
    encoding: 'utf8',
  }).trim();

// --- the frame: the repository's get_size_less_than_area, on the image as PIL opens it (no EXIF turn)
function sizeLessThanArea(height, width, target) {
  let lo = 0.1;
  let hi = 1;
  if (height * width > target) {
    const d = 63;
    const b = d * (height + width);
    const a = height * width;
    const c = d * d - target;
    lo = (-b + Math.sqrt(b * b - 2 * a * c)) / (2 * a);
    hi = Math.sqrt(target / (height * width));
  }
  for (let i = 0; i < 100; i++) {
    const s = hi - ((hi - lo) * i) / 100;
    const h = Math.trunc(height * s);
    const w = Math.trunc(width * s);
    const ph = h + ((64 - (h % 64)) % 64);
    const pw = w + ((64 - (w % 64)) % 64);
    if (ph * pw <= target) return [ph, pw];
  }
  const r = width / height;
  let tw = Math.floor(Math.sqrt(target * r) / 64) * 64;
  let th = Math.floor(Math.sqrt(target / r) / 64) * 64;
  if (tw >= width || th >= height) [tw, th] = [Math.floor(width / 64) * 64, Math.floor(height / 64) * 64];
  return [th, tw];
}
const [imgW, imgH] = ffprobe(args.image, 'stream=width,height').split(',').map(Number);
const [h, w] = sizeLessThanArea(imgH, imgW, areas[args.size]);

// --- clips: wav2vec2 (16 kHz, strided convolutions) → 50 Hz → 30 Hz; a clip is 57.6 of those
const samples = Math.round(Number(ffprobe(args.audio, 'format=duration')) * 16000);
let feats = samples;
for (const [k, s] of [
  [10, 5],
  [3, 2],
  [3, 2],
  [3, 2],
  [3, 2],
  [2, 2],
  [2, 2],
])
  feats = feats < k ? 0 : Math.floor((feats - k) / s) + 1;
const clipsForAudio = Math.floor(Math.floor((feats / 50) * 30) / 57.6) + 1;
const clips = Math.min(Number(args.num_clip ?? 1e9), clipsForAudio);

// --- GPU memory, by the doc's model (GB of weights, 819,200 bytes a KV token, 12 latent frames a clip)
const GB = 1e9 / 2 ** 30;
const stepCache = (12 * (w / 16) * (h / 16) * 819200) / 2 ** 30;
const dit = (args.fp8 ? 17 : 32.6) * GB;
const t5 = args.t5_cpu ? 0 : 11.4 * GB;
const need =
  procs === 1
    ? dit + 0.508 * GB + (args.offload_kv_cache ? 1 : 4) * stepCache + (2800 * 819200) / 2 ** 30 + 4
    : dit + t5 + stepCache + (3000 * 819200) / 2 ** 30 + 4;
const oomTexts = {
  torch: (gib) =>
    `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ${gib.toFixed(2)} GiB. GPU 0 has a total capacity of 79.19 GiB of which 1.02 GiB is free. Including non-PyTorch memory, this process has 78.15 GiB memory in use.`,
  cuda: () => 'RuntimeError: CUDA error: out of memory',
  cublas: () => 'RuntimeError: CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`',
  nccl: () =>
    "torch.distributed.DistBackendError: NCCL error in: ProcessGroupNCCL.cpp:3356, unhandled cuda error, NCCL version 2.27.5\nLast error:\nCuda failure 2 'out of memory'",
};

log(`COMPILE: ${env.ENABLE_COMPILE ?? 'true'}`);
log(`world_size: ${procs}`);
log(
  procs === 1
    ? `Using single GPU inference with offload mode: ${args.offload_model}`
    : 'Using TPP distributed inference.',
);
log(`Input prompt: ${args.prompt}`);
log(`Input image: ${args.image}`);
log('Creating WanS2V pipeline.');
// Loader bars have a description and are not clips (diffusers/transformers print them at load).
for (let s = 0; s <= 4; s++)
  process.stderr.write(
    `\rLoading checkpoint shards: ${String(s * 25).padStart(3)}%|${'█'.repeat(s * 2.5)}${' '.repeat(10 - s * 2.5)}| ${s}/4 [00:0${s}<00:00,  1.10s/it]`,
  );
process.stderr.write(`\rLoading checkpoint shards: 100%|██████████| 4/4 [00:04<00:00,  1.10s/it]\n`);
sleep(Number(env.STANDIN_LOAD_MS ?? 0));
log('Generating video ...');
log('complete prepare conditional inputs');
if (need > Number(env.STANDIN_GPU_GIB ?? Infinity)) {
  console.error(oomTexts[env.STANDIN_OOM_TEXT ?? 'torch'](stepCache));
  process.exit(1);
}

const bar = (done, n) =>
  `${String(Math.round((done / n) * 100)).padStart(3)}%|${'█'.repeat(Math.floor((done / n) * 10)).padEnd(10)}| ${done}/${n} [00:00<00:00,  6.63it/s]`;
for (let clip = 0; clip < clips; clip++) {
  if (Number(env.STANDIN_HANG_AT_CLIP) === clip) {
    process.on('SIGTERM', () => {}); // a stuck rank does not answer
    setInterval(() => {}, 1 << 30);
    await new Promise(() => {});
  }
  if (clip === 0 && Number(env.STANDIN_DIE_ON_LAUNCH) === launchNumber)
    fail('RuntimeError: NCCL communicator was aborted on rank 0.');
  if (Number(env.STANDIN_DIE_AT_CLIP) === clip) {
    const once = env.STANDIN_DIE_ONCE;
    if (!once || !existsSync(once)) {
      if (once) writeFileSync(once, 'died');
      fail('RuntimeError: NCCL communicator was aborted on rank 0.');
    }
  }
  if (clip === 0 && env.STANDIN_HOST_OOM === '1') {
    // What torchrun prints when the kernel's OOM killer took a rank (recorded: oom-killed-torchrun).
    console.error(
      'E1202 10:18:03.649000 887 torch/distributed/elastic/multiprocessing/api.py:986] failed (exitcode: -9) local_rank: 0 (pid: 912) of binary: /usr/bin/python\n' +
        'torch.distributed.elastic.multiprocessing.errors.ChildFailedError:\n  exitcode  : -9 (pid: 912)\n  traceback : Signal 9 (SIGKILL) received by PID 912',
    );
    process.exit(1);
  }
  // Four 12-frame blocks a clip, a bar over the steps each, from every rank in TPP; the final 100% twice.
  for (let block = 0; block < 4; block++)
    for (let rank = 0; rank < procs; rank++) {
      process.stderr.write(`\r${bar(0, steps)}`);
      if (clip === 0 && block === 0 && rank === 0 && args.fp8) sleep(Number(env.STANDIN_COMPILE_MS ?? 0));
      for (let s = 1; s <= steps; s++) process.stderr.write(`\r${bar(s, steps)}`);
      process.stderr.write(`\r${bar(steps, steps)}\n`);
    }
  sleep(Number(env.STANDIN_CLIP_MS ?? 5));
}
if (procs === 1) {
  // Single GPU: every clip but the first is decoded after the loop, with no output at all.
  log('complete full-sequence generation');
  log('loading VAE to cuda for final decode of remaining clips');
  sleep(Number(env.STANDIN_DECODE_MS_PER_CLIP ?? 0) * (clips - 1));
}
log('denoising video done');

// The video: 48 frames a clip, the first clip 3 short; colour = (seed, clip); then the model's mux.
const frames = 48 * clips - 3;
const seed = Number(args.base_seed ?? 0);
const video = `${args.save_file}.video.mp4`;
const run = (a) => spawnSync('ffmpeg', ['-v', 'error', '-y', ...a]);
sleep(Number(env.STANDIN_SAVE_MS_PER_CLIP ?? 0) * clips);
const save = run([
  '-f',
  'lavfi',
  '-i',
  `color=c=black:s=${w}x${h}:r=25`,
  '-vf',
  `geq=r='${(seed % 97) * 2 + 20}':g='20+mod(floor((N+3)/48)*23\\,200)':b='128'`,
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
  env.STANDIN_SAVE_FAIL === 'save' || !existsSync(dirname(args.save_file)) ? '/nonexistent/dir/x.mp4' : video,
]);
// Rank 4 saves in TPP and logs at ERROR only: the save line is never seen there.
if (procs === 1) log(`Saving generated video to ${args.save_file}`);
if (save.status !== 0) {
  log(`save_video failed, error: ${String(save.stderr).trim().split('\n').at(-1)}`);
} else {
  if (procs === 1) log('Start merging video and audio...');
  const mux = run([
    '-i',
    video,
    '-i',
    env.STANDIN_SAVE_FAIL === 'mux' ? '/nonexistent.wav' : args.audio,
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
    `${args.save_file}_temp.mp4`,
  ]);
  if (mux.status !== 0) {
    // The model leaves the silent video in place and says so at INFO.
    log(`FFmpeg execute failed: ${String(mux.stderr).trim().split('\n').at(-1)}`);
    execFileSync('mv', [video, args.save_file]);
  } else {
    execFileSync('mv', [`${args.save_file}_temp.mp4`, args.save_file]);
    execFileSync('rm', ['-f', video]);
    if (procs === 1) log(`Merge completed, saved to ${args.save_file}`);
  }
}
log('Finished.');
