/** @module mllp — MLLP framing, listener and client (internal to room hl7v2; exported through ../index.ts). */
export { VT, FS, CR, DEFAULT_MAX_FRAME_BYTES, encodeFrame } from './constants.js';
export { MllpFrameDecoder, type DecodedItem, type FrameDecoderOptions } from './frame-decoder.js';
export { MllpConnection, normaliseAddress, type MllpHandler, type MllpReply, type MllpFrameContext, type MllpConnectionOptions } from './connection.js';
export { MllpServer, type MllpServerOptions, type MllpTlsOptions } from './server.js';
export { MllpClient, type MllpClientOptions, type MllpClientTlsOptions, type MllpResponse } from './client.js';
export { peekField } from './peek.js';
