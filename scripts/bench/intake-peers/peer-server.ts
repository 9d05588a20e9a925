/**
 * Peer servers for the intake benchmark, each in its own process like carebridge:
 * `echo` — bare MLLP on node:net answering a minimal AA built by string slicing (no parse, no store);
 * `medplum` — @medplum/hl7 Hl7Server answering `message.buildAck()` (no store).
 * Prints `READY <port>`.
 */
import { createServer } from 'node:net';
import { Hl7Server } from '@medplum/hl7';
import { MllpFrameDecoder, encodeFrame } from '../../../src/hl7v2/index.js';

const kind = process.argv[2];
const port = Number(process.argv[3]);

if (kind === 'echo') {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const decoder = new MllpFrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const item of decoder.push(chunk)) {
        if (item.kind !== 'frame') continue;
        const text = item.payload.toString('latin1');
        const controlId = text.slice(0, text.indexOf('\r')).split('|')[9] ?? '';
        socket.write(encodeFrame(`MSH|^~\\&|ECHO|ECHO|||||ACK|${controlId}|P|2.5.1\rMSA|AA|${controlId}\r`));
      }
    });
    socket.on('error', () => undefined);
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write(`READY ${port}\n`));
} else if (kind === 'medplum') {
  const server = new Hl7Server((connection) => {
    connection.addEventListener('message', ({ message }) => connection.send(message.buildAck()));
  });
  server.start(port);
  // Hl7Server.start has no callback; the port is bound on the next turn.
  setTimeout(() => process.stdout.write(`READY ${port}\n`), 200);
} else {
  process.stderr.write('usage: peer-server.ts echo|medplum <port>\n');
  process.exit(2);
}
