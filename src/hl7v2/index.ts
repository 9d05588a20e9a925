/**
 * @module hl7v2 — the room's door: ER7 parsing and ACKs (hl7-parser), MLLP framing/listener/client
 * and the durable intake (hl7-intake). Other rooms import only from here.
 */
export {
  MllpServer,
  MllpClient,
  MllpFrameDecoder,
  encodeFrame,
  type MllpServerOptions,
  type MllpTlsOptions,
  type MllpClientOptions,
  type MllpClientTlsOptions,
  type MllpResponse,
  type MllpHandler,
  type MllpReply,
} from './mllp/index.js';
