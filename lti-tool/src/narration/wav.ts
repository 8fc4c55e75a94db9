/** Mono 16-bit PCM: what every speech engine hands back, and what a narration is joined from. */
export interface Pcm {
  readonly sampleRate: number;
  readonly samples: Int16Array;
}

export const durationOf = (pcm: Pcm): number => pcm.samples.length / pcm.sampleRate;

/**
 * Reads a RIFF/WAVE file of 16-bit PCM, mono. Streamed WAVs (espeak-ng --stdout) carry placeholder
 * sizes, so the data chunk runs to the end of the buffer when its size says more than is there.
 */
export function readWav(buf: Buffer): Pcm {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('not a WAV file');
  let sampleRate = 0;
  for (let at = 12; at + 8 <= buf.length;) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      const format = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const bits = buf.readUInt16LE(body + 14);
      if (format !== 1 || channels !== 1 || bits !== 16) throw new Error('not 16-bit mono PCM');
      sampleRate = buf.readUInt32LE(body + 4);
    } else if (id === 'data') {
      if (!sampleRate) throw new Error('WAV data before its format');
      const end = Math.min(buf.length, body + size);
      const bytes = buf.subarray(body, body + ((end - body) & ~1));
      const samples = new Int16Array(bytes.length / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
      return { sampleRate, samples };
    }
    at = body + size + (size & 1);
  }
  throw new Error('WAV without data');
}

export function writeWav(pcm: Pcm): Buffer {
  const data = pcm.samples.length * 2;
  const buf = Buffer.alloc(44 + data);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + data, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(pcm.sampleRate, 24);
  buf.writeUInt32LE(pcm.sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(data, 40);
  for (let i = 0; i < pcm.samples.length; i++) buf.writeInt16LE(pcm.samples[i]!, 44 + i * 2);
  return buf;
}
