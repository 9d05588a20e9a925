/**
 * @module A segment map's or datatype map's rules → one generated JavaScript function (a Builder).
 *
 * Why generated code: as a tree of closures, one message ran ~216 rule closures, each behind a
 * call site shared by every rule (megamorphic: V8 cannot inline it), reading paths through generic
 * readers and writing `obj[name]` with a variable key on objects of many shapes. Generated at
 * load, a map's rules become straight-line code in one function: path reads with their field,
 * repetition and component indexes as literals, stores with constant property names, and calls
 * (nested datatype maps, code-map conversions) from call sites of their own, which V8 sees as
 * monomorphic and can inline.
 *
 * The checks stay where they were: every path, type and code-map check is the one the closure
 * compiler makes (same functions, same order), so load errors are unchanged. Rarer value forms
 * (`each`, `constant`, `where` on strings) are compiled by the closure
 * compiler and called from the generated code.
 *
 * Injection safety: no text from a mapping file is pasted into the source. Strings enter only
 * as `lit()` (JSON.stringify, with U+2028/U+2029 escaped too), numbers only as checked integers
 * from parsed paths, and every other value (constants, code maps, sets, regular expressions,
 * closures) as an element of the array `K` the function captures.
 *
 * The source builder, the helpers generated code calls and the compile step are in codegen-support.ts.
 *
 * CB_MAPPING_CODEGEN_DUMP=<dir> writes each generated function's source there (for mapping
 * authors who want to see what a map became).
 */
import type { ConditionSpec, RuleSpec, SourceRef, ValueSpec } from '../types.js';
import { readPositions, type V2Path } from '../v2-path.js';
import type { Builder } from './datatype.js';
import { compile, Gen, int, lit } from './codegen-support.js';
import { fail, type CompileEnv, type PathContext } from './env.js';
import { checkPath } from './read.js';
import { ruleExplain, ruleTarget } from './rules.js';
import type { MapRun, Scope } from './runtime.js';
import { AS_IS, compileConvert, compileFromStrings, compileSource, compileSourceGetter, compileWhereStrings, firstOf, prepareDatatype, refKey, type TargetType } from './values.js';

type Cases = ReadonlyArray<ValueSpec & { when?: ConditionSpec }>;

/**
 * The Builder for `rules`: runs them as compileRules' setters would, one after another on one
 * object (with the same load errors).
 * `label` names the function (and the dump file) after the map.
 */
