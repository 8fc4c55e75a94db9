/**
 * Every use of ffmpeg and ffprobe goes through this module. fluent-ffmpeg is archived upstream; keeping
 * it behind these few functions means replacing it later touches one file.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve as absolute } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { fileTypeFromFile } from 'file-type';
import ffmpeg from 'fluent-ffmpeg';

/**
 * Files we did not make are read only by the demuxer of the type their bytes were sniffed as, and
 * with the file protocol only. Left to itself ffmpeg probes for the best-scoring demuxer, and some
 * (HLS and DASH manifests, concat lists) open other files or URLs named inside: an upload that a
 * sniffer takes for audio could make the tool or a node read another tenant's recording.
 */
const AUDIO_DEMUXERS: Readonly<Record<string, string>> = {
  'audio/wav': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'mov',
  'audio/x-m4a': 'mov',
  'video/mp4': 'mov',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'audio/flac': 'flac',
  'audio/aac': 'aac',
  'audio/webm': 'matroska',
  'video/webm': 'matroska',
  'audio/x-matroska': 'matroska',
  'video/x-matroska': 'matroska',
};
const FILE_ONLY = ['-protocol_whitelist', 'file,pipe'] as const;

/** The demuxer for a sniffed MIME type, if it is an audio type we read. */
export const audioDemuxer = (mime: string | undefined): string | undefined =>
  mime === undefined ? undefined : AUDIO_DEMUXERS[mime];

/** A user's audio file with the demuxer its bytes call for. */
export interface AudioInput {
  readonly path: string;
  readonly demuxer: string;
}

/** The file as an AudioInput; an error when its bytes are not an audio type we read. */
async function audioOrThrow(path: string): Promise<AudioInput> {
  const demuxer = audioDemuxer((await fileTypeFromFile(path))?.mime);
  if (!demuxer) throw new Error(`${path} is not an audio file of a type we read`);
  return { path, demuxer };
}

/** Adds `input` to `command`, read by its demuxer and from files only. */
function addAudioInput(command: ffmpeg.FfmpegCommand, input: AudioInput): void {
  command.input(absolute(input.path));
  addOptions(command, 'input', [['-f', input.demuxer], FILE_ONLY]);
}

export interface ProbedStream {
  readonly codec: string;
  readonly durationSec?: number;
}
export interface ProbedAudio extends ProbedStream {
  readonly sampleRate: number;
  readonly channels: number;
}
export interface ProbedVideo extends ProbedStream {
  readonly width: number;
  readonly height: number;
  readonly frames?: number;
  readonly pixFmt?: string;
}
export interface ProbeResult {
  readonly formatName: string;
  readonly durationSec?: number;
  readonly audio?: ProbedAudio;
  readonly video?: ProbedVideo;
  readonly tags: Record<string, string>;
}

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
};

let warm: Promise<void> | undefined;

/**
 * fluent-ffmpeg looks ffmpeg up and lists its formats and encoders (three processes, ~0.2 s) before
 * the first command of a process. Starting that early lets it overlap other work; later commands
 * find it cached.
 */
export function warmUp(): Promise<void> {
  warm ??= new Promise<void>((resolve) => {
    ffmpeg().availableFormats(() => ffmpeg().availableEncoders(() => resolve()));
  });
  return warm;
}

/**
 * ffprobe a file; rejects when ffprobe cannot read it as media at all. `countFrames` decodes the
 * whole video to count its frames exactly (slow; for checking outputs). `demuxer`: read it as that
 * format only (a user's file, with the demuxer its sniffed type calls for).
 */
export function probe(
  path: string,
  options: { countFrames?: boolean; demuxer?: string } = {},
): Promise<ProbeResult> {
  const args = [
    ...FILE_ONLY,
    ...(options.demuxer ? ['-f', options.demuxer] : []),
    ...(options.countFrames ? ['-count_frames'] : []),
  ];
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(absolute(path), args, (err, data) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      const a = data.streams.find((s) => s.codec_type === 'audio');
      const v = data.streams.find((s) => s.codec_type === 'video');
      resolve({
        formatName: data.format.format_name ?? '',
        durationSec: num(data.format.duration),
        tags: Object.fromEntries(Object.entries(data.format.tags ?? {}).map(([k, val]) => [k, String(val)])),
        audio: a && {
          codec: a.codec_name ?? '',
          durationSec: num(a.duration),
          sampleRate: num(a.sample_rate) ?? 0,
          channels: a.channels ?? 0,
        },
        video: v && {
          codec: v.codec_name ?? '',
          durationSec: num(v.duration),
          width: v.width ?? 0,
          height: v.height ?? 0,
          frames: num(v.nb_read_frames) ?? num(v.nb_frames),
          pixFmt: v.pix_fmt,
        },
      });
    });
  });
}

