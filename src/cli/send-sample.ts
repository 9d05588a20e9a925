/**
 * @module `carebridge send-sample`: the first-run check. Sends a sample ADT^A01 over MLLP, prints
 * the ACK, then reads the Patient it created through the FHIR API (with a token, if given).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { MllpClient } from '../hl7v2/index.js';
import type { CliCommand } from './commands.js';

const SAMPLE = new URL('../../fixtures/first-run/adt-a01.hl7', import.meta.url);
const SAMPLE_MRN = 'FR-100001';

function stamp(message: string): { message: string; controlId: string } {
  const controlId = `FIRSTRUN-${Date.now()}`;
  const now = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const [msh, ...rest] = message.split('\r');
  const fields = msh!.split('|');
  fields[6] = now;
  fields[9] = controlId;
  return { message: [fields.join('|'), ...rest].join('\r'), controlId };
}

async function readPatient(httpUrl: string, token: string): Promise<unknown> {
  const url = `${httpUrl}/fhir/Patient?identifier=${encodeURIComponent(SAMPLE_MRN)}`;
  for (let i = 0; i < 20; i++) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } });
    if (!res.ok) throw new Error(`GET ${url} → HTTP ${res.status}: ${await res.text()}`);
    const bundle = (await res.json()) as { entry?: Array<{ resource?: unknown }> };
    const patient = bundle.entry?.[0]?.resource;
    if (patient) return patient;
    await new Promise((r) => setTimeout(r, 250)); // processing runs right after the ACK
  }
  return undefined;
}

export const sendSample: CliCommand = {
  name: 'send-sample',
  summary: 'send a sample ADT^A01 over MLLP, print the ACK and the Patient it created',
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: process.env.MLLP_PORT ?? '2575' },
        http: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? '8080'}` },
        token: { type: 'string', default: process.env.CAREBRIDGE_TOKEN ?? process.env.CAREBRIDGE_ADMIN_TOKEN },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write('usage: carebridge send-sample [--host 127.0.0.1] [--port 2575] [--http http://127.0.0.1:8080] [--token <bearer>]\n');
      return 0;
    }
    const { message, controlId } = stamp((await readFile(SAMPLE, 'utf8')).trim());
    const client = new MllpClient({ host: values.host!, port: Number(values.port), timeoutMs: 10_000 });
    try {
      const response = await client.send(message);
      process.stdout.write(`sent ADT^A01 ${controlId} to ${values.host}:${values.port}\nACK (${response.code}):\n${response.ack.replace(/\r/g, '\n')}\n`);
      if (response.code !== 'AA' && response.code !== 'CA') return 1;
    } finally {
      await client.close();
    }
    if (!values.token) {
      process.stdout.write(`\nTo read the Patient, pass --token (or set CAREBRIDGE_TOKEN) and run again, or:\n  curl -H "Authorization: Bearer $TOKEN" '${values.http}/fhir/Patient?identifier=${SAMPLE_MRN}'\n`);
      return 0;
    }
    const patient = await readPatient(values.http!, values.token);
    if (!patient) {
      process.stdout.write('\nNo Patient yet (is the ADT mapping loaded? see GET /readyz)\n');
      return 1;
    }
    process.stdout.write(`\nPatient created:\n${JSON.stringify(patient, null, 2)}\n`);
    return 0;
  },
};
