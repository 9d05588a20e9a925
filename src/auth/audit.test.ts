import type { AuditEvent } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/index.js';
import { digestQuery, toAuditEvent } from './audit-event.js';
import { createAuditWriter } from './audit-writer.js';

const logger = createLogger({ level: 'silent' });

describe('AuditEvent shape', () => {
  it('records who, what, outcome and from where, with query values digested', () => {
    const e = toAuditEvent({ interaction: 'search', resourceType: 'Patient', query: 'family=Doe&_count=5', status: 200, clientId: 'cbc_1', ip: '10.0.0.9' });
    expect(e.action).toBe('E');
    expect(e.outcome).toBe('0');
    expect(e.subtype?.[0]?.code).toBe('search');
    expect(e.agent[0]?.who?.identifier?.value).toBe('cbc_1');
    expect(e.agent[0]?.network?.address).toBe('10.0.0.9');
    expect(e.source.observer.display).toBe('carebridge');
    const query = Buffer.from(e.entity![0]!.query!, 'base64').toString();
    expect(query).not.toContain('Doe');
    expect(query).toContain('_count=5');
    expect(query).toBe(digestQuery('family=Doe&_count=5'));
    expect(JSON.stringify(e)).not.toContain('Doe');
  });

  it('maps failures and erase', () => {
    expect(toAuditEvent({ interaction: 'read', resourceType: 'Patient', id: '1', status: 403 }).outcome).toBe('4');
    expect(toAuditEvent({ interaction: 'update', resourceType: 'Patient', id: '1', status: 500 }).outcome).toBe('8');
    const erase = toAuditEvent({ interaction: 'erase', resourceType: 'Patient', id: 'p1', status: 200 });
    expect(erase.action).toBe('D');
    expect(erase.entity?.[0]?.what?.reference).toBe('Patient/p1');
    expect(toAuditEvent({ interaction: 'login', status: 401 }).type.code).toBe('110114');
  });
});

describe('batched audit writer', () => {
  it('buffers, flushes on the timer, on a full batch, and everything on close', async () => {
    const batches: AuditEvent[][] = [];
    const w = createAuditWriter({ sink: async (b) => void batches.push(b), logger, flushIntervalMs: 60_000, maxBatch: 3 });
    w.record({ interaction: 'read', status: 200 });
    w.record({ interaction: 'read', status: 200 });
    expect(batches).toHaveLength(0); // record() never waits for the sink
    w.record({ interaction: 'read', status: 200 }); // full batch
    await w.flush();
    expect(batches.map((b) => b.length)).toEqual([3]);
    w.record({ interaction: 'search', status: 200 });
    await w.close();
    expect(batches.map((b) => b.length)).toEqual([3, 1]);
    expect(w.pending).toBe(0);
  });

  it('keeps events when the sink fails and writes them on the next flush', async () => {
    let fail = true;
    const written: AuditEvent[] = [];
    const w = createAuditWriter({
      sink: async (b) => {
        if (fail) throw new Error('db down');
        written.push(...b);
      },
      logger,
      flushIntervalMs: 60_000,
    });
    w.record({ interaction: 'delete', status: 204 });
    await w.flush();
    expect(w.pending).toBe(1);
    fail = false;
    await w.close();
    expect(written).toHaveLength(1);
  });

  it('flushes on its timer', async () => {
    const written: AuditEvent[] = [];
    const w = createAuditWriter({ sink: async (b) => void written.push(...b), logger, flushIntervalMs: 20 });
    w.record({ interaction: 'read', status: 200 });
    await new Promise((r) => setTimeout(r, 150));
    expect(written).toHaveLength(1);
    await w.close();
  });
});
