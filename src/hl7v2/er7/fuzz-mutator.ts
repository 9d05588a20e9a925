/** @module Seeded mutations of HL7 v2 messages, shared by the fuzz test and the parse benchmark. */

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL = [0x7c, 0x5e, 0x7e, 0x5c, 0x26, 0x23, 0x0d, 0x0a, 0x00, 0x0b, 0x1c, 0xff, 0xfe, 0xef, 0xbb, 0xbf, 0x4d, 0x53, 0x48, 0x58];

export function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  let b: Buffer = Buffer.from(src);
  const n = 1 + Math.floor(rnd() * 4);
  const pos = (): number => Math.floor(rnd() * (b.length + 1));
  const byte = (): number => (rnd() < 0.6 ? SPECIAL[Math.floor(rnd() * SPECIAL.length)]! : Math.floor(rnd() * 256));
  const insert = (at: number, bytes: Uint8Array | number[]): Buffer => Buffer.concat([b.subarray(0, at), Buffer.from(bytes), b.subarray(at)]);
  for (let k = 0; k < n; k++) {
    switch (Math.floor(rnd() * 8)) {
      case 0: if (b.length) b[Math.min(b.length - 1, pos())] = byte(); break;
      case 1: b = insert(pos(), Array.from({ length: 1 + Math.floor(rnd() * 8) }, byte)); break;
      case 2: { const p = pos(); b = Buffer.concat([b.subarray(0, p), b.subarray(p + Math.floor(rnd() * 40))]); break; }
      case 3: b = b.subarray(0, Math.floor(rnd() * b.length)); break; // truncate
      case 4: { const p = pos(); b = insert(pos(), Buffer.from(b.subarray(p, p + Math.floor(rnd() * 200)))); break; }
      case 5: if (b.length > 8) b[3 + Math.floor(rnd() * 5)] = byte(); break; // MSH-1 / MSH-2
      case 6: b = insert(pos(), [0x5c, ...Array.from({ length: Math.floor(rnd() * 6) }, () => 0x41 + Math.floor(rnd() * 26))]); break; // escape
      default: for (let i = 0; i < b.length; i++) if (b[i] === 0x0d && rnd() < 0.3) b[i] = 0x0a; // separators
    }
  }
  return new Uint8Array(b);
}
