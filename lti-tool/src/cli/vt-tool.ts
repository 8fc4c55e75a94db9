#!/usr/bin/env node
import { Command } from 'commander';
import { AdminUsers } from '../admin/admin-users.js';
import { loadToolConfig } from '../config.js';
import { migrate, openDatabase } from '../db/database.js';
import { startTool } from '../server.js';
import { TenantRepository } from '../tenants/tenant-repository.js';

const program = new Command()
  .name('vt-tool')
  .description('Virtual Tutor LTI tool: web service and administration');

program
  .command('start')
  .description('run the tool (HTTP, queue events, reconciler); SIGTERM stops it cleanly')
  .action(async () => {
    const tool = await startTool(loadToolConfig());
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

await program.parseAsync();
