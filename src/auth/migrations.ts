/** @module Migration 0200: clients, the server's token-signing keys, assertion replay guard. */
import { sql, type Migration } from '../db/index.js';

export const authMigrations: Migration[] = [
  {
    name: '0200_auth_clients',
    async up(db) {
      await sql`create table auth_client (
        id text primary key,
        name text not null,
        kind text not null check (kind in ('smart', 'api-key')),
        scopes text not null,
        api_key_hash text unique,
        jwks jsonb,
        jwks_url text,
        revoked boolean not null default false,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`.execute(db);
      await sql`create table auth_signing_key (
        kid text primary key,
        alg text not null,
        private_jwk jsonb not null,
        public_jwk jsonb not null,
        created_at timestamptz not null default now()
      )`.execute(db);
      // A client assertion's jti may be used once until it expires (replay guard).
      await sql`create table auth_jti (
        client_id text not null,
        jti text not null,
        expires_at timestamptz not null,
        primary key (client_id, jti)
      )`.execute(db);
      await sql`create index auth_jti_expires on auth_jti (expires_at)`.execute(db);
      // One row, ever: whichever process inserts it creates the first admin client.
      await sql`create table auth_bootstrap (
        id int primary key check (id = 1),
        client_id text not null,
        created_at timestamptz not null default now()
      )`.execute(db);
    },
  },
];
