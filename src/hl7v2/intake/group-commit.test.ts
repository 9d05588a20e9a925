import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit.js';

describe('GroupCommitter', () => {
  it('batches items submitted while a flush is in flight and answers each in order', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommitter<number, string>(async (items) => {
      batches.push([...items]);
      await new Promise((r) => setTimeout(r, 10));
      return items.map((i) => `r${i}`);
    });
    const first = gc.submit(0);
    await new Promise((r) => setTimeout(r, 2));
    const rest = Array.from({ length: 9 }, (_, i) => gc.submit(i + 1));
    expect(await Promise.all([first, ...rest])).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(batches).toEqual([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('never puts two items with the same key in one batch, and respects maxBatch', async () => {
    const batches: string[][] = [];
    const gc = new GroupCommitter<string, string>(async (items) => {
      batches.push([...items]);
      return [...items];
    }, { maxBatch: 3, keyOf: (s) => s.split(':')[0] });
    await Promise.all(['a:1', 'a:2', 'b:1', 'c:1', 'd:1'].map((s) => gc.submit(s)));
    expect(batches).toEqual([['a:1', 'b:1', 'c:1'], ['a:2', 'd:1']]);
  });

  it('rejects every item of a failed flush and keeps going with the next batch', async () => {
    let n = 0;
    const gc = new GroupCommitter<number, number>(async (items) => {
      if (n++ === 0) throw new Error('db down');
      return [...items];
    });
    const a = gc.submit(1);
    await expect(a).rejects.toThrow('db down');
    await expect(gc.submit(2)).resolves.toBe(2);
  });
});

describe('GroupCommitter linger', () => {
  const tick = () => new Promise<void>((r) => setImmediate(r));
  /** A committer whose batches are recorded as 'source:n' strings. */
  function recorder(lingerMs: number) {
    const batches: string[][] = [];
    const gc = new GroupCommitter<string, string>(async (items) => {
      batches.push([...items]);
      await tick();
      return [...items];
    }, { maxInFlight: 2, lingerMs, sourceOf: (s) => s.split(':')[0] });
    return { gc, batches };
  }

  it('waits for senders answered in the last flush, so their next items share one batch', async () => {
    const { gc, batches } = recorder(1_000);
    // Two senders, each one item in flight; 'b' always comes back a few ticks after 'a'.
    const sender = async (name: string, delayTicks: number) => {
      for (let i = 1; i <= 6; i++) {
        for (let t = 0; t < delayTicks; t++) await tick();
        await gc.submit(`${name}:${i}`);
      }
    };
    await Promise.all([sender('a', 0), sender('b', 3)]);
    // Without the linger 'a' is always flushed before 'b' arrives: 12 batches of one.
    expect(batches.some((b) => b.length === 2)).toBe(true);
    expect(batches.length).toBeLessThan(12);
    expect(batches.flat().sort()).toEqual(['a', 'b'].flatMap((n) => [1, 2, 3, 4, 5, 6].map((i) => `${n}:${i}`)));
  });

  it('does not wait for a lone sender: each of its items is flushed as it comes', async () => {
    const { gc, batches } = recorder(60_000);
    for (let i = 1; i <= 4; i++) await gc.submit(`a:${i}`);
    expect(batches).toEqual([['a:1'], ['a:2'], ['a:3'], ['a:4']]);
  });

  it('does not wait for a sender that came back later than the linger (paced, or gone)', async () => {
    const { gc, batches } = recorder(50);
    await gc.submit('a:1');
    await new Promise((r) => setTimeout(r, 120));
    await gc.submit('a:2'); // came back after 120 ms: not waited for after this answer
    const b = gc.submit('b:1');
    // Had 'b' waited for 'a' (up to 50 ms), a:3 would join its batch.
    await new Promise((r) => setTimeout(r, 10));
    await Promise.all([b, gc.submit('a:3')]);
    expect(batches).toEqual([['a:1'], ['a:2'], ['b:1'], ['a:3']]);
  });

  it('gives up on an awaited sender that does not come back within the linger', async () => {
    const { gc, batches } = recorder(20);
    for (let round = 1; round <= 2; round++) await Promise.all([gc.submit(`a:${round}`), gc.submit(`b:${round}`)]);
    // Both are awaited now; only 'a' comes back, and its item still gets flushed.
    await expect(gc.submit('a:3')).resolves.toBe('a:3');
    expect(batches.at(-1)).toEqual(['a:3']);
    await gc.idle();
  });
});
