/**
 * Auth against the whole real server. One server per database kind, shared by the suites below
 * (starting a server runs every room's migrations, the slow part); each suite uses its own patients.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { auditConsentSuite } from './audit-consent.suite.js';
import { eraseSuite } from './erase.suite.js';
import { limitsSuite } from './limits.suite.js';
import { privacySuite } from './privacy.suite.js';
import { routeSweepSuite } from './route-sweep.suite.js';
import { scopeEnforcementSuite } from './scope-enforcement.suite.js';

describe.each(testDatabaseKinds())('auth on the real server (%s)', (kind) => {
  let s: TestServer | undefined;
  beforeAll(async () => {
    s = await startTestServer(kind, { BODY_LIMIT_BYTES: '65536' });
  });
  afterAll(() => s?.stop());
  const server = () => s!;
  routeSweepSuite(server);
  scopeEnforcementSuite(server);
  auditConsentSuite(server);
  privacySuite(server);
  eraseSuite(server);
  limitsSuite(server);
});
