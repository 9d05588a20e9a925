import { describe, expect, it } from 'vitest';
import { prng } from '../er7/fuzz-mutator.js';
import { splitUpload } from './batch-split.js';

/** The previous splitter (one indexOf per line end per line: quadratic on CR-only/LF-only input), as the reference. */
function referenceSplit(body: Buffer): { messages: string[]; batch: boolean } {
  const text = body.toString('latin1');
  const messages: string[] = [];
  let batch = false;
  let start = -1;
  let pos = 0;
  const close = (end: number) => {
    if (start >= 0) messages.push(text.slice(start, end).replace(/[\r\n ]+$/, (m) => (m.startsWith('\r') ? '\r' : '')));
    start = -1;
  };
  while (pos < text.length) {
    let end = text.indexOf('\r', pos);
    const lf = text.indexOf('\n', pos);
    if (end < 0 || (lf >= 0 && lf < end)) end = lf;
    const lineEnd = end < 0 ? text.length : end;
    const name = text.slice(pos, pos + 3);
    if (name === 'MSH') {
      close(pos);
      start = pos;
    } else if (['FHS', 'BHS', 'BTS', 'FTS'].includes(name) && (text.length === pos + 3 || !/[A-Za-z0-9]/.test(text.charAt(pos + 3)))) {
      batch = true;
      close(pos);
    } else if (start < 0 && text.slice(pos, lineEnd).trim() !== '') {
      start = pos;
    }
    pos = lineEnd + 1;
  }
  close(text.length);
  return { messages, batch };
}

describe('splitUpload', () => {
  it('splits a batch envelope into its messages, bytes intact', () => {
    const body = Buffer.from('FHS|^~\\&|A\rBHS|^~\\&|A\rMSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\rPID|1||é\rMSH|^~\\&|A|B|||||ADT^A08|2|P|2.5\rBTS|2\rFTS|1\r', 'utf8');
    const out = splitUpload(body);
    expect(out.batch).toBe(true);
    expect(out.messages.map((m) => m.toString('utf8'))).toEqual(['MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\rPID|1||é\r', 'MSH|^~\\&|A|B|||||ADT^A08|2|P|2.5\r']);
  });

  it('keeps one message whole (LF separated too) and answers text without MSH as its own message', () => {
    expect(splitUpload(Buffer.from('MSH|^~\\&|A\nPID|1\n')).messages.map(String)).toEqual(['MSH|^~\\&|A\nPID|1']);
    const garbage = splitUpload(Buffer.from('hello world'));
    expect(garbage.batch).toBe(false);
    expect(garbage.messages.map(String)).toEqual(['hello world']);
  });

  it('agrees with the reference splitter on random uploads with CR, LF, CRLF and mixed line ends', () => {
    const rnd = prng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const lines = ['MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5', 'PID|1||X', 'FHS|^~\\&', 'BHS|^~\\&', 'BTS|1', 'FTS|1', 'FTSX', '', '   ', 'junk text', 'MSH', 'OBX|1|TX|||a'];
    for (let round = 0; round < 2000; round++) {
      const sepMode = pick(['\r', '\n', '\r\n', 'mixed'] as const);
      let text = '';
      const n = Math.floor(rnd() * 12);
      for (let i = 0; i < n; i++) text += pick(lines) + (sepMode === 'mixed' ? pick(['\r', '\n', '\r\n', '\n\r']) : sepMode);
      if (rnd() < 0.3) text = text.slice(0, Math.floor(rnd() * (text.length + 1)));
      const body = Buffer.from(text, 'latin1');
      const got = splitUpload(body);
      const want = referenceSplit(body);
      expect({ messages: got.messages.map((m) => m.toString('latin1')), batch: got.batch }, JSON.stringify(text)).toEqual(want);
    }
  });

  it('splits a large LF-only and a large CR-only upload into every message, bytes intact', () => {
    for (const sep of ['\n', '\r']) {
      const parts: string[] = [];
      for (let i = 0; i < 20_000; i++) parts.push(['MSH|^~\\&|A|B|||||ADT^A01|' + i + '|P|2.5', 'PID|1||' + i].join(sep) + sep);
      const out = splitUpload(Buffer.from(parts.join(''), 'latin1'));
      expect(out.messages.map((m) => m.toString('latin1'))).toEqual(sep === '\r' ? parts : parts.map((p) => p.slice(0, -1)));
    }
  });
});
