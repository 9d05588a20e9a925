/**
 * @module `carebridge export-patient <id>`: a patient's data-access request. Pages through
 * `Patient/$everything` on a running server (so the export is authorised and audited there like any
 * other access) and writes one collection Bundle.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Bundle, BundleEntry } from 'fhir/r4.js';
import type { CliCommand } from './commands.js';

const USAGE = 'usage: carebridge export-patient <patientId> [--out file.json] [--http http://127.0.0.1:8080] [--token <bearer>]\n';

export const exportPatient: CliCommand = {
  name: 'export-patient',
  summary: "export everything about a patient as one FHIR Bundle (via the running server's $everything, audited)",
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...args],
        allowPositionals: true,
        options: {
          out: { type: 'string' },
          http: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? '8080'}` },
          token: { type: 'string', default: process.env.CAREBRIDGE_TOKEN ?? process.env.CAREBRIDGE_ADMIN_TOKEN },
          help: { type: 'boolean', default: false },
        },
      });
    } catch (e) {
      process.stderr.write(`carebridge export-patient: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const id = positionals[0];
    if (!id || !values.token) {
      process.stderr.write(`carebridge export-patient: a patient id and a token (--token or CAREBRIDGE_TOKEN) are needed\n${USAGE}`);
      return 2;
    }
    const entries: BundleEntry[] = [];
    let url: string | undefined = `${values.http}/fhir/Patient/${encodeURIComponent(id)}/$everything?_count=500`;
    while (url) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${values.token}`, accept: 'application/fhir+json' } });
      if (!res.ok) {
        process.stderr.write(`carebridge export-patient: GET ${url} → HTTP ${res.status}: ${await res.text()}\n`);
        return 1;
      }
      const page = (await res.json()) as Bundle;
      for (const e of page.entry ?? []) if (e.resource) entries.push({ fullUrl: e.fullUrl, resource: e.resource });
      url = page.link?.find((l) => l.relation === 'next')?.url;
    }
    const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(), total: entries.length, entry: entries } as Bundle;
    const text = `${JSON.stringify(bundle, null, 2)}\n`;
    if (values.out) {
      await writeFile(values.out, text, { mode: 0o600 });
      process.stderr.write(`wrote ${entries.length} resource(s) to ${values.out}\n`);
    } else {
      process.stdout.write(text);
    }
    return 0;
  },
};
