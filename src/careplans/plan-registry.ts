/**
 * @module The care-plan definitions and triage rules in force, loaded from mappings/careplans/ and
 * reloaded when a file changes. A file that fails to load is refused with `file:line: reason` and
 * the last good version of that file keeps serving.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isCarebridgeError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { compilePlanFile, type CompileOptions } from './plan-compiler.js';
import type { CarePlanDefinition, TriageRule } from './plan-types.js';
import { compileTriageFile } from './triage-compiler.js';

export interface PlanLoadProblem {
  readonly file: string;
  /** `file:line: reason` lines. */
  readonly message: string;
}

export interface ReloadReport {
  readonly loaded: readonly string[];
  readonly refused: readonly PlanLoadProblem[];
  readonly removed: readonly string[];
}

export interface PlanRegistry {
  plans(): readonly CarePlanDefinition[];
  plan(id: string): CarePlanDefinition | undefined;
  triageRules(): readonly TriageRule[];
  /** Files currently refused (their last good version, if any, still serves). */
  problems(): readonly PlanLoadProblem[];
  /** Re-reads the folder now (the watcher calls this too). */
  reload(): Promise<ReloadReport>;
  /** Called after every reload that changed what is in force. */
  onChange(listener: () => void): void;
  close(): void;
}

export interface PlanRegistryOptions extends CompileOptions {
  readonly logger: Logger;
  /** Watch the folder and reload on change (default true). */
  readonly watch?: boolean;
}

type Loaded = { kind: 'plan'; text: string; plan: CarePlanDefinition } | { kind: 'triage'; text: string; rules: TriageRule[] };

const isPlanFile = (name: string) => /\.ya?ml$/.test(name);
const isTriageFile = (name: string) => basename(name).startsWith('triage');

export async function loadPlanRegistry(dir: string, options: PlanRegistryOptions): Promise<PlanRegistry> {
  const { logger } = options;
  const byFile = new Map<string, Loaded>();
  const refused = new Map<string, PlanLoadProblem>();
  const listeners: Array<() => void> = [];
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<ReloadReport> | undefined;

  const planIdOwner = (id: string, except: string) => [...byFile].find(([f, l]) => f !== except && l.kind === 'plan' && l.plan.id === id)?.[0];

  async function reloadOnce(): Promise<ReloadReport> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter(isPlanFile).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') names = [];
      else throw err;
    }
    const loaded: string[] = [];
    const removed: string[] = [];
    const refusedNow: PlanLoadProblem[] = [];
    for (const file of [...byFile.keys()]) {
      if (!names.includes(file)) {
        byFile.delete(file);
        removed.push(file);
      }
    }
    for (const file of [...refused.keys()]) if (!names.includes(file)) refused.delete(file);
    for (const name of names) {
      const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
      if (text === undefined || byFile.get(name)?.text === text) continue;
      try {
        const entry: Loaded = isTriageFile(name) ? { kind: 'triage', text, rules: compileTriageFile(name, text) } : { kind: 'plan', text, plan: compilePlanFile(name, text, options) };
        if (entry.kind === 'plan') {
          const other = planIdOwner(entry.plan.id, name);
          if (other) throw Object.assign(new Error(`${name}:1: plan id "${entry.plan.id}" is already defined in ${other}`), { planLoad: true });
        }
        byFile.set(name, entry);
        refused.delete(name);
        loaded.push(name);
      } catch (err) {
        if (!isCarebridgeError(err) && !(err as { planLoad?: boolean }).planLoad) throw err;
        const message = (err as Error).message;
        if (refused.get(name)?.message !== message) {
          logger.warn({ file: name, problems: message.split('\n'), keptLastGood: byFile.has(name) }, 'care-plan file refused');
        }
        refused.set(name, { file: name, message });
        refusedNow.push({ file: name, message });
      }
    }
    if (loaded.length || removed.length) {
      logger.info({ loaded, removed }, 'care-plan definitions loaded');
      for (const l of listeners) l();
    }
    return { loaded, refused: refusedNow, removed };
  }

  const reload = async (): Promise<ReloadReport> => {
    // Serialise: a watcher burst must not interleave two reads of the same folder.
    while (running) await running.catch(() => undefined);
    running = reloadOnce();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  };

  await reload();
  if (options.watch !== false) {
    try {
      watcher = watch(dir, () => {
        clearTimeout(timer);
        timer = setTimeout(() => void reload().catch((err: unknown) => logger.error({ err }, 'care-plan reload failed')), 100);
      });
      watcher.on('error', (err) => logger.warn({ err }, 'care-plan folder watch stopped'));
    } catch (err) {
      logger.warn({ err, dir }, 'care-plan folder not watched');
    }
  }

  return {
    plans: () => [...byFile.values()].flatMap((l) => (l.kind === 'plan' && l.plan.status === 'active' ? [l.plan] : [])),
    plan: (id) => [...byFile.values()].find((l): l is Extract<Loaded, { kind: 'plan' }> => l.kind === 'plan' && l.plan.id === id)?.plan,
    triageRules: () => [...byFile.values()].flatMap((l) => (l.kind === 'triage' ? l.rules : [])),
    problems: () => [...refused.values()],
    reload,
    onChange: (l) => void listeners.push(l),
    close: () => {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
