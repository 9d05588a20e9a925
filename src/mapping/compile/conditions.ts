/**
 * @module `when:` conditions → predicates. Paths are read the same way values are (see values.ts).
 */
import type { ConditionSpec, SourceRef } from '../types.js';
import { fail, type CompileEnv, type PathContext } from './env.js';
import type { MapRun, Scope } from './runtime.js';
import { compileStringReader } from './read.js';

export type Predicate = (run: MapRun, scope: Scope) => boolean;

export function compileCondition(env: CompileEnv, c: ConditionSpec, pc: PathContext, at: SourceRef): Predicate {
  if ('present' in c) {
    const r = compileStringReader(env, c.present, pc, at);
    return (run, s) => r(run, s) !== undefined;
  }
  if ('absent' in c) {
    const r = compileStringReader(env, c.absent, pc, at);
    return (run, s) => r(run, s) === undefined;
  }
  if ('equals' in c) {
    const { path, value } = c.equals as { path: string; value: string };
    const r = compileStringReader(env, path, pc, at);
    return (run, s) => r(run, s) === value;
  }
  if ('in' in c) {
    const r = compileStringReader(env, c.in.path, pc, at);
    const set = new Set(c.in.values);
    return (run, s) => {
      const v = r(run, s);
      return v !== undefined && set.has(v);
    };
  }
  if ('matches' in c) {
    const r = compileStringReader(env, c.matches.path, pc, at);
    let re: RegExp;
    try {
      re = new RegExp(c.matches.pattern);
    } catch (e) {
      fail(env, at, `invalid regular expression: ${(e as Error).message}`);
      return () => false;
    }
    return (run, s) => {
      const v = r(run, s);
      return v !== undefined && re.test(v);
    };
  }
  if ('event' in c) {
    const events = new Set(typeof c.event === 'string' ? [c.event] : c.event);
    return (run) => events.has(run.event);
  }
  if ('all' in c) {
    const ps = c.all.map((x) => compileCondition(env, x, pc, at));
    return (run, s) => ps.every((p) => p(run, s));
  }
  if ('any' in c) {
    const ps = c.any.map((x) => compileCondition(env, x, pc, at));
    return (run, s) => ps.some((p) => p(run, s));
  }
  if ('not' in c) {
    const p = compileCondition(env, c.not, pc, at);
    return (run, s) => !p(run, s);
  }
  fail(env, at, 'unknown condition');
  return () => false;
}
