import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { SpeechError, type SpeechEngine, type Voice } from './speech-engine.js';
import { readWav, type Pcm } from './wav.js';

const run = promisify(execFile);

/** Words per minute: espeak-ng's default (175) is brisk for a lesson. */
const RATE_WPM = 160;

const VOICES: readonly (Voice & { espeak: string })[] = [
  { id: 'espeak-ng/en-us', espeak: 'en-us', language: 'en', label: 'English (US) · eSpeak NG' },
  { id: 'espeak-ng/en-us-f', espeak: 'en-us+f3', language: 'en', label: 'English (US), higher · eSpeak NG' },
  { id: 'espeak-ng/en-gb', espeak: 'en-gb', language: 'en', label: 'English (UK) · eSpeak NG' },
  { id: 'espeak-ng/cmn', espeak: 'cmn', language: 'zh', label: '普通话 Mandarin · eSpeak NG' },
  { id: 'espeak-ng/cmn-f', espeak: 'cmn+f3', language: 'zh', label: '普通话 Mandarin, higher · eSpeak NG' },
];

/**
 * The offline default: eSpeak NG from Debian (formant synthesis). Chosen because it installs from the
 * distribution on any fresh machine, speaks English and Mandarin, needs no model download and runs
 * far faster than real time on a CPU; its voice is robotic, which is what the cloud engine is for.
 * Text goes in on stdin (never as an argument), speech comes back as WAV on stdout.
 */
export class EspeakEngine implements SpeechEngine {
  readonly id = 'espeak-ng';
  readonly voices: readonly Voice[] = VOICES;

  private constructor(readonly version: string) {}

  /** Finds espeak-ng and its version (part of the cache key: an upgrade may sound different). */
  static async open(): Promise<EspeakEngine> {
    const { stdout } = await run('espeak-ng', ['--version']).catch(() => {
      throw new SpeechError('espeak-ng is not installed (apt-get install espeak-ng).', true);
    });
    return new EspeakEngine(`${stdout.match(/\d+\.\d+(\.\d+)?/)?.[0] ?? 'unknown'}@${RATE_WPM}wpm`);
  }

  synthesize(text: string, voice: Voice, signal?: AbortSignal): Promise<Pcm> {
    const espeak = VOICES.find((v) => v.id === voice.id)?.espeak;
    if (!espeak) return Promise.reject(new SpeechError(`${voice.id} is not an eSpeak NG voice.`, true));
    return new Promise((resolve, reject) => {
      const child = spawn('espeak-ng', ['-v', espeak, '-s', String(RATE_WPM), '--stdout', '--stdin'], {
        signal,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('error', (e) => reject(new SpeechError(`eSpeak NG could not run: ${e.message}`, false)));
      child.on('close', (code) => {
        if (code !== 0) return reject(new SpeechError(`eSpeak NG failed (${code}): ${err.trim()}`, false));
        try {
          resolve(readWav(Buffer.concat(out)));
        } catch (e) {
          reject(new SpeechError(`eSpeak NG gave no speech: ${(e as Error).message}`, false));
        }
      });
      child.stdin.end(text);
    });
  }
}
