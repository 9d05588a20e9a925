/**
 * The dashboard end to end in Debian's headless Chromium (playwright-core, no browser download):
 * sign in with the admin token, see a message a test sent over MLLP, open it, replay it, and keep
 * a screenshot in test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MllpClient } from '../../src/hl7v2/index.js';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

// Reason for the conditional skip: .ci/run installs Debian's chromium; a developer machine
// without it still runs everything else.
describe.skipIf(!existsSync(CHROMIUM))('admin dashboard in headless Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  const controlId = `DASH-${Date.now()}`;

  beforeAll(async () => {
    s = await startTestServer('pglite');
    const client = new MllpClient({ host: '127.0.0.1', port: s.mllpPort!, timeoutMs: 10_000 });
    const ack = await client.send(
      [
        `MSH|^~\\&|DASHLAB|GENHOSP|CAREBRIDGE|CB|20261101083000||ADT^A01^ADT_A01|${controlId}|P|2.5.1`,
        'EVN|A01|20261101083000',
        'PID|1||DASH-1^^^GENHOSP^MR||Dashboard^Dora||19800101|F',
        'PV1|1|O|CLINIC1^^^GENHOSP||||||||||||||||DV-1^^^GENHOSP^VN',
        'ZPI|1|custom-flag',
      ].join('\r'),
    );
    await client.close();
    expect(ack.code).toBe('AA');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('signs in, finds the message, replays it and takes a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${s.httpUrl}/admin`);
    await page.fill('#token', 'wrong-token-wrong-token');
    await page.click('#login-form button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toContain('not accepted');

    await page.fill('#token', TEST_ADMIN_TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#tabs:not([hidden])');

    await page.click('#tabs button[data-tab=messages]');
    await page.fill('#msg-filter input[name=controlId]', controlId);
    await page.click('#msg-filter button[type=submit]');
    const row = page.locator('#msg-table tbody tr', { hasText: controlId });
    await row.waitFor();
    await row.click();
    await page.waitForSelector('#msg-detail:not([hidden])');
    // The unmapped-data report names the Z-segment no rule reads.
    await expect.poll(() => page.textContent('#msg-unmapped')).toContain('ZPI');
    // Patient data stays masked until the viewer asks.
    expect(await page.textContent('#msg-segments')).not.toContain('Dashboard');
    await page.click('#reveal');
    await expect.poll(() => page.textContent('#msg-segments')).toContain('Dashboard');

    await page.click('#replay-one');
    await expect
      .poll(async () => {
        const res = await fetch(`${s.httpUrl}/admin/api/messages?controlId=${controlId}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
        const { items } = (await res.json()) as { items: Array<{ status: string; id: string }> };
        return items.length;
      })
      .toBe(1);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard-message.png`, fullPage: true });
    expect(existsSync(`${ARTIFACTS}dashboard-message.png`)).toBe(true);
    await page.close();
  });

  it('shows the flow, mapping preview, outbound and care views without errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${s.httpUrl}/admin`);
    await page.fill('#token', TEST_ADMIN_TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#tabs:not([hidden])');
    // Flow: the message sent above is counted.
    await expect.poll(async () => Number(await page.textContent('#flow-cards .card b'))).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-flow.png` });

    await page.click('#tabs button[data-tab=preview]');
    await page.fill('#preview-input', ['MSH|^~\\&|HIS|GENHOSP|CB|CB|20261101083000||ADT^A01^ADT_A01|PRE-1|P|2.5.1', 'PID|1||PRE-9^^^GENHOSP^MR||Preview^Pia||19900101|F'].join('\n'));
    await page.click('#preview-form button[type=submit]');
    await expect.poll(() => page.textContent('#preview-bundle')).toContain('"resourceType": "Bundle"');
    expect(await page.textContent('#preview-explain')).toMatch(/Patient\.identifier.* ← .*\.yaml:\d+/);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-preview.png` });

    await page.click('#tabs button[data-tab=outbound]');
    await page.waitForSelector('#out-table');
    await page.click('#tabs button[data-tab=care]');
    await expect.poll(() => page.textContent('#care-cards')).toContain('active care plans');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-care.png` });
    expect(await page.locator('section:not([hidden]) .error').count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
