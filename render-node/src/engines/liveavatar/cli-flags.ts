/**
 * Everything we know about Live Avatar's command line, in one table, so that a change upstream is a
 * change here. Source: the model's repository (Alibaba-Quark/LiveAvatar, read 2026-11-24; see
 * shared/docs/liveavatar.md, which says where the repository overrides the product brief).
 */
import { LIVEAVATAR_SIZES } from '../../contract/render-sizes.js';
export const LIVEAVATAR = {
  /** Run from the repository root: every path it uses is relative. */
  entry: 'minimal_inference/s2v_streaming_interact.py',
  launcher: 'torchrun',
  trainingConfig: 'liveavatar/configs/s2v_causal_sft.yaml',
  /** Passed on every launch (the wrapper rules of the repository's own scripts). */
  fixedArgs: [
    ['--task', 's2v-14B'],
    ['--load_lora'],
    ['--convert_model_dtype'],
    ['--sample_solver', 'euler'], // the only solver the causal pipelines implement
    ['--sample_guide_scale', '0'], // no CFG branch in the causal pipelines
    ['--infer_frames', '48'], // the only value the block arithmetic divides evenly
    // The LoRA is distilled for exactly 4 steps: fewer only soften the picture and free no memory
    // (the four step KV caches are allocated anyway); TPP hands step i to rank i.
    ['--sample_steps', '4'],
  ],
  /** Our job settings → flags. */
  flags: {
    ckptDir: '--ckpt_dir',
    lora: '--lora_path_dmd', // the distillation LoRA, as a file: a hub id would download at run time
    trainingConfig: '--training_config',
    prompt: '--prompt',
    image: '--image',
    audio: '--audio', // a "+" in the path means several speakers: never pass one
    size: '--size',
    numClip: '--num_clip',
    offloadKvCache: '--offload_kv_cache', // single-GPU only: the step KV caches on the CPU
    t5Cpu: '--t5_cpu', // T5 (11.4 GB) never on the GPU
    seed: '--base_seed',
    saveFile: '--save_file', // parent folder must exist
    fp8: '--fp8', // compute capability ≥ 8.9 (Ada, Hopper, Blackwell)
  },
  modes: {
    /** One ≥ 80 GB GPU, offline. */
    single: { processes: 1, args: [['--single_gpu'], ['--num_gpus_dit', '1'], ['--offload_model', 'True']] },
    /** Five GPUs, "timestep-forcing pipeline parallelism": ranks 0–3 one denoising step each, rank 4 the VAE. */
    tpp: {
      processes: 5,
      args: [['--num_gpus_dit', '4'], ['--enable_vae_parallel'], ['--offload_model', 'False']],
    },
  },
  env: {
    always: {
      // Compiling costs minutes per resolution; not worth it for one job. --fp8 compiles anyway.
      ENABLE_COMPILE: 'false',
      PYTHONUNBUFFERED: '1', // print() lines arrive as they happen, not at exit
      HF_HUB_OFFLINE: '1',
      TOKENIZERS_PARALLELISM: 'false',
      NCCL_DEBUG: 'WARN',
    },
    /** Against silent NCCL hangs between ranks (the repository's multi-GPU Gradio script sets it). */
    multiGpu: { TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC: '86400' },
    /** Where peer-to-peer copies between the GPUs fail. */
    noP2p: { NCCL_P2P_DISABLE: '1' },
  },
  /** The sizes whose area fits the pipelines' fixed conditioning cache (contract/render-sizes.ts). */
  sizes: LIVEAVATAR_SIZES,
  /** A clip is 48 frames at 25 fps; the first clip drops 3 frames (clip-count.ts). */
  clipSeconds: 1.92,
  fps: 25,
} as const;

export type LaunchMode = keyof typeof LIVEAVATAR.modes;
export type LiveAvatarSize = (typeof LIVEAVATAR.sizes)[number];
