import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import '../../lti-tool/src/lti/lti-provider.js';
import { withVerifiedLaunch } from '../../lti-tool/src/lti/verified-launch.js';

/**
 * What lti-provider.ts changes in ltijs, alone: its id_token step takes only the launch our validator
 * verified in the same request, and its ltik signing keeps jsonwebtoken's meaning of a string key.
 */
const fromLtijs = createRequire(createRequire(import.meta.url).resolve('ltijs'));
const Auth = fromLtijs('./dist/Utils/Auth.js') as {
  validateToken(token: string, devMode: boolean, v: { iss?: string }): Promise<Record<string, unknown>>;
};
const jwt = fromLtijs('jsonwebtoken') as {
  sign(payload: object, key: string): string;
  verify(token: string, key: string): Record<string, unknown>;
  decode(token: string, o: { complete: true }): { header: { alg: string } };
};

const launch = {
  idToken: 'the.id.token',
  claims: { iss: 'https://moodle.example', sub: 'u1', nonce: 'n' },
  platformId: 'p1',
  tenantId: 't1',
  clientId: 'c1',
};
const inRequest = <T>(f: () => Promise<T>): Promise<T> =>
  new Promise((resolve, reject) => withVerifiedLaunch(launch, () => void f().then(resolve, reject)));

describe("ltijs's id_token step", () => {
  it('refuses a token nobody verified in this request', async () => {
    await expect(
      Auth.validateToken('the.id.token', false, { iss: 'https://moodle.example' }),
    ).rejects.toThrow('ID_TOKEN_NOT_VERIFIED');
  });

  it('refuses another token than the one verified in this request', async () => {
    await expect(
      inRequest(() => Auth.validateToken('another.id.token', false, { iss: 'https://moodle.example' })),
    ).rejects.toThrow('ID_TOKEN_NOT_VERIFIED');
  });

  it("still wants the login's state cookie, naming the token's issuer", async () => {
    await expect(inRequest(() => Auth.validateToken('the.id.token', false, {}))).rejects.toThrow(
      'MISSING_VALIDATION_COOKIE',
    );
    await expect(
      inRequest(() => Auth.validateToken('the.id.token', false, { iss: 'https://other.example' })),
    ).rejects.toThrow('ISS_CLAIM_DOES_NOT_MATCH');
  });

  it('gives ltijs the verified claims with our client and platform', async () => {
    const valid = await inRequest(() =>
      Auth.validateToken('the.id.token', false, { iss: 'https://moodle.example' }),
    );
    expect(valid).toEqual({ ...launch.claims, clientId: 'c1', platformId: 'p1' });
  });
});

describe("jsonwebtoken's string keys, made into key objects once", () => {
  it('a secret signs HS256, and the token verifies with the same string', () => {
    const token = jwt.sign({ a: 1 }, 'a shared secret');
    expect(jwt.decode(token, { complete: true }).header.alg).toBe('HS256');
    expect(jwt.verify(token, 'a shared secret').a).toBe(1);
    expect(() => jwt.verify(token, 'another secret')).toThrow('invalid signature');
  });

  it('a PEM private key is still a private key (RS256 needs one)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const token = (jwt.sign as (p: object, k: string, o: object) => string)({ a: 2 }, privateKey, {
      algorithm: 'RS256',
    });
    expect(jwt.verify(token, publicKey).a).toBe(2);
  });
});
