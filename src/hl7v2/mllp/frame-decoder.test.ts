import { describe, expect, it } from 'vitest';
import { CR, FS, VT, encodeFrame } from './constants.js';
import { MllpFrameDecoder, type DecodedItem } from './frame-decoder.js';

const frames = (items: DecodedItem[]) => items.filter((i) => i.kind === 'frame').map((i) => (i.kind === 'frame' ? i.payload.toString('utf8') : ''));

describe('MllpFrameDecoder', () => {
  it('decodes a frame split across many reads, including inside a multi-byte character', () => {
    const d = new MllpFrameDecoder();
    const bytes = encodeFrame('MSH|^~\\&|中村\rPID|1');
    const out: DecodedItem[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
    expect(frames(out)).toEqual(['MSH|^~\\&|中村\rPID|1']);
  });

  it('decodes several frames in one read, in order', () => {
    const d = new MllpFrameDecoder();
    const out = d.push(Buffer.concat([encodeFrame('A'), encodeFrame('B'), encodeFrame('C')]));
    expect(frames(out)).toEqual(['A', 'B', 'C']);
  });

  it('discards and reports bytes before the start block', () => {
    const d = new MllpFrameDecoder();
    const out = d.push(Buffer.concat([Buffer.from('garbage'), encodeFrame('A')]));
    expect(out[0]).toEqual({ kind: 'discarded', bytes: 7 });
    expect(frames(out)).toEqual(['A']);
  });

  it('accepts a frame whose trailing CR is missing', () => {
    const d = new MllpFrameDecoder();
    const out = d.push(Buffer.from([VT, 0x41, FS, VT, 0x42, FS, CR]));
    expect(frames(out)).toEqual(['A', 'B']);
    expect(out.some((i) => i.kind === 'discarded')).toBe(false);
  });

  it('refuses a frame over the limit once, then ignores the rest of the stream', () => {
    const d = new MllpFrameDecoder({ maxFrameBytes: 10 });
    const out = d.push(Buffer.concat([Buffer.from([VT]), Buffer.alloc(11, 0x41)]));
    expect(out).toEqual([{ kind: 'too-large', bytes: 11 }]);
    expect(d.push(encodeFrame('A'))).toEqual([]);
  });

  it('counts a frame exactly at the limit as fine and one byte more as too large across reads', () => {
    const ok = new MllpFrameDecoder({ maxFrameBytes: 4 });
    expect(frames(ok.push(encodeFrame('ABCD')))).toEqual(['ABCD']);
    const big = new MllpFrameDecoder({ maxFrameBytes: 4 });
    expect(big.push(Buffer.from([VT, 0x41, 0x42, 0x43]))).toEqual([]);
    expect(big.push(Buffer.from([0x44, 0x45, FS, CR]))[0]?.kind).toBe('too-large');
  });

  it('restarts on a start block inside an unfinished frame', () => {
    const d = new MllpFrameDecoder();
    const out = d.push(Buffer.concat([Buffer.from([VT]), Buffer.from('partial'), encodeFrame('whole')]));
    expect(frames(out)).toEqual(['whole']);
    expect(out.find((i) => i.kind === 'discarded')).toEqual({ kind: 'discarded', bytes: 7 });
  });

  it('reports whether a frame is in progress', () => {
    const d = new MllpFrameDecoder();
    d.push(Buffer.from([VT, 0x41]));
    expect(d.inFrame).toBe(true);
    expect(d.pendingBytes).toBe(1);
    d.push(Buffer.from([FS, CR]));
    expect(d.inFrame).toBe(false);
  });
});
