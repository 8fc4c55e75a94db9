import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type IngestProblem = 'too-large' | 'size-mismatch' | 'sha-mismatch' | 'empty';

export class IngestError extends Error {
  override readonly name = 'IngestError';
  constructor(
    readonly problem: IngestProblem,
    message: string,
  ) {
    super(message);
  }
}

export interface StoredObject {
  readonly sha256: string;
  readonly bytes: number;
}

export interface IngestLimits {
  readonly maxBytes: number;
  /** The sender's claims, checked against what arrived; the object is kept only when they hold. */
  readonly expectSha256?: string;
  readonly expectBytes?: number;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Content-addressed media on a directory: every object is stored once, under its sha256
 * (objects/ab/cd/abcd…), written to a temporary file first and renamed into place only once its size
 * and hash are known to be right, so a reader never sees a partial or wrong object.
 */
export class MediaStore {
  constructor(readonly root: string) {}

  async init(): Promise<this> {
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    await mkdir(join(this.root, 'objects'), { recursive: true });
    return this;
  }

  path(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error('not a sha256');
    return join(this.root, 'objects', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return access(this.path(sha256)).then(
      () => true,
      () => false,
    );
  }

  async size(sha256: string): Promise<number | undefined> {
    return stat(this.path(sha256)).then(
      (s) => s.size,
      () => undefined,
    );
  }

  /** Streams `source` into the store, checking it against `limits` on the way. */
  async ingest(source: Readable, limits: IngestLimits): Promise<StoredObject> {
    const tmp = join(this.root, 'tmp', `${Date.now()}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > limits.maxBytes)
          return done(new IngestError('too-large', `larger than the ${limits.maxBytes}-byte limit`));
        if (limits.expectBytes !== undefined && bytes > limits.expectBytes)
          return done(new IngestError('size-mismatch', 'more bytes than announced'));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx' }));
      const sha256 = hash.digest('hex');
      if (bytes === 0) throw new IngestError('empty', 'the file is empty');
      if (limits.expectBytes !== undefined && bytes !== limits.expectBytes)
        throw new IngestError(
          'size-mismatch',
          `${bytes} bytes arrived, ${limits.expectBytes} were announced`,
        );
      if (limits.expectSha256 !== undefined && sha256 !== limits.expectSha256)
        throw new IngestError('sha-mismatch', 'the sha256 of what arrived differs from the one announced');
      const target = this.path(sha256);
      await mkdir(join(target, '..'), { recursive: true });
      await rename(tmp, target); // same bytes if it was there already: replacing it is harmless
      return { sha256, bytes };
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
