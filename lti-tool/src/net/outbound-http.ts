import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import type { HttpFetch } from '../../../adapters/http-fetch.js';

export interface OutboundOptions {
  /** Private, loopback and unique-local addresses may be reached (VT_ALLOW_PRIVATE_HOSTS). */
  readonly allowPrivate: boolean;
  readonly connectTimeoutMs?: number;
  /** The whole call, redirects and body included, unless the call passes its own signal. */
  readonly totalTimeoutMs?: number;
  /** Answers larger than this are cut off with an error (a keyset or token answer is a few kB). */
  readonly maxResponseBytes?: number;
  readonly maxRedirects?: number;
}

/** Why an outbound call was not made, or its answer not read: our policy, never the peer's words. */
export class OutboundRefused extends Error {
  constructor(
    readonly reason: 'ADDRESS_NOT_ALLOWED' | 'SCHEME_NOT_ALLOWED' | 'REDIRECT_NOT_ALLOWED' | 'TOO_LARGE',
    message: string,
  ) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

/**
 * Cloud metadata services and other link-local hosts are refused even when private hosts are allowed:
 * a LAN Moodle is a reason to reach 10.x, never 169.254.169.254.
 */
const ALWAYS_REFUSED = new Set(['linkLocal', 'unspecified', 'broadcast', 'multicast']);

/** Whether the tool may connect to this IP address (ipaddr.js classifies it; no hand-made ranges). */
export function addressAllowed(ip: string, allowPrivate: boolean): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = addr.range();
  if (range === 'unicast') return true;
  return allowPrivate && !ALWAYS_REFUSED.has(range);
}

/** A DNS lookup that drops addresses the policy refuses, and fails when none is left. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 4);
      const allowed = addresses.filter((a) => addressAllowed(a.address, allowPrivate));
      if (!allowed.length) {
        const refused = new OutboundRefused(
          'ADDRESS_NOT_ALLOWED',
          `${hostname} resolves only to private or reserved addresses`,
        );
        return callback(refused as NodeJS.ErrnoException, '', 4);
      }
      if ((options as { all?: boolean }).all)
        return (callback as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

const hostOf = (u: URL): string => u.hostname.replace(/^\[|\]$/g, '');

/** Refuses a URL whose host is a literal address the tool may not reach (names are checked where they resolve). */
export function refuseLiteralAddress(u: URL, allowPrivate: boolean): void {
  const host = hostOf(u);
  if (ipaddr.isValid(host) && !addressAllowed(host, allowPrivate))
    throw new OutboundRefused('ADDRESS_NOT_ALLOWED', `${host} is a private or reserved address`);
}

/**
 * For a connection this client cannot make itself (a WebSocket a peer's SDK opens): refuses the URL
 * unless it is encrypted (wss or https; plain only where private hosts are allowed, as on a test's
 * loopback) and every address its host resolves to is one the tool may reach. The SDK resolves the
 * name again when it connects; a peer that answers a public name and then an inward one is the
 * remaining gap, the same as any client that does not pin the address.
 */
export async function checkConnectable(url: string, allowPrivate: boolean): Promise<void> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OutboundRefused('SCHEME_NOT_ALLOWED', 'not a URL');
  }
  const encrypted = u.protocol === 'wss:' || u.protocol === 'https:';
  if (!encrypted && !(allowPrivate && (u.protocol === 'ws:' || u.protocol === 'http:')))
    throw new OutboundRefused('SCHEME_NOT_ALLOWED', `${u.protocol} connections are not made`);
  const host = hostOf(u);
  const addresses = ipaddr.isValid(host)
    ? [host]
    : await dnsLookupAll(host).catch(() => {
        throw new OutboundRefused('ADDRESS_NOT_ALLOWED', `${host} does not resolve`);
      });
  if (!addresses.length || addresses.some((a) => !addressAllowed(a, allowPrivate)))
    throw new OutboundRefused('ADDRESS_NOT_ALLOWED', `${host} resolves to a private or reserved address`);
}

const dnsLookupAll = (host: string): Promise<string[]> =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, addresses: LookupAddress[]) =>
      err ? reject(err) : resolve(addresses.map((a) => a.address)),
    ),
  );

/**
 * The tool's one outbound HTTP client: every call it makes to a platform, a keyset, DingTalk or a
 * speech service goes through here. It refuses private, loopback and link-local destinations (by the
 * address actually connected to, after DNS, so a public name pointing inward is refused too), follows
 * redirects only within the same origin, bounds connect and total time, and reads at most
 * `maxResponseBytes` of an answer.
 */
export function outboundHttp(o: OutboundOptions): HttpFetch & { close(): Promise<void> } {
  const connectTimeoutMs = o.connectTimeoutMs ?? 5000;
  const totalTimeoutMs = o.totalTimeoutMs ?? 15_000;
  const maxBytes = o.maxResponseBytes ?? 1024 * 1024;
  const maxRedirects = o.maxRedirects ?? 3;
  const agent = new Agent({
    connect: { timeout: connectTimeoutMs, lookup: guardedLookup(o.allowPrivate) },
    headersTimeout: totalTimeoutMs,
    bodyTimeout: totalTimeoutMs,
  });

  const checkTarget = (u: URL): void => {
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new OutboundRefused('SCHEME_NOT_ALLOWED', `${u.protocol} URLs are not fetched`);
    refuseLiteralAddress(u, o.allowPrivate);
  };

  const call = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    const signal = init.signal
      ? AbortSignal.any([init.signal, AbortSignal.timeout(totalTimeoutMs)])
      : AbortSignal.timeout(totalTimeoutMs);
    let url = new URL(input);
    for (let hop = 0; ; hop++) {
      checkTarget(url);
      const res = await undiciFetch(url, {
        ...(init as UndiciRequestInit),
        redirect: 'manual',
        signal,
        dispatcher: agent,
      }).catch((e: unknown) => {
        throw plainFailure(url, e);
      });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        const next = new URL(location, url);
        const method = (init.method ?? 'GET').toUpperCase();
        if (next.origin !== url.origin || hop >= maxRedirects || (method !== 'GET' && method !== 'HEAD'))
          throw new OutboundRefused(
            'REDIRECT_NOT_ALLOWED',
            `${url.host} redirected to ${next.origin === url.origin ? 'itself too often' : 'another host'}`,
          );
        url = next;
        continue;
      }
      return limited(res as unknown as Response, maxBytes);
    }
  };
  return Object.assign(call, { close: () => agent.close() });
}

/**
 * undici reports every failure as "fetch failed" with the reason in `cause`: the reason, said plainly
 * (our refusal as it is; otherwise the host and the system's code, such as ECONNREFUSED or a timeout).
 */
function plainFailure(url: URL, e: unknown): Error {
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof OutboundRefused) return cause;
  if (e instanceof OutboundRefused) return e;
  const err = (cause ?? e) as { code?: string; name?: string; message?: string };
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || err.code === 'UND_ERR_CONNECT_TIMEOUT')
    return new Error(`${url.host} did not answer in time`);
  return new Error(`${url.host} could not be reached (${err.code ?? err.message ?? 'unknown error'})`);
}

/** The answer with its body read into memory, refused past `maxBytes` (declared or actual). */
async function limited(res: Response, maxBytes: number): Promise<Response> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  const tooLarge = () =>
    new OutboundRefused('TOO_LARGE', `the answer is larger than ${Math.round(maxBytes / 1024)} kB`);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (res.body)
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  const nullBody = [101, 204, 205, 304].includes(res.status);
  return new Response(nullBody ? null : Buffer.concat(chunks), {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}
