import { DWClient, EventAck, type DWClientDownStream } from 'dingtalk-stream';
import type { HttpFetch } from '../http-fetch.js';
import type { CorpApp } from './dingtalk-api.js';

/** An event as Stream mode delivers it (shared/docs/dingtalk.md §6): its headers, and its data parsed. */
export interface StreamEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly corpId?: string;
  /** `userId` and the rest of the event, as HTTP push would carry them. */
  readonly data: Record<string, unknown>;
}

/**
 * DingTalk's Stream mode for one app, on the official `dingtalk-stream` SDK (its WebSocket, system
 * messages, pings, acknowledgements and reconnects). Two things differ from the SDK's own client:
 * the connection is opened through the tool's guarded HTTP client at the configured API host (the
 * SDK would call api.dingtalk.com with its own HTTP library) and the WebSocket address it answers is
 * held to the tool's address policy, and an event is acknowledged only after
 * `handle` has finished: SUCCESS, or LATER when it failed, so DingTalk delivers it again.
 */
export class DingTalkStream extends DWClient {
  constructor(
    private readonly app: CorpApp,
    private readonly api: string,
    private readonly http: HttpFetch,
    private readonly handle: (e: StreamEvent) => Promise<void>,
    private readonly onError: (e: Error) => void,
    /** The tool's address policy for the WebSocket the SDK opens (the guarded client cannot open it). */
    private readonly checkEndpoint: (url: string) => Promise<void>,
  ) {
    super({ clientId: app.appKey, clientSecret: app.appSecret });
  }

  private ended = false;

  /**
   * The SDK retries a failed connection after a second, and its retry would open a socket even after
   * `disconnect` (it clears its own "disconnected" flag when it connects): once ended, it stays ended.
   */
  override async connect(): Promise<void> {
    if (!this.ended) await super.connect();
  }

  override _connect(): Promise<void> {
    return this.ended ? Promise.resolve() : super._connect();
  }

  override disconnect(): void {
    this.ended = true;
    super.disconnect();
  }

  /** The WebSocket's address: `POST /v1.0/gateway/connections/open` answers an endpoint and a ticket. */
  override async getEndpoint(): Promise<this> {
    const res = await this.http(new URL('/v1.0/gateway/connections/open', this.api), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: this.app.appKey,
        clientSecret: this.app.appSecret,
        ua: 'virtual-tutor',
        subscriptions: this.config.subscriptions,
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { endpoint?: string; ticket?: string };
    if (!res.ok || !body.endpoint || !body.ticket) {
      const e = new Error(`DingTalk Stream: no connection (${res.status})`);
      this.onError(e);
      throw e;
    }
    // The address comes from the gateway's answer: held to the same policy as our own calls.
    try {
      await this.checkEndpoint(body.endpoint);
    } catch (e) {
      this.onError(e as Error);
      throw e;
    }
    // The SDK reads its private address field when it connects.
    (this as unknown as { dw_url: string }).dw_url =
      `${body.endpoint}?${new URLSearchParams({ ticket: body.ticket })}`;
    return this;
  }

  override onEvent(message: DWClientDownStream): void {
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(message.data) as Record<string, unknown>;
    } catch {
      // An event without JSON data still has its type; nothing in it to act on.
    }
    const event: StreamEvent = {
      eventId: message.headers.eventId ?? message.headers.messageId,
      eventType: message.headers.eventType ?? '',
      corpId: message.headers.eventCorpId,
      data,
    };
    void this.handle(event).then(
      () => this.send(message.headers.messageId, { status: EventAck.SUCCESS }),
      (e: Error) => {
        this.onError(e);
        this.send(message.headers.messageId, { status: EventAck.LATER, message: e.message });
      },
    );
  }
}
