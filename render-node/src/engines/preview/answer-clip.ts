import { ENCODED_MP4, STREAMED_MP4 } from '../../media/ffmpeg.js';
import { parseSize } from '../../render-size.js';
import { renderPreview } from './preview-engine.js';
import { keepAnalysisThreadsLoaded } from './voice/stream-worker.js';

/** Small and quick: a clip plays in a panel beside the lesson, and the learner is waiting. */
const CLIP_SIZE = parseSize('384*256');
const CLIP_FPS = 25;

export interface AnswerClipOptions {
  readonly maxAudioSeconds: number;
  readonly x264Crf: number;
}

/**
 * A tutor's answer as a short talking-portrait clip: the preview engine in one pass, writing a
 * fragmented MP4 as the frames come (played while it renders) beside the finished MP4. x264's
 * ultrafast preset has no lookahead, so the first fragment leaves the encoder half a second of video
 * after the first frame.
 */
export function answerClipRenderer(o: AnswerClipOptions) {
  // A long-running tool renders clip after clip: the voice analysis keeps its models loaded between
  // them, and the engine remembers each presenter's framed portrait (framed-portraits.ts).
  keepAnalysisThreadsLoaded();
  return {
    streamedName: STREAMED_MP4,
    async render(r: { portraitPath: string; audioPath: string; workDir: string; signal?: AbortSignal }) {
      const result = await renderPreview(
        { imagePath: r.portraitPath, audioPath: r.audioPath, prompt: '', size: CLIP_SIZE, fps: CLIP_FPS },
        {
          workDir: r.workDir,
          maxAudioSeconds: o.maxAudioSeconds,
          x264Preset: 'ultrafast',
          x264Crf: o.x264Crf,
          hlsSegmentSeconds: 0,
          streamed: true,
          signal: r.signal,
        },
      );
      return {
        mp4: ENCODED_MP4,
        streamed: STREAMED_MP4,
        durationSec: result.durationSec,
        firstFrameSec: result.timings.firstFrameSec,
      };
    },
  };
}
