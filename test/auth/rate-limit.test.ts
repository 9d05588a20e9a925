import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientRepository } from '../../src/auth/index.js';
import { ADMIN, startAuthApp, type AuthApp } from './auth-app.js';

describe('per-client rate limit (RATE_LIMIT_PER_MINUTE=5)', () => {
  let t: AuthApp;
  let a: string;
  let b: string;
  beforeAll(async () => {
    t = await startAuthApp('pglite', { RATE_LIMIT_PER_MINUTE: '5' });
    const repo = createClientRepository(t.database.db);
    a = (await repo.create({ scopes: 'system/Patient.rs', apiKey: true })).apiKey!;
    b = (await repo.create({ scopes: 'system/Patient.rs', apiKey: true })).apiKey!;
  });
  afterAll(() => t?.close());

  const get = (key: string) => fetch(`${t.url}/fhir/Patient/1`, { headers: { authorization: `Bearer ${key}` } });

  it('answers 429 OperationOutcome after the limit, counted per client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await get(a)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await get(a);
    expect(((await limited.json()) as { issue: Array<{ code: string }> }).issue[0]?.code).toBe('throttled');
    // Another client has its own budget.
    expect((await get(b)).status).toBe(200);
    expect((await get(ADMIN)).status).toBe(200);
  });
});
