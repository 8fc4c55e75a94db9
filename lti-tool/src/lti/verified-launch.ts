import { AsyncLocalStorage } from 'node:async_hooks';
import type { ValidLaunch } from './launch-validator.js';

/**
 * The launch our validator has just accepted, for the rest of the same request: ltijs's id_token step
 * and the launch callback read it instead of verifying the token again (ltijs would fetch the keyset,
 * parse a key, look the platform up twice and store a second nonce: a third of a launch's cost).
 * Request-scoped, so a token verified for one request never vouches for another.
 */
export type VerifiedLaunch = ValidLaunch & { readonly idToken: string };

const store = new AsyncLocalStorage<VerifiedLaunch>();

/** Runs the rest of the request (express's `next`) with `launch` as its verified launch. */
export const withVerifiedLaunch = (launch: VerifiedLaunch, rest: () => void): void => store.run(launch, rest);

/** The launch verified earlier in this request, if any. */
export const verifiedLaunch = (): VerifiedLaunch | undefined => store.getStore();
