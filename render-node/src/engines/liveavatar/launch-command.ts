import { createServer } from 'node:net';
import { isAbsolute } from 'node:path';
import { RenderError } from '../../contract/render-errors.js';
import { LIVEAVATAR } from './cli-flags.js';
import type { LaunchPlan } from './launch-plan.js';

/** Where the model lives on this node. */
export interface LiveAvatarInstall {
  /** Checkout of the model's repository (the launch runs there). */
  readonly repoDir: string;
  /** The Wan2.2-S2V-14B checkpoint folder. */
  readonly ckptDir: string;
  /** The LiveAvatar distillation LoRA, a .safetensors file (the only LoRA the CLI applies). */
  readonly loraFile: string;
  readonly torchrun?: string;
}

/** One run of the model: a batch of clips of one lesson. */
export interface LiveAvatarRun {
  readonly prompt: string;
  readonly imagePath: string;
  readonly audioPath: string;
  readonly size: string;
  readonly numClip: number;
  readonly seed: number;
  /** Absolute .mp4 path in a folder that exists. */
  readonly saveFile: string;
  readonly offloadKvCache?: boolean;
  readonly t5Cpu?: boolean;
}

export interface Launch {
  readonly file: string;
  /** One argument an element: never joined into a shell string. */
  readonly args: readonly string[];
  /** Added to the node's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

/**
 * The torchrun command and environment for one run under a plan. Values are checked against what
 * the model's CLI accepts, so a bad job fails here with a clear message rather than minutes later.
 */
export function buildLaunch(
  plan: LaunchPlan,
  run: LiveAvatarRun,
  install: LiveAvatarInstall,
  o: { masterPort: number; p2pWorks: boolean },
): Launch {
  const mode = LIVEAVATAR.modes[plan.mode];
  if (!(LIVEAVATAR.sizes as readonly string[]).includes(run.size)) {
    throw new RenderError('BAD_SIZE', `Live Avatar renders ${LIVEAVATAR.sizes.join(', ')}; not ${run.size}.`);
  }
  if (run.audioPath.includes('+')) {
    // The CLI reads "a.wav+b.wav" as two speakers.
    throw new RenderError(
      'NOT_AUDIO',
      'The audio path must not contain "+" (Live Avatar reads it as two speakers).',
    );
  }
  if (!isAbsolute(run.saveFile) || !run.saveFile.endsWith('.mp4')) {
    throw new RenderError(
      'BAD_OUTPUT',
      `Live Avatar needs an absolute .mp4 output path, not ${run.saveFile}.`,
    );
  }
  const f = LIVEAVATAR.flags;
  const args: string[] = [
    `--nproc_per_node=${mode.processes}`,
    `--master_port=${o.masterPort}`,
    LIVEAVATAR.entry,
    ...LIVEAVATAR.fixedArgs.flat(),
    ...mode.args.flat(),
    f.ckptDir,
    install.ckptDir,
    f.lora,
    install.loraFile,
    f.trainingConfig,
    LIVEAVATAR.trainingConfig,
    // One argument with "=": a prompt starting with "-" would otherwise read as a flag.
    `${f.prompt}=${run.prompt}`,
    f.image,
    run.imagePath,
    f.audio,
    run.audioPath,
    f.size,
    run.size,
    f.numClip,
    String(run.numClip),
    f.seed,
    String(run.seed),
    f.saveFile,
    run.saveFile,
  ];
  if (plan.fp8) args.push(f.fp8);
  if (plan.mode === 'single' && run.offloadKvCache) args.push(f.offloadKvCache);
  if (run.t5Cpu) args.push(f.t5Cpu);

  const multi = mode.processes > 1;
  return {
    file: install.torchrun ?? LIVEAVATAR.launcher,
    args,
    env: {
      ...LIVEAVATAR.env.always,
      ...(multi ? LIVEAVATAR.env.multiGpu : {}),
      ...(multi && !o.p2pWorks ? LIVEAVATAR.env.noP2p : {}),
      CUDA_VISIBLE_DEVICES: plan.gpus.join(','),
    },
    cwd: install.repoDir,
  };
}

/** A port free on this host now, for one run's torchrun rendezvous (the repository's scripts hard-code theirs). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
