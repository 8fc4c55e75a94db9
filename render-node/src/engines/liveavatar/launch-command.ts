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
  /** The LiveAvatar LoRA, a .safetensors file (or a presenter's own LoRA). */
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
  readonly sampleSteps: number;
  readonly onlineDecode: boolean;
  readonly seed: number;
  /** Absolute .mp4 path in a folder that exists. */
  readonly saveFile: string;
  readonly offloadKvCache?: boolean;
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
  // TPP hands step i to rank i: it needs exactly four steps. One GPU can take fewer (faster, softer).
  const steps = plan.mode === 'tpp' ? LIVEAVATAR.sampleSteps.default : run.sampleSteps;
  if (!Number.isInteger(steps) || steps < 1 || steps > 4) {
    throw new RenderError(
      'BAD_OUTPUT',
      `sample_steps must be 1–4 for the distilled model, not ${run.sampleSteps}.`,
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
    f.prompt,
    run.prompt,
    f.image,
    run.imagePath,
    f.audio,
    run.audioPath,
    f.size,
    run.size,
    f.numClip,
    String(run.numClip),
    f.sampleSteps,
    String(steps),
    f.seed,
    String(run.seed),
    f.saveFile,
    run.saveFile,
  ];
  if (plan.fp8) args.push(f.fp8);
  if (plan.mode === 'single' && run.onlineDecode) args.push(f.onlineDecode);
  if (plan.mode === 'single' && run.offloadKvCache) args.push(f.offloadKvCache);

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
