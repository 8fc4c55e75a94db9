import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runVt } from '../helpers/cli.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech, scratchDir, type Speech } from '../helpers/speech.js';
import {
  fakeLiveAvatarInstall,
  LIVEAVATAR_STANDIN,
  nvidiaSmiStandIn,
  pythonProbeStandIn,
} from '../helpers/standins.js';
import { ffprobe } from '../helpers/video.js';

/** `vt render --engine liveavatar` on an H100 node, played by the nvidia-smi and Live Avatar stand-ins. */
describe('vt render --engine liveavatar', () => {
  let speech: Speech;
  let env: NodeJS.ProcessEnv;
  let calls: string;
  beforeAll(async () => {
    speech = await makeSpeech([{ say: 'A lesson for the big GPU, in three batches of two clips.' }]);
    const install = fakeLiveAvatarInstall();
    calls = join(scratchDir(), 'calls.jsonl');
    env = {
      VT_NVIDIA_SMI: nvidiaSmiStandIn(),
      VT_LIVEAVATAR_REPO: install.repoDir,
      VT_LIVEAVATAR_CKPT: install.ckptDir,
      VT_LIVEAVATAR_LORA: install.loraFile,
      VT_LIVEAVATAR_TORCHRUN: LIVEAVATAR_STANDIN,
      VT_LIVEAVATAR_PYTHON: pythonProbeStandIn(),
      VT_LIVEAVATAR_MAX_CLIPS: '2',
      STANDIN_CALLS: calls,
    };
  });

  it('renders on the planned GPU and resumes after a crash instead of starting over', async () => {
    writeFileSync(calls, '');
    const dir = scratchDir();
    const out = join(dir, 'lesson.mp4');
    const args = [
      'render',
      '--engine',
      'liveavatar',
      '--image',
      PORTRAIT,
      '--audio',
      speech.path,
      '--size',
      '704*384',
      '--out',
      out,
    ];

    const crashed = await runVt(args, { env: { ...env, STANDIN_DIE_ON_LAUNCH: '2' } });
    expect(crashed.code).toBe(1); // worth retrying
    expect(crashed.stderr).toMatch(/Live Avatar failed in batch 2 of \d+: .*\[MODEL_FAILED\]/);
    expect(existsSync(join(dir, '.lesson.mp4.work', 'batch-0.mp4'))).toBe(true);
    expect(existsSync(out)).toBe(false);

    const resumed = await runVt(args, { env });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(
      /lesson\.mp4: [\d.]+ s in \d+ batches, rendered in [\d.]+ s at 704\*384 \(512x512\)/,
    );
    const launches = readFileSync(calls, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { args: { audio: string } });
    const batchesRendered = launches.map((l) => l.args.audio.replace(/.*batch-(\d+)\.wav$/, '$1'));
    expect(batchesRendered[0]).toBe('0');
    expect(batchesRendered.filter((b) => b === '0')).toHaveLength(1); // batch 0 was not rendered twice
    expect(existsSync(join(dir, '.lesson.mp4.work'))).toBe(false);
    const probe = await ffprobe(out);
    expect(Math.abs(Number(probe.format.duration) - speech.durationSec)).toBeLessThanOrEqual(0.07);
    const meta = JSON.parse(readFileSync(join(dir, 'lesson.json'), 'utf8'));
    expect(meta).toMatchObject({ engine: { name: 'liveavatar' }, delivered: { size: '704*384' } });
    expect(meta.plan).toMatch(/single GPU \(offline\) on 1 × NVIDIA H100 80GB HBM3, FP8/);
  });

  it('refuses sizes the model cannot render', async () => {
    const cli = await runVt(
      [
        'render',
        '--engine',
        'liveavatar',
        '--image',
        PORTRAIT,
        '--audio',
        speech.path,
        '--size',
        '1280*720',
        '--out',
        join(scratchDir(), 'x.mp4'),
      ],
      { env },
    );
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('[BAD_SIZE]');
  });

  it('vt doctor says what the node lacks, line by line, and vt smoke measures what the hang timer allows', async () => {
    const timings = join(scratchDir(), 'timings.json');
    const nodeEnv = { ...env, VT_LIVEAVATAR_TIMINGS: timings };
    const before = await runVt(['doctor'], { env: nodeEnv });
    // The H200 that recorded the probe had torch, Triton and gcc, but not flash-attn, diffusers or librosa.
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(
      /^ok {4}GPUs: \[0\] NVIDIA H100 80GB HBM3 79\.6 GiB; driver 580\.159\.04$/m,
    );
    expect(before.stdout).toMatch(/^ok {4}torch: 2\.11\.0\+cu130, CUDA 13\.0, 1 GPU\(s\)$/m);
    expect(before.stdout).toMatch(/^FAIL {2}flash_attn: pip install flash-attn==2\.8\.3 \(mandatory/m);
    expect(before.stdout).toMatch(/^ok {4}FP8 compile: Triton 3\.6\.0, gcc \(Ubuntu 13\.3\.0/m);
    expect(before.stdout).toMatch(/^ok {4}plan: single GPU \(offline\) on 1 × NVIDIA H100 80GB HBM3, FP8/m);
    expect(before.stdout).toMatch(/^ok {4}ffmpeg: ffmpeg version /m);
    // The stand-in install's files are empty, as after an interrupted download.
    expect(before.stdout).toMatch(
      /^FAIL {2}.*\/Wan2\.1_VAE\.pth: empty: an interrupted download\? fetch it again$/m,
    );
    expect(before.stdout).toMatch(
      /^warn {2}stage timings: not measured on NVIDIA H100 80GB HBM3: run vt smoke/m,
    );
    expect(before.stdout).toMatch(/check\(s\) failed: fix them/);

    // The stand-in is silent for 0.5 s compiling and 0.3 s a clip decoding (lower bounds, whatever the load).
    const smoke = await runVt(['smoke', '--engine', 'liveavatar'], {
      env: { ...nodeEnv, STANDIN_COMPILE_MS: '500', STANDIN_DECODE_MS_PER_CLIP: '300' },
    });
    expect(smoke.stderr).toBe('');
    expect(smoke.code).toBe(0);
    expect(smoke.stdout).toMatch(/^1 clip at 384\*256 \(256x256\): /m);
    expect(smoke.stdout).toMatch(
      /^10 clips at 704\*384 \(512x512\): .*compiling [\d.]+ s, denoising [\d.]+ s, decoding [\d.]+ s/m,
    );
    const saved = JSON.parse(readFileSync(timings, 'utf8')) as Record<string, number | string>;
    expect(saved.gpu).toBe('NVIDIA H100 80GB HBM3');
    expect(saved.compileSec).toBeGreaterThanOrEqual(0.45);
    expect(saved.decodeSecPerClip).toBeGreaterThanOrEqual(0.25);

    const after = await runVt(['doctor'], { env: nodeEnv });
    expect(after.stdout).toMatch(/^ok {4}stage timings: measured /m);
  });
});
