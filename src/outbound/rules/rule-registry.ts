/**
 * @module The live outbound rule set with hot reload: a change in the folder reloads it; a file
 * that fails keeps the last good set serving and the error is reported (log + admin API).
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../../logging/index.js';
import { loadOutboundRules, type RuleVariables } from './rule-loader.js';
import type { OutboundRuleSet } from './rule-types.js';

export interface RuleRegistry {
  current(): OutboundRuleSet;
  /** The last reload error (file:line: reason), cleared by a good reload. */
  lastError(): string | undefined;
  reload(): Promise<boolean>;
  /** Listeners run after each good reload (the service rebuilds its destinations). */
  onChange(fn: (set: OutboundRuleSet) => void): void;
  close(): void;
}

export async function createRuleRegistry(o: { dir: string; vars: RuleVariables; logger: Logger; watch?: boolean }): Promise<RuleRegistry> {
  let set = await loadOutboundRules(o.dir, o.vars);
  let error: string | undefined;
  const listeners: Array<(s: OutboundRuleSet) => void> = [];
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function reload(): Promise<boolean> {
    try {
      const next = await loadOutboundRules(o.dir, o.vars);
      error = undefined;
      if (next.hash !== set.hash) {
        set = next;
        o.logger.info({ hash: set.hash, rules: set.rules.length }, 'outbound rules reloaded');
        for (const l of listeners) l(set);
      }
      return true;
    } catch (err) {
      error = (err as Error).message;
      o.logger.error({ error }, 'outbound rules reload failed; last good version keeps serving');
      return false;
    }
  }

  if (o.watch !== false) {
    try {
      watcher = watch(o.dir, () => {
        clearTimeout(timer);
        // Editors write in several steps; wait for the burst to end.
        timer = setTimeout(() => void reload(), 150);
      });
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined; // folder absent: nothing to watch
    }
  }
  o.logger.info({ hash: set.hash, rules: set.rules.length, destinations: set.destinations.map((d) => `${d.name}${d.enabled ? '' : ' (disabled)'}`) }, 'outbound rules loaded');
  return {
    current: () => set,
    lastError: () => error,
    reload,
    onChange: (fn) => void listeners.push(fn),
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
