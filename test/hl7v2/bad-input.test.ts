/**
 * Bad input over MLLP: each case gets AR/AE (with ERR) or a closed connection with a log line, and
 * the server keeps serving a well-behaved client throughout. Plus a fuzz run of mutated corpus
 * messages through intake: one answer per message, never a crash.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, MllpClient, parseMessage } from '../../src/hl7v2/index.js';
import { rawPeer } from '../../src/hl7v2/mllp/test-support.js';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';
import { adt, msa } from './support.js';

// The shared corpus sits beside the project (../shared); without it the fuzz still runs, seeded
// from the project's own fixtures, so the 10,000 cases stay in CI either way.
const CORPUS = process.env.HL7_CORPUS_DIR ?? new URL('../../../shared/corpus/hl7v2', import.meta.url).pathname;
const FIXTURES = new URL('../../fixtures/hl7', import.meta.url).pathname;

function fuzzSeeds(): Buffer[] {
  if (existsSync(CORPUS)) return readdirSync(CORPUS).sort().slice(0, 60).map((f) => readFileSync(`${CORPUS}/${f}`));
  console.warn(`bad-input fuzz: ${CORPUS} is absent; seeding from ${FIXTURES} only`);
  return readdirSync(FIXTURES).sort().map((f) => readFileSync(`${FIXTURES}/${f}`));
}

describe('bad input over MLLP', () => {
  let server: TestServer;
  let good: MllpClient;
  let goodCount = 0;
  beforeAll(async () => {
    server = await startTestServer('pglite', { MLLP_FRAME_TIMEOUT_MS: '1500' });
    good = new MllpClient({ host: '127.0.0.1', port: server.mllpPort!, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await good?.close();
    await server?.stop();
  });
  const stillServing = async () => expect((await good.send(adt(`GOOD-${goodCount++}`))).code).toBe('AA');
  const answerTo = async (payload: Buffer | string) => {
    const peer = await rawPeer(server.mllpPort!);
    peer.socket.write(encodeFrame(payload));
    const [ack] = await peer.next();
    peer.socket.destroy();
    return ack!;
  };
  const logged = (msg: string) => server.logs.some((l) => l.msg === msg);

  it('truncated message → AR with ERR', async () => {
    const ack = await answerTo('MSH|^~\\&|HIS|NWH');
    expect(['AR', 'AE']).toContain(msa(ack, 1));
    expect(ack).toMatch(/\rERR\|/);
    await stillServing();
  });

  it('wrong delimiters → AR with ERR naming MSH-2', async () => {
    const ack = await answerTo('MSH|^^^^|HIS|NWH|CB|CB|20240101||ADT^A01|WD-1|P|2.5.1\r');
    expect(msa(ack, 1)).toBe('AR');
    expect(ack, ack).toMatch(/\rERR\|.*MSH\^1\^2/);
    await stillServing();
  });

  it('a NUL byte in the header is answered and the message kept (PostgreSQL text cannot hold it)', async () => {
    const ack = await answerTo(adt('NUL\u0000-1'));
    expect(['AA', 'AE', 'AR']).toContain(msa(ack, 1));
    const stored = await fetch(`${server.httpUrl}/admin/api/messages?controlId=${encodeURIComponent('NUL\uFFFD-1')}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    const { items } = (await stored.json()) as { items: unknown[] };
    expect(items).toHaveLength(1);
    await stillServing();
  });

  it('missing MSH → AR with ERR', async () => {
    const ack = await answerTo('PID|1||MRN1^^^NWH||Doe^Jane\r');
    expect(msa(ack, 1)).toBe('AR');
    expect(ack).toMatch(/\rERR\|/);
    await stillServing();
  });

  it('binary garbage in a frame → AR; garbage outside frames → discarded with a log line', async () => {
    const garbage = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 256).filter((b) => b !== 0x0b && b !== 0x1c));
    expect(msa(await answerTo(garbage), 1)).toBe('AR');
    const peer = await rawPeer(server.mllpPort!);
    peer.socket.write(Buffer.from('no frame here at all'));
    peer.socket.write(encodeFrame(adt('AFTER-GARBAGE')));
    expect(msa((await peer.next())[0]!, 2)).toBe('AFTER-GARBAGE');
    peer.socket.destroy();
    expect(logged('mllp bytes outside a frame discarded')).toBe(true);
    await stillServing();
  });

  it('an 8 MB frame → connection closed with a log line', async () => {
    const peer = await rawPeer(server.mllpPort!);
    peer.socket.write(encodeFrame(`MSH|^~\\&|HIS|NWH|CB|CB|20240101||ADT^A01|BIG|P|2.5.1\rNTE|1||${'x'.repeat(8 * 1024 * 1024)}\r`));
    await peer.closed;
    expect(peer.replies).toEqual([]);
    expect(logged('mllp frame over the size limit: closing connection')).toBe(true);
    await stillServing();
  });

  it('one byte a second → connection closed by the frame timeout with a log line, others served meanwhile', async () => {
    const peer = await rawPeer(server.mllpPort!);
    const bytes = encodeFrame(adt('SLOW'));
    let i = 0;
    const timer = setInterval(() => peer.socket.write(bytes.subarray(i, ++i)), 1000);
    await stillServing();
    await peer.closed;
    clearInterval(timer);
    expect(peer.replies).toEqual([]);
    expect(logged('mllp frame not completed in time: closing connection')).toBe(true);
    await stillServing();
  });

  it('fuzz: 10,000 mutated corpus messages through intake each get exactly one answer (AA/AE/AR)', async () => {
    const corpus = fuzzSeeds();
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const mutate = (b: Buffer, k: number): Buffer => {
      const out = Buffer.from(b);
      switch (k % 5) {
        case 0: for (let j = 0; j < 5; j++) out[rnd(out.length)] = rnd(256); return out;
        case 1: return out.subarray(0, rnd(out.length + 1));
        case 2: return Buffer.concat([out.subarray(0, rnd(out.length)), Buffer.from('|^~\\&\r\n'), out.subarray(rnd(out.length))]);
        case 3: { const s = rnd(out.length); return Buffer.concat([out.subarray(s), out.subarray(0, s)]); }
        default: return Buffer.from(out.toString('latin1').replace(/\|/g, () => (rnd(10) === 0 ? '' : '|')), 'latin1');
      }
    };
    const counts: Record<string, number> = {};
    let next = 0;
    const total = 10_000;
    // Mutations are drawn up front so that case k is the same input on every run.
    const inputs = Array.from({ length: total }, (_, k) => mutate(corpus[k % corpus.length]!, k));
    // The intake's own reading of MSH-15 (its parser re-attaches a segment broken by a stray line
    // break); a message it cannot parse always gets an answer.
    const acceptAckOf = (input: Buffer): string => {
      try {
        return parseMessage(input).header.acceptAckType;
      } catch {
        return '';
      }
    };
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < total) {
        const k = next++;
        const acks: string[] = [];
        const input = inputs[k]!;
        await server.runtime.hl7v2.intake.receive(input, { transport: 'file' }, (a) => acks.push(a));
        // Enhanced mode lets the sender ask for no commit ACK (MSH-15 NE, or ER/SU depending on the outcome).
        const mayBeSilent = ['NE', 'ER', 'SU'].includes(acceptAckOf(input));
        if (acks.length > 1 || (acks.length === 0 && !mayBeSilent)) throw new Error(`k=${k}: ${acks.length} answers to ${JSON.stringify(input.subarray(0, 300).toString('latin1'))}`);
        if (acks.length === 0) {
          counts.silent = (counts.silent ?? 0) + 1;
          continue;
        }
        // The ACK mirrors the message's own delimiters, which the mutation may have changed.
        const code = /(?:^|\r)MSA.(\w\w)/.exec(acks[0]!)?.[1] ?? 'none';
        counts[code] = (counts[code] ?? 0) + 1;
      }
    }));
    expect(Object.keys(counts).every((c) => ['AA', 'AE', 'AR', 'CA', 'CE', 'CR', 'silent'].includes(c)), JSON.stringify(counts)).toBe(true);
    expect(counts.AR).toBeGreaterThan(100);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(total);
    await stillServing();
  }, 120_000);
});
