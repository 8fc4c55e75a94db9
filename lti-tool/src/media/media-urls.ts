import { UrlSigner } from './url-signer.js';

/** What each kind of signed URL grants; a signature for one scope is worthless for another. */
export const scopes = {
  nodeAsset: (sha256: string): string => `node-asset:${sha256}`,
  nodeFiles: (renderId: string): string => `node-files:${renderId}`,
  playerFiles: (renderId: string): string => `player-files:${renderId}`,
  poster: (renderId: string): string => `poster:${renderId}`,
  answerClip: (questionId: string): string => `answer-clip:${questionId}`,
};

/**
 * The signed, expiring URLs the tool hands out: to render nodes (GET an input; PUT outputs and GET
 * back their own chunks) and to browsers (a finished lesson's files). Render URLs carry expiry and
 * signature in the path, so the relative segment names in an HLS playlist inherit them.
 */
export class MediaUrls {
  constructor(
    private readonly signer: UrlSigner,
    private readonly publicUrl: string,
    private readonly ttl: { readonly nodeSec: number; readonly playerSec: number },
  ) {}

  nodeAsset(sha256: string): string {
    const exp = UrlSigner.expiry(this.ttl.nodeSec);
    const sig = this.signer.sign(scopes.nodeAsset(sha256), exp);
    return `${this.base}/media/node/assets/${sha256}?exp=${exp}&sig=${sig}`;
  }

  nodeUploads(renderId: string): { uploadUrl: string; expiresAt: string } {
    const exp = UrlSigner.expiry(this.ttl.nodeSec);
    const sig = this.signer.sign(scopes.nodeFiles(renderId), exp);
    return {
      uploadUrl: `${this.base}/media/node/renders/${renderId}/${exp}/${sig}/{name}`,
      expiresAt: new Date(exp * 1000).toISOString(),
    };
  }

  /** The folder URL of a finished render's files for a browser: append "lesson.mp4", "hls/index.m3u8", … */
  playerBase(renderId: string): string {
    const exp = UrlSigner.expiry(this.ttl.playerSec);
    const sig = this.signer.sign(scopes.playerFiles(renderId), exp);
    return `${this.base}/media/renders/${renderId}/${exp}/${sig}/`;
  }

  /**
   * A lesson's poster alone, for cards that outlive a player's URLs (a DingTalk work notice is read
   * days later): it grants that one image, not the lesson.
   */
  poster(renderId: string, ttlSec: number): string {
    const exp = UrlSigner.expiry(ttlSec);
    const sig = this.signer.sign(scopes.poster(renderId), exp);
    return `${this.base}/media/posters/${renderId}/${exp}/${sig}/poster.jpg`;
  }

  /** A tutor answer's clip, for the learner who asked (streamed while it renders, then stored). */
  answerClip(questionId: string): string {
    const exp = UrlSigner.expiry(this.ttl.playerSec);
    const sig = this.signer.sign(scopes.answerClip(questionId), exp);
    return `${this.base}/media/answers/${questionId}/${exp}/${sig}/answer.mp4`;
  }

  private get base(): string {
    return this.publicUrl.replace(/\/+$/, '');
  }
}
