/**
 * A carebridge server in its own process for the fault tests (SIGKILL, database restarts): the real
 * startServer from environment variables, plus a processor that counts how often each inbox
 * message was processed (table fault_processed) so the test can prove none was processed twice.
 * Prints `READY <mllpPort>` on stdout when listening.
 */
import { sql } from '../../src/db/index.js';
import { createLogger } from '../../src/logging/index.js';
import { loadConfig, startServer } from '../../src/server/index.js';
import type { MessageProcessor } from '../../src/hl7v2/index.js';

// Workers start only once the counting processor is wired: started by startServer, the inbox worker
// could claim rows left by a SIGKILLed predecessor and run them through the default processor in
// the moments before setProcessor (seen once: 3 of 10,000 processed without a fault_processed row).
const config = loadConfig({ ...process.env, WORKERS: 'off' });
const logger = createLogger({ level: config.logLevel }, process.stderr);
const server = await startServer(config, logger);
const db = server.runtime.database.db;
await sql`create table if not exists fault_processed (inbox_id bigint primary key, times int not null)`.execute(db);
const counting: MessageProcessor = {
  async process(_message, inbox, context) {
    // In the intake's transaction, like the mapping processor's writes.
    await sql`insert into fault_processed values (${Number(inbox.id)}, 1) on conflict (inbox_id) do update set times = fault_processed.times + 1`.execute(context.db);
    return { status: 'processed', resources: [] };
  },
};
server.runtime.hl7v2.setProcessor(counting);
server.runtime.hl7v2.startWorker();
process.stdout.write(`READY ${server.mllpPort}\n`);
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
