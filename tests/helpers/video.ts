import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface FfprobeStream {
  codec_type: string;
  codec_name: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  nb_read_frames?: string;
  duration?: string;
  sample_rate?: string;
}
export interface Ffprobe {
  streams: FfprobeStream[];
  format: { duration: string; format_name: string; tags?: Record<string, string> };
}

export async function ffprobe(path: string, countFrames = false): Promise<Ffprobe> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format'];
  if (countFrames) args.push('-count_frames');
  return JSON.parse((await run('ffprobe', [...args, path], { maxBuffer: 1 << 24 })).stdout) as Ffprobe;
}

async function decode(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-v', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg ${code}: ${err}`)),
    );
  });
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Grey frames of one region of a video, each a Uint8Array of w×h. */
export async function regionFrames(video: string, box: Box): Promise<Uint8Array[]> {
  // ffmpeg crops yuv420p to even sizes and positions: ask for exactly those.
  const even = (v: number): number => 2 * Math.round(v / 2);
  const b = { x: even(box.x), y: even(box.y), w: even(box.w), h: even(box.h) };
  const raw = await decode([
    '-i',
    video,
    '-vf',
    `crop=${b.w}:${b.h}:${b.x}:${b.y}`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'gray',
    '-',
  ]);
  const size = b.w * b.h;
  const frames: Uint8Array[] = [];
  for (let o = 0; o + size <= raw.length; o += size) frames.push(raw.subarray(o, o + size));
  return frames;
}

/** Mean absolute change of each frame from the previous one (0 for the first). */
export function frameMotion(frames: Uint8Array[]): number[] {
  return frames.map((f, i) => {
    if (i === 0) return 0;
    const prev = frames[i - 1]!;
    let sum = 0;
    for (let k = 0; k < f.length; k++) sum += Math.abs(f[k]! - prev[k]!);
    return sum / f.length;
  });
}

/** Length of the sound itself, decoded (containers such as MP3 add encoder padding to their stated duration). */
export async function decodedAudioSec(audio: string): Promise<number> {
  const raw = await decode(['-i', audio, '-ac', '1', '-ar', '48000', '-f', 's16le', '-']);
  return raw.length / 2 / 48000;
}

/** RMS of the audio in each video frame's time slot. */
export async function audioEnergyPerFrame(audio: string, fps: number): Promise<number[]> {
  const raw = await decode(['-i', audio, '-ac', '1', '-ar', '16000', '-f', 'f32le', '-']);
  const samples = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const per = 16000 / fps;
  const out: number[] = [];
  for (let f = 0; (f + 1) * per <= samples.length; f++) {
    let s = 0;
    for (let i = f * per; i < (f + 1) * per; i++) s += samples[i]! ** 2;
    out.push(Math.sqrt(s / per));
  }
  return out;
}

export function movingAverage(v: number[], radius: number): number[] {
  return v.map((_, i) => {
    const a = Math.max(0, i - radius);
    const b = Math.min(v.length, i + radius + 1);
    return v.slice(a, b).reduce((s, x) => s + x, 0) / (b - a);
  });
}

export function pearson(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  const ma = a.slice(0, n).reduce((s, x) => s + x, 0) / n;
  const mb = b.slice(0, n).reduce((s, x) => s + x, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i]! - ma) * (b[i]! - mb);
    da += (a[i]! - ma) ** 2;
    db += (b[i]! - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/** Names of the top-level MP4 boxes in order (faststart puts moov before mdat). */
export function mp4TopLevelBoxes(file: Buffer): string[] {
  const names: string[] = [];
  for (let o = 0; o + 8 <= file.length;) {
    let size = file.readUInt32BE(o);
    const name = file.toString('latin1', o + 4, o + 8);
    if (size === 1) size = Number(file.readBigUInt64BE(o + 8));
    names.push(name);
    if (size < 8) break;
    o += size;
  }
  return names;
}
