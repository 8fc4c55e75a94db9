#!/usr/bin/env node
import { Command } from 'commander';
import { AdminUsers } from '../admin/admin-users.js';
import { loadToolConfig } from '../config.js';
import { migrate, openDatabase } from '../db/database.js';
import { LtiRegistry } from '../lti/lti-registry.js';
import { toolValues } from '../lti/platform-registration.js';
import { INVITE_HOURS, RegistrationInvites } from '../lti/registration-invites.js';
import { ToolKeys } from '../lti/tool-keys.js';
import { installProcessPolicy } from '../process-policy.js';
import { startupProblem } from './startup-problems.js';
import { startTool, toolLogger } from '../server.js';
import { TenantRepository } from '../tenants/tenant-repository.js';

const program = new Command()
  .name('vt-tool')
  .description('Virtual Tutor LTI tool: web service and administration');

program
  .command('start')
  .description('run the tool (HTTP, queue events, reconciler); SIGTERM stops it cleanly')
  .action(async () => {
    const config = loadToolConfig();
    const log = toolLogger(config);
    installProcessPolicy(log);
    const tool = await startTool(config, log).catch((e: unknown) => {
      const problem = startupProblem(e, config);
      if (!problem) throw e;
      console.error(`vt-tool: ${problem}`);
      process.exit(1);
    });
    console.log(`vt-tool listening on ${tool.url}`);
    const stop = (): void => void tool.close().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });

/** Runs `fn` against the database, migrated first, and closes it. */
async function withDb<T>(fn: (db: ReturnType<typeof openDatabase>) => Promise<T>): Promise<T> {
  const db = openDatabase(loadToolConfig().VT_DATABASE_URL);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.end();
  }
}

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(() => withDb(async () => console.log('database schema is up to date')));

program
  .command('api-key')
  .description('create an API key for a tenant (created if new); the secret is printed once')
  .requiredOption('--tenant <id>', 'tenant id')
  .option('--name <name>', "tenant's display name")
  .option('--label <label>', 'what the key is for', '')
  .action((o: { tenant: string; name?: string; label: string }) =>
    withDb(async (db) => {
      const tenants = new TenantRepository(db);
      await tenants.ensureTenant(o.tenant, o.name ?? o.tenant);
      const key = await tenants.createApiKey(o.tenant, o.label);
      console.log(key.secret);
    }),
  );

program
  .command('admin')
  .description('create or reset an administrator; the password is read from VT_ADMIN_PASSWORD')
  .argument('<username>')
  .action((username: string) =>
    withDb(async (db) => {
      const password = process.env.VT_ADMIN_PASSWORD;
      if (!password) return program.error('Set VT_ADMIN_PASSWORD to the new password (never an argument).');
      await new AdminUsers(db).set(username, password);
      console.log(`administrator ${username} is set`);
    }),
  );

const platform = program.command('platform').description('LTI platforms (LMSs) registered with this tool');

platform
  .command('values')
  .description('print what an LMS administrator types in to register this tool by hand')
  .action(() => {
    for (const [k, v] of Object.entries(toolValues(loadToolConfig().VT_PUBLIC_URL)))
      console.log(`${k.padEnd(28)} ${v}`);
  });

platform
  .command('invite')
  .description(
    'make a one-time registration URL for an LMS admin to paste into Moodle (dynamic registration)',
  )
  .option('--hours <n>', 'how long the URL works', String(INVITE_HOURS))
  .action((o: { hours: string }) =>
    withDb(async (db) => {
      const hours = Number(o.hours);
      if (!(hours > 0 && hours <= 24 * 30))
        return program.error('--hours is a number of hours, at most 720.');
      const invite = await new RegistrationInvites(db, loadToolConfig().VT_PUBLIC_URL).mint('cli', hours);
      console.log(invite.url);
      console.error(`registers one platform, once, until ${invite.expiresAt.toISOString()}`);
    }),
  );

platform
  .command('add')
  .description('register a platform by hand (for LMSs without LTI Dynamic Registration)')
  .requiredOption('--issuer <url>', "the platform's issuer (Moodle: its wwwroot)")
  .requiredOption('--client-id <id>', 'the client id the platform gave this tool')
  .requiredOption('--login-url <url>', "the platform's OIDC authentication request URL")
  .requiredOption('--token-url <url>', "the platform's OAuth2 access token URL")
  .requiredOption('--keyset-url <url>', "the platform's public keyset URL")
  .requiredOption('--deployment <id...>', 'deployment id(s) launches may come from')
  .option('--name <name>', 'a name for the admin pages', 'LMS')
  .action(
    async (o: {
      issuer: string;
      clientId: string;
      loginUrl: string;
      tokenUrl: string;
      keysetUrl: string;
      deployment: string[];
      name: string;
    }) => {
      const tool = await startTool({ ...loadToolConfig(), VT_TOOL_PORT: 0, VT_LOG_LEVEL: 'warn' });
      try {
        await tool.registration.addManually({
          issuer: o.issuer,
          clientId: o.clientId,
          name: o.name,
          authLoginUrl: o.loginUrl,
          tokenUrl: o.tokenUrl,
          keysetUrl: o.keysetUrl,
          deploymentIds: o.deployment,
        });
        console.log(
          `platform ${o.issuer} (client ${o.clientId}) registered, deployments ${o.deployment.join(', ')}`,
        );
      } finally {
        await tool.close();
      }
    },
  );

platform
  .command('list')
  .description('list registered platforms and their deployments')
  .action(() =>
    withDb(async (db) => {
      for (const p of await new LtiRegistry(db, new TenantRepository(db)).list())
        console.log(
          `${p.issuer}  client ${p.clientId}  ${p.registeredVia}  deployments ${p.deploymentIds.join(', ') || '(none)'}`,
        );
    }),
  );

const keys = program.command('keys').description("the tool's signing keys (published at /lti/keys)");

keys
  .command('list')
  .description('list signing keys: the active one, and retired ones still published during their grace')
  .action(() =>
    withDb(async (db) => {
      const ring = new ToolKeys(db, loadToolConfig().VT_KEY_GRACE_HOURS);
      await ring.ensure();
      for (const k of await ring.list()) {
        const state = k.retiredAt ? `retired ${k.retiredAt.toISOString()}` : 'active';
        console.log(
          `${k.kid}  created ${k.createdAt.toISOString()}  ${state}${k.published ? '  published' : ''}`,
        );
      }
    }),
  );

keys
  .command('rotate')
  .description('make a new active signing key; the old one stays published for VT_KEY_GRACE_HOURS')
  .action(() =>
    withDb(async (db) => {
      const config = loadToolConfig();
      const r = await new ToolKeys(db, config.VT_KEY_GRACE_HOURS).rotate();
      console.log(`new signing key ${r.kid} is active`);
      for (const kid of r.retired)
        console.log(`retired ${kid}: still published for ${config.VT_KEY_GRACE_HOURS} h`);
      for (const kid of r.deleted) console.log(`deleted ${kid} (its grace had ended)`);
    }),
  );

await program.parseAsync();
