/** @module Small helpers around ids, versions and meta that every write path shares. */
import { randomUUID } from 'node:crypto';
import type { Resource } from 'fhir/r4.js';
import { CarebridgeError } from '../errors/index.js';
import type { WriteSource } from './types.js';

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const TYPE_PATTERN = /^[A-Z][A-Za-z]{1,63}$/;

/** Throws CB_ERR_BAD_REQUEST unless `id` is a legal FHIR id (http://hl7.org/fhir/R4/datatypes.html#id). */
export function assertValidId(id: string, expression = 'id'): void {
  if (!ID_PATTERN.test(id)) {
    throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'Resource id must match [A-Za-z0-9-.]{1,64}', {
      details: [{ diagnostics: 'Resource id must match [A-Za-z0-9-.]{1,64}', expression }],
    });
  }
}

/**
 * A fresh server-assigned id: a UUIDv7 (RFC 9562 — 48-bit millisecond time, then 74 random bits).
 * Time-ordered ids put each new row's key at the right edge of the (resource_type, id) b-trees
 * (current row, history, search index owners) instead of on a random page of indexes far larger
 * than shared_buffers: a create touches a few hot pages instead of one cold page per index, and
 * writes far fewer full-page images to the WAL. Still unguessable for practical purposes, and
 * the time it reveals is the resource's meta.lastUpdated anyway. Built from randomUUID (v4, whose
 * variant bits v7 shares) so it costs one pooled random draw.
 */
export function newResourceId(now: number = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  // v4: xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx; keep its random tail after the version digit.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

export function isPlausibleType(type: string): boolean {
  return TYPE_PATTERN.test(type);
}

/** `W/"3"`, `"3"` or `3` → `3`. */
export function parseVersion(etagOrVersion: string): string {
  return etagOrVersion.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** The `source` as a meta.source uri (no patient data: only the kind and technical ids). */
export function sourceUri(source: WriteSource | undefined): string | undefined {
  if (!source) return undefined;
  const parts = [source.kind, source.clientId ?? source.sender ?? source.destination].filter(Boolean) as string[];
  const uri = `urn:carebridge:${parts.map(encodeURIComponent).join(':')}`;
  return source.controlId ? `${uri}#${encodeURIComponent(source.controlId)}` : uri;
}

/** A copy of `r` with id, versionId and lastUpdated set; meta.source set from the write source when there is one. */
export function stampMeta<T extends Resource>(r: T, id: string, versionId: number, lastUpdated: Date, source?: WriteSource): T {
  const meta = { ...(r.meta ?? {}), versionId: String(versionId), lastUpdated: lastUpdated.toISOString() };
  const src = sourceUri(source) ?? meta.source;
  if (src) meta.source = src;
  return { ...r, id, meta };
}

/**
 * The tag the v2 mappings put on what they write (which mapping, which content hash). Like
 * meta.source it says where a version came from, not what the resource says.
 */
const ORIGIN_TAG_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/mapping';

/**
 * Content equality for no-op updates, ignoring meta that records origin rather than content:
 * versionId, lastUpdated, source and the mapping tag. Otherwise every HL7 message that mentions
 * the same attending doctor (a different MSH-10 each time) would write a new Practitioner version,
 * queue on its lock, and wake every change-feed consumer for nothing.
 */
export function sameContent(a: Resource, b: Resource): boolean {
  return stableJson(stripOriginMeta(a)) === stableJson(stripOriginMeta(b));
}

function stripOriginMeta(r: Resource): Resource {
  if (!r.meta) return { ...r, id: undefined } as Resource;
  const { versionId: _v, lastUpdated: _l, source: _s, tag, ...rest } = r.meta;
  const contentTags = tag?.filter((t) => t.system !== ORIGIN_TAG_SYSTEM);
  const meta = { ...rest, ...(contentTags?.length ? { tag: contentTags } : {}) };
  return { ...r, id: undefined, meta: Object.keys(meta).length ? meta : undefined } as Resource;
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}
