/**
 * @module `when:` conditions → predicates, generated as code (codegen.ts: the same expressions a
 * map's generated function uses inline). Paths are read the same way values are (see values.ts).
 */
import type { ConditionSpec, SourceRef } from '../types.js';
import type { CompileEnv, PathContext } from './env.js';
import { generatePredicate } from './codegen.js';
import type { MapRun, Scope } from './runtime.js';

export type Predicate = (run: MapRun, scope: Scope) => boolean;

export function compileCondition(env: CompileEnv, c: ConditionSpec, pc: PathContext, at: SourceRef): Predicate {
  return generatePredicate(env, c, pc, at);
}
