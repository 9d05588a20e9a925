import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses the documented defaults on an empty environment', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(8080);
    expect(c.mllp.port).toBe(2575);
    expect(c.database.url).toBeUndefined();
    expect(c.database.dataDir).toBe('./data');
    expect(c.mappingsDir).toBe('./mappings');
    expect(c.auth.enabled).toBe(true);
  });

  it('reads and coerces values', () => {
    const c = loadConfig({ PORT: '9000', MLLP_PORT: '0', DATABASE_URL: 'postgres://x@127.0.0.1/db', CAREBRIDGE_ADMIN_TOKEN: 'a'.repeat(32) });
    expect(c.http.port).toBe(9000);
    expect(c.mllp.port).toBe(0);
    expect(c.database.url).toBe('postgres://x@127.0.0.1/db');
    // Only the digest is kept (sha256 of 'a' × 32).
    expect(c.auth.adminTokenSha256).toBe(createHash('sha256').update('a'.repeat(32)).digest('hex'));
    expect(JSON.stringify(c)).not.toContain('a'.repeat(32));
  });

  it('names the variable in a one-line error for a bad value', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/^invalid environment variable PORT="eighty": must be integer$/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ CAREBRIDGE_AUTH: 'off' })).toThrow(/CAREBRIDGE_AUTH/);
  });

  it('turns auth off only with the explicit, loud value', () => {
    expect(loadConfig({ CAREBRIDGE_AUTH: 'off-i-understand-this-exposes-patient-data' }).auth.enabled).toBe(false);
  });

  it('requires the CRM webhook URL and secret together', () => {
    expect(() => loadConfig({ CRM_WEBHOOK_URL: 'http://127.0.0.1:1/x' })).toThrow(/CRM_WEBHOOK_SECRET/);
  });

  it('requires TLS certificate and key together, and a client CA only with them', () => {
    expect(() => loadConfig({ HTTP_TLS_CERT: '/c.pem' })).toThrow(/^invalid environment variable HTTP_TLS_KEY/);
    expect(() => loadConfig({ HTTP_TLS_CA: '/ca.pem' })).toThrow(/^invalid environment variable HTTP_TLS_CA/);
    expect(() => loadConfig({ MLLP_TLS_CA: '/ca.pem' })).toThrow(/^invalid environment variable MLLP_TLS_CA/);
    expect(loadConfig({ HTTP_TLS_CERT: '/c.pem', HTTP_TLS_KEY: '/k.pem', HTTP_TLS_CA: '/ca.pem' }).http.tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem', caFile: '/ca.pem' });
  });
});
