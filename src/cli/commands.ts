/** @module The list of CLI commands. Each room contributes its commands here. */
import { loadConfig, createRuntime, closeRuntime, serveFromEnvironment } from '../server/index.js';
import { createLogger } from '../logging/index.js';
import { authCommands } from '../auth/index.js';
import { sendSample } from './send-sample.js';

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
    return { database: runtime.database, store: runtime.store, logger, close: () => closeRuntime(runtime) };
  },
});

export const commands: CliCommand[] = [serve, migrate, ...authCli, sendSample];
