/**
 * @module `carebridge clients …` and `carebridge erase-patient`: client management from the
 * command line against the configured database. Secrets go to stdout once and nowhere else.
 */
import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import type { Database } from '../db/index.js';
import { isCarebridgeError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { createAuditWriter, storeAuditSink } from './audit-writer.js';
import { createClientRepository, type ClientRepository } from './clients.js';
import { erasePatient, type ErasurePurger } from './erase.js';
import type { AuthStore } from './types.js';

export interface CliRuntime {
  readonly database: Database;
  readonly store: AuthStore;
  readonly logger: Logger;
  /** The intake's door, when wired (raw HL7 messages of the patient). */
  readonly purgePatientMessages?: (patientKey: string) => Promise<number>;
  /** Other rooms' erasure steps (same list as installAuth's erasurePurgers). */
  readonly erasurePurgers?: readonly ErasurePurger[];
  close(): Promise<void>;
}

export interface AuthCliDeps {
  /** Opens the runtime (database with every migration applied); the command closes it. */
  openRuntime(): Promise<CliRuntime>;
}

/** Client id recorded in AuditEvents for actions taken from the command line. */
const CLI_ACTOR = 'cli';

interface Command {
  readonly name: string;
  readonly summary: string;
  run(args: readonly string[]): Promise<number>;
}

const CLIENTS_USAGE = `Usage:
  carebridge clients create --scopes "<scopes>" (--api-key | --jwks-url <url> | --jwks-file <path>) [--name <name>] [--json]
  carebridge clients list [--json]
  carebridge clients revoke <clientId>
  carebridge clients rotate <clientId> [--jwks-url <url> | --jwks-file <path>] [--json]

Scopes: SMART system scopes (system/Patient.read, system/*.cruds, system/Observation.rs?category=laboratory),
carebridge/admin (admin API, AuditEvent), carebridge/hl7v2 (HTTP HL7 v2 intake).
`;

interface Flags {
  readonly positional: string[];
  readonly values: Map<string, string>;
  readonly switches: Set<string>;
}

const VALUE_FLAGS = new Set(['--scopes', '--jwks-url', '--jwks-file', '--name']);

export function parseFlags(args: readonly string[]): Flags {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0 && VALUE_FLAGS.has(a.slice(0, eq))) values.set(a.slice(0, eq), a.slice(eq + 1));
    else if (VALUE_FLAGS.has(a)) {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      values.set(a, v);
    } else if (a.startsWith('--')) switches.add(a);
    else positional.push(a);
  }
  return { positional, values, switches };
}

async function jwksOption(flags: Flags): Promise<{ jwks?: JSONWebKeySet; jwksUrl?: string }> {
  const file = flags.values.get('--jwks-file');
  const url = flags.values.get('--jwks-url');
  return {
    ...(file ? { jwks: JSON.parse(await readFile(file, 'utf8')) as JSONWebKeySet } : {}),
    ...(url ? { jwksUrl: url } : {}),
  };
}

async function runClients(repo: ClientRepository, args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  const flags = parseFlags(rest);
  const json = flags.switches.has('--json');
  const out = (s: string) => process.stdout.write(s);
  switch (sub) {
    case 'create': {
      const scopes = flags.values.get('--scopes');
      if (!scopes) throw new Error('--scopes is required');
      const created = await repo.create({ scopes, name: flags.values.get('--name'), apiKey: flags.switches.has('--api-key'), ...(await jwksOption(flags)) });
      if (json) out(`${JSON.stringify(created)}\n`);
      else out(`client id: ${created.clientId}\n${created.apiKey ? `API key (shown only now): ${created.apiKey}\n` : ''}`);
      return 0;
    }
    case 'list': {
      const list = await repo.list();
      if (json) out(`${JSON.stringify(list.map(({ jwks: _jwks, ...c }) => c))}\n`);
      else for (const c of list) out(`${c.clientId}  ${c.kind.padEnd(7)}  ${c.revoked ? 'REVOKED' : 'active '}  ${c.name}  [${c.scopes}]\n`);
      return 0;
    }
    case 'revoke': {
      const id = flags.positional[0];
      if (!id) throw new Error('revoke needs a client id');
      await repo.revoke(id);
      out(json ? `${JSON.stringify({ clientId: id, revoked: true })}\n` : `revoked ${id}\n`);
      return 0;
    }
    case 'rotate': {
      const id = flags.positional[0];
      if (!id) throw new Error('rotate needs a client id');
      const rotated = await repo.rotate(id, await jwksOption(flags));
      if (json) out(`${JSON.stringify(rotated)}\n`);
      else out(`rotated ${id}\n${rotated.apiKey ? `new API key (shown only now): ${rotated.apiKey}\n` : ''}`);
      return 0;
    }
    default:
      out(CLIENTS_USAGE);
      return sub === undefined || sub === '--help' || sub === 'help' ? 0 : 2;
  }
}

async function withRuntime(deps: AuthCliDeps, fn: (runtime: CliRuntime) => Promise<number>): Promise<number> {
  let runtime: CliRuntime | undefined;
  try {
    runtime = await deps.openRuntime();
    return await fn(runtime);
  } catch (err) {
    process.stderr.write(`carebridge: ${isCarebridgeError(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`);
    return 1;
  } finally {
    await runtime?.close();
  }
}

export function authCommands(deps: AuthCliDeps): Command[] {
  return [
    {
      name: 'clients',
      summary: 'manage API clients: create | list | revoke | rotate (see `clients --help`)',
      async run(args) {
        if (!args.length || args[0] === '--help' || args[0] === 'help') return runClients(undefined as never, args);
        return withRuntime(deps, async (runtime) => {
          const audit = createAuditWriter({ sink: storeAuditSink(runtime.store, runtime.logger), logger: runtime.logger });
          try {
            const code = await runClients(createClientRepository(runtime.database.db), args);
            if (args[0] !== 'list') audit.record({ interaction: 'admin', query: `cli clients ${args[0]}`, status: code === 0 ? 200 : 400, clientId: CLI_ACTOR });
            return code;
          } finally {
            await audit.close();
          }
        });
      },
    },
    {
      name: 'erase-patient',
      summary: 'erase a patient: all their resources, history, index rows and raw HL7 messages (audited)',
      async run(args) {
        const id = args.find((a) => !a.startsWith('--'));
        if (!id || args.includes('--help')) {
          process.stdout.write('Usage: carebridge erase-patient <patientId> [--json]\n');
          return id ? 0 : 2;
        }
        return withRuntime(deps, async (runtime) => {
          const audit = createAuditWriter({ sink: storeAuditSink(runtime.store, runtime.logger), logger: runtime.logger });
          try {
            const report = await erasePatient(
              { db: runtime.database.db, store: runtime.store, purgePatientMessages: runtime.purgePatientMessages, purgers: runtime.erasurePurgers, onAccess: (e) => audit.record(e) },
              id,
              { clientId: CLI_ACTOR },
            );
            process.stdout.write(`${JSON.stringify(report)}\n`);
            return 0;
          } finally {
            await audit.close();
          }
        });
      },
    },
  ];
}
