import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOutputManifest } from '../../render-node/src/contract/output-manifest.js';
import {
  CONTRACT_VERSION,
  parseContract,
  RenderResultSchema,
} from '../../render-node/src/contract/render-job.js';
import { renderPreview } from '../../render-node/src/engines/preview/preview-engine.js';
import { parseSize } from '../../render-node/src/render-size.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech, scratchDir } from '../helpers/speech.js';

describe('output manifest of a real preview render', () => {
  it('lists MP4, playlist, every segment and the poster with true sizes and sha256, as a valid result', async () => {
    const speech = await makeSpeech([
      { say: 'A short lesson whose files are listed in the manifest, one by one.' },
    ]);
    const workDir = scratchDir();
    const r = await renderPreview(
      { imagePath: PORTRAIT, audioPath: speech.path, prompt: '', size: parseSize('384*256'), fps: 25 },
      { workDir, maxAudioSeconds: 600, x264Preset: 'superfast', x264Crf: 23, hlsSegmentSeconds: 1 },
    );
    const files = await buildOutputManifest(workDir);
    expect(files.map((f) => f.role).sort()).toEqual(
      [
        'mp4',
        'hls-playlist',
        'poster',
        ...Array(files.filter((f) => f.role === 'hls-segment').length).fill('hls-segment'),
      ].sort(),
    );
    expect(files.filter((f) => f.role === 'hls-segment').length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const bytes = readFileSync(join(workDir, f.name));
      expect(f.bytes).toBe(bytes.length);
      expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    expect(files.find((f) => f.role === 'hls-playlist')).toMatchObject({
      name: 'hls/index.m3u8',
      contentType: 'application/vnd.apple.mpegurl',
    });
    const result = parseContract(
      RenderResultSchema,
      {
        contract: CONTRACT_VERSION,
        jobId: 'render-1',
        nodeId: 'cpu-node',
        engine: 'preview',
        durationSec: r.durationSec,
        files,
        notes: r.scene.notes,
      },
      'render result',
    );
    expect(result.files).toHaveLength(files.length);
  });
});
