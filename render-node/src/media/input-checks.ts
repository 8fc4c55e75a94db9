import { stat } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';
import sharp from 'sharp';
import { RenderError } from '../contract/render-errors.js';
import { checkImageSize, SHARP_INPUT_LIMITS } from './image-limits.js';
import { audioDemuxer, probe, type AudioInput, type ProbeResult } from './ffmpeg.js';

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);
/** ffprobe format names of the containers we accept: WAV, MP3, M4A/MP4, OGG, FLAC (WebM/Opus too). */
const AUDIO_FORMATS = ['wav', 'mp3', 'mov', 'mp4', 'm4a', 'ogg', 'flac', 'matroska', 'webm', 'aac'];

async function sizeOf(path: string, what: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
    return s.size;
  } catch {
    throw new RenderError('INPUT_NOT_FOUND', `The ${what} file ${path} does not exist or is not a file.`);
  }
}

/** A portrait must really be a JPEG, PNG or WebP (by its content, not its name) that decodes. */
export async function checkPortrait(path: string): Promise<{ width: number; height: number }> {
  const bytes = await sizeOf(path, 'portrait');
  const type = bytes > 0 ? await fileTypeFromFile(path) : undefined;
  if (!type || !IMAGE_TYPES.has(type.mime)) {
    const seen = bytes === 0 ? 'it is empty' : type ? `it is ${type.mime}` : 'its content is not an image';
    throw new RenderError('NOT_AN_IMAGE', `The portrait is not a JPEG, PNG or WebP image (${seen}).`);
  }
  // The header first: a small file can declare a gigabyte of pixels, refused before any decoding.
  const size = await checkImageSize(path);
  try {
    // Decode it all once: a truncated file can have a valid header.
    await sharp(path, SHARP_INPUT_LIMITS).raw().toBuffer();
    return size;
  } catch (e) {
    throw new RenderError('IMAGE_CORRUPT', `The portrait image is damaged and cannot be decoded.`, {
      cause: e,
    });
  }
}

/**
 * A voice track as ffmpeg will read it: its bytes must be an audio type we read (sniffed, never
 * trusted by name), and only that type's demuxer reads it.
 */
export async function audioInput(path: string): Promise<AudioInput> {
  const bytes = await sizeOf(path, 'audio');
  if (bytes === 0) throw new RenderError('AUDIO_EMPTY', 'The audio file is empty (zero bytes).');
  const type = await fileTypeFromFile(path);
  const demuxer = audioDemuxer(type?.mime);
  if (!demuxer) throw new RenderError('NOT_AUDIO', notAudio(type?.mime));
  return { path, demuxer };
}

/**
 * A voice track must hold an audio stream ffmpeg can read, within the length limit. Returns what it
 * holds and the input to read it with.
 */
export async function checkAudio(
  path: string,
  maxSeconds: number,
): Promise<ProbeResult & { readonly input: AudioInput }> {
  const input = await audioInput(path);
  let probed: ProbeResult;
  try {
    probed = await probe(path, { demuxer: input.demuxer });
  } catch (e) {
    // Its bytes say audio, and that type's demuxer cannot read it.
    throw new RenderError('AUDIO_CORRUPT', 'The audio file is damaged and cannot be decoded.', {
      cause: e,
    });
  }
  const format = probed.formatName.split(',');
  if (!probed.audio || !format.some((f) => AUDIO_FORMATS.includes(f))) {
    throw new RenderError('NOT_AUDIO', notAudio(probed.formatName));
  }
  const duration = probed.audio.durationSec ?? probed.durationSec;
  if (duration !== undefined && duration > maxSeconds) {
    throw new RenderError(
      'AUDIO_TOO_LONG',
      `The audio lasts ${Math.round(duration)} s; the limit is ${maxSeconds} s. Split the lesson into parts.`,
    );
  }
  if (duration !== undefined && duration <= 0)
    throw new RenderError('AUDIO_EMPTY', 'The audio holds no sound.');
  return { ...probed, input };
}

const notAudio = (seen: string | undefined): string =>
  `The voice track is not an audio file we can read (WAV, MP3, M4A, OGG or FLAC)${seen ? `; it looks like ${seen}` : ''}.`;
