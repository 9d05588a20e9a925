/** Shared by the compile tests: a throw-away mapping folder and a one-PID ADT^A01 to map with it. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBatch } from '../../hl7v2/index.js';
import type { MappableMessage } from '../hl7-shape.js';
import { loadMappingDir } from '../loader.js';
import { createMappingSet, type MappingSet } from '../mapping-set.js';

/** Writes `files` (path under the folder → YAML text) to a new temp folder and returns it. */
export function writeMappingFiles(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name.split('/')[0]!), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export async function loadMappingSet(dir: string): Promise<MappingSet> {
  const loaded = await loadMappingDir(dir);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return createMappingSet(loaded.mappings);
}

/** An ADT^A01 whose PID has the given fields set (1-based field number → text), 30 fields long. */
export function adtWithPid(fields: Record<number, string>): MappableMessage {
  const pid = Array.from({ length: 30 }, (_, i) => fields[i + 1] ?? '').join('|');
  const raw = `MSH|^~\\&|APP|FAC|CB|CB|20240101120000||ADT^A01|C1|P|2.8\rPID|${pid}\r`;
  return parseBatch(Buffer.from(raw)).messages[0] as unknown as MappableMessage;
}
