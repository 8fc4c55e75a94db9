import { createPrivateKey, createSecretKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import ltijs, { type LtijsProvider } from 'ltijs';
import LtijsDatabase from 'ltijs-sequelize';
import { LRUCache } from 'lru-cache';
import type { Db } from '../db/database.js';
import { verifiedLaunch } from './verified-launch.js';

/**
 * ltijs makes a 4096-bit RSA key pair per registered platform with generateKeyPairSync, which holds the
 * event loop for a second or more: every request of every user waits. The same keys, made on the
 * thread pool instead (ltijs's own method otherwise, stored the same way). The tool signs with its own
 * keys (ToolKeys); ltijs keeps these only for its own bookkeeping.
 */
interface LtijsAuth {
  validateToken(
    idToken: string,
    devMode: boolean,
    validation: { iss?: string },
    ...rest: unknown[]
  ): Promise<Record<string, unknown>>;
  generatePlatformKeyPair(
    key: string,
    db: LtijsDatabase,
    platformUrl: string,
    clientId: string,
  ): Promise<string>;
}
const fromHere = createRequire(import.meta.url);
const Auth = fromHere('ltijs/dist/Utils/Auth.js') as LtijsAuth;
const rsaKeyPair = promisify(generateKeyPair);
Auth.generatePlatformKeyPair = async (encryptionKey, db, platformUrl, clientId) => {
  const kid = randomBytes(16).toString('hex');
  const { publicKey, privateKey } = await rsaKeyPair('rsa', {
    modulusLength: 4096,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const index = { kid, platformUrl, clientId };
  await db.Replace(encryptionKey, 'publickey', { platformUrl, clientId }, { key: publicKey, kid }, index);
  await db.Replace(encryptionKey, 'privatekey', { platformUrl, clientId }, { key: privateKey, kid }, index);
  return kid;
};

/**
 * ltijs verifies the id_token again after our validator has (keyset fetched on every launch, key parsed,
 * platform looked up twice, a nonce of its own stored). Ours is complete and runs first, so ltijs takes
 * the claims it verified in this request; a token nobody verified in this request is refused. ltijs's
 * own state-cookie check stays: the cookie must name the token's issuer.
 */
Auth.validateToken = async (idToken, _devMode, validation) => {
  const launch = verifiedLaunch();
  if (!launch || launch.idToken !== idToken) throw new Error('ID_TOKEN_NOT_VERIFIED');
  if (!validation.iss) throw new Error('MISSING_VALIDATION_COOKIE');
  if (validation.iss !== launch.claims.iss) throw new Error('ISS_CLAIM_DOES_NOT_MATCH');
  return { ...launch.claims, clientId: launch.clientId, platformId: launch.platformId };
};

/**
 * ltijs signs every launch's ltik with jsonwebtoken and the encryption key as a string. jsonwebtoken
 * first tries that string as a PEM private key, and the exception it catches costs a tenth of a
 * launch's CPU. The same KeyObject it would end up with, made once per key.
 */
const jsonwebtoken = createRequire(fromHere.resolve('ltijs'))('jsonwebtoken') as {
  sign: (payload: unknown, key: unknown, ...rest: unknown[]) => unknown;
};
const signWith = jsonwebtoken.sign;
const keyObjects = new Map<string, KeyObject>();
function keyObjectOf(key: string): KeyObject {
  let keyObject = keyObjects.get(key);
  if (!keyObject) {
    try {
      keyObject = createPrivateKey(key);
    } catch {
      keyObject = createSecretKey(Buffer.from(key));
    }
    if (keyObjects.size < 64) keyObjects.set(key, keyObject);
  }
  return keyObject;
}
jsonwebtoken.sign = (payload, key, ...rest) =>
  signWith(payload, typeof key === 'string' && key ? keyObjectOf(key) : key, ...rest);

export interface LtiProviderOptions {
  readonly databaseUrl: string;
  /** The tool's pool: the launch's one ltijs read (its login state) runs on it, prepared. */
  readonly db: Db;
  /** Encrypts ltijs's stored keys and signs its ltik tokens; kept in PostgreSQL (tool_secrets). */
  readonly encryptionKey: string;
  /** Behind TLS: cookies SameSite=None; Secure, so they survive the LMS's cross-site iframe. */
  readonly secureCookies: boolean;
  readonly tokenMaxAgeSec: number;
}

/**
 * ltijs-sequelize, less what the tool never reads. The page answers the id_token POST (ltiaas mode, no
 * ltik round trip), and our own sessions carry the launch from there, so ltijs's copies of each launch
 * (idtoken, contexttoken: four statements a launch) would be written and never read; they are not
 * written. A request bearing an ltik then finds no launch and gets the invalid-token page.
 */
class ToolLtijsDatabase extends LtijsDatabase {
  constructor(
    private readonly db: Db,
    ...args: ConstructorParameters<typeof LtijsDatabase>
  ) {
    super(...args);
  }

  /**
   * ltijs-sequelize runs its migrations at every start through Umzug, which it hands the console: its
   * "migrating"/"migrated" objects would land on stdout of every tool start (and every test). Only
   * those are dropped, while setup runs; anything else written to console.info passes.
   */
  override async setup(): Promise<boolean> {
    const info = console.info;
    console.info = (...args: unknown[]) => {
      const event = (args[0] as { event?: unknown } | undefined)?.event;
      if (args.length === 1 && typeof event === 'string' && /^(migrat|revert)/.test(event)) return;
      info(...args);
    };
    try {
      return await super.setup();
    } finally {
      console.info = info;
    }
  }

  /**
   * Platforms, as ltijs looks them up at every login (two statements through sequelize), kept for a
   * few seconds. Written through this instance, they are forgotten at once; written by another
   * instance, a login may see the old record briefly, and the id_token our validator checks against
   * our own tables moments later decides the launch.
   */
  private readonly platforms = new LRUCache<string, object[] | false>({ ttl: 5000, max: 1000 });

  override async Get(key: string | false, table: string, info?: object): Promise<object[] | false> {
    if (table === 'state' && !key && isStateLookup(info)) {
      // Every id_token POST reads its login's state: one prepared statement instead of a sequelize
      // findAll (which does not filter states by age either; its sweep deletes them after 10 min).
      const { rows } = await this.db.query(
        'SELECT state, query, "createdAt", "updatedAt" FROM states WHERE state = $1',
        [info.state],
      );
      return rows.length ? rows : false;
    }
    if (!PLATFORM_TABLES.has(table)) return super.Get(key, table, info);
    const cacheKey = JSON.stringify([key, table, info]);
    let found = this.platforms.get(cacheKey);
    if (found === undefined) {
      found = await super.Get(key, table, info);
      this.platforms.set(cacheKey, found);
    }
    return structuredClone(found);
  }

  override async Insert(key: string | false, table: string, item: object, index?: object): Promise<boolean> {
    return this.writing(table, () => super.Insert(key, table, item, index));
  }

  override async Modify(
    key: string | false,
    table: string,
    info: object,
    modification: object,
  ): Promise<boolean> {
    return this.writing(table, () => super.Modify(key, table, info, modification));
  }

  override async Delete(table: string, info: object): Promise<boolean> {
    return this.writing(table, () => super.Delete(table, info));
  }

  override async Replace(
    key: string | false,
    table: string,
    info: object,
    item: object,
    index?: object,
  ): Promise<boolean> {
    if (table === 'idtoken' || table === 'contexttoken') return true;
    return this.writing(table, () => super.Replace(key, table, info, item, index));
  }

  /** A write, with the platform cache forgotten before it and again after (a read meanwhile). */
  private async writing(table: string, write: () => Promise<boolean>): Promise<boolean> {
    if (!PLATFORM_TABLES.has(table)) return write();
    this.platforms.clear();
    try {
      return await write();
    } finally {
      this.platforms.clear();
    }
  }
}

const isStateLookup = (info: object | undefined): info is { state: string } =>
  !!info && Object.keys(info).length === 1 && typeof (info as { state?: unknown }).state === 'string';

/** ltijs's tables that describe platforms (read at every login, written at registration). */
const PLATFORM_TABLES = new Set(['platform', 'platformStatus']);

/** ltijs's routes, relative to where the tool mounts it (/lti). */
export const LTI_ROUTES = { app: '/launch', login: '/login', keyset: '/keys' } as const;

/**
 * One ltijs provider for this tool instance, on PostgreSQL through ltijs-sequelize. ltijs exports a
 * process-wide singleton; each tool instance (tests start several in one process) makes its own from
 * the singleton's class, with its own database pool.
 */
export async function createLtiProvider(o: LtiProviderOptions): Promise<LtijsProvider> {
  const url = new URL(o.databaseUrl);
  const plugin = new ToolLtijsDatabase(
    o.db,
    decodeURIComponent(url.pathname.slice(1)),
    decodeURIComponent(url.username),
    url.password ? decodeURIComponent(url.password) : undefined,
    {
      host: url.hostname,
      port: Number(url.port || 5432),
      dialect: 'postgres',
      logging: false,
      pool: { max: 10 },
    },
  );
  const ProviderClass = (ltijs.Provider as object).constructor as new () => LtijsProvider;
  const lti = new ProviderClass();
  lti.setup(
    o.encryptionKey,
    { plugin },
    {
      appRoute: LTI_ROUTES.app,
      loginRoute: LTI_ROUTES.login,
      keysetRoute: LTI_ROUTES.keyset,
      // Dynamic registration is ours (it checks more and records the deployment): keep ltijs's off.
      dynRegRoute: '/ltijs-dynamic-registration',
      cookies: o.secureCookies ? { secure: true, sameSite: 'None' } : { secure: false, sameSite: 'Lax' },
      tokenMaxAge: o.tokenMaxAgeSec,
      // The page answers the id_token POST itself (LTI allows it): one round trip and one request
      // less per launch than ltijs's redirect with an ltik, and no bearer token in a URL.
      ltiaas: true,
      cors: false,
    },
  );
  await lti.deploy({ serverless: true, silent: true });
  return lti;
}
