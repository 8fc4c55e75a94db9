import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { REPO_ROOT } from '../../../../common/env.js';

/**
 * What the node's Python can do for Live Avatar, asked once through render-node/python/probe_node.py
 * (standard library only, so it answers even where torch is missing): `vt doctor` prints it, the
 * planner reads whether FP8 can compile.
 */
export const PROBE_SCRIPT = join(REPO_ROOT, 'render-node/python/probe_node.py');

const found = z.union([z.object({ version: z.string() }), z.object({ missing: z.string() })]);
const probeSchema = z.object({
  python: z.string(),
  executable: z.string(),
  torch: z.union([
    z.object({ missing: z.string() }),
    z.object({
      version: z.string(),
      cuda: z.string().nullable(),
      cudaAvailable: z.boolean().optional(),
      cudaError: z.string().optional(),
      devices: z.array(z.object({ name: z.string(), capability: z.string(), totalMiB: z.number() })),
    }),
  ]),
  modules: z.record(z.string(), found),
  compiler: z.union([
    z.object({ path: z.string(), version: z.string().optional(), error: z.string().optional() }),
    z.null(),
  ]),
});
export type NodeProbe = z.infer<typeof probeSchema>;

export const parseNodeProbe = (stdout: string): NodeProbe => probeSchema.parse(JSON.parse(stdout));

export async function probeNode(python: string): Promise<NodeProbe> {
  const { stdout } = await promisify(execFile)(python, [PROBE_SCRIPT], { timeout: 120_000 });
  return parseNodeProbe(stdout);
}

export const versionOf = (p: NodeProbe, module: string): string | undefined => {
  const m = p.modules[module];
  return m && 'version' in m ? m.version : undefined;
};

/** `--fp8` compiles with Inductor: Triton generates the kernels and a C compiler builds their launcher. */
export const canCompileFp8 = (p: NodeProbe): boolean =>
  !!p.compiler && !p.compiler.error && versionOf(p, 'triton') !== undefined;