export function generateBuilder(env: CompileEnv, rules: readonly RuleSpec[], baseType: string, pc: PathContext, label: string): Builder {
  const g = new Gen(env, pc);
  const parts: string[] = [];
  const written = new Set<string>(['resourceType']);
  for (const r of rules) {
    const top = r.to.split('.')[0]!.replace(/\[\d+\]$/, '');
    const code = emitRule(g, r, baseType, !written.has(top));
    written.add(top);
    if (code) parts.push(code);
  }
  const fname = `map_${label.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const body = [
    `return function ${fname}(run, scope, into) {`,
    g.prologue(),
    '  const obj = into ?? {};',
    '  let any = false;',
    ...parts,
    '  return any ? obj : undefined;',
    '};',
  ].join('\n');
  return compile(g, fname, body) as Builder;
}

/** compileCondition's Predicate, generated (the `when:` of a message-map entry, a `where:`). */
export function generatePredicate(env: CompileEnv, c: ConditionSpec, pc: PathContext, at: SourceRef): (run: MapRun, scope: Scope) => boolean {
  const g = new Gen(env, pc);
  const cond = emitCondition(g, c, at);
  return compile(g, 'when', `return function when(run, scope) {\n${g.prologue()}\n  return ${cond};\n};`) as (run: MapRun, scope: Scope) => boolean;
}

/**
 * compileGetter's Getter, generated (identity keys). `withDefault: false` ignores `spec.default`,
 * as compileCasesGetter does.
 */
export function generateGetter(env: CompileEnv, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef, withDefault = true): (run: MapRun, scope: Scope) => unknown {
  const g = new Gen(env, pc);
  const code = emitGet(g, withDefault ? spec : { cases: spec.cases }, target, at, 'v');
  return compile(g, 'get', `return function get(run, scope) {\n${g.prologue()}\n  let v;\n${code}\n  return v;\n};`) as (run: MapRun, scope: Scope) => unknown;
}

// ---- rules ----

function emitRule(g: Gen, rule: RuleSpec, baseType: string, first: boolean): string | undefined {
  const at = rule.source;
  const t = ruleTarget(g.env, rule, baseType);
  if (!t) return undefined;
  const { target, parents, last } = t;
  const v = g.name('v');
  let value: string;
  let fresh = true;
  if (target.array) ({ code: value, fresh } = emitProduce(g, rule, target, at, v));
  else value = emitGet(g, rule, target, at, v);
  const when = rule.when ? emitCondition(g, rule.when, at) : undefined;
  const explain = `if (run.explain) ${g.k(ruleExplain(rule, g.pc))}(run, scope);`;
  const name = lit(last.name);
  let write: string;
  if (target.array) {
    const copy = fresh ? v : `(${v}.length === 1 ? [${v}[0]] : ${v}.slice())`;
    if (parents.length === 0 && first) {
      write = `obj[${name}] = ${copy}; ${explain}`;
    } else {
      // The first values become the array (an empty array grows in the runtime on its first push).
      const [walkTo, c] = parents.length === 0 ? ['', 'obj'] : [`${walk(parents)} `, 'c'];
      write = `${walkTo}const a = ${c}[${name}]; if (a === undefined) ${c}[${name}] = ${copy}; else for (let i = 0; i < ${v}.length; i++) a.push(${v}[i]); ${explain}`;
    }
  } else if (parents.length === 0 && last.index < 0 && first) {
    write = `obj[${name}] = ${v}; ${explain}`;
  } else if (parents.length === 0 && last.index < 0) {
    write = `if (obj[${name}] === undefined) { obj[${name}] = ${v}; ${explain} }`;
  } else if (last.index >= 0) {
    const i = int(last.index);
    write = `${walk(parents)} const a = (c[${name}] ??= []); if (${i} > a.length) run.holes = true; if (a[${i}] === undefined) { a[${i}] = ${v}; ${explain} }`;
  } else {
    write = `${walk(parents)} if (c[${name}] === undefined) { c[${name}] = ${v}; ${explain} }`;
  }
  const body = `let ${v};\n${value}\nif (${v} !== undefined) { ${write} any = true; }`;
  return `  // ${lit(`${at.file}:${at.line} ${rule.to}`)}\n  {\n${when ? `if (${when}) {\n${body}\n}` : body}\n  }`;
}

/** `c` = the object a nested target lives in (`communication[0]` of `communication.language`), created on the way. */
function walk(parents: ReadonlyArray<{ name: string; array: boolean; index: number }>): string {
  const out = ['let c = obj;'];
  for (const p of parents) {
    if (!p.array) {
      out.push(`c = (c[${lit(p.name)}] ??= {});`);
      continue;
    }
    const i = int(p.index < 0 ? 0 : p.index);
    // Element 0 is created with its array (`coding[0].code`): an empty array grows in the runtime on its first store.
    const empty = i === '0' ? '[{}]' : '[]';
    out.push(`{ const a = (c[${lit(p.name)}] ??= ${empty}); if (${i} > a.length) run.holes = true; c = (a[${i}] ??= {}); }`);
  }
  return out.join(' ');
}

// ---- single values (compileGetter) ----

/** Statements that set `out` (declared, undefined) to the value, as compileGetter's Getter returns it. */
function emitGet(g: Gen, spec: ValueSpec, target: TargetType, at: SourceRef, out: string): string {
  let code = spec.cases ? emitCasesGet(g, spec.cases, target, at, out) : emitSourceGet(g, spec, target, at, out);
  if (spec.default !== undefined) code += `\nif (${out} === undefined) ${out} = ${g.k(spec.default)};`;
  return code;
}

function emitCasesGet(g: Gen, cases: Cases, target: TargetType, at: SourceRef, out: string): string {
  const label = g.name('L');
  const body = cases.map((c) => {
    const when = c.when ? emitCondition(g, c.when, at) : undefined;
    const t = g.name('t');
    const get = `let ${t};\n${emitGet(g, c, target, at, t)}\nif (${t} !== undefined) { ${out} = ${t}; break ${label}; }`;
    return when ? `if (${when}) {\n${get}\n}` : `{\n${get}\n}`;
  });
  return `${label}: {\n${body.join('\n')}\n}`;
}

function emitSourceGet(g: Gen, spec: ValueSpec, target: TargetType, at: SourceRef, out: string): string {
  if (spec.ref !== undefined) {
    // compileSource's `ref`, first value: the first instance refsFor resolves, as a Reference.
    const r = g.name('r');
    return `{ const ${r} = refsFor(run, ${lit(refKey(g.env, spec.ref, target, at))}, scope.inst, scope.pos, scope.node);\nif (${r}.length !== 0) ${out} = refTo(run, ${r}[0]); }`;
  }
  const other = spec.each !== undefined;
  if (!other && spec.const !== undefined) return `${out} = ${g.k(spec.const)};`;
  if (!other && spec.constant === undefined && spec.template !== undefined) return emitTemplate(g, spec, target, at, out, false);
  if (!other && spec.constant === undefined && spec.template === undefined && spec.from !== undefined) {
    const paths = (typeof spec.from === 'string' ? [spec.from] : spec.from).map(String);
    const one = (p: string, o: string) => (spec.datatype ? emitDatatypeGet(g, p, spec, target, at, o) : emitStringGet(g, p, spec, target, at, o));
    if (paths.length === 1) return one(paths[0]!, out);
    const label = g.name('L');
    const alts = paths.map((p) => {
      const t = g.name('t');
      return `{ let ${t};\n${one(p, t)}\nif (${t} !== undefined) { ${out} = ${t}; break ${label}; } }`;
    });
    return `${label}: {\n${alts.join('\n')}\n}`;
  }
  return `${out} = ${g.k(compileSourceGetter(g.env, spec, target, g.pc, at))}(run, scope);`;
}

function emitStringGet(g: Gen, path: string, spec: ValueSpec, target: TargetType, at: SourceRef, out: string): string {
  const convert = compileConvert(g.env, spec, target, at);
  if (spec.where) return `${out} = ${g.k(firstOf(compileWhereStrings(g.env, path, spec.where, convert, target, g.pc, at)))}(run, scope);`;
  const read = emitRead(g, path, at);
  if (convert === AS_IS) return `${out} = ${read};`;
  return `${out} = ${read};\nif (${out} !== undefined) ${out} = ${g.k(convert)}(${out}, run);`;
}

function emitDatatypeGet(g: Gen, path: string, spec: ValueSpec, target: TargetType, at: SourceRef, out: string): string {
  const src = prepareDatatype(g.env, path, spec, target, g.pc, at);
  if (!src?.path) return '';
  const build = g.k(src.build);
  const where = src.where ? g.k(src.where) : undefined;
  const pathLit = lit(target.path ?? '');
  return emitNodes(g, src.path, (n, label) => {
    const s = g.name('s');
    const x = g.name('x');
    const use = `const ${x} = run.explain ? buildExplained(run, ${build}, ${s}, ${pathLit}, 0) : ${build}(run, ${s});\nif (${x} !== undefined) { ${out} = ${x}; break ${label}; }`;
    return `const ${s} = { seg: scope.seg, pos: scope.pos, node: ${n}, inst: scope.inst };\n${where ? `if (${where}(run, ${s})) {\n${use}\n}` : use}`;
  });
}

/**
 * The value nodes a checked path names (compileNodesReader's list, each non-empty), with `body`
 * run for each as `n`; `break <label>` stops the walk.
 */
function emitNodes(g: Gen, path: V2Path, body: (n: string, label: string) => string): string {
  const label = g.name('L');
  const n = g.name('n');
  const rest = path.rest.length ? g.k(path.rest) : undefined;
  if (path.field === undefined) {
    return `${label}: {\nconst ${n} = subNode(node, ${rest ?? g.k([])});\nif (nodeHasValue(${n})) {\n${body(n, label)}\n}\n}`;
  }
  const reps = g.name('r');
  const i = g.name('i');
  const [from, to] = path.rep !== undefined ? [int(path.rep - 1), int(path.rep)] : ['0', `${reps}.length`];
  return `${label}: {\nconst ${reps} = ${g.fieldOf(path.segment!, path.field)};\nif (${reps}) for (let ${i} = ${from}; ${i} < ${to}; ${i}++) {\nconst ${n} = ${rest ? `subNode(${reps}[${i}], ${rest})` : `${reps}[${i}]`};\nif (nodeHasValue(${n})) {\n${body(n, label)}\n}\n}\n}`;
}

/**
 * compileTemplate's value, generated: `{path}` (no value when empty), `{?path}` (empty when
 * missing), `{sender}`, `{event}` and the text between them, then the conversion; `array` sets
 * `out` to a one-value array. Paths are checked in the same order as compileTemplate, then the
 * conversion is compiled (same load errors).
 */
function emitTemplate(g: Gen, spec: ValueSpec, target: TargetType, at: SourceRef, out: string, array: boolean): string {
  const template = spec.template!;
  const label = g.name('L');
  const lines: string[] = [];
  const pieces: string[] = [];
  const re = /\{([^}]+)\}/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    pieces.push(lit(template.slice(last, m.index)));
    const name = m[1]!;
    if (name === 'sender') pieces.push('run.sender');
    else if (name === 'event') pieces.push('run.event');
    else {
      const p = g.name('p');
      if (name.startsWith('?')) lines.push(`const ${p} = ${emitRead(g, name.slice(1), at)} ?? '';`);
      else lines.push(`const ${p} = ${emitRead(g, name, at)};`, `if (${p} === undefined) break ${label};`);
      pieces.push(p);
    }
    last = m.index + m[0].length;
  }
  pieces.push(lit(template.slice(last)));
  const convert = compileConvert(g.env, spec, target, at);
  const t = g.name('t');
  lines.push(`let ${t} = ${pieces.join(' + ')};`);
  if (convert !== AS_IS) lines.push(`${t} = ${g.k(convert)}(${t}, run);`);
  lines.push(array ? `if (${t} !== undefined) ${out} = [${t}];` : `${out} = ${t};`);
  return `${label}: {\n${lines.join('\n')}\n}`;
}

