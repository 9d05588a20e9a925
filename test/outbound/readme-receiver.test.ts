/** The receiver check printed in the README accepts our signatures and refuses tampering and replays. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signPayload } from '../../src/outbound/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const snippet = /```js\n(import \{ createHmac[\s\S]*?)```/.exec(readme)?.[1];

describe('README webhook receiver check', () => {
  it('is in the README and verifies what carebridge signs', async () => {
    expect(snippet).toBeDefined();
    const mod = (await import(`data:text/javascript,${encodeURIComponent(`${snippet}\nexport { verify };`)}`)) as {
      verify(secret: string, body: string, header: string, now?: number): boolean;
    };
    const now = Math.floor(Date.now() / 1000);
    const body = '{"type":"payment.posted"}';
    const header = signPayload('s3cret-s3cret', body, now);
    expect(mod.verify('s3cret-s3cret', body, header, now)).toBe(true);
    expect(mod.verify('s3cret-s3cret', `${body} `, header, now)).toBe(false);
    expect(mod.verify('wrong-secret', body, header, now)).toBe(false);
    expect(mod.verify('s3cret-s3cret', body, header, now + 600)).toBe(false);
  });
});
