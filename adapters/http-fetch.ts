/**
 * How adapters reach the outside world: a fetch the tool hands them (its guarded client, which refuses
 * private addresses, cross-host redirects, slow peers and oversized answers). Adapters never call the
 * global fetch, so no call of theirs escapes the tool's outbound policy.
 */
export type HttpFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;
