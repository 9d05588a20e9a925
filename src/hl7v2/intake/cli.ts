/**
 * @module CLI commands of the intake: `carebridge replay` and `carebridge import`.
 *
 * - `replay <id>...` or `replay [--status failed] [--sender APP] [--type ADT^A01] [--patient P]
 *   [--control-id C] [--since ISO] [--until ISO] [--limit N] [--dry-run] [--wait]` puts messages back
 *   in the processing queue (a running server's worker picks them up; `--wait` waits for that).
 * - `import <file|folder>...` stores every message found (single, concatenated or FHS/BHS batches),
 *   exactly as over MLLP (dedup, ACK codes), and prints a summary of the ACK codes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AnyDb } from '../../db/index.js';
import { isCarebridgeError } from '../../errors/index.js';
import { splitUpload } from './batch-split.js';
import type { Hl7v2Service } from './hl7v2-service.js';
import { countMessages, parseMessageFilter, replayMessages, searchMessages, type MessageFilter } from './inbox-queries.js';
import { progressBar } from './progress-bar.js';
import { ackCodeOf } from './ack.js';

export interface IntakeCliRuntime {
  readonly db: AnyDb;
  readonly hl7v2: Hl7v2Service;
  close(): Promise<void>;
}

export interface IntakeCliCommand {
  readonly name: string;
  readonly summary: string;
  run(args: readonly string[]): Promise<number>;
}

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

async function withRuntime(open: () => Promise<IntakeCliRuntime>, fn: (r: IntakeCliRuntime) => Promise<number>): Promise<number> {
  const runtime = await open();
  try {
    return await fn(runtime);
  } catch (e) {
    err(`carebridge: ${isCarebridgeError(e) ? e.message : (e as Error).message}\n`);
    return 1;
  } finally {
    await runtime.close();
  }
}

const REPLAY_USAGE = 'usage: carebridge replay <id>... | carebridge replay [--status S] [--sender APP[|FAC]] [--type T[^E]] [--patient P] [--control-id C] [--since ISO] [--until ISO] [--limit N] [--dry-run] [--wait]\n';

export function intakeCliCommands(open: () => Promise<IntakeCliRuntime>): IntakeCliCommand[] {
  const replay: IntakeCliCommand = {
    name: 'replay',
    summary: 'put inbox messages back in the processing queue (by id or filter)',
    async run(args) {
      let parsed;
      try {
        parsed = parseArgs({
          args: [...args],
          allowPositionals: true,
          options: {
            status: { type: 'string' }, sender: { type: 'string' }, type: { type: 'string' }, patient: { type: 'string' },
            'control-id': { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' },
            'dry-run': { type: 'boolean', default: false }, wait: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
          },
        });
      } catch (e) {
        err(`carebridge replay: ${(e as Error).message}\n${REPLAY_USAGE}`);
        return 2;
      }
      const { values, positionals } = parsed;
      if (values.help) {
        out(REPLAY_USAGE);
        return 0;
      }
      const hasFilter = ['status', 'sender', 'type', 'patient', 'control-id', 'since', 'until'].some((k) => values[k as keyof typeof values] !== undefined);
      if (positionals.length === 0 && !hasFilter) {
        err(`carebridge replay: give message ids or a filter\n${REPLAY_USAGE}`);
        return 2;
      }
      return withRuntime(open, async ({ db }) => {
        let ids: number[];
        if (positionals.length > 0) {
          ids = positionals.map(Number);
          if (ids.some((n) => !Number.isSafeInteger(n) || n <= 0)) throw new Error('ids must be inbox message ids (numbers)');
        } else {
          const filter: MessageFilter = parseMessageFilter({ status: values.status, sender: values.sender, type: values.type, patient: values.patient, controlId: values['control-id'], since: values.since, until: values.until });
          const limit = values.limit ? Number(values.limit) : Number.MAX_SAFE_INTEGER;
          const total = Math.min(await countMessages(db, filter), limit);
          ids = [];
          // Page by id so a large selection never loads at once.
          let afterId = 0;
          while (ids.length < total) {
            const page = await searchMessages(db, { ...filter, limit: Math.min(1000, total - ids.length), afterId });
            if (page.length === 0) break;
            const pageIds = page.map((m) => Number(m.id));
            ids.push(...pageIds);
            afterId = Math.max(...pageIds);
          }
        }
        if (values['dry-run']) {
          out(`${ids.length} message(s) would be replayed\n`);
          return 0;
        }
        const bar = progressBar('replay', ids.length);
        let replayed = 0;
        for (let i = 0; i < ids.length; i += 500) {
          const chunk = ids.slice(i, i + 500);
          replayed += (await replayMessages(db, chunk)).length;
          bar.tick(chunk.length);
        }
        bar.done();
        out(`${replayed} message(s) queued for processing${replayed < ids.length ? ` (${ids.length - replayed} skipped: unknown or raw body purged)` : ''}\n`);
        if (values.wait) await waitProcessed(db, ids);
        return 0;
      });
    },
  };

  const importCommand: IntakeCliCommand = {
    name: 'import',
    summary: 'store HL7 v2 messages from files or folders (batches accepted), as if received',
    async run(args) {
      if (args.length === 0 || args.includes('--help')) {
        (args.length === 0 ? err : out)('usage: carebridge import <file|folder>...\n');
        return args.length === 0 ? 2 : 0;
      }
      const files = args.flatMap((a) => listFiles(resolve(a)));
      return withRuntime(open, async ({ hl7v2 }) => {
        const uploads = files.map((file) => ({ file, messages: splitUpload(readFileSync(file)).messages }));
        const total = uploads.reduce((n, u) => n + u.messages.length, 0);
        const bar = progressBar('import', total);
        const codes: Record<string, number> = {};
        let duplicates = 0;
        for (const { file, messages } of uploads) {
          for (const raw of messages) {
            const result = await hl7v2.intake.receive(raw, { transport: 'file', peer: file }, (ack) => {
              const code = ackCodeOf(ack);
              codes[code] = (codes[code] ?? 0) + 1;
            });
            if (result.duplicate) duplicates++;
            bar.tick();
          }
        }
        bar.done();
        const summary = Object.entries(codes).map(([c, n]) => `${c} ${n}`).join(', ');
        out(`${total} message(s) from ${files.length} file(s): ${summary || 'none'}${duplicates ? ` (${duplicates} duplicate(s))` : ''}\n`);
        return codes.AR || codes.CR ? 1 : 0;
      });
    },
  };
  return [replay, importCommand];
}

function listFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  return readdirSync(path)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .flatMap((name) => listFiles(join(path, name)));
}

async function waitProcessed(db: AnyDb, ids: number[]): Promise<void> {
  const bar = progressBar('processing', ids.length);
  let done = 0;
  const deadline = Date.now() + 10 * 60_000;
  while (done < ids.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    let pending = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const rows = await db.withTables<{ hl7_inbox: { id: number; status: string } }>().selectFrom('hl7_inbox').select('id').where('id', 'in', chunk).where('status', '=', 'received').execute();
      pending += rows.length;
    }
    bar.tick(ids.length - pending - done);
    done = ids.length - pending;
  }
  bar.done();
}
