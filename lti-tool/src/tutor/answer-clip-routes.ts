import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Response } from 'express';
import { Router } from 'express';
import type { Logger } from 'pino';
import type { MediaStore } from '../media/media-store.js';
import { scopes } from '../media/media-urls.js';
import type { UrlSigner } from '../media/url-signer.js';
import { ApiError } from '../web/api-error.js';
import type { AnswerClips, LiveClip } from './answer-clips.js';
import type { TutorQuestions } from './tutor-questions.js';

export interface AnswerClipRoutesDeps {
  readonly signer: UrlSigner;
  readonly clips: Pick<AnswerClips, 'liveClip'>;
  readonly questions: Pick<TutorQuestions, 'clipOf'>;
  readonly store: Pick<MediaStore, 'path'>;
  readonly log: Logger;
}

/** How often a growing clip is looked at for new bytes while it renders. */
const FOLLOW_MS = 50;

/**
 * GET /media/answers/:id/:exp/:sig/answer.mp4: a tutor answer's clip over a signed URL (the player's
 * video element cannot send the launch token). While this instance renders it, the fragmented MP4
 * is sent as it grows (the video plays as it renders); once stored, the finished MP4 with Range.
 */
export function answerClipRoutes(d: AnswerClipRoutesDeps): Router {
  const router = Router();
  router.get('/media/answers/:id/:exp/:sig/answer.mp4', async (req, res) => {
    const { id, exp, sig } = req.params;
    const check = d.signer.check(scopes.answerClip(id), exp, sig);
    if (check !== 'ok')
      throw check === 'expired'
        ? new ApiError(403, 'LINK_EXPIRED', 'This link has expired.')
        : ApiError.of('BAD_SIGNATURE', 'This link is not valid.');
    const live = d.clips.liveClip(id);
    const sha = await d.questions.clipOf(id);
    res.set('cross-origin-resource-policy', 'cross-origin');
    if (sha) {
      res.set('cache-control', 'private, max-age=3600');
      return res.type('video/mp4').sendFile(d.store.path(sha));
    }
    if (!live) throw ApiError.of('NOT_FOUND', 'This answer has no video.');
    // Headers at once: the player knows the clip is coming before its first fragment is written.
    res.type('video/mp4').set('cache-control', 'no-store').flushHeaders();
    await follow(live, res);
  });
  return router;
}

/** Sends the growing file as it grows, and ends the response when the clip is complete. */
async function follow(clip: LiveClip, res: Response): Promise<void> {
  // The player went away (or the connection broke): stop reading for it.
  let gone = false;
  res.once('close', () => (gone = true));
  let offset = 0;
  const wait = () => new Promise((r) => setTimeout(r, FOLLOW_MS));
  while (!gone) {
    const ended = clip.isEnded();
    const size = existsSync(clip.path) ? (await stat(clip.path)).size : 0;
    if (size > offset) {
      await new Promise<void>((resolve, reject) => {
        const piece = createReadStream(clip.path, { start: offset, end: size - 1 });
        piece.on('error', reject);
        piece.on('end', resolve);
        piece.pipe(res, { end: false });
      });
      offset = size;
    } else if (ended) break;
    else await wait();
  }
  res.end();
}
