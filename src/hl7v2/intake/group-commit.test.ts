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
