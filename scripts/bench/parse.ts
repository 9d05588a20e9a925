/**
 * Parse benchmark (hl7-parser): single-thread msgs/s over the corpus mix (../shared/corpus/hl7v2,
 * or fixtures/hl7 when absent) for
 *  - read: parseMessage(text) + header + four field reads (the intake/mapping access pattern),
 *  - read from bytes: the same incl. MSH-18 charset detection and decoding,
 *  - full walk: every sub-component of every field materialised,
 *  - node-hl7-client 3.2 doing the same read, as the peer for a ratio,
 *  - fuzz: mutated corpus inputs per second (no exception other than CarebridgeError allowed).
 * Rates are per CPU-second of this process (= per core), median of several rounds after a warm-up.
 * No database needed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Message } from 'node-hl7-client';
import { CarebridgeError } from '../../src/errors/index.js';
import { parseBatch, parseMessage, type Hl7Message } from '../../src/hl7v2/index.js';
import { mutate, prng } from '../../src/hl7v2/er7/fuzz-mutator.js';
import type { BenchOptions, BenchResult } from './types.js';

const root = new URL('../..', import.meta.url).pathname;

function corpusMessages(): { texts: string[]; bytes: Uint8Array[] } {
  const corpus = process.env.HL7_CORPUS_DIR ?? `${root}../shared/corpus/hl7v2`;
  const dir = existsSync(corpus) ? corpus : `${root}fixtures/hl7`;
  const texts: string[] = [];
  const bytes: Uint8Array[] = [];
  for (const f of readdirSync(dir).sort()) {
    const raw = new Uint8Array(readFileSync(`${dir}/${f}`));
    for (const item of parseBatch(raw).items) {
      if (!item.message) continue; // deliberately broken corpus files are not part of the mix
      bytes.push(item.raw as Uint8Array);
      texts.push(item.message.toString());
    }
  }
  return { texts, bytes };
}

/**
 * Median msgs per CPU-second (process user+system time, i.e. per core) over `rounds` rounds of about
 * `ms` wall time each, after a warm-up round. CPU time rather than wall time so that other work on a
 * shared 2-core machine does not count against the parser.
 */
function rate(count: number, fn: (i: number) => void, rounds: number, ms: number): number {
  const rates: number[] = [];
  for (let r = -1; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    while (performance.now() - t0 < ms) {
      for (let i = 0; i < count; i++) fn(i);
      n += count;
    }
    const cpu = process.cpuUsage(c0);
    if (r >= 0) rates.push((n * 1e6) / Math.max(1, cpu.user + cpu.system));
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[Math.floor(rates.length / 2)]!);
}

let sink = 0;
function read(m: Hl7Message): void {
  sink += m.header.controlId.length + (m.get('PID-3.1')?.length ?? 0) + (m.get('PID-5.1')?.length ?? 0) + (m.get('PID-5.2')?.length ?? 0) + (m.get('PID-7')?.length ?? 0);
}

function walk(m: Hl7Message): void {
  for (const s of m.segments) for (const f of s.fields) for (const r of f) for (const c of r) for (const v of c) sink += v.length;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const { texts, bytes } = corpusMessages();
  const rounds = opts.quick ? 3 : 5;
  const ms = opts.quick ? 200 : 1000;
  const mb = texts.reduce((a, t) => a + t.length, 0) / texts.length;

  const readRate = rate(texts.length, (i) => read(parseMessage(texts[i]!)), rounds, ms);
  const bytesRate = rate(bytes.length, (i) => read(parseMessage(bytes[i]!)), rounds, ms);
  const walkRate = rate(texts.length, (i) => walk(parseMessage(texts[i]!)), rounds, ms);

  const peerTexts = texts.filter((t) => {
    try {
      new Message({ text: t });
      return true;
    } catch {
      return false;
    }
  });
  const peerRate = rate(peerTexts.length, (i) => {
    const m = new Message({ text: peerTexts[i]! });
    sink += m.get('MSH.10').toString().length + m.get('PID.3.1').toString().length + m.get('PID.5.1').toString().length + m.get('PID.5.2').toString().length + m.get('PID.7').toString().length;
  }, rounds, ms);

  const cases = opts.quick ? 2_000 : 100_000;
  const rnd = prng(4242);
  const c0 = process.cpuUsage();
  for (let i = 0; i < cases; i++) {
    const input = mutate(bytes[Math.floor(rnd() * bytes.length)]!, rnd);
    try {
      walk(parseMessage(input));
    } catch (e) {
      if (!(e instanceof CarebridgeError)) throw new Error(`fuzz case ${i} threw a non-CarebridgeError: ${(e as Error).message}`);
    }
    parseBatch(input);
  }
  const fuzzCpu = process.cpuUsage(c0);
  const fuzzRate = Math.round((cases * 1e6) / Math.max(1, fuzzCpu.user + fuzzCpu.system));
  if (sink < 0) process.stdout.write(''); // keep the reads observable

  const label = `${texts.length} corpus msgs, avg ${Math.round(mb)} chars`;
  return [
    { name: `parse: read msgs/s/core (${label})`, value: readRate, unit: 'msg/s', target: '≥ 90,000 msg/s/core (quiet machine)', baseline: { name: 'node-hl7-client 3.2 read', value: peerRate } },
    { name: 'parse: read from bytes incl. charset decode, msgs/s/core', value: bytesRate, unit: 'msg/s' },
    { name: 'parse: full walk msgs/s/core', value: walkRate, unit: 'msg/s' },
    { name: `parse: fuzz cases/s (${cases} mutated inputs, no crash)`, value: fuzzRate, unit: 'case/s' },
  ];
}
