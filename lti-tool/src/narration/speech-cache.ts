import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SpeechEngine, Voice } from './speech-engine.js';
import { readWav, writeWav, type Pcm } from './wav.js';

/**
 * Synthesised sentences, kept on disk by content: the key is a hash of the tenant, engine and its
 * version, voice, and the sentence, so an edited script re-synthesises only the sentences that
 * changed. The tenant is part of the key: a tenant can never be served, nor time the serving of,
 * another tenant's speech.
 */
export class SpeechCache {
  constructor(private readonly root: string) {}

  key(tenantId: string, engine: SpeechEngine, voice: Voice, text: string): string {
    return createHash('sha256')
      .update(JSON.stringify([tenantId, engine.id, engine.version, voice.id, text]))
      .digest('hex');
  }

  async get(key: string): Promise<Pcm | undefined> {
    try {
      return readWav(await readFile(this.path(key)));
    } catch {
      return undefined; // not there (or unreadable: made again)
    }
  }

  async put(key: string, pcm: Pcm): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, writeWav(pcm));
    await rename(temp, path); // whole or not at all
  }

  private path(key: string): string {
    return join(this.root, key.slice(0, 2), `${key}.wav`);
  }
}