/** A string read as an expression (compileStringReader's semantics). */
function emitRead(g: Gen, text: string, at: SourceRef): string {
  const c = checkPath(g.env, text, g.pc, at);
  if (!c) return 'undefined';
  const { path } = c;
  const [ci, si] = readPositions(path.rest).map(int);
  if (path.field === undefined) return g.read(`readAt(node, ${ci}, ${si})`);
  const reps = g.fieldOf(path.segment!, path.field);
  if (path.rep !== undefined) return g.read(`readAt(${reps}?.[${int(path.rep - 1)}], ${ci}, ${si})`);
  if (si !== '-1') return g.read(`firstCS(${reps}, ${ci}, ${si})`);
  if (ci !== '-1') return g.read(`firstC(${reps}, ${ci})`);
  return g.read(`first(${reps})`);
}

// ---- repeating values (compileValue) ----

interface Produced {
  /** Statements that set `out` to a non-empty array of values, or leave it undefined. */
  readonly code: string;
  /** The array is new on every run (else it may be shared and is copied before it is stored). */
  readonly fresh: boolean;
}

function emitProduce(g: Gen, spec: ValueSpec, target: TargetType, at: SourceRef, out: string): Produced {
  const base = spec.cases ? emitCasesProduce(g, spec.cases, target, at, out) : emitSourceProduce(g, spec, target, at, out);
  if (spec.default === undefined) return base;
  return { code: `${base.code}\nif (${out} === undefined) ${out} = ${g.k([spec.default])};`, fresh: false };
}

