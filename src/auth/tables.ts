/** @module The auth room's tables (migration 0200). */
import type { Generated } from 'kysely';

export type AuthClientRow = {
  id: string;
  name: string;
  kind: 'smart' | 'api-key';
  /** Space-separated SMART scopes. */
  scopes: string;
  /** sha256 hex of the API key (api-key clients only). */
  api_key_hash: string | null;
  /** Registered JWK Set (SMART clients with --jwks-file). */
  jwks: unknown;
  jwks_url: string | null;
  revoked: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

export type AuthSigningKeyRow = {
  kid: string;
  alg: string;
  private_jwk: unknown;
  public_jwk: unknown;
  created_at: Generated<Date>;
};

export type AuthJtiRow = {
  client_id: string;
  jti: string;
  expires_at: Date;
};

export type AuthBootstrapRow = {
  id: number;
  client_id: string;
  created_at: Generated<Date>;
};

export type AuthTables = {
  auth_client: AuthClientRow;
  auth_signing_key: AuthSigningKeyRow;
  auth_jti: AuthJtiRow;
  auth_bootstrap: AuthBootstrapRow;
};
