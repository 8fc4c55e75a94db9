import type { HttpFetch } from '../../../adapters/http-fetch.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpeechError, type SpeechEngine, type Voice } from './speech-engine.js';
import { readWav, type Pcm } from './wav.js';

export interface CloudSpeechOptions {
  /** The service's base URL, e.g. https://<region>.tts.speech.microsoft.com */
  readonly url: string;
  readonly key: string;
  /** The tool's guarded outbound client (with room for audio answers). */
  readonly http: HttpFetch;
  /** Attempts for answers worth retrying (429, 5xx, no answer), with backoff. */
  readonly attempts?: number;
  readonly backoffMs?: number;
  readonly timeoutMs?: number;
}

const FORMAT = 'riff-22050hz-16bit-mono-pcm';
const VOICES: readonly (Voice & { name: string; locale: string })[] = [
  {
    id: 'cloud/en-US-JennyNeural',
    name: 'en-US-JennyNeural',
    locale: 'en-US',
    language: 'en',
    label: 'Jenny (US English) · cloud',
  },
  {
    id: 'cloud/en-US-GuyNeural',
    name: 'en-US-GuyNeural',
    locale: 'en-US',
    language: 'en',
    label: 'Guy (US English) · cloud',
  },
  {
    id: 'cloud/zh-CN-XiaoxiaoNeural',
    name: 'zh-CN-XiaoxiaoNeural',
    locale: 'zh-CN',
    language: 'zh',
    label: '晓晓 Xiaoxiao (普通话) · cloud',
  },
  {
    id: 'cloud/zh-CN-YunxiNeural',
    name: 'zh-CN-YunxiNeural',
    locale: 'zh-CN',
    language: 'zh',
    label: '云希 Yunxi (普通话) · cloud',
  },
];

const xml = (s: string): string =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

/**
 * A cloud text-to-speech service with the Azure Speech REST interface (SSML in, RIFF PCM out, the key
 * in Ocp-Apim-Subscription-Key); Aliyun and others are reached the same way through a compatible
 * gateway. Configured by VT_TTS_CLOUD_URL and VT_TTS_CLOUD_KEY. Rate limits and server errors are
 * retried with backoff (honouring Retry-After); a refused key or text fails at once.
 */
export class CloudSpeechEngine implements SpeechEngine {
  readonly id = 'cloud';
  readonly version = FORMAT;
  readonly voices: readonly Voice[] = VOICES;

  constructor(private readonly o: CloudSpeechOptions) {}

  async synthesize(text: string, voice: Voice, signal?: AbortSignal): Promise<Pcm> {
    const v = VOICES.find((x) => x.id === voice.id);
    if (!v) throw new SpeechError(`${voice.id} is not a voice of the cloud engine.`, true);
    const ssml =
      `<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="${v.locale}">` +
      `<voice name="${v.name}">${xml(text)}</voice></speak>`;
    const attempts = this.o.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      let retryAfterMs: number | undefined;
      let problem: string;
      try {
        const res = await this.o.http(new URL('/cognitiveservices/v1', this.o.url), {
          method: 'POST',
          headers: {
            'ocp-apim-subscription-key': this.o.key,
            'content-type': 'application/ssml+xml',
            'x-microsoft-outputformat': FORMAT,
            'user-agent': 'virtual-tutor',
          },
          body: ssml,
          signal: AbortSignal.any([
            AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
            ...(signal ? [signal] : []),
          ]),
        });
        if (res.ok) return readWav(Buffer.from(await res.arrayBuffer()));
        await res.body?.cancel();
        if (res.status === 401 || res.status === 403)
          throw new SpeechError('The cloud speech service refused the key (VT_TTS_CLOUD_KEY).', true);
        if (res.status === 400) throw new SpeechError('The cloud speech service refused the text.', true);
        problem = `the cloud speech service answered ${res.status}`;
        if (res.status !== 429 && res.status < 500) throw new SpeechError(problem, true);
        const after = Number(res.headers.get('retry-after'));
        if (after > 0) retryAfterMs = Math.min(after * 1000, 30_000);
      } catch (e) {
        if (e instanceof SpeechError) throw e;
        if (signal?.aborted) throw e;
        problem = `the cloud speech service did not answer (${(e as Error).message})`;
      }
      if (attempt >= attempts) throw new SpeechError(`Speech failed: ${problem}.`, false);
      await sleep(retryAfterMs ?? (this.o.backoffMs ?? 500) * 2 ** (attempt - 1), undefined, { signal });
    }
  }
}