/**
 * Decodes the first audio stream to mono 32-bit float PCM at `sampleRate`, chunk by chunk, so that
 * a long recording never sits in memory whole. ffmpeg is started directly, not through fluent-ffmpeg:
 * fluent first has ffmpeg list its formats (another process, up to half a second in a fresh process),
 * and the voice analysis, which the first frames of a render wait for, starts with this decode.
 */
export async function* decodeAudio(
  path: string,
  sampleRate: number,
): AsyncGenerator<Float32Array<ArrayBuffer>> {
  const input = await audioOrThrow(path);
  const child = spawn(
    process.env.FFMPEG_PATH ?? 'ffmpeg',
    [
      ...['-hide_banner', '-nostdin', '-v', 'error'],
      ...['-f', input.demuxer, ...FILE_ONLY, '-i', absolute(input.path)],
      ...['-vn', '-ac', '1', '-ar', String(sampleRate), '-c:a', 'pcm_f32le', '-f', 'f32le', 'pipe:1'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr.push(...d.split('\n'));
    stderr.splice(0, Math.max(0, stderr.length - 40));
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null)); // not found, say: reported below
    child.on('close', (code) => resolve(code));
  });
  let carry = Buffer.alloc(0);
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const usable = bytes.length - (bytes.length % 4);
      carry = Buffer.from(bytes.subarray(usable));
      if (usable > 0) {
        // Copy into an aligned buffer: Float32Array views need a 4-byte aligned offset.
        const samples = new Float32Array(usable / 4);
        Buffer.from(samples.buffer).set(bytes.subarray(0, usable));
        yield samples;
      }
    }
    const code = await exited;
    if (code !== 0)
      throw new Error(
        `ffmpeg could not decode the audio: ${lastLines(stderr) || (code === null ? 'ffmpeg did not start' : `exit ${code}`)}`,
      );
  } finally {
    child.kill('SIGKILL');
  }
}

export const ENCODED_MP4 = 'lesson.mp4';
export const ENCODED_HLS_DIR = 'hls';
export const HLS_PLAYLIST = 'index.m3u8';
/** A fragmented MP4 written as the frames arrive: served while it grows, it plays as it renders. */
export const STREAMED_MP4 = 'stream.mp4';

