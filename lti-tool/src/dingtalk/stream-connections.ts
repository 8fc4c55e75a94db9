import type { Logger } from 'pino';
import type { HttpFetch } from '../../../adapters/http-fetch.js';
import { DingTalkStream, type StreamEvent } from '../../../adapters/dingtalk/stream-client.js';
import type { Corp, CorpRepository } from './corp-repository.js';
import type { DirectoryEvents } from './directory-events.js';
import { checkConnectable } from '../net/outbound-http.js';

/**
 * One Stream-mode connection per organisation that chose it (shared/docs/dingtalk.md §6), kept in
 * step with the organisations by `sync` (the bridge's sweep): opened for a new one, reopened when its
 * app key or secret changed, closed when it left Stream mode or was disconnected. Every tool instance
 * holds its own; DingTalk delivers each event to one of them, and the handler's dedupe covers
 * redeliveries. Events go to the same handler as HTTP push.
 */
export class StreamConnections {
  private readonly open = new Map<string, { stream: DingTalkStream; credentials: string }>();
  private closed = false;

  constructor(
    private readonly d: {
      corps: CorpRepository;
      events: DirectoryEvents;
      /** DingTalk's newer API, where a connection is asked for. */
      api: string;
      http: HttpFetch;
      /** Private and loopback addresses may be reached (VT_ALLOW_PRIVATE_HOSTS). */
      allowPrivate: boolean;
      log: Logger;
    },
  ) {}

  async sync(): Promise<void> {
    if (this.closed) return;
    const wanted = new Map(
      (await this.d.corps.list()).filter((c) => c.eventChannel === 'stream').map((c) => [c.corpId, c]),
    );
    for (const [corpId, held] of this.open) {
      const corp = wanted.get(corpId);
      if (!corp || credentialsOf(corp) !== held.credentials) {
        held.stream.disconnect();
        this.open.delete(corpId);
      }
    }
    for (const corp of wanted.values()) if (!this.open.has(corp.corpId) && !this.closed) this.connect(corp);
  }

  close(): void {
    this.closed = true;
    for (const { stream } of this.open.values()) stream.disconnect();
    this.open.clear();
  }

  private connect(corp: Corp): void {
    const log = this.d.log.child({ corpId: corp.corpId });
    const handle = async (e: StreamEvent): Promise<void> => {
      // An event of another organisation on this app's connection is not ours to act on.
      if (e.corpId && e.corpId !== corp.corpId) return;
      const current = await this.d.corps.get(corp.corpId);
      if (!current) return;
      await this.d.events.handle(current, { EventType: e.eventType, ...e.data }, e.eventId, 'stream');
    };
    const stream = new DingTalkStream(
      corp,
      this.d.api,
      this.d.http,
      handle,
      (e) => log.warn({ err: e.message }, 'DingTalk Stream'),
      (url) => checkConnectable(url, this.d.allowPrivate),
    );
    this.open.set(corp.corpId, { stream, credentials: credentialsOf(corp) });
    // The SDK keeps trying (every second) until it is disconnected.
    void stream.connect();
  }
}

const credentialsOf = (c: Corp): string => `${c.appKey}\n${c.appSecret}`;
