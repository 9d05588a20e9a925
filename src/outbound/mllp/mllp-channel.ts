/**
 * @module MLLP out, on the hl7v2 room's `MllpClient` (node:net; one message in flight per
 * connection; the ACK matched by MSA-2 = MSH-10; on timeout the socket is dropped so the retry
 * goes out on a fresh connection). One client per allowed concurrent send.
 * AA/CA → delivered; AE/CE → retry or dead letter (`onApplicationError`); AR/CR → dead letter;
 * no ACK in time / connection lost → retry.
 */
import { MllpClient } from '../../hl7v2/index.js';
import type { Channel } from '../channel.js';
import type { DeliveryOutcome, OutboxMessage } from '../types.js';

export interface MllpChannelOptions {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly ackTimeoutMs: number;
  readonly onApplicationError: 'retry' | 'dead-letter';
  /** Close the connection after each message (for receivers that mis-ACK a second message on a connection). */
  readonly connectionPerMessage?: boolean;
}

export function createMllpChannel(o: MllpChannelOptions): Channel {
  const idle: MllpClient[] = [];
  const all = new Set<MllpClient>();
  const take = () => {
    const c = idle.pop() ?? new MllpClient({ host: o.host, port: o.port, timeoutMs: o.ackTimeoutMs, connectTimeoutMs: Math.min(o.ackTimeoutMs, 10_000) });
    all.add(c);
    return c;
  };
  const give = async (c: MllpClient, healthy: boolean) => {
    if (!healthy || o.connectionPerMessage || idle.length >= o.connections) {
      all.delete(c);
      await c.close();
    } else idle.push(c);
  };
  return {
    kind: 'mllp',
    async send(m: OutboxMessage): Promise<DeliveryOutcome> {
      if (m.payload.kind !== 'hl7v2') return { kind: 'reject', error: `mllp cannot send a ${m.payload.kind} payload` };
      const client = take();
      try {
        const { code, ack } = await client.send(m.payload.message);
        await give(client, true);
        return ackOutcome(code, ack, o.onApplicationError);
      } catch (err) {
        await give(client, false);
        return { kind: 'retry', error: (err as Error).message.slice(0, 300) };
      }
    },
    async close() {
      await Promise.all([...all].map((c) => c.close()));
      all.clear();
      idle.length = 0;
    },
  };
}

export function ackOutcome(code: string, ack: string, onApplicationError: 'retry' | 'dead-letter'): DeliveryOutcome {
  const c = code.toUpperCase();
  if (c === 'AA' || c === 'CA') return { kind: 'delivered' };
  const response = ack.replace(/\r/g, '\n').slice(0, 2000);
  if (c === 'AE' || c === 'CE') return onApplicationError === 'retry' ? { kind: 'retry', error: `ACK ${c}`, response } : { kind: 'reject', error: `ACK ${c}`, response };
  return { kind: 'reject', error: `ACK ${c || '(none)'}`, response };
}
