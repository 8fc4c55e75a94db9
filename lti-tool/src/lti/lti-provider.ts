import { generateKeyPair, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import ltijs, { type LtijsProvider } from 'ltijs';
import LtijsDatabase from 'ltijs-sequelize';
import { Op } from 'sequelize';

/**
 * ltijs makes a 4096-bit RSA key pair per registered platform with generateKeyPairSync, which holds the
 * event loop for a second or more: every request of every user waits. The same keys, made on the
 * thread pool instead (ltijs's own method otherwise, stored the same way). The tool signs with its own
 * keys (ToolKeys); ltijs keeps these only for its own bookkeeping.
 */
interface LtijsAuth {
  generatePlatformKeyPair(
    key: string,
    db: LtijsDatabase,
    platformUrl: string,
    clientId: string,
  ): Promise<string>;
}
const Auth = createRequire(import.meta.url)('ltijs/dist/Utils/Auth.js') as LtijsAuth;
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

export interface LtiProviderOptions {
  readonly databaseUrl: string;
  /** Encrypts ltijs's stored keys and signs its ltik tokens; kept in PostgreSQL (tool_secrets). */
  readonly encryptionKey: string;
  /** Behind TLS: cookies SameSite=None; Secure, so they survive the LMS's cross-site iframe. */
  readonly secureCookies: boolean;
  readonly tokenMaxAgeSec: number;
}

/**
 * ltijs replaces a person's launch tokens by delete-then-insert, so when the same person launches in
 * two tabs at once, one launch can delete the other's tokens between its id_token POST and its
 * redirect, which then fails. For those tables: insert first, then delete only the older rows.
 */
class LaunchSafeDatabase extends LtijsDatabase {
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

  override async Replace(
    key: string | false,
    table: string,
    info: object,
    item: object,
    index?: object,
  ): Promise<boolean> {
    if (table !== 'idtoken' && table !== 'contexttoken') return super.Replace(key, table, info, item, index);
    const before = new Date();
    await this.Insert(key, table, item, index);
    await this.Delete(table, { ...info, createdAt: { [Op.lt]: before } });
    return true;
  }
}

/** ltijs's routes, relative to where the tool mounts it (/lti). */
export const LTI_ROUTES = { app: '/launch', login: '/login', keyset: '/keys' } as const;

/**
 * One ltijs provider for this tool instance, on PostgreSQL through ltijs-sequelize. ltijs exports a
 * process-wide singleton; each tool instance (tests start several in one process) makes its own from
 * the singleton's class, with its own database pool.
 */
export async function createLtiProvider(o: LtiProviderOptions): Promise<LtijsProvider> {
  const url = new URL(o.databaseUrl);
  const plugin = new LaunchSafeDatabase(
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
      cors: false,
    },
  );
  await lti.deploy({ serverless: true, silent: true });
  return lti;
}
