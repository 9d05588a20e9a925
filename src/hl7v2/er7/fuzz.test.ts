/**
 * Fuzz: mutated corpus messages (seeded, reproducible) through parseMessage, parseBatch, path
 * access, a full walk and the round trip. The only acceptable failure is a CarebridgeError; no other
 * exception, no hang (a generous per-case ceiling catches pathological slow paths, not speed).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CarebridgeError } from '../../errors/index.js';
import { buildAck } from '../ack/build-ack.js';
import { parseAck } from '../ack/parse-ack.js';
import { parseBatch } from './batch.js';
import { mutate, prng } from './fuzz-mutator.js';
import { parseMessage, peekHeader } from './parse-message.js';

const CASES = Number(process.env.HL7_FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.HL7_FUZZ_SEED ?? 20261123);
const CORPUS = process.env.HL7_CORPUS_DIR ?? new URL('../../../../shared/corpus/hl7v2', import.meta.url).pathname;
const FIXTURES = new URL('../../../fixtures/hl7', import.meta.url).pathname;

function samples(): Uint8Array[] {
  const dirs = [CORPUS, FIXTURES].filter((d) => existsSync(d));
  return dirs.flatMap((d) => readdirSync(d).sort().map((f) => new Uint8Array(readFileSync(`${d}/${f}`)))).filter((b) => b.length > 0 && b.length < 64 * 1024);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

function exercise(input: Uint8Array): void {
  try {
    const m = parseMessage(input);
    m.get('PID-3[2].4.1');
    m.get('OBX[2]-5');
    m.getAll('PID-3.1');
    for (const s of m.segments) for (const f of s.fields) for (const r of f) for (const c of r) c.join('');
    const again = parseMessage(m.toString());
    check(again.toString() === m.toString(), 'parse → toString → parse → toString changed the text');
    check(again.segments.map((s) => s.name).join() === m.segments.map((s) => s.name).join(), 'round trip changed the segments');
    parseAck(buildAck(m, 'AA'));
  } catch (e) {
    if (!(e instanceof CarebridgeError)) throw e;
    parseAck(buildAck(peekHeader(input).header, e.kind.ack, { error: e }));
  }
  try {
    // The string path (no charset decoding) with formatting escapes kept.
    const m = parseMessage(Buffer.from(input).toString('latin1'), { escapes: 'keep-formatting' });
    for (const s of m.segments) s.get('3[2].4.2');
  } catch (e) {
    if (!(e instanceof CarebridgeError)) throw e;
  }
  const batch = parseBatch(input);
  for (const err of batch.errors) check(err instanceof CarebridgeError, 'batch error is not a CarebridgeError');
}

describe('fuzz: mutated corpus messages', () => {
  const pool = samples();

  it(`survives ${CASES} mutated inputs (seed ${SEED}) with only CarebridgeErrors`, () => {
    expect(pool.length).toBeGreaterThan(0);
    const rnd = prng(SEED);
    let worstMs = 0;
    for (let i = 0; i < CASES; i++) {
      const input = mutate(pool[Math.floor(rnd() * pool.length)]!, rnd);
      const t0 = performance.now();
      try {
        exercise(input);
      } catch (e) {
        throw new Error(`case ${i} (seed ${SEED}) threw ${(e as Error).stack}\ninput: ${JSON.stringify(Buffer.from(input).toString('latin1').slice(0, 300))}`);
      }
      worstMs = Math.max(worstMs, performance.now() - t0);
    }
    // Hang guard only (a 64 KiB message takes well under a millisecond); not a speed assertion.
    expect(worstMs).toBeLessThan(1000);
  });

  it('survives pure binary garbage', () => {
    const rnd = prng(SEED + 1);
    for (let i = 0; i < 500; i++) {
      const input = new Uint8Array(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)));
      exercise(input);
    }
  });
});
