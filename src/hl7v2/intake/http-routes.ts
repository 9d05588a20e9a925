/**
 * @module `POST /hl7v2`: HL7 v2 over HTTP (`x-application/hl7-v2+er7` or `text/plain`), the ACK as
 * the response body. A batch (FHS/BHS) gets a batch ACK: one ACK per message inside BHS … BTS.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyPluginAsync } from 'fastify';
import { CarebridgeError } from '../../errors/index.js';
import { splitUpload } from './batch-split.js';
import type { Intake } from './intake.js';
import type { SenderDirectory } from './senders.js';

export interface Hl7HttpRoutesOptions {
  readonly intake: Intake;
  readonly senders: SenderDirectory;
  /** Over TLS with a client CA: a request without a certificate that CA signed is refused. */
  readonly requireClientCertificate?: boolean;
}

const CONTENT_TYPES = ['x-application/hl7-v2+er7', 'application/hl7-v2', 'application/hl7-v2+er7', 'text/plain'];

export const hl7HttpRoutes: FastifyPluginAsync<Hl7HttpRoutesOptions> = async (app, { intake, senders, requireClientCertificate }) => {
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(CONTENT_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.post('/hl7v2', async (request, reply) => {
    const address = request.ip.startsWith('::ffff:') ? request.ip.slice(7) : request.ip;
    if (!senders.allowsPeer(address)) {
      request.log.warn({ peer: address }, 'hl7v2 post from a peer outside the allowlist refused');
      throw new CarebridgeError('CB_ERR_AUTH_SENDER_NOT_ALLOWED', 'This address may not send HL7 v2 messages');
    }
    const tls = request.raw.socket as TLSSocket;
    if (requireClientCertificate && !tls.authorized) {
      request.log.warn({ peer: address, reason: tls.authorizationError?.toString() }, 'hl7v2 post without a trusted client certificate refused');
      throw new CarebridgeError('CB_ERR_AUTH_SENDER_NOT_ALLOWED', 'POST /hl7v2 needs a client certificate signed by the configured CA');
    }
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new CarebridgeError('CB_ERR_UNSUPPORTED_MEDIA_TYPE', `POST /hl7v2 takes ${CONTENT_TYPES.join(' or ')} with a message body`);
    }
    const { messages, batch } = splitUpload(body);
    const acks: string[] = [];
    const context = { transport: 'http' as const, peer: `${address}:${request.socket.remotePort ?? 0}`, remoteAddress: address };
    for (const raw of messages) {
      // One at a time, in order: a sender's batch may hold A01 then A08 for the same patient.
      await intake.receive(raw, context, (ack) => acks.push(ack));
    }
    reply.type('x-application/hl7-v2+er7; charset=utf-8');
    if (!batch && acks.length <= 1) return acks[0] ?? '';
    return `BHS|^~\\&|CAREBRIDGE||||${hl7Now()}\r${acks.join('')}BTS|${acks.length}\r`;
  });
};

function hl7Now(): string {
  return new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
