/**
 * @module Group commit: items submitted from any connection while a flush is in flight are written
 * together in the next flush (one statement, one fsync), then each submitter gets its own result.
 * No timer: under light load a lone item is flushed at once; under load batches grow by themselves.
 */

export type FlushFn<I, R> = (items: readonly I[]) => Promise<R[]>;

interface Waiting<I, R> {
  readonly item: I;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export interface GroupCommitOptions<I> {
  readonly maxBatch?: number;
  /** Items with the same key never share a batch (the later one waits for the next flush). */
  readonly keyOf?: (item: I) => string | undefined;
}

export class GroupCommitter<I, R> {
  readonly #flush: FlushFn<I, R>;
  readonly #maxBatch: number;
  readonly #keyOf: (item: I) => string | undefined;
  #queue: Array<Waiting<I, R>> = [];
  #running = false;
  #idle: Array<() => void> = [];

  constructor(flush: FlushFn<I, R>, options: GroupCommitOptions<I> = {}) {
    this.#flush = flush;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#keyOf = options.keyOf ?? (() => undefined);
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        // Let everything that arrived in this tick (several frames in one read) join the batch.
        setImmediate(() => void this.#loop());
      }
    });
  }

  /** Resolves once nothing is queued or being flushed. */
  async idle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  async #loop(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#take();
      try {
        const results = await this.#flush(batch.map((w) => w.item));
        if (results.length !== batch.length) throw new Error(`flush returned ${results.length} results for ${batch.length} items`);
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.#running = false;
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }

  #take(): Array<Waiting<I, R>> {
    const batch: Array<Waiting<I, R>> = [];
    const rest: Array<Waiting<I, R>> = [];
    const keys = new Set<string>();
    for (const w of this.#queue) {
      const key = this.#keyOf(w.item);
      if (batch.length >= this.#maxBatch || (key !== undefined && keys.has(key))) {
        rest.push(w);
        continue;
      }
      if (key !== undefined) keys.add(key);
      batch.push(w);
    }
    this.#queue = rest;
    return batch;
  }
}
