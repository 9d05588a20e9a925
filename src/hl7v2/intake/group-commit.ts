/**
 * @module Group commit: items submitted from any connection while a flush is in flight are written
 * together in the next flush (one statement, one fsync), then each submitter gets its own result.
 * Under light load a lone item is flushed at once; under load batches grow by themselves.
 * Up to `maxInFlight` flushes run at once (PostgreSQL groups concurrent commits into one WAL flush).
 *
 * Linger (`sourceOf` + `lingerMs`): a sender that keeps one message in flight (MLLP) sends its next
 * one right after its answer. When such senders were just answered, a queued item waits — at most
 * `lingerMs` — until they are back, so one flush carries the whole cohort instead of several
 * flushes carrying a few each. A commit costs the database far more than a row (WAL flush, the
 * call, the transaction), so fewer, fuller flushes are what lets two cores keep up. Only senders
 * seen to come back within `lingerMs` are waited for: a paced or idle sender costs no wait.
 */

export type FlushFn<I, R> = (items: readonly I[]) => Promise<R[]>;

interface Waiting<I, R> {
  readonly item: I;
  readonly source: string | undefined;
  /** The source came back within lingerMs of its previous answer: wait for it after this one. */
  readonly eager: boolean;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export interface GroupCommitOptions<I> {
  readonly maxBatch?: number;
  /** Items with the same key never share a batch (the later one waits for the next flush). */
  readonly keyOf?: (item: I) => string | undefined;
  /** Flushes running concurrently (default 1). */
  readonly maxInFlight?: number;
  /** Who sent the item (e.g. the connection), for the linger; undefined = never waited for. */
  readonly sourceOf?: (item: I) => string | undefined;
  /** Longest wait for answered senders to come back before a flush starts (default 0 = no linger). */
  readonly lingerMs?: number;
}

export class GroupCommitter<I, R> {
  readonly #flush: FlushFn<I, R>;
  readonly #maxBatch: number;
  readonly #keyOf: (item: I) => string | undefined;
  readonly #maxInFlight: number;
  readonly #sourceOf: (item: I) => string | undefined;
  readonly #lingerMs: number;
  #queue: Array<Waiting<I, R>> = [];
  #inFlight = 0;
  #scheduled = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  /** Sources answered recently: when, and whether the batch should wait for them. */
  readonly #answered = new Map<string, { at: number; awaited: boolean }>();
  #idle: Array<() => void> = [];

  constructor(flush: FlushFn<I, R>, options: GroupCommitOptions<I> = {}) {
    this.#flush = flush;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#keyOf = options.keyOf ?? (() => undefined);
    this.#maxInFlight = options.maxInFlight ?? 1;
    this.#sourceOf = options.sourceOf ?? (() => undefined);
    this.#lingerMs = options.lingerMs ?? 0;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const source = this.#lingerMs > 0 ? this.#sourceOf(item) : undefined;
      let eager = false;
      if (source !== undefined) {
        const last = this.#answered.get(source);
        if (last) {
          eager = performance.now() - last.at <= this.#lingerMs;
          this.#answered.delete(source);
        }
      }
      this.#queue.push({ item, source, eager, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once nothing is queued or being flushed. */
  async idle(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#queue.length === 0 || this.#inFlight >= this.#maxInFlight) return;
    const wait = this.#queue.length < this.#maxBatch ? this.#lingerLeft() : 0;
    if (wait > 0) {
      if (!this.#lingerTimer) {
        this.#lingerTimer = setTimeout(() => {
          this.#lingerTimer = undefined;
          this.#schedule();
        }, wait);
      }
      return;
    }
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    this.#scheduled = true;
    // Let everything that arrived in this tick (several frames in one read) join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** Milliseconds until the last awaited source is given up on; 0 when none is awaited. */
  #lingerLeft(): number {
    if (this.#answered.size === 0) return 0;
    const now = performance.now();
    let left = 0;
    for (const [source, { at, awaited }] of this.#answered) {
      const remaining = at + this.#lingerMs - now;
      // Past its window a source is not coming back soon (closed, idle, paced): forget it.
      if (remaining <= 0) this.#answered.delete(source);
      else if (awaited) left = Math.max(left, remaining);
    }
    return left;
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      const batch = this.#take();
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#schedule();
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
      this.#noteAnswered(batch);
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  #noteAnswered(batch: Array<Waiting<I, R>>): void {
    if (this.#lingerMs <= 0) return;
    const at = performance.now();
    for (const w of batch) if (w.source !== undefined) this.#answered.set(w.source, { at, awaited: w.eager });
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
