/**
 * @module MLLP framing bytes (HL7 v2.5.1 Appendix C, "Minimal Lower Layer Protocol"):
 * a frame is `<VT> payload <FS><CR>`.
 */
export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

/** Default largest frame accepted (MLLP_MAX_FRAME_BYTES). */
export const DEFAULT_MAX_FRAME_BYTES = 2 * 1024 * 1024;

/** Wraps a payload in an MLLP frame. */
export function encodeFrame(payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const out = Buffer.allocUnsafe(body.length + 3);
  out[0] = VT;
  body.copy(out, 1);
  out[body.length + 1] = FS;
  out[body.length + 2] = CR;
  return out;
}
