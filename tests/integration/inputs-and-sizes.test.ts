import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseSize } from '../../render-node/src/render-size.js';
import { renderPreview, type RenderProgress } from '../../render-node/src/engines/preview/preview-engine.js';
import { framedPortraits } from '../../render-node/src/engines/preview/scene/framed-portraits.js';
import { runVt } from '../helpers/cli.js';
import { PORTRAIT } from '../helpers/paths.js';
import { convertAudio, makeSpeech, scratchDir, type Speech } from '../helpers/speech.js';
import { decodedAudioSec, ffprobe } from '../helpers/video.js';

let speech: Speech;
let dir: string;
beforeAll(async () => {
  dir = scratchDir();
  speech = await makeSpeech(
    [{ silence: 0.4 }, { say: 'Thank you for watching this short lesson.' }, { silence: 0.3 }],
    dir,
  );
});

describe('accepted inputs', () => {
  it.each([
    {
      name: 'MP3, stereo, 44.1 kHz',
      audioName: 'talk.mp3',
      args: ['-ac', '2', '-ar', '44100'],
      imageName: 'portrait.jpg',
      size: '688*368',
    },
    {
      name: 'M4A (AAC), 48 kHz',
      audioName: 'talk.m4a',
      args: ['-ar', '48000'],
      imageName: 'portrait.webp',
      size: '368*688',
    },
    {
      name: 'OGG (Vorbis), stereo',
      audioName: 'talk.ogg',
      args: ['-ac', '2', '-c:a', 'libvorbis'],
      imageName: 'portrait.png',
      size: '384*256',
    },
    {
      name: 'FLAC, 8 kHz',
      audioName: 'talk.flac',
      args: ['-ar', '8000'],
      imageName: 'portrait.jpg',
      size: '256*384',
    },
    {
      name: 'WAV, stereo',
      audioName: 'talk.wav',
      args: ['-ac', '2'],
      imageName: 'portrait.png',
      size: '720*1280',
    },
  ])('$name with a $imageName portrait at $size', async ({ audioName, args, imageName, size }) => {
    const audio = await convertAudio(speech.path, join(dir, audioName), args);
    const image = join(dir, imageName);
    if (!existsSync(image)) await sharp(PORTRAIT).toFile(image);
    const out = join(dir, `${audioName}.${size.replace('*', 'x')}.mp4`);
    const cli = await runVt(['render', '--image', image, '--audio', audio, '--size', size, '--out', out]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const probe = await ffprobe(out);
    const { width, height } = parseSize(size);
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({
      width,
      height,
      codec_name: 'h264',
    });
    expect(Math.abs(Number(probe.format.duration) - (await decodedAudioSec(audio)))).toBeLessThanOrEqual(
      1 / 25,
    );
  });

  it('renders at another frame rate', async () => {
    const out = join(dir, 'fps30.mp4');
    const cli = await runVt([
      'render',
      '--image',
      PORTRAIT,
      '--audio',
      speech.path,
      '--fps',
      '30',
      '--out',
      out,
    ]);
    expect(cli.code).toBe(0);
    const video = (await ffprobe(out, true)).streams.find((s) => s.codec_type === 'video')!;
    expect(Number(video.nb_read_frames)).toBe(Math.round(speech.durationSec * 30));
  });

  it('handles hostile file names', async () => {
    const odd = join(dir, "-odd name |[x]: 'quote' 讲座.wav");
    await convertAudio(speech.path, odd);
    const out = join(dir, 'out dir; $(rm -rf)', "--lesson |[1]:'.mp4");
    // fluent-ffmpeg splits "a b" into two arguments unless guarded: the prompt must stay one value.
    const prompt = '-y -f null two words';
    const cli = await runVt([
      'render',
      '--image',
      PORTRAIT,
      '--audio',
      odd,
      '--prompt',
      prompt,
      '--out',
      out,
    ]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect((await ffprobe(out)).format.tags?.comment).toBe(prompt);
    expect(readFileSync(out.replace(/\.mp4$/, '.hls/index.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');
  });
});

describe("a render process's next render of a presenter", () => {
  const render = (imagePath: string) =>
    renderPreview(
      { imagePath, audioPath: speech.path, prompt: '', size: parseSize('256*384'), fps: 25 },
      {
        workDir: scratchDir(),
        maxAudioSeconds: 600,
        x264Preset: 'ultrafast',
        x264Crf: 30,
        hlsSegmentSeconds: 0,
      },
    );

  it('frames a portrait it framed before from memory, by its bytes, whatever its path', async () => {
    const first = join(scratchDir(), 'presenter.png');
    const again = join(scratchDir(), 'same-presenter.png');
    copyFileSync(PORTRAIT, first);
    copyFileSync(PORTRAIT, again);
    const before = framedPortraits.size;
    const a = await render(first);
    expect(framedPortraits.size).toBe(before + 1);
    const b = await render(again);
    expect(framedPortraits.size).toBe(before + 1);
    expect(b.face).toEqual(a.face);
    expect(b.frames).toBe(a.frames);
  });

  it('checks and frames anew a portrait whose bytes changed at the same path', async () => {
    const path = join(scratchDir(), 'presenter.png');
    copyFileSync(PORTRAIT, path);
    await render(path);
    // A path remembered instead of bytes would draw the old face.
    writeFileSync(
      path,
      await sharp({ create: { width: 256, height: 256, channels: 3, background: '#7a8' } })
        .png()
        .toBuffer(),
    );
    await expect(render(path)).rejects.toMatchObject({ code: 'NO_FACE' });
    writeFileSync(path, 'not an image at all');
    await expect(render(path)).rejects.toMatchObject({ code: 'NOT_AN_IMAGE' });
  });
});

describe('while rendering', () => {
  it('serves HLS segments before the render ends, and reports progress with an ETA', async () => {
    const long = await makeSpeech(
      [{ say: 'This lesson is long enough to fill several segments of the streaming playlist. '.repeat(3) }],
      scratchDir(),
    );
    const workDir = scratchDir();
    const seen: RenderProgress[] = [];
    let liveSegments = 0;
    let liveEnded = true;
    await renderPreview(
      { imagePath: PORTRAIT, audioPath: long.path, prompt: '', size: parseSize('384*256'), fps: 25 },
      {
        workDir,
        maxAudioSeconds: 600,
        x264Preset: 'superfast',
        x264Crf: 23,
        hlsSegmentSeconds: 2,
        onProgress: (p) => {
          seen.push(p);
          if (p.stage === 'render' && p.framesDone / p.framesTotal > 0.8 && liveSegments === 0) {
            const playlist = readFileSync(join(workDir, 'hls/index.m3u8'), 'utf8');
            liveSegments = (playlist.match(/#EXTINF/g) ?? []).length;
            liveEnded = playlist.includes('#EXT-X-ENDLIST');
          }
        },
      },
    );
    expect(liveSegments).toBeGreaterThanOrEqual(2);
    expect(liveEnded).toBe(false);
    expect(readFileSync(join(workDir, 'hls/index.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');
    const fractions = seen.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
    expect(seen.some((p) => p.stage === 'analyse')).toBe(true);
    expect(
      seen.filter((p) => p.stage === 'render').every((p) => p.etaSec !== undefined && p.etaSec >= 0),
    ).toBe(true);
  });

  it('stops on cancel and leaves no output behind', async () => {
    const out = join(scratchDir(), 'cancelled.mp4');
    const long = await makeSpeech(
      [{ say: 'A lesson that will be cancelled half way through. '.repeat(40) }], // ~2 min: far from done when it starts
      scratchDir(),
    );
    let pid = 0;
    const running = runVt(['render', '--image', PORTRAIT, '--audio', long.path, '--out', out], {
      onSpawn: (p) => (pid = p),
    });
    // Cancelled once it renders (its work appears beside the output), however slow the machine.
    const deadline = Date.now() + 120_000;
    while (readdirSync(join(out, '..')).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    process.kill(pid, 'SIGTERM');
    const cli = await running;
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('[CANCELLED]');
    expect(readdirSync(join(out, '..'))).toEqual([]);
  });
});
