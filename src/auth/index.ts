/**
 * @module auth — who may call carebridge, what they may do, and the trace they leave:
 * SMART backend-services clients and API keys, scopes → AccessPolicy, the default-deny request
 * gate, batched AuditEvents, consent checks and patient erasure.
 */
export { authMigrations } from './migrations.js';
export { installAuth, policyForRequest, authServicesOf, PUBLIC_PATHS, type AuthServices, type InstallAuthOptions, type RegisteredRoute } from './install.js';
export { createAuditWriter, storeAuditSink, type AuditWriter, type AuditSink } from './audit-writer.js';
export { toAuditEvent } from './audit-event.js';
export { createConsentService, mayContact, type ConsentService, type ContactDecision, type ContactQuery } from './consent.js';
export { createClientRepository, type ClientRepository, type AuthClient, type CreatedClient } from './clients.js';
export { policyFromScopes, allowAllPolicy } from './policy.js';
export { parseScope, parseScopes, ADMIN_SCOPE, HL7V2_SCOPE } from './scopes.js';
export { authCommands } from './cli.js';
export { erasePatient, type EraseDeps, type EraseReport, type ErasurePurger, type ErasureSubject } from './erase.js';
export type { AccessPolicy, AccessEvent, FhirInteraction, Principal, AuthStore } from './types.js';