function emitCasesProduce(g: Gen, cases: Cases, target: TargetType, at: SourceRef, out: string): Produced {
  const label = g.name('L');
  let fresh = true;
  const body = cases.map((c) => {
    const when = c.when ? emitCondition(g, c.when, at) : undefined;
    const t = g.name('t');
    const p = emitProduce(g, c, target, at, t);
    fresh &&= p.fresh;
    const produce = `let ${t};\n${p.code}\nif (${t} !== undefined) { ${out} = ${t}; break ${label}; }`;
    return when ? `if (${when}) {\n${produce}\n}` : `{\n${produce}\n}`;
  });
  return { code: `${label}: {\n${body.join('\n')}\n}`, fresh };
}

function emitSourceProduce(g: Gen, spec: ValueSpec, target: TargetType, at: SourceRef, out: string): Produced {
  if (spec.ref !== undefined) {
    // compileSource's `ref`: a Reference per instance refsFor resolves (a new array, or none when empty).
    const r = g.name('r');
    const i = g.name('i');
    const key = lit(refKey(g.env, spec.ref, target, at));
    return {
      code: `{ const ${r} = refsFor(run, ${key}, scope.inst, scope.pos, scope.node);\nif (${r}.length !== 0) { ${out} = []; for (let ${i} = 0; ${i} < ${r}.length; ${i}++) ${out}.push(refTo(run, ${r}[${i}])); } }`,
      fresh: true,
    };
  }
  const other = spec.each !== undefined;
  if (!other && spec.const !== undefined) return { code: `${out} = [${g.k(spec.const)}];`, fresh: true };
  if (!other && spec.constant === undefined && spec.template !== undefined) return { code: emitTemplate(g, spec, target, at, out, true), fresh: true };
  if (!other && spec.constant === undefined && spec.template === undefined && spec.from !== undefined) {
    const paths = (typeof spec.from === 'string' ? [spec.from] : spec.from).map(String);
    let fresh = true;
    const one = (p: string, o: string): string => {
      const r = spec.datatype ? emitDatatypeProduce(g, p, spec, target, at, o) : emitStringsProduce(g, p, spec, target, at, o);
      fresh &&= r.fresh;
      return r.code;
    };
    if (paths.length === 1) {
      const code = one(paths[0]!, out);
      return { code, fresh };
    }
    const label = g.name('L');
    const alts = paths.map((p) => {
      const t = g.name('t');
      return `{ let ${t};\n${one(p, t)}\nif (${t} !== undefined) { ${out} = ${t}; break ${label}; } }`;
    });
    return { code: `${label}: {\n${alts.join('\n')}\n}`, fresh };
  }
  return called(g, compileSource(g.env, spec, target, g.pc, at), out);
}

