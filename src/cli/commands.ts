/** @module The list of CLI commands. Each room contributes its commands here. */
import { loadConfig, createRuntime, closeRuntime, erasureHooks, serveFromEnvironment } from '../server/index.js';
import { createLogger } from '../logging/index.js';
import { authCommands } from '../auth/index.js';
import { outboundCommand } from '../outbound/index.js';
import { createMappingCommands } from '../mapping/index.js';
import { sendSample } from './send-sample.js';
import { exportPatient } from './export-patient.js';
import { bench } from './bench.js';
import { intakeCliCommands } from '../hl7v2/index.js';

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  run(args: readonly string[]): Promise<number>;
}

const serve: CliCommand = {
  name: 'serve',
  summary: 'start the server (same as npm start)',
  async run() {
    await serveFromEnvironment();
    // The server keeps the process alive; the exit code comes from the signal handler.
    return new Promise<number>(() => undefined);
  },
};

const migrate: CliCommand = {
  name: 'migrate',
  summary: 'apply pending database migrations and exit',
  async run() {
    const config = loadConfig();
    const logger = createLogger({ level: 'warn' });
    const runtime = await createRuntime({ config, logger });
    await closeRuntime(runtime);
    process.stdout.write('migrations up to date\n');
    return 0;
  },
};

/** auth's commands open the configured database through the runtime (migrations applied). */
const authCli = authCommands({
  async openRuntime() {
    const config = loadConfig();
    const logger = createLogger({ level: 'warn' });
    const runtime = await createRuntime({ config, logger });
    return { database: runtime.database, store: runtime.store, logger, ...erasureHooks(runtime), close: () => closeRuntime(runtime) };
  },
});

/** `outbound status | dead-letters | replay`: needs only the database (migrations applied). */
const outboundCli = outboundCommand({
  async open() {
    const config = loadConfig();
    const runtime = await createRuntime({ config, logger: createLogger({ level: 'warn' }) });
    return { db: runtime.database.db, close: () => closeRuntime(runtime) };
  },
});

/** `map` needs no database; `mappings unmapped|replay-diff` read the inbox through the runtime. */
const mappingCli = createMappingCommands({
  async withDatabase(fn) {
    const runtime = await createRuntime({ config: loadConfig(), logger: createLogger({ level: 'warn' }) });
    try {
      return await fn(runtime.database.db);
    } finally {
      await closeRuntime(runtime);
    }
  },
});

/** `replay` and `import` work on the inbox of the configured database. */
const intakeCli = intakeCliCommands(async () => {
  const runtime = await createRuntime({ config: loadConfig(), logger: createLogger({ level: 'warn' }) });
  return { db: runtime.database.db, hl7v2: runtime.hl7v2, close: () => closeRuntime(runtime) };
});

export const commands: CliCommand[] = [serve, migrate, ...authCli, sendSample, outboundCli, ...mappingCli, ...intakeCli, exportPatient, bench];
