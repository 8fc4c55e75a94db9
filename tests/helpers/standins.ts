import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CHECKPOINT_FILES } from '../../render-node/src/engines/liveavatar/availability.js';
import { LIVEAVATAR } from '../../render-node/src/engines/liveavatar/cli-flags.js';
import { QUERY_FIELDS } from '../../render-node/src/engines/liveavatar/gpu-detect.js';
import { REPO, SHARED } from './paths.js';
import { scratchDir } from './speech.js';

export const gpuFixture = (name: string): string => readFileSync(join(SHARED, 'fixtures/gpu', name), 'utf8');

/** The Live Avatar command-line STAND-IN, used in place of torchrun + the 14B model. */
export const LIVEAVATAR_STANDIN = join(REPO, 'tests/stand-ins/liveavatar-torchrun-standin.mjs');

/**
 * An `nvidia-smi` STAND-IN that replays the real H100 output in shared/fixtures/gpu. With
 * csvWorks = false the CSV query fails as on older drivers, so detection must fall back to the XML.
 */
export function nvidiaSmiStandIn(csvWorks = true): string {
  const dir = scratchDir();
  writeFileSync(join(dir, 'query.csv'), gpuFixture('nvidia-smi-query-h100.csv'));
  writeFileSync(join(dir, 'q.xml'), gpuFixture('nvidia-smi-q-h100.xml'));
  writeFileSync(join(dir, 'topo.txt'), gpuFixture('nvidia-smi-topo-h100.txt'));
  const script = join(dir, 'nvidia-smi');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `if [ "$1" = "-q" ] && [ "$2" = "-x" ]; then cat "${dir}/q.xml"; exit 0; fi`,
      `if [ "$1" = "topo" ] && [ "$2" = "-m" ]; then cat "${dir}/topo.txt"; exit 0; fi`,
      `if [ "$1" = "--query-gpu=${QUERY_FIELDS.join(',')}" ] && [ "$2" = "--format=csv,noheader,nounits" ]; then`,
      csvWorks
        ? `  cat "${dir}/query.csv"; exit 0`
        : '  echo "Field compute_cap is not a valid field to query." >&2; exit 2',
      'fi',
      'echo "unexpected arguments: $*" >&2; exit 9',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

/**
 * A STAND-IN for the node's Python answering render-node/python/probe_node.py: it prints what the real
 * script printed on an H200 (tests/fixtures/gpu-h200/probe-node.stdout: torch, Triton, gcc), or that
 * record without Triton, as on a node that cannot compile FP8.
 */
export function pythonProbeStandIn(withTriton = true): string {
  const dir = scratchDir();
  const probe = JSON.parse(readFileSync(join(REPO, 'tests/fixtures/gpu-h200/probe-node.stdout'), 'utf8')) as {
    modules: Record<string, unknown>;
  };
  if (!withTriton) probe.modules.triton = { missing: "ModuleNotFoundError: No module named 'triton'" };
  writeFileSync(join(dir, 'probe.json'), JSON.stringify(probe));
  const script = join(dir, 'python3');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `case "$1" in */render-node/python/probe_node.py) cat "${dir}/probe.json"; exit 0;; esac`,
      'echo "unexpected arguments: $*" >&2; exit 9',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

/** A Live Avatar install with every file the engine checks for (empty: the stand-in never reads them). */
export function fakeLiveAvatarInstall(): { repoDir: string; ckptDir: string; loraFile: string } {
  const root = scratchDir();
  const install = {
    repoDir: join(root, 'LiveAvatar'),
    ckptDir: join(root, 'ckpt'),
    loraFile: join(root, 'liveavatar.safetensors'),
  };
  for (const f of [
    join(install.repoDir, LIVEAVATAR.entry),
    install.loraFile,
    ...CHECKPOINT_FILES.map((c) => join(install.ckptDir, c)),
  ]) {
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, '');
  }
  return install;
}
