import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientRepository } from '../../src/auth/index.js';
import { JWKS_REFETCH_COOLDOWN_MS } from '../../src/auth/client-assertion.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { startAuthApp, type AuthApp } from './auth-app.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe.each(testDatabaseKinds())('SMART backend services tokens on %s', (kind) => {
  let t: AuthApp;
  let clientId: string;
  let privateKey: CryptoKey;
  let ecClientId: string;
  let ecKey: CryptoKey;

  beforeAll(async () => {
    t = await startAuthApp(kind);
    const repo = createClientRepository(t.database.db);
    const rsa = await generateKeyPair('RS384', { extractable: true });
    privateKey = rsa.privateKey;
    const pub: JWK = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS384' };
    ({ clientId } = await repo.create({ scopes: 'system/Patient.rs system/Observation.rs', jwks: { keys: [pub] } }));
    const ec = await generateKeyPair('ES384', { extractable: true });
    ecKey = ec.privateKey;
    const ecPub: JWK = { ...(await exportJWK(ec.publicKey)), kid: 'e1', alg: 'ES384' };
    ({ clientId: ecClientId } = await repo.create({ scopes: 'system/Patient.read', jwks: { keys: [ecPub] } }));
  });
  afterAll(() => t?.close());

  const assertion = (o: { iss?: string; aud?: string; exp?: string | number; jti?: string; key?: CryptoKey; alg?: string; kid?: string } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: o.alg ?? 'RS384', kid: o.kid ?? 'k1', typ: 'JWT' })
      .setIssuer(o.iss ?? clientId)
      .setSubject(o.iss ?? clientId)
      .setAudience(o.aud ?? `${t.url}/auth/token`)
      .setExpirationTime(o.exp ?? '4m')
      .setJti(o.jti ?? randomUUID())
      .sign(o.key ?? privateKey);

  const tokenRequest = (fields: Record<string, string>) =>
    fetch(`${t.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

  const getToken = async (a: string, scope?: string) =>
    tokenRequest({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: a, ...(scope ? { scope } : {}) });

  it('publishes /.well-known/smart-configuration without a token', async () => {
    const res = await fetch(`${t.url}/.well-known/smart-configuration`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.token_endpoint).toBe(`${t.url}/auth/token`);
    expect(body.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt']);
    expect(body.grant_types_supported).toEqual(['client_credentials']);
  });

  it('issues a short-lived token for a valid RS384 assertion, usable on the API', async () => {
    const res = await getToken(await assertion());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { access_token: string; expires_in: number; scope: string; token_type: string };
    expect(body.token_type).toBe('bearer');
    expect(body.expires_in).toBeLessThanOrEqual(300);
    expect(body.scope).toBe('system/Patient.rs system/Observation.rs');
    const read = await fetch(`${t.url}/fhir/Patient/1`, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { clientId: string }).clientId).toBe(clientId);
    const write = await fetch(`${t.url}/fhir/Patient`, { method: 'POST', headers: { authorization: `Bearer ${body.access_token}` } });
    expect(write.status).toBe(403);
    expect(((await write.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  it('issues for ES384 and narrows to the requested scopes', async () => {
    const a = await assertion({ iss: ecClientId, key: ecKey, alg: 'ES384', kid: 'e1' });
    const res = await getToken(a, 'system/Patient.r system/Observation.rs');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { scope: string }).scope).toBe('system/Patient.r');
  });

  it('refuses a replayed jti', async () => {
    const a = await assertion({ jti: 'same-jti' });
    expect((await getToken(a)).status).toBe(200);
    const again = await getToken(a);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('refuses a wrong audience, an expired assertion, a too-long one, a foreign key and a wrong iss', async () => {
    const other = await generateKeyPair('RS384');
    const cases = [
      await assertion({ aud: 'https://elsewhere.example/token' }),
      await assertion({ exp: Math.floor(Date.now() / 1000) - 120 }),
      await assertion({ exp: '1h' }),
      await assertion({ key: other.privateKey }),
      await assertion({ iss: 'cbc_unknown' }),
    ];
    for (const a of cases) {
      const res = await getToken(a);
      expect(res.status).toBe(401);
    }
  });

  it('refuses a revoked client', async () => {
    const repo = createClientRepository(t.database.db);
    const rsa = await generateKeyPair('RS384', { extractable: true });
    const { clientId: id } = await repo.create({ scopes: 'system/Patient.rs', jwks: { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS384' }] } });
    await repo.revoke(id);
    expect((await getToken(await assertion({ iss: id, key: rsa.privateKey }))).status).toBe(401);
  });

  it('fetches keys from a registered JWKS URL (a real HTTP server) and follows a rotation', async () => {
    const first = await generateKeyPair('ES384', { extractable: true });
    let served: JWK[] = [{ ...(await exportJWK(first.publicKey)), kid: 'u1', alg: 'ES384' }];
    const jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served })));
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
      const repo = createClientRepository(t.database.db);
      const { clientId: id } = await repo.create({ scopes: 'system/Patient.rs', jwksUrl: url });
      const signed = (key: CryptoKey, kid: string) => assertion({ iss: id, key, alg: 'ES384', kid });
      expect((await getToken(await signed(first.privateKey, 'u1'))).status).toBe(200);
      // The client rotates its key at the URL: the new kid is fetched, the old key stops working.
      const second = await generateKeyPair('ES384', { extractable: true });
      served = [{ ...(await exportJWK(second.publicKey)), kid: 'u2', alg: 'ES384' }];
      await new Promise((r) => setTimeout(r, JWKS_REFETCH_COOLDOWN_MS + 100)); // refetch cooldown
      expect((await getToken(await signed(second.privateKey, 'u2'))).status).toBe(200);
    } finally {
      await new Promise((r) => jwksServer.close(r));
    }
  });

  it('answers bad grant requests with OAuth errors', async () => {
    const wrongGrant = await tokenRequest({ grant_type: 'password', username: 'x' });
    expect(wrongGrant.status).toBe(400);
    expect(((await wrongGrant.json()) as { error: string }).error).toBe('unsupported_grant_type');
    const noAssertion = await tokenRequest({ grant_type: 'client_credentials' });
    expect(((await noAssertion.json()) as { error: string }).error).toBe('invalid_request');
    const badScope = await getToken(await assertion(), 'system/Encounter.rs');
    expect(badScope.status).toBe(400);
    expect(((await badScope.json()) as { error: string }).error).toBe('invalid_scope');
  });
});
