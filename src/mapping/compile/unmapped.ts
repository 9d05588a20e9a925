/**
 * @module The unmapped-data report: populated fields no rule of the message map reads, segments
 * it does not map at all, and Z-segments — how silent data loss is caught.
 */
import type { MappableMessage } from '../hl7-shape.js';
import type { UnmappedField } from '../types.js';
import { nodeHasValue } from '../v2-path.js';
import { fieldDescription } from '../v2-definitions.js';

/** Segments the intake consumes itself (routing, ACK), never reported. */
const ENVELOPE = new Set(['MSH', 'BHS', 'BTS', 'FHS', 'FTS']);

export function unmappedFields(message: MappableMessage, reads: ReadonlyMap<string, ReadonlySet<number>>, skipped: ReadonlySet<number> = new Set()): UnmappedField[] {
  const out: UnmappedField[] = [];
  const occurrence = new Map<string, number>();
  message.segments.forEach((seg, pos) => {
    const n = (occurrence.get(seg.name) ?? 0) + 1;
    occurrence.set(seg.name, n);
    if (ENVELOPE.has(seg.name)) return;
    if (seg.name.startsWith('Z')) {
      if (hasData(seg.fields)) out.push({ segment: seg.name, occurrence: n, reason: 'z-segment' });
      return;
    }
    const read = reads.get(seg.name);
    if (!read || skipped.has(pos)) {
      if (hasData(seg.fields)) out.push({ segment: seg.name, occurrence: n, reason: 'segment-not-mapped' });
      return;
    }
    for (let f = 1; f < seg.fields.length; f++) {
      if (f === 1 && isBookkeepingField(seg.name)) continue;
      if (!read.has(f) && nodeHasValue(seg.fields[f] as never)) out.push({ segment: seg.name, occurrence: n, field: f, reason: 'field-not-read' });
    }
  });
  return out;
}

const bookkeeping = new Map<string, boolean>();
/** Field 1 that is a Set ID (PID-1, OBX-1 …) or EVN-1 (repeats MSH-9.2) carries no data to lose. */
function isBookkeepingField(segment: string): boolean {
  let b = bookkeeping.get(segment);
  if (b === undefined) {
    b = segment === 'EVN' || /^set ?id/i.test(fieldDescription('2.5', segment, 1) ?? '');
    bookkeeping.set(segment, b);
  }
  return b;
}

function hasData(fields: MappableMessage['segments'][number]['fields']): boolean {
  for (let f = 1; f < fields.length; f++) if (nodeHasValue(fields[f] as never)) return true;
  return false;
}

/** `PID-13`, `ZPI`, `NTE[2]` — one line per unmapped item. */
export function formatUnmapped(u: UnmappedField): string {
  const seg = u.occurrence > 1 ? `${u.segment}[${u.occurrence}]` : u.segment;
  return u.field !== undefined ? `${seg}-${u.field}` : seg;
}
