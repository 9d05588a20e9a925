/**
 * @module Group commit: items submitted from any connection while a flush is in flight are written
 * together in the next flush (one statement, one fsync), then each submitter gets its own result.
 * No timer: under light load a lone item is flushed at once; under load batches grow by themselves.
 * Up to `maxInFlight` flushes run at once: when commits wait on fsync, a second batch commits in
 * the same WAL flush instead of queueing behind the first (PostgreSQL groups concurrent commits).
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
  /** Flushes running concurrently (default 1). */
  readonly maxInFlight?: number;
}

export class GroupCommitter<I, R> {
  readonly #flush: FlushFn<I, R>;
  readonly #maxBatch: number;
  readonly #keyOf: (item: I) => string | undefined;
  readonly #maxInFlight: number;
  #queue: Array<Waiting<I, R>> = [];
  #inFlight = 0;
  #scheduled = false;
  #idle: Array<() => void> = [];

  constructor(flush: FlushFn<I, R>, options: GroupCommitOptions<I> = {}) {
    this.#flush = flush;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#keyOf = options.keyOf ?? (() => undefined);
    this.#maxInFlight = options.maxInFlight ?? 1;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#scheduled && this.#inFlight < this.#maxInFlight) {
        this.#scheduled = true;
        // Let everything that arrived in this tick (several frames in one read) join the batch.
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  /** Resolves once nothing is queued or being flushed. */
  async idle(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      const batch = this.#take();
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
        if (this.#inFlight === 0 && this.#queue.length === 0) {
          const idle = this.#idle;
          this.#idle = [];
          for (const f of idle) f();
        }
      });
    }
  }

  async #run(batch: Array<Waiting<I, R>>): Promise<void> {
    try {
      const results = await this.#flush(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`flush returned ${results.length} results for ${batch.length} items`);
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
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