export interface EncoderSettings {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Audio muxed beside the video, re-encoded to AAC; without it the output is video only (a chunk). */
  readonly audio?: AudioInput;
  /** Name of the MP4 inside workDir (default ENCODED_MP4); a fixed, plain name chosen by our code. */
  readonly mp4Name?: string;
  /**
   * Folder ffmpeg runs in. Outputs get fixed, plain names inside it (ENCODED_MP4, ENCODED_HLS_DIR), so no
   * user-chosen path ever has to survive the tee muxer's own escaping rules.
   */
  readonly workDir: string;
  /** HLS written as the frames arrive: a player can start before the render ends. */
  readonly hlsSegmentSeconds?: number;
  /**
   * Also write STREAMED_MP4: a fragmented MP4 (an empty moov, then a fragment every half second), which
   * a browser plays from its start while the file is still being written (a short answer clip).
   */
  readonly streamed?: boolean;
  readonly preset: string;
  readonly crf: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface FrameEncoder {
  /** Queues one raw yuv420p frame; resolves when ffmpeg is ready for more (back-pressure). */
  write(frame: Buffer): Promise<void>;
  /** Closes the input and waits for ffmpeg to finish every output. */
  finish(): Promise<void>;
  /**
   * Kills ffmpeg (at once, or as soon as it starts: fluent-ffmpeg first lists ffmpeg's capabilities)
   * and resolves once it is gone, so the caller may remove its folder; finish() then rejects.
   */
  abort(): Promise<void>;
}

/** Starts ffmpeg reading raw yuv420p frames on stdin and writing MP4 (+ HLS) in one encode. */
export function startEncoder(s: EncoderSettings): FrameEncoder {
  const frames = new PassThrough({ highWaterMark: s.width * s.height * 3 });
  const gop = s.fps * 2;
  const outputs = [`[f=mp4:movflags=+faststart]${s.mp4Name ?? ENCODED_MP4}`];
  if (s.hlsSegmentSeconds) {
    mkdirSync(join(s.workDir, ENCODED_HLS_DIR), { recursive: true });
    outputs.push(
      // The first segment one GOP long: a live lesson can be played as soon as one keyframe interval is
      // encoded, not a whole segment.
      `[f=hls:hls_time=${s.hlsSegmentSeconds}:hls_init_time=${gop / s.fps}:hls_playlist_type=event:` +
        `hls_segment_filename=${ENCODED_HLS_DIR}/segment_%05d.ts]${ENCODED_HLS_DIR}/${HLS_PLAYLIST}`,
    );
  }
  // flush_packets: the tee's outputs are otherwise written in 256 KiB blocks, seconds of a short clip.
  if (s.streamed)
    outputs.push(
      `[f=mp4:flush_packets=1:movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=500000]${STREAMED_MP4}`,
    );
  const metadata = Object.entries(s.metadata ?? {}).map(([k, v]): Option => ['-metadata', `${k}=${v}`]);
  const command = ffmpeg({ cwd: s.workDir }).input(frames).inputFormat('rawvideo');
  addOptions(
    command,
    'input',
    pairs(['-pix_fmt', 'yuv420p', '-video_size', `${s.width}x${s.height}`, '-framerate', String(s.fps)]),
  );
  // Absolute paths: a relative name such as "concat:…" or "-x" could read as a protocol or a flag.
  if (s.audio) addAudioInput(command, s.audio);
  addOptions(command, 'output', [
    ['-map', '0:v:0'],
    ...(s.audio
      ? // AAC at 48 kHz, keeping the voice's channels (mono stays mono: half the audio work, same sound).
        pairs(['-map', '1:a:0', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000'])
      : [['-an'] as Option]),
    ...pairs(['-c:v', 'libx264', '-preset', s.preset, '-crf', String(s.crf), '-pix_fmt', 'yuv420p']),
    // Fixed GOP so every HLS segment starts on a keyframe.
    ...pairs(['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0']),
    ...pairs([
      '-colorspace',
      'bt709',
      '-color_primaries',
      'bt709',
      '-color_trc',
      'bt709',
      '-color_range',
      'tv',
    ]),
    ['-flags', '+global_header'],
    ...metadata,
    ['-f', 'tee'],
  ]);
  command.output(outputs.join('|'));
  const stderr = stderrTail(command);

  const done = new Promise<void>((resolve, reject) => {
    command.on('end', () => resolve());
    command.on('error', (err: Error) =>
      reject(new Error(`ffmpeg failed: ${lastLines(stderr) || err.message}`, { cause: err })),
    );
  });
  done.catch(() => frames.destroy());
  let started = false;
  let aborted = false;
  command.on('start', () => {
    started = true;
    if (aborted) command.kill('SIGKILL');
  });
  command.run();

  return {
    async write(frame) {
      if (frames.destroyed) await done;
      if (!frames.write(frame)) {
        await Promise.race([once(frames, 'drain'), done]);
      }
    },
    async finish() {
      frames.end();
      await done;
    },
    async abort() {
      aborted = true;
      if (started) command.kill('SIGKILL');
      await done.catch(() => {});
    },
  };
}

/** A flag, with its value where it takes one. */
type Option = readonly [flag: string, value?: string];

/**
 * fluent-ffmpeg splits an option string that holds exactly one space into two arguments, unless the
 * option is given as a (flag, value) pair of its own. Values here can be user text (the prompt goes
 * into -metadata): pass every option as such a tuple, so no text can become an argument.
 */
function addOptions(command: ffmpeg.FfmpegCommand, to: 'input' | 'output', options: readonly Option[]): void {
  for (const [flag, value] of options) {
    const add = (to === 'input' ? command.inputOptions : command.outputOptions).bind(command);
    if (value === undefined) add(flag);
    else add(flag, value);
  }
}

/** ['-a', '1', '-b', '2'] → [['-a', '1'], ['-b', '2']]: for lists where every flag takes a value. */
const pairs = (flat: readonly string[]): Option[] =>
  Array.from({ length: flat.length / 2 }, (_, i): Option => [flat[2 * i]!, flat[2 * i + 1]!]);

/** The last lines ffmpeg wrote to stderr: where it says why it failed. */
function stderrTail(command: ffmpeg.FfmpegCommand, keep = 40): string[] {
  const lines: string[] = [];
  command.on('stderr', (line: string) => {
    lines.push(line);
    if (lines.length > keep) lines.shift();
  });
  return lines;
}

const lastLines = (lines: readonly string[]): string =>
  lines
    .filter((l) => l.trim() && !/^\s*(frame=|size=|Press \[q\])/.test(l))
    .slice(-3)
    .join(' / ');

function runCommand(command: ffmpeg.FfmpegCommand, what: string): Promise<void> {
  const stderr = stderrTail(command);
  return new Promise((resolve, reject) => {
    command
      .on('end', () => resolve())
      .on('error', (err: Error) => reject(new Error(`${what} failed: ${lastLines(stderr) || err.message}`)))
      .run();
  });
}

/** Cuts [startSec, endSec) of an audio file to 16-bit WAV (sample-exact; WAV has no encoder delay). */
export async function cutAudio(
  source: string,
  startSec: number,
  endSec: number,
  target: string,
): Promise<void> {
  const command = ffmpeg();
  addAudioInput(command, await audioOrThrow(source));
  addOptions(command, 'input', pairs(['-ss', startSec.toFixed(3), '-to', endSec.toFixed(3)]));
  addOptions(command, 'output', pairs(['-map', '0:a:0', '-c:a', 'pcm_s16le', '-f', 'wav']));
  return runCommand(command.output(absolute(target)), 'Cutting the audio');
}

/**
 * Joins videos of the same codec, size and rate losslessly with the concat demuxer (no re-encode),
 * video only: the caller muxes the original, uncut audio over the result.
 */
export async function concatVideos(
  parts: readonly string[],
  listFile: string,
  target: string,
): Promise<void> {
  // The concat list quotes paths with single quotes; a quote inside is written '\''.
  await writeFile(listFile, parts.map((p) => `file '${absolute(p).replace(/'/g, "'\\''")}'\n`).join(''));
  const command = ffmpeg().input(absolute(listFile));
  addOptions(command, 'input', [...pairs(['-f', 'concat', '-safe', '0']), FILE_ONLY]);
  addOptions(command, 'output', [['-map', '0:v:0'], ['-c:v', 'copy'], ['-an'], ['-f', 'mp4']]);
  return runCommand(command.output(absolute(target)), 'Joining the parts');
}

/**
 * Makes a finished lesson from a rendered video and the original audio, as the preview engine's
 * outputs: MP4 (faststart) and HLS in `workDir` under the usual names, the video copied, not re-encoded.
 */
export async function muxLesson(s: {
  video: string;
  audioPath: string;
  workDir: string;
  hlsSegmentSeconds: number;
  metadata?: Readonly<Record<string, string>>;
}): Promise<void> {
  mkdirSync(join(s.workDir, ENCODED_HLS_DIR), { recursive: true });
  const metadata = Object.entries(s.metadata ?? {}).map(([k, v]): Option => ['-metadata', `${k}=${v}`]);
  const command = ffmpeg({ cwd: s.workDir }).input(absolute(s.video));
  addOptions(command, 'input', [['-f', 'mov'], FILE_ONLY]); // our own MP4
  addAudioInput(command, await audioOrThrow(s.audioPath));
  addOptions(command, 'output', [
    ...pairs(['-map', '0:v:0', '-map', '1:a:0', '-c:v', 'copy']),
    ...pairs(['-c:a', 'aac', '-b:a', '128k', '-ar', '48000']),
    ['-flags', '+global_header'],
    ['-shortest'],
    ...metadata,
    ['-f', 'tee'],
  ]);
  const outputs =
    `[f=mp4:movflags=+faststart]${ENCODED_MP4}|` +
    `[f=hls:hls_time=${s.hlsSegmentSeconds}:hls_playlist_type=vod:hls_segment_filename=${ENCODED_HLS_DIR}/segment_%05d.ts]` +
    `${ENCODED_HLS_DIR}/${HLS_PLAYLIST}`;
  return runCommand(command.output(outputs), 'Muxing the lesson');
}

/**
 * A lesson from parts rendered separately (chunks, model batches): the parts joined losslessly in
 * `scratchDir`, then muxed with the original, uncut audio into `workDir` as MP4 + HLS.
 */
export async function joinLesson(s: {
  parts: readonly string[];
  scratchDir: string;
  audioPath: string;
  workDir: string;
  hlsSegmentSeconds: number;
  metadata?: Readonly<Record<string, string>>;
}): Promise<void> {
  const joined = join(s.scratchDir, 'joined.mp4');
  await concatVideos(s.parts, join(s.scratchDir, 'parts.txt'), joined);
  await muxLesson({ ...s, video: joined });
}

/** A part to join: its file and the frames it must contribute (the model may have made a few more or fewer). */
export interface FramedPart {
  readonly file: string;
  /** Frames the part must have; extra frames at its end are cut, missing ones repeat its last frame. */
  readonly frames: number;
  /** Frames the file really has (probe with countFrames). */
  readonly has: number;
}

/**
 * Joins parts rendered by separate model runs, frame-exact: each part is cut or padded to its frame
 * count, and each join is a cross-fade of `crossfadeFrames` in which the end of one part (rendered
 * past the cut) dissolves into the start of the next (the same stretch of voice). The joined video has
 * exactly sum(frames) − crossfadeFrames × (parts − 1) frames, so it stays on the voice. Re-encoded
 * (a dissolve cannot be copied), video only: the caller muxes the original audio over it.
 */
export async function crossfadeJoin(s: {
  parts: readonly FramedPart[];
  crossfadeFrames: number;
  fps: number;
  encoder: { preset: string; crf: number };
  target: string;
}): Promise<void> {
  const command = ffmpeg();
  for (const p of s.parts) {
    command.input(absolute(p.file));
    addOptions(command, 'input', [['-f', 'mov'], FILE_ONLY]); // the model's own MP4s
  }
  const graph: string[] = s.parts.map(
    (p, i) =>
      `[${i}:v:0]trim=end_frame=${Math.min(p.frames, p.has)},` +
      `tpad=stop_mode=clone:stop=${Math.max(0, p.frames - p.has)},setpts=N/(${s.fps}*TB)[p${i}]`,
  );
  let last = 'p0';
  let length = s.parts[0]!.frames;
  const fade = s.crossfadeFrames / s.fps;
  for (let i = 1; i < s.parts.length; i++) {
    const out = `x${i}`;
    graph.push(
      s.crossfadeFrames > 0
        ? `[${last}][p${i}]xfade=transition=fade:duration=${fade}:offset=${(length - s.crossfadeFrames) / s.fps}[${out}]`
        : `[${last}][p${i}]concat=n=2:v=1:a=0[${out}]`,
    );
    length += s.parts[i]!.frames - s.crossfadeFrames;
    last = out;
  }
  addOptions(command, 'output', [
    ['-filter_complex', graph.join(';')],
    ['-map', `[${last}]`],
    ...pairs(['-c:v', 'libx264', '-preset', s.encoder.preset, '-crf', String(s.encoder.crf)]),
    ...pairs(['-pix_fmt', 'yuv420p', '-r', String(s.fps), '-frames:v', String(length)]),
    ['-an'],
    ['-f', 'mp4'],
  ]);
  return runCommand(command.output(absolute(s.target)), 'Joining the parts');
}

/** The first line of `ffmpeg -version`; rejects when there is no ffmpeg to run. */
export async function ffmpegVersion(): Promise<string> {
  const { stdout } = await promisify(execFile)(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-version'], {
    timeout: 20_000,
  });
  return stdout.split('\n')[0] ?? '';
}

/** A 16 kHz WAV of a steady tone, `seconds` long: test audio for a smoke render. */
export function toneAudio(seconds: number, target: string): Promise<void> {
  const command = ffmpeg().input(`sine=frequency=220:sample_rate=16000:duration=${seconds.toFixed(3)}`);
  addOptions(command, 'input', [['-f', 'lavfi']]);
  addOptions(command, 'output', pairs(['-c:a', 'pcm_s16le', '-f', 'wav']));
  return runCommand(command.output(absolute(target)), 'Making test audio');
}

/** A JPEG of the video's frame at `atSec`. */
export function extractPoster(video: string, atSec: number, target: string): Promise<void> {
  const command = ffmpeg(absolute(video));
  addOptions(command, 'input', [['-ss', atSec.toFixed(3)]]);
  addOptions(command, 'output', pairs(['-frames:v', '1', '-q:v', '3', '-f', 'image2']));
  return runCommand(command.output(absolute(target)), 'Making the poster');
}
