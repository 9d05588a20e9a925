/**
 * @module HL7 table 0357 (message error condition codes), the texts ERR-3 carries next to the code.
 * Kept here (small, hot path: no 6 MB table load per ACK); a test checks it against the published
 * HL7 Terminology table (dictionary/table-values.ts).
 */
export const TABLE_0357: Readonly<Record<string, string>> = Object.freeze({
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '104': 'Value too long',
  '198': 'Non-Conformant Cardinality',
  '199': 'Other HL7 Error',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application error',
});
