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
});