/** A Producer compiled by the closure compiler: its (possibly shared, possibly empty) array. */
function called(g: Gen, produce: (run: MapRun, scope: Scope) => unknown[], out: string): Produced {
  return { code: `${out} = ${g.k(produce)}(run, scope);\nif (${out}.length === 0) ${out} = undefined;`, fresh: false };
}

function emitDatatypeProduce(g: Gen, path: string, spec: ValueSpec, target: TargetType, at: SourceRef, out: string): Produced {
  const src = prepareDatatype(g.env, path, spec, target, g.pc, at);
  if (!src?.path) return { code: '', fresh: true };
  const build = g.k(src.build);
  const where = src.where ? g.k(src.where) : undefined;
  const pathLit = lit(target.path ?? '');
  const code = emitNodes(g, src.path, (n, label) => {
    const s = g.name('s');
    const x = g.name('x');
    const use = [
      `const ${x} = run.explain ? buildExplained(run, ${build}, ${s}, ${pathLit}, ${out} === undefined ? 0 : ${out}.length) : ${build}(run, ${s});`,
      `if (${x} !== undefined) { if (${out} === undefined) ${out} = [${x}]; else ${out}.push(${x});${target.array ? '' : ` break ${label};`} }`,
    ].join('\n');
    return `const ${s} = { seg: scope.seg, pos: scope.pos, node: ${n}, inst: scope.inst };\n${where ? `if (${where}(run, ${s})) {\n${use}\n}` : use}`;
  });
  return { code, fresh: true };
}

