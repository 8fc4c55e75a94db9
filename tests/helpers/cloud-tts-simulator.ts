import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeWav } from '../../lti-tool/src/narration/wav.js';

/**
 * A CLOUD TEXT-TO-SPEECH SIMULATOR with the Azure Speech REST interface, written from its public
 * documentation: POST /cognitiveservices/v1, the key in Ocp-Apim-Subscription-Key, SSML in (one
 * <voice name> of a known voice), X-Microsoft-OutputFormat naming RIFF PCM, a WAV out. Speech is a
 * tone as long as the text would take to say. It answers 401 for another key, 400 for bad SSML or an
 * unknown voice, and on request 429 (with Retry-After) or 500, to test retries and failures.
 */
export class CloudTtsSimulator {
  readonly key = 'simulated-key-0123456789';
  url = '';
  /** Requests answered, by outcome. */
  readonly answered = { ok: 0, refused: 0, limited: 0, failed: 0 };
  /** The next this-many requests get 429 with Retry-After: 1 (second). */
  rateLimitNext = 0;
  /** The next this-many requests get 500. */
  failNext = 0;
  private server?: Server;

  static readonly VOICES = new Set([
    'en-US-JennyNeural',
    'en-US-GuyNeural',
    'zh-CN-XiaoxiaoNeural',
    'zh-CN-YunxiNeural',
  ]);

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = (status: number, body: string | Buffer, headers: Record<string, string> = {}): void =>
          void res.writeHead(status, headers).end(body);
        if (req.method !== 'POST' || req.url !== '/cognitiveservices/v1') return answer(404, 'not found');
        if (req.headers['ocp-apim-subscription-key'] !== this.key) {
          this.answered.refused++;
          return answer(401, 'Unauthorized');
        }
        if (this.rateLimitNext > 0) {
          this.rateLimitNext--;
          this.answered.limited++;
          return answer(429, 'Too many requests', { 'retry-after': '1' });
        }
        if (this.failNext > 0) {
          this.failNext--;
          this.answered.failed++;
          return answer(500, 'Internal error');
        }
        const ssml = Buffer.concat(chunks).toString('utf8');
        const voice = /<voice name="([^"]+)">([\s\S]*)<\/voice>/.exec(ssml);
        if (
          req.headers['content-type'] !== 'application/ssml+xml' ||
          req.headers['x-microsoft-outputformat'] !== 'riff-22050hz-16bit-mono-pcm' ||
          !ssml.startsWith('<speak') ||
          !voice ||
          !CloudTtsSimulator.VOICES.has(voice[1]!) ||
          /<(?!\/?(speak|voice)\b)/.test(ssml) // the text must arrive escaped
        )
          return answer(400, 'Bad request');
        const text = voice[2]!.replace(/&(lt|gt|amp|apos|quot);/g, ' ');
        // About 14 characters a second for Latin text, 4 for Chinese.
        const cjk = (text.match(/\p{Script=Han}/gu) ?? []).length;
        const seconds = 0.2 + (text.length - cjk) / 14 + cjk / 4;
        const rate = 22_050;
        const samples = new Int16Array(Math.round(seconds * rate));
        for (let i = 0; i < samples.length; i++)
          samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / rate));
        this.answered.ok++;
        answer(200, writeWav({ sampleRate: rate, samples }), { 'content-type': 'audio/wav' });
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }
}
