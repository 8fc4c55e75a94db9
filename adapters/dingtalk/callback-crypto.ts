import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What DingTalk's developer console shows for an event subscription. */
export interface CallbackKeys {
  readonly token: string;
  /** The 43-character EncodingAESKey (base64 of a 32-byte AES key, without its '='). */
  readonly aesKey: string;
  /**
   * Whose events these are, as sealed inside the payload: the app key for an internal app's event
   * subscription, the corp id for a callback registered the older way (register_call_back).
   */
  readonly ownerKeys: readonly string[];
}

/** A callback we cannot trust: bad signature, a timestamp that is no time, or a payload that is not ours. */
export class CallbackRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackRejected';
  }
}

const BLOCK = 32;
/**
 * DingTalk's timestamps come in milliseconds or seconds (its examples show both). No freshness window:
 * DingTalk redelivers failed pushes later, and its own libraries check none; a replay is caught by
 * the signature and the event's id (or its sealed bytes), remembered by the receiver.
 */
const TIMESTAMP = /^\d{10}(\d{3})?$/;
/** The reply's nonce: 16 characters, the length DingTalk's own callback library uses and requires. */
const NONCE_BYTES = 8;

export const callbackSignature = (token: string, timestamp: string, nonce: string, encrypt: string): string =>
  createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex');

const keyOf = (k: CallbackKeys): Buffer => {
  const key = Buffer.from(`${k.aesKey}=`, 'base64');
  if (key.length !== 32) throw new CallbackRejected('the EncodingAESKey is not 43 base64 characters');
  return key;
};

/**
 * DingTalk's event callback scheme: the body's `encrypt` is AES-256-CBC (key from the EncodingAESKey,
 * IV its first 16 bytes, PKCS#7 padding to 32 bytes) of 16 random bytes, the message length (4 bytes,
 * big-endian), the message and the owner key; the query's msg_signature is the SHA-1 of token,
 * timestamp, nonce and encrypt, sorted and joined. Anything that does not check out is refused.
 * Answers the message and the owner key it was sealed for (the reply is sealed for the same).
 */
export function openCallback(
  k: CallbackKeys,
  q: { signature: string; timestamp: string; nonce: string; encrypt: string },
): { message: string; owner: string } {
  const expected = Buffer.from(callbackSignature(k.token, q.timestamp, q.nonce, q.encrypt));
  const given = Buffer.from(q.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new CallbackRejected('signature does not match');
  if (!TIMESTAMP.test(q.timestamp)) throw new CallbackRejected('the timestamp is not a time');
  const key = keyOf(k);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    plain = Buffer.concat([decipher.update(Buffer.from(q.encrypt, 'base64')), decipher.final()]);
  } catch {
    throw new CallbackRejected('payload does not decrypt');
  }
  const pad = plain.at(-1) ?? 0;
  if (pad < 1 || pad > BLOCK || plain.length < 20 + pad) throw new CallbackRejected('bad padding');
  const body = plain.subarray(0, plain.length - pad);
  const length = body.readUInt32BE(16);
  if (20 + length > body.length) throw new CallbackRejected('bad length');
  const owner = body.subarray(20 + length).toString('utf8');
  if (!k.ownerKeys.includes(owner)) throw new CallbackRejected('payload is for another app');
  return { message: body.subarray(20, 20 + length).toString('utf8'), owner };
}

/** The encrypted answer DingTalk expects (the text "success", sealed the same way). */
export function sealReply(
  k: CallbackKeys,
  owner: string,
  message: string,
  now = Date.now(),
): { msg_signature: string; timeStamp: string; nonce: string; encrypt: string } {
  const key = keyOf(k);
  const msg = Buffer.from(message, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length);
  const body = Buffer.concat([randomBytes(16), len, msg, Buffer.from(owner, 'utf8')]);
  const pad = BLOCK - (body.length % BLOCK);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const encrypt = Buffer.concat([
    cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])),
    cipher.final(),
  ]).toString('base64');
  const timeStamp = String(now);
  const nonce = randomBytes(NONCE_BYTES).toString('hex');
  return { msg_signature: callbackSignature(k.token, timeStamp, nonce, encrypt), timeStamp, nonce, encrypt };
}
