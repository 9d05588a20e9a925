import { randomUUID } from 'node:crypto';
import { SignJWT, exportSPKI, generateKeyPair, importJWK, base64url, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/index.js';
import { createClientRepository } from '../../src/auth/index.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { ADMIN, startAuthApp, type AuthApp } from './auth-app.js';

describe.each(testDatabaseKinds())('request gate on %s', (kind) => {
  let t: AuthApp;
  let readerKey: string;
  let serverKey: { kid: string; priv: CryptoKey; pub: JWK };

  beforeAll(async () => {
    t = await startAuthApp(kind);
    ({ apiKey: readerKey } = (await createClientRepository(t.database.db).create({ scopes: 'system/Patient.rs', apiKey: true })) as { apiKey: string });
    const row = (await sql<{ kid: string; private_jwk: JWK; public_jwk: JWK }>`select kid, private_jwk, public_jwk from auth_signing_key`.execute(t.database.db)).rows[0]!;
    serverKey = { kid: row.kid, priv: (await importJWK(row.private_jwk, 'ES256')) as CryptoKey, pub: row.public_jwk };
  });
  afterAll(() => t?.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${t.url}${path}`, { headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** A token the server would issue, with claims overridden. */
  const serverToken = (o: { aud?: string; iss?: string; exp?: number | string; key?: CryptoKey; typ?: string } = {}) =>
    new SignJWT({ scope: 'system/*.cruds carebridge/admin', client_id: 'forger' })
      .setProtectedHeader({ alg: 'ES256', kid: serverKey.kid, typ: o.typ ?? 'at+jwt' })
      .setIssuer(o.iss ?? 'carebridge')
      .setAudience(o.aud ?? 'carebridge/fhir')
      .setSubject('forger')
      .setIssuedAt()
      .setExpirationTime(o.exp ?? '5m')
      .setJti(randomUUID())
      .sign(o.key ?? serverKey.priv);

  it('serves the public list without a token; unknown URLs stay 404', async () => {
    expect((await get('/fhir/metadata')).status).toBe(200);
    expect((await get('/.well-known/smart-configuration')).status).toBe(200);
    expect((await get('/no/such/thing')).status).toBe(404);
  });

  it('answers 401 with WWW-Authenticate when no token is sent', async () => {
    for (const path of ['/fhir/Patient/1', '/fhir/Patient', '/admin/api/clients', '/newly-added']) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="carebridge"/);
      expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    }
  });

  it('a control token with the server key passes (so the refusals below are about the one flaw each)', async () => {
    expect((await get('/fhir/Patient/1', bearer(await serverToken()))).status).toBe(200);
  });

  it('refuses expired, wrong-audience, wrong-issuer and foreign-key tokens', async () => {
    const foreign = await generateKeyPair('ES256');
    const tokens = [
      await serverToken({ exp: Math.floor(Date.now() / 1000) - 60 }),
      await serverToken({ aud: 'https://other.example/fhir' }),
      await serverToken({ iss: 'https://evil.example' }),
      await serverToken({ key: foreign.privateKey }),
      await serverToken({ typ: 'JWT' }),
    ];
    for (const token of tokens) {
      const res = await get('/fhir/Patient/1', bearer(token));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('refuses alg=none and HS256 signed with the public key', async () => {
    const claims = { iss: 'carebridge', aud: 'carebridge/fhir', sub: 'forger', scope: 'system/*.cruds carebridge/admin', exp: Math.floor(Date.now() / 1000) + 300 };
    const enc = (o: object) => base64url.encode(JSON.stringify(o));
    const none = `${enc({ alg: 'none', typ: 'at+jwt', kid: serverKey.kid })}.${enc(claims)}.`;
    const pem = await exportSPKI((await importJWK(serverKey.pub, 'ES256')) as CryptoKey);
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: serverKey.kid }).sign(new TextEncoder().encode(pem));
    const hsJwk = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: serverKey.kid })
      .sign(new TextEncoder().encode(JSON.stringify(serverKey.pub)));
    for (const token of [none, hs, hsJwk, 'not-a-token', `${enc({ alg: 'ES256' })}.${enc(claims)}.AAAA`]) {
      expect((await get('/admin/api/clients', bearer(token))).status).toBe(401);
    }
  });

  it('accepts API keys as Bearer and X-API-Key; 403 OperationOutcome when the scope is missing', async () => {
    expect((await get('/fhir/Patient/1', bearer(readerKey))).status).toBe(200);
    expect((await get('/fhir/Patient/1', { 'x-api-key': readerKey })).status).toBe(200);
    const obs = await get('/fhir/Observation/1', bearer(readerKey));
    expect(obs.status).toBe(403);
    const oo = (await obs.json()) as { resourceType: string; issue: Array<{ code: string }> };
    expect(oo.resourceType).toBe('OperationOutcome');
    expect(oo.issue[0]?.code).toBe('forbidden');
    expect((await get('/admin/api/clients', bearer(readerKey))).status).toBe(403);
    expect((await get('/newly-added', bearer(readerKey))).status).toBe(403);
    expect((await get('/fhir/Patient/1', bearer(`${readerKey}x`))).status).toBe(401);
  });

  it('refuses a revoked API key at once', async () => {
    const repo = createClientRepository(t.database.db);
    const { clientId, apiKey } = await repo.create({ scopes: 'system/Patient.rs', apiKey: true });
    expect((await get('/fhir/Patient/1', bearer(apiKey!))).status).toBe(200);
    await repo.revoke(clientId);
    expect((await get('/fhir/Patient/1', bearer(apiKey!))).status).toBe(401);
  });

  it('rotating an API key invalidates the old one', async () => {
    const repo = createClientRepository(t.database.db);
    const { clientId, apiKey } = await repo.create({ scopes: 'system/Patient.rs', apiKey: true });
    const rotated = await repo.rotate(clientId);
    expect((await get('/fhir/Patient/1', bearer(apiKey!))).status).toBe(401);
    expect((await get('/fhir/Patient/1', bearer(rotated.apiKey!))).status).toBe(200);
  });

  it('CAREBRIDGE_ADMIN_TOKEN has every scope and never reaches the log', async () => {
    expect((await get('/admin/api/clients', bearer(ADMIN))).status).toBe(200);
    expect((await get('/newly-added', bearer(ADMIN))).status).toBe(200);
    expect((await get('/fhir/Observation/9', bearer(ADMIN))).status).toBe(200);
    expect(JSON.stringify(t.logs)).not.toContain(ADMIN);
    expect(JSON.stringify(t.logs)).not.toContain(readerKey);
  });

  it('does not create a first admin when CAREBRIDGE_ADMIN_TOKEN is set', () => {
    expect(t.printed).toEqual([]);
  });
});
