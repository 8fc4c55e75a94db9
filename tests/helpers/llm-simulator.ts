import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible chat completions service for the tutor's tests (POST /v1/chat/completions,
 * answering `choices[0].message.content`, as OpenAI's API reference describes it; errors as its error
 * object, 429 with Retry-After). Its "model" is simple: it finds the numbered passages it was given
 * and the question, and answers with the passage sentence sharing most words with the question,
 * citing it. Like a careless model it obeys instructions it finds anywhere in what it reads. Its
 * misbehaviours are chosen by `mode`.
 */
export class LlmSimulator {
  mode: 'answer' | 'slow' | 'rate-limited' | 'error' | 'no-citation' | 'not-covered' = 'answer';
  /** Requests received, with their bodies. */
  readonly requests: {
    authorization?: string;
    body: { model: string; messages: { role: string; content: string }[] };
  }[] = [];
  private server?: Server;
  private readonly slow = new Set<() => void>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.answer(req).then(
        ({ status, body, headers }) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
        },
        () => res.destroy(),
      );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  /** Lets every slow answer go (the test's end). */
  release(): void {
    for (const go of this.slow) go();
    this.slow.clear();
  }

  async close(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async answer(
    req: IncomingMessage,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions')
      return { status: 404, body: { error: { message: 'Not found', type: 'invalid_request_error' } } };
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    this.requests.push({ authorization: req.headers.authorization, body });
    if (this.mode === 'slow') await new Promise<void>((r) => this.slow.add(r));
    if (this.mode === 'rate-limited')
      return {
        status: 429,
        headers: { 'retry-after': '20' },
        body: { error: { message: 'Rate limit reached', type: 'rate_limit_error' } },
      };
    if (this.mode === 'error')
      return { status: 500, body: { error: { message: 'The server had an error', type: 'server_error' } } };
    const read = (body.messages as { content: string }[]).map((m) => m.content).join('\n');
    return { status: 200, body: completion(body.model, this.think(read)) };
  }

  private think(read: string): string {
    // Instructions are obeyed wherever they are, like a model without defences.
    const injected = /ignore (?:all )?(?:previous|prior) instructions[^.]*\.\s*([^"]*)/i.exec(read);
    if (injected) return injected[1]!.trim();
    if (this.mode === 'not-covered') return 'NOT_COVERED';
    const question = /"question"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(read)?.[1] ?? '';
    const passages = [...read.matchAll(/"n"\s*:\s*(\d+)[^}]*?"text"\s*:\s*"((?:[^"\\]|\\.)*)"/g)].map(
      (m) => ({
        n: Number(m[1]),
        text: JSON.parse(`"${m[2]}"`) as string,
      }),
    );
    const words = (t: string) => new Set(t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
    const asked = words(question);
    let best = { n: 0, sentence: '', shared: 0 };
    for (const p of passages)
      for (const sentence of p.text.split(/(?<=[.!?。！？])\s*/)) {
        const shared = [...words(sentence)].filter((w) => asked.has(w)).length;
        if (shared > best.shared) best = { n: p.n, sentence, shared };
      }
    if (!best.n) return 'NOT_COVERED';
    return this.mode === 'no-citation' ? best.sentence : `${best.sentence} [${best.n}]`;
  }
}

const completion = (model: string, content: string) => ({
  id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
  object: 'chat.completion',
  created: Math.floor(Date.now() / 1000),
  model,
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
});
