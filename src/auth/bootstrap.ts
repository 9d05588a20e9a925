/**
 * @module First start: with no clients and no CAREBRIDGE_ADMIN_TOKEN, create one admin API-key
 * client and print its key once, to stdout (never to the log). The auth_bootstrap row makes this
 * happen exactly once per database, even with two processes starting together.
 */
import { sql, type AnyDb } from '../db/index.js';
import type { Logger } from '../logging/index.js';
import type { ClientRepository } from './clients.js';
import { ALL_SCOPES } from './scopes.js';
import type { AuthTables } from './tables.js';

export interface FirstAdminDeps {
  readonly db: AnyDb;
  readonly clients: ClientRepository;
  readonly logger: Logger;
  readonly adminTokenSet: boolean;
  readonly out: { write(s: string): unknown };
}

/** Returns the new client id, or undefined when nothing was created. */
export async function ensureFirstAdmin({ db, clients, logger, adminTokenSet, out }: FirstAdminDeps): Promise<string | undefined> {
  if (adminTokenSet) return undefined; // deployments that bring their own admin credential
  if ((await clients.count()) > 0) return undefined;
  const tdb = db.withTables<AuthTables>();
  const created = await clients.create({ name: 'first-admin', scopes: ALL_SCOPES.join(' '), apiKey: true });
  const won = await tdb
    .insertInto('auth_bootstrap')
    .values({ id: 1, client_id: created.clientId })
    .onConflict((oc) => oc.doNothing())
    .returning('client_id')
    .executeTakeFirst();
  if (!won) {
    // Another process bootstrapped first: drop our duplicate so only one admin key exists.
    await sql`delete from auth_client where id = ${created.clientId}`.execute(db);
    return undefined;
  }
  logger.warn({ clientId: created.clientId }, 'first start: created an admin client; its API key was printed to stdout once');
  out.write(
    [
      '',
      '================ carebridge first start ================',
      'An admin client was created. Its API key is shown ONLY NOW:',
      `  client id: ${created.clientId}`,
      `  API key:   ${created.apiKey}`,
      'Use it as "Authorization: Bearer <API key>". Manage clients with',
      '`npx carebridge clients list|create|revoke|rotate`.',
      '=========================================================',
      '',
    ].join('\n'),
  );
  return created.clientId;
}
