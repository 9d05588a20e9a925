/** @module parseAck: reading a peer's acknowledgment (for the outbound MLLP client). */
import { CarebridgeError } from '../../errors/index.js';
import { parseMessage } from '../er7/parse-message.js';
import type { ParseOptions } from '../er7/types.js';
import type { AckCode } from './build-ack.js';

export interface AckError {
  /** ERR-2 (2.5+) or ERR-1 segment^sequence^field (older), '^'-joined. */
  readonly location?: string;
  /** Table 0357 code (ERR-3.1, or ERR-1.4.1). */
  readonly code?: string;
  readonly severity?: string;
  readonly text?: string;
}

export interface ParsedAck {
  readonly code: AckCode;
  /** MSA-2: the control id of the message being acknowledged. */
  readonly controlId: string;
  /** MSA-3, else the first ERR-8 / ERR-3.2 / ERR-1.4.2 text. */
  readonly text?: string;
  readonly errors: AckError[];
}

const CODES = new Set(['AA', 'AE', 'AR', 'CA', 'CE', 'CR']);

export function parseAck(input: string | Uint8Array, o: ParseOptions = {}): ParsedAck {
  const msg = parseMessage(input, { ...o, requireHeaderFields: false });
  const msa = msg.segment('MSA');
  if (!msa) throw ackError('Acknowledgment has no MSA segment', 'MSA^1');
  const code = msa.get('1')?.toUpperCase() ?? '';
  if (!CODES.has(code)) throw ackError(`MSA-1 '${code}' is not an acknowledgment code`, 'MSA^1^1');
  const errors: AckError[] = msg.segmentsNamed('ERR').map((err) => {
    const erl = [1, 2, 3, 4, 5, 6].map((c) => err.get(`2.${c}`) ?? '');
    while (erl.length > 0 && erl[erl.length - 1] === '') erl.pop();
    const eld = [1, 2, 3].map((c) => err.get(`1.${c}`) ?? '');
    while (eld.length > 0 && eld[eld.length - 1] === '') eld.pop();
    const location = erl.length > 0 ? erl.join('^') : eld.length > 0 ? eld.join('^') : undefined;
    return {
      location,
      code: err.get('3.1') ?? err.get('1.4.1'),
      severity: err.get('4'),
      text: err.get('8') ?? err.get('3.2') ?? err.get('1.4.2'),
    };
  });
  const text = msa.get('3') ?? errors.find((e) => e.text)?.text;
  return { code: code as AckCode, controlId: msa.get('2') ?? '', text, errors };
}

function ackError(diagnostics: string, location: string): CarebridgeError {
  return new CarebridgeError('CB_ERR_HL7_PARSE', diagnostics, { details: [{ location, diagnostics }] });
}
