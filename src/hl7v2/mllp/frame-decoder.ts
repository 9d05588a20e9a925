/**
 * @module Turns a TCP byte stream into MLLP frames.
 *
 * Robust to what real senders do: a frame split across many reads, several frames in one read,
 * bytes before the start block (discarded and counted), a missing CR after the end block, and a
 * frame larger than the limit (reported once; the caller must close the connection because the
 * stream can no longer be trusted to resynchronise on a frame boundary).
 */
import { CR, DEFAULT_MAX_FRAME_BYTES, FS, VT } from './constants.js';

export type DecodedItem =
  | { readonly kind: 'frame'; readonly payload: Buffer }
  | { readonly kind: 'too-large'; readonly bytes: number }
  | { readonly kind: 'discarded'; readonly bytes: number };

export interface FrameDecoderOptions {
  readonly maxFrameBytes?: number;
}

export class MllpFrameDecoder {
  readonly #maxFrameBytes: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #inFrame = false;
  /** True right after an FS: a following CR belongs to the trailer and is skipped. */
  #afterEnd = false;
  #failed = false;

  constructor(options: FrameDecoderOptions = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes of the frame currently being received (0 between frames). */
  get pendingBytes(): number {
    return this.#inFrame ? this.#size : 0;
  }

  /** True while a frame has started but not ended. */
  get inFrame(): boolean {
    return this.#inFrame;
  }

  push(chunk: Buffer): DecodedItem[] {
    if (this.#failed) return [];
    const items: DecodedItem[] = [];
    let pos = 0;
    let discarded = 0;
    while (pos < chunk.length) {
      if (!this.#inFrame) {
        if (this.#afterEnd && chunk[pos] === CR) {
          this.#afterEnd = false;
          pos++;
          continue;
        }
        this.#afterEnd = false;
        const start = chunk.indexOf(VT, pos);
        if (start < 0) {
          discarded += chunk.length - pos;
          break;
        }
        discarded += start - pos;
        this.#inFrame = true;
        pos = start + 1;
        continue;
      }
      const end = chunk.indexOf(FS, pos);
      const stop = end < 0 ? chunk.length : end;
      // A start block inside a frame means the sender gave up on the partial frame and started
      // over (a payload never holds VT): drop what we had and resynchronise.
      const restart = chunk.indexOf(VT, pos);
      if (restart >= 0 && restart < stop) {
        discarded += this.#size + (restart - pos);
        this.#chunks = [];
        this.#size = 0;
        pos = restart + 1;
        continue;
      }
      if (this.#size + (stop - pos) > this.#maxFrameBytes) {
        this.#failed = true;
        items.push({ kind: 'too-large', bytes: this.#size + (stop - pos) });
        this.#chunks = [];
        this.#size = 0;
        return flushDiscarded(items, discarded);
      }
      if (stop > pos) {
        this.#chunks.push(chunk.subarray(pos, stop));
        this.#size += stop - pos;
      }
      if (end < 0) break;
      const payload = this.#chunks.length === 1 ? Buffer.from(this.#chunks[0]!) : Buffer.concat(this.#chunks, this.#size);
      this.#chunks = [];
      this.#size = 0;
      this.#inFrame = false;
      this.#afterEnd = true;
      items.push({ kind: 'frame', payload });
      pos = end + 1;
    }
    return flushDiscarded(items, discarded);
  }
}

function flushDiscarded(items: DecodedItem[], discarded: number): DecodedItem[] {
  if (discarded > 0) items.unshift({ kind: 'discarded', bytes: discarded });
  return items;
}
