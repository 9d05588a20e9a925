/**
 * @module A loaded, compiled mapping set: picks the message map for a message (MSH-9) and runs it.
 */
import { CarebridgeError, normalizeError } from '../errors/index.js';
import { runMessageMap } from './compile/engine.js';
import type { CompiledMessageMap } from './compile/message.js';
import type { MappableMessage } from './hl7-shape.js';
import type { LoadedMappings } from './loader.js';
import type { MappingResult } from './types.js';

export interface MapOptions {
  readonly explain?: boolean;
  /** Use this message map instead of the one MSH-9 selects. */
  readonly mapping?: string;
}

export interface MappingSet {
  readonly hash: string;
  readonly loadedAt: Date;
  readonly messageMaps: ReadonlyArray<{ id: string; type?: string; events: readonly string[] }>;
  /** The message map for a type/event, if any. */
  mappingFor(type: string, event: string): string | undefined;
  /** Throws CB_ERR_MAP_NOT_FOUND (no map) or CB_ERR_MAP_FAILED. */
  mapMessage(message: MappableMessage, o?: MapOptions): MappingResult;
  timeZoneFor(sender: string): string;
}

export function createMappingSet(loaded: LoadedMappings): MappingSet {
  // type → event → map: no `type^event` string built (and hashed) per message.
  const byKey = new Map<string, Map<string, CompiledMessageMap>>();
  const byId = new Map<string, CompiledMessageMap>();
  for (const m of loaded.messageMaps) {
    byId.set(m.id, m);
    let events = byKey.get(m.match!.type);
    if (!events) byKey.set(m.match!.type, (events = new Map()));
    for (const ev of m.match!.events) events.set(ev, m);
  }
  const mapFor = (type: string, event: string): CompiledMessageMap | undefined => byKey.get(type)?.get(event);
  const senders = loaded.senders;
  const zoneCache = new Map<string, string>();
  const timeZoneFor = (sender: string): string => {
    let z = zoneCache.get(sender);
    if (z) return z;
    const app = sender.split('|')[0]!;
    z = senders?.senders[sender]?.timezone ?? senders?.senders[app]?.timezone ?? senders?.defaultTimezone ?? 'UTC';
    zoneCache.set(sender, z);
    return z;
  };
  // application → facility → zone, for mapMessage: the sender string is not built to look it up.
  const zoneByApp = new Map<string, Map<string, string>>();
  const zoneOf = (app: string, facility: string): string => {
    let byFacility = zoneByApp.get(app);
    if (!byFacility) zoneByApp.set(app, (byFacility = new Map()));
    let z = byFacility.get(facility);
    if (z === undefined) {
      if (byFacility.size >= 1_000) byFacility.clear();
      z = timeZoneFor(`${app}|${facility}`);
      byFacility.set(facility, z);
    }
    return z;
  };
  return {
    hash: loaded.hash,
    loadedAt: new Date(),
    messageMaps: loaded.messageMaps.map((m) => ({ id: m.id, type: m.match?.type, events: m.match?.events ?? [] })),
    mappingFor: (type, event) => mapFor(type, event)?.id,
    timeZoneFor,
    mapMessage(message, o = {}) {
      const h = message.header;
      const map = o.mapping ? byId.get(o.mapping) : mapFor(h.messageType, h.triggerEvent);
      if (!map) {
        throw new CarebridgeError('CB_ERR_MAP_NOT_FOUND', o.mapping ? `no message map '${o.mapping}'` : `no mapping for ${h.messageType}^${h.triggerEvent}`);
      }
      try {
        return runMessageMap(map, message, { explain: o.explain, timeZone: zoneOf(h.sendingApplication, h.sendingFacility), mappingHash: loaded.hash });
      } catch (err) {
        if (err instanceof CarebridgeError && err.code === 'CB_ERR_MAP_FAILED') throw err;
        const e = normalizeError(err);
        throw new CarebridgeError('CB_ERR_MAP_FAILED', `mapping '${map.id}' failed for control id ${h.controlId}: ${e.code === 'CB_ERR_INTERNAL' ? (err as Error).message : e.message}`, { cause: err });
      }
    },
  };
}
