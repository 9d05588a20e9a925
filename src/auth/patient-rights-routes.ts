/**
 * @module Patient data rights over HTTP:
 * - `POST /fhir/Patient/:id/$erase` (admin only, via the gate's `$erase` rule) erases the patient
 *   (see erase.ts) and answers an OperationOutcome with counts only; audited as 'erase' with no content.
 * - `GET /fhir/Patient/:id/$everything` (served by the fhir room) is marked as a download
 *   (`Content-Disposition: attachment`) here, and audited as 'export' by the fhir room / gate.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CarebridgeError, informationOutcome, normalizeError } from '../errors/index.js';
import type { AnyDb } from '../db/index.js';
import { erasePatient, type ErasurePurger } from './erase.js';
import type { AccessEvent, AuthStore } from './types.js';

export interface PatientRightsOptions {
  readonly db: AnyDb;
  readonly store: AuthStore;
  readonly purgePatientMessages?: (patientKey: string) => Promise<number>;
  readonly purgers?: readonly ErasurePurger[];
  readonly onAccess: (e: AccessEvent) => void;
}

const EVERYTHING = /^\/fhir\/Patient\/([A-Za-z0-9\-.]{1,64})\/\$everything$/;

export const patientRightsRoutes: FastifyPluginAsync<PatientRightsOptions> = async (app, opts) => {
  app.post<{ Params: { id: string } }>('/fhir/Patient/:id/$erase', async (request, reply) => {
    // Defence in depth: the gate already requires carebridge/admin for $erase.
    if (!request.principal?.policy.isAdmin) throw new CarebridgeError('CB_ERR_AUTH_FORBIDDEN', 'Forbidden: $erase needs carebridge/admin');
    const actor = { clientId: request.principal?.clientId, ip: request.ip };
    let report;
    try {
      report = await erasePatient({ db: opts.db, store: opts.store, purgePatientMessages: opts.purgePatientMessages, purgers: opts.purgers, onAccess: opts.onAccess }, request.params.id, actor);
    } catch (err) {
      // A failed erasure is audited too (the successful one is recorded by erasePatient).
      opts.onAccess({ interaction: 'erase', resourceType: 'Patient', id: request.params.id, status: normalizeError(err).kind.http, ...actor });
      throw err;
    }
    const total = Object.values(report.resources).reduce((a, b) => a + b, 0);
    const messages = report.messages === null ? 'raw HL7 messages: no message store connected' : `${report.messages} raw HL7 message(s)`;
    const other = Object.entries(report.other).map(([name, n]) => `; ${name}: ${n}`).join('');
    request.logIds = [`Patient/${report.patientId}`];
    return reply
      .type('application/fhir+json; charset=utf-8')
      .send(informationOutcome(`Patient/${report.patientId} erased: ${total} resource(s) with all versions and index rows (${Object.entries(report.resources).map(([t, n]) => `${t} ${n}`).join(', ')}); ${messages}${other}`));
  });
};

/** Root-level onSend hook: `$everything` answers download as a file. */
export function markEverythingAsDownload(url: string, statusCode: number): string | undefined {
  if (statusCode !== 200) return undefined;
  const m = EVERYTHING.exec(url.split('?')[0]!);
  return m ? `attachment; filename="Patient-${m[1]}-everything.json"` : undefined;
}