function emitStringsProduce(g: Gen, path: string, spec: ValueSpec, target: TargetType, at: SourceRef, out: string): Produced {
  if (spec.where || !target.array) return called(g, compileFromStrings(g.env, path, spec, target, g.pc, at), out);
  const convert = compileConvert(g.env, spec, target, at);
  const c = checkPath(g.env, path, g.pc, at);
  if (!c) return { code: '', fresh: true };
  const [ci, si] = readPositions(c.path.rest).map(int);
  const s = g.name('s');
  const x = g.name('x');
  const push = convert === AS_IS
    ? `if (${s} !== undefined) { if (${out} === undefined) ${out} = [${s}]; else ${out}.push(${s}); }`
    : `if (${s} !== undefined) { const ${x} = ${g.k(convert)}(${s}, run); if (${x} !== undefined) { if (${out} === undefined) ${out} = [${x}]; else ${out}.push(${x}); } }`;
  if (c.path.field === undefined) return { code: `{ const ${s} = readAt(node, ${ci}, ${si});\n${push} }`, fresh: true };
  const reps = g.name('r');
  const i = g.name('i');
  const [from, to] = c.path.rep !== undefined ? [int(c.path.rep - 1), int(c.path.rep)] : ['0', `${reps}.length`];
  return {
    code: `{ const ${reps} = ${g.fieldOf(c.path.segment!, c.path.field)};\nif (${reps}) for (let ${i} = ${from}; ${i} < ${to}; ${i}++) {\nconst ${s} = readAt(${reps}[${i}], ${ci}, ${si});\n${push}\n} }`,
    fresh: true,
  };
}

// ---- conditions (compileCondition) ----

/** An expression for a `when:` (compileCondition's semantics and load errors). */
function emitCondition(g: Gen, c: ConditionSpec, at: SourceRef): string {
  if ('present' in c) return `(${emitRead(g, c.present, at)} !== undefined)`;
  if ('absent' in c) return `(${emitRead(g, c.absent, at)} === undefined)`;
  if ('equals' in c) {
    const { path, value } = c.equals as { path: string; value: string };
    const read = emitRead(g, path, at);
    return `(${read} === ${typeof value === 'string' ? lit(value) : g.k(value)})`;
  }
  if ('in' in c) {
    const read = emitRead(g, c.in.path, at);
    return `isIn(${read}, ${g.k(new Set(c.in.values))})`;
  }
  if ('matches' in c) {
    const read = emitRead(g, c.matches.path, at);
    let re: RegExp;
    try {
      re = new RegExp(c.matches.pattern);
    } catch (e) {
      fail(g.env, at, `invalid regular expression: ${(e as Error).message}`);
      return 'false';
    }
    return `matches(${read}, ${g.k(re)})`;
  }
  if ('event' in c) return `${g.k(new Set(typeof c.event === 'string' ? [c.event] : c.event))}.has(run.event)`;
  if ('all' in c) {
    const ps = c.all.map((x) => emitCondition(g, x, at));
    return ps.length ? `(${ps.join(' && ')})` : 'true';
  }
  if ('any' in c) {
    const ps = c.any.map((x) => emitCondition(g, x, at));
    return ps.length ? `(${ps.join(' || ')})` : 'false';
  }
  if ('not' in c) return `!${emitCondition(g, c.not, at)}`;
  fail(g.env, at, 'unknown condition');
  return 'false';
}
