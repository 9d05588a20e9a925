/**
 * @module Registered clients: SMART backend-services clients (private_key_jwt against a JWKS or
 * JWKS URL) and static API keys. API keys are stored as sha256 hashes only (they are 256-bit
 * random values, so a fast hash is enough) and shown once, at create/rotate.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import type { AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
import { parseScopes } from './scopes.js';
import type { AuthClientRow, AuthTables } from './tables.js';

export interface AuthClient {
  readonly clientId: string;
  readonly name: string;
  readonly kind: 'smart' | 'api-key';
  readonly scopes: string;
  readonly jwks?: JSONWebKeySet;
  readonly jwksUrl?: string;
  readonly revoked: boolean;
  readonly createdAt: Date;
}

export interface CreateClientInput {
  readonly name?: string;
  readonly scopes: string;
  readonly apiKey?: boolean;
  readonly jwks?: JSONWebKeySet;
  readonly jwksUrl?: string;
}

export interface CreatedClient {
  readonly clientId: string;
  /** Only for API-key clients, and only now. */
  readonly apiKey?: string;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time equality of two hex digests. */
export function digestEquals(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/**
 * Revocations and rotations made in this process, through any repository. The authenticator's
 * API-key cache drops every verdict taken before the latest one, so they take effect here at once.
 */
let credentialChanges = 0;

export function credentialChangeCount(): number {
  return credentialChanges;
}

export function newApiKey(): string {
  return `cbk_${randomBytes(32).toString('base64url')}`;
}

function newClientId(): string {
  return `cbc_${randomBytes(12).toString('base64url')}`;
}

/** Throws CB_ERR_BAD_REQUEST naming the scopes carebridge does not understand or issue. */
export function validateClientScopes(scopes: string): string {
  const { scopes: parsed, invalid } = parseScopes(scopes);
  const notSystem = parsed.filter((s) => s.kind === 'resource' && s.context !== 'system').map((s) => s.text);
  if (invalid.length || notSystem.length || parsed.length === 0) {
    const bad = [...invalid, ...notSystem];
    throw new CarebridgeError('CB_ERR_BAD_REQUEST', bad.length ? `unsupported scope(s): ${bad.join(' ')} (carebridge issues system/ scopes, carebridge/admin, carebridge/hl7v2)` : 'at least one scope is required');
  }
  return parsed.map((s) => s.text).join(' ');
}

function validateJwks(jwks: unknown): JSONWebKeySet {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'JWKS must be an object with a non-empty "keys" array');
  for (const k of keys as Array<Record<string, unknown>>) {
    if ('d' in k) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'JWKS holds a private key; register the public keys only');
  }
  return jwks as JSONWebKeySet;
}

function toClient(r: Omit<AuthClientRow, 'revoked' | 'created_at' | 'updated_at'> & { revoked: boolean; created_at: Date }): AuthClient {
  return {
    clientId: r.id,
    name: r.name,
    kind: r.kind,
    scopes: r.scopes,
    ...(r.jwks ? { jwks: r.jwks as JSONWebKeySet } : {}),
    ...(r.jwks_url ? { jwksUrl: r.jwks_url } : {}),
    revoked: r.revoked,
    createdAt: new Date(r.created_at),
  };
}

export interface ClientRepository {
  create(input: CreateClientInput): Promise<CreatedClient>;
  list(): Promise<AuthClient[]>;
  get(clientId: string): Promise<AuthClient | undefined>;
  /** The live (not revoked) API-key client whose key this is. */
  findByApiKey(apiKey: string): Promise<AuthClient | undefined>;
  revoke(clientId: string): Promise<void>;
  /** New API key (api-key clients) or new JWKS / JWKS URL (SMART clients). */
  rotate(clientId: string, input?: { jwks?: JSONWebKeySet; jwksUrl?: string }): Promise<CreatedClient>;
  count(): Promise<number>;
}

export function createClientRepository(db: AnyDb): ClientRepository {
  const tdb = db.withTables<AuthTables>();
  const get = async (clientId: string) => {
    const row = await tdb.selectFrom('auth_client').selectAll().where('id', '=', clientId).executeTakeFirst();
    return row ? toClient(row) : undefined;
  };
  return {
    async create(input) {
      const scopes = validateClientScopes(input.scopes);
      const clientId = newClientId();
      if (input.apiKey) {
        if (input.jwks || input.jwksUrl) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'an API-key client takes no JWKS');
        const apiKey = newApiKey();
        await tdb
          .insertInto('auth_client')
          .values({ id: clientId, name: input.name ?? clientId, kind: 'api-key', scopes, api_key_hash: sha256Hex(apiKey), jwks: null, jwks_url: null })
          .execute();
        return { clientId, apiKey };
      }
      if (!input.jwks === !input.jwksUrl) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'a SMART client needs exactly one of --jwks-url or --jwks-file (or use --api-key)');
      if (input.jwksUrl && !/^https?:\/\//.test(input.jwksUrl)) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'JWKS URL must be http(s)');
      await tdb
        .insertInto('auth_client')
        .values({
          id: clientId,
          name: input.name ?? clientId,
          kind: 'smart',
          scopes,
          api_key_hash: null,
          jwks: input.jwks ? JSON.stringify(validateJwks(input.jwks)) : null,
          jwks_url: input.jwksUrl ?? null,
        })
        .execute();
      return { clientId };
    },
    async list() {
      const rows = await tdb.selectFrom('auth_client').selectAll().orderBy('created_at').execute();
      return rows.map(toClient);
    },
    get,
    async findByApiKey(apiKey) {
      // Lookup by digest: the database compares digests, never the key itself.
      const row = await tdb
        .selectFrom('auth_client')
        .selectAll()
        .where('api_key_hash', '=', sha256Hex(apiKey))
        .where('revoked', '=', false)
        .executeTakeFirst();
      return row ? toClient(row) : undefined;
    },
    async revoke(clientId) {
      const res = await tdb.updateTable('auth_client').set({ revoked: true, updated_at: new Date() }).where('id', '=', clientId).executeTakeFirst();
      credentialChanges += 1;
      if (!res.numUpdatedRows) throw new CarebridgeError('CB_ERR_NOT_FOUND', `no client ${clientId}`);
    },
    async rotate(clientId, input = {}) {
      const client = await get(clientId);
      if (!client) throw new CarebridgeError('CB_ERR_NOT_FOUND', `no client ${clientId}`);
      if (client.revoked) throw new CarebridgeError('CB_ERR_BAD_REQUEST', `client ${clientId} is revoked`);
      if (client.kind === 'api-key') {
        const apiKey = newApiKey();
        await tdb.updateTable('auth_client').set({ api_key_hash: sha256Hex(apiKey), updated_at: new Date() }).where('id', '=', clientId).execute();
        credentialChanges += 1;
        return { clientId, apiKey };
      }
      if (!input.jwks === !input.jwksUrl) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'rotating a SMART client needs exactly one of --jwks-url or --jwks-file');
      await tdb
        .updateTable('auth_client')
        .set({ jwks: input.jwks ? JSON.stringify(validateJwks(input.jwks)) : null, jwks_url: input.jwksUrl ?? null, updated_at: new Date() })
        .where('id', '=', clientId)
        .execute();
      return { clientId };
    },
    async count() {
      const r = await tdb.selectFrom('auth_client').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
