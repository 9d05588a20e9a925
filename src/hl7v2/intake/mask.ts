/**
 * @module Masks patient data in raw ER7 for display: header and control segments (MSH, EVN, MSA,
 * ERR, batch envelopes) stay readable; every other segment keeps its name and field structure but
 * each non-empty value becomes `***`.
 */
const READABLE = new Set(['MSH', 'EVN', 'MSA', 'ERR', 'FHS', 'BHS', 'BTS', 'FTS']);

export function maskPatientData(er7: string): string {
  const field = er7.startsWith('MSH') ? er7.charAt(3) : '|';
  return er7
    .split(/(\r\n|\r|\n)/)
    .map((line) => {
      if (/^(\r\n|\r|\n)$/.test(line) || READABLE.has(line.slice(0, 3))) return line;
      const [name, ...fields] = line.split(field);
      return [name, ...fields.map((f) => (f === '' ? '' : '***'))].join(field);
    })
    .join('');
}
