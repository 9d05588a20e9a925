/**
 * @module The mapping registry: loads a directory, serves the last good mapping set, and reloads
 * when a file changes (fs.watch, debounced). A broken change is refused — logged with file:line
 * and kept in `status()` for /readyz and the dashboard — and the previous set keeps serving.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../logging/index.js';
import { CarebridgeError } from '../errors/index.js';
import { loadMappingDir } from './loader.js';
import { createMappingSet, type MappingSet } from './mapping-set.js';
import type { MappingLoadError, MappingStatus } from './types.js';

export interface MappingRegistry {
  /** The serving set; throws CB_ERR_MAP_LOAD when no load ever succeeded. */
  current(): MappingSet;
  status(): MappingStatus;
  /** Load again now; resolves true when the new set was taken. */
  reload(): Promise<boolean>;
  /** Called after every load attempt (tests, dashboard push). */
  onReload(fn: (status: MappingStatus) => void): void;
  close(): void;
}

export interface LoadMappingsOptions { readonly watch?: boolean; readonly debounceMs?: number }

export async function loadMappings(dir: string, logger: Logger, o: LoadMappingsOptions = {}): Promise<MappingRegistry> {
  let set: MappingSet | undefined;
  let errors: MappingLoadError[] = [];
  let lastAttemptAt: Date | undefined;
  let loading: Promise<boolean> | undefined;
  let again = false;
  const listeners: Array<(s: MappingStatus) => void> = [];

  const status = (): MappingStatus => ({
    ok: set !== undefined && errors.length === 0,
    dir,
    loadedAt: set?.loadedAt.toISOString(),
    hash: set?.hash,
    messageMaps: set ? [...set.messageMaps] : [],
    errors,
    lastAttemptAt: lastAttemptAt?.toISOString(),
  });

  const loadOnce = async (): Promise<boolean> => {
    lastAttemptAt = new Date();
    let took = false;
    try {
      const outcome = await loadMappingDir(dir);
      if (outcome.ok) {
        set = createMappingSet(outcome.mappings);
        errors = [];
        took = true;
        logger.info({ mappingHash: set.hash, files: outcome.mappings.files, messageMaps: set.messageMaps.length }, 'mappings loaded');
      } else {
        errors = outcome.errors;
        for (const e of errors) logger.error({ file: e.file, line: e.line, reason: e.reason }, 'mapping file refused; last good mappings keep serving');
      }
    } catch (err) {
      errors = [{ file: dir, line: 0, reason: (err as Error).message }];
      logger.error({ err }, 'mapping directory could not be read; last good mappings keep serving');
    }
    const s = status();
    for (const l of listeners) l(s);
    return took;
  };

  // One load at a time; a change during a load triggers exactly one more.
  const reload = (): Promise<boolean> => {
    if (loading) {
      again = true;
      return loading;
    }
    loading = loadOnce().finally(() => {
      loading = undefined;
      if (again) {
        again = false;
        void reload();
      }
    });
    return loading;
  };

  await reload();
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (o.watch) {
    try {
      watcher = watch(dir, { recursive: true }, () => {
        clearTimeout(timer);
        timer = setTimeout(() => void reload(), o.debounceMs ?? 200);
      });
      watcher.on('error', (err) => logger.warn({ err }, 'mapping directory watch failed; hot reload is off'));
    } catch (err) {
      // A missing directory is already in status().errors; the server still starts and says so.
      logger.warn({ err, dir }, 'mapping directory cannot be watched; hot reload is off');
    }
  }
  return {
    current() {
      if (!set) throw new CarebridgeError('CB_ERR_MAP_LOAD', `no mapping set loaded from ${dir}: ${errors.map((e) => `${e.file}:${e.line}: ${e.reason}`).join('; ')}`);
      return set;
    },
    status,
    reload,
    onReload: (fn) => void listeners.push(fn),
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
