/**
 * A lazy evaluator for the static subset of Nix that rules files use: `let`, `rec`, `with`, `inherit`,
 * selection (with `or`), `?`, lists, `++`, `//`, `import` of a file, and `builtins.readFile`,
 * `attrValues`, `attrNames`. Everything else evaluates to a "needs a Nix evaluator" error at its place.
 * Lazy like Nix, so an attribute that needs Nix only matters when it is used.
 *
 * Hostile input: nesting (parse and evaluation depth), evaluation steps, list lengths, values produced,
 * files and bytes read are all capped; each cap is a LIMIT_EXCEEDED error with `file:line:column`.
 */
import { posix } from 'node:path';
import { SecretsError } from '../errors.js';
import { type AttrKey, type Binds, GLOBAL_NAMES, type Node, parseNix } from './nix-parser.js';
import { type SourceFile, needsNix, nixError, quoteName } from './nix-source.js';

/** Limits of the static reader; the defaults are far above any real rules file. */
export interface NixReadLimits {
  /** Expression nesting in a file (and `${…}` nesting in strings). */
  readonly maxDepth: number;
  /** Tokens over every file read (what a file costs in memory before anything is evaluated). */
  readonly maxTokens: number;
  /** Nested evaluations (a chain of bindings each using the next). */
  readonly maxEvalDepth: number;
  /** Evaluation steps over the whole read. */
  readonly maxSteps: number;
  /** Elements of one list, attributes of one set. */
  readonly maxListLength: number;
  /** List elements and attributes produced over the whole read. */
  readonly maxProduced: number;
  /** Files read through `import` and `builtins.readFile`. */
  readonly maxFiles: number;
  /** Bytes read through them, together. */
  readonly maxBytes: number;
}

/** The default limits (documented in docs/security.md). */
export const DEFAULT_NIX_READ_LIMITS: NixReadLimits = {
  maxDepth: 200,
  maxTokens: 1_000_000,
  maxEvalDepth: 1000,
  maxSteps: 1_000_000,
  maxListLength: 100_000,
  maxProduced: 1_000_000,
  maxFiles: 100,
  maxBytes: 16 * 1024 * 1024,
};

/**
 * Reads a file that the rules import or read: an absolute path in, its text out. The caller decides what
 * is readable (size cap, no devices, no way out of the repository through symlinks).
 * Throws an error with `code` ENOENT or EISDIR as `node:fs` does, or a SecretsError.
 */
export type NixFileReader = (path: string) => string;

/** Where files may come from. */
export interface NixReadContext {
  readonly readFile?: NixFileReader;
  /** Absolute directory no path may leave (lexically; the reader guards symlinks). */
  readonly root?: string;
  readonly limits?: Partial<NixReadLimits>;
}

/** A value. Lists and sets hold thunks: nothing is evaluated until used. */
export type Value =
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'int' | 'float'; readonly v: string }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'null' }
  | { readonly t: 'path'; readonly v: string }
  | { readonly t: 'list'; readonly v: readonly Thunk[] }
  | { readonly t: 'attrs'; readonly v: ReadonlyMap<string, Thunk> }
  | { readonly t: 'lambda' }
  | { readonly t: 'builtins' }
  | { readonly t: 'primop'; readonly name: string; readonly arity: number; readonly args: readonly Thunk[] };

interface Env {
  readonly vars: ReadonlyMap<string, Thunk> | null;
  readonly withScope: Thunk | null;
  readonly parent: Env | null;
}

/** A delayed value: an expression in its scope, evaluated once. */
export class Thunk {
  value: Value | undefined;
  forcing = false;
  constructor(
    readonly node: Node | null,
    readonly env: Env | null,
    value?: Value,
  ) {
    this.value = value;
  }
}

const SUPPORTED_BUILTINS: Record<string, number> = { import: 1, readFile: 1, attrValues: 1, attrNames: 1 };

/** Code-point order, as Nix sorts attribute names (byte order of UTF-8). */
export function compareNames(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** One read: limits, counters, and the files imported so far. */
export class NixEvaluator {
  private readonly limits: NixReadLimits;
  private steps = 0;
  private produced = 0;
  private depth = 0;
  private bytes = 0;
  private reads = 0;
  private readonly files = new Map<string, Thunk>();
  private readonly tokens: { left: number };

  constructor(private readonly context: NixReadContext = {}) {
    this.limits = { ...DEFAULT_NIX_READ_LIMITS, ...context.limits };
    this.tokens = { left: this.limits.maxTokens };
  }

  /** The (unevaluated) value of a file's text. */
  evalFile(src: SourceFile): Thunk {
    const node = parseNix(src, this.limits.maxDepth, this.tokens);
    return new Thunk(node, null);
  }

  /**
   * The `let` bindings a file starts with (through nested `let`s), unevaluated: what the file calls its
   * values, for naming recipients.
   */
  topBindings(file: Thunk): Map<string, Thunk> {
    const out = new Map<string, Thunk>();
    let node = file.node;
    let env: Env | null = file.env;
    while (node?.k === 'let') {
      const vars = new Map<string, Thunk>();
      const inner: Env = { vars, withScope: null, parent: env };
      for (const [name, def] of node.binds.attrs) vars.set(name, new Thunk(def.node, def.inherited ? env : inner));
      for (const [name, thunk] of vars) out.set(name, thunk);
      node = node.body;
      env = inner;
    }
    return out;
  }

  /** Evaluates a thunk to weak head normal form. */
  force(thunk: Thunk): Value {
    if (thunk.value) return thunk.value;
    const node = thunk.node as Node;
    if (thunk.forcing) throw nixError(node.src, node.at, 'infinite recursion encountered');
    if (++this.depth > this.limits.maxEvalDepth) throw nixError(node.src, node.at, `evaluation nests deeper than ${this.limits.maxEvalDepth} levels`, 'LIMIT_EXCEEDED');
    thunk.forcing = true;
    try {
      thunk.value = this.eval(node, thunk.env);
      return thunk.value;
    } finally {
      thunk.forcing = false;
      this.depth--;
    }
  }

  private produce(node: Node, count: number): void {
    if (count > this.limits.maxListLength) throw nixError(node.src, node.at, `a list or set of ${count} elements is over the limit of ${this.limits.maxListLength}`, 'LIMIT_EXCEEDED');
    this.produced += count;
    if (this.produced > this.limits.maxProduced) throw nixError(node.src, node.at, `more than ${this.limits.maxProduced} values produced`, 'LIMIT_EXCEEDED');
  }

  private lookup(node: Node & { k: 'var' }, env: Env | null): Value {
    const withs: Thunk[] = [];
    for (let e = env; e; e = e.parent) {
      const found = e.vars?.get(node.name);
      if (found) return this.force(found);
      if (e.withScope) withs.push(e.withScope);
    }
    const global = this.global(node);
    if (global) return global;
    for (const scope of withs) {
      const value = this.force(scope);
      if (value.t !== 'attrs') throw this.typeError(scope.node ?? node, value, 'a set');
      const found = value.v.get(node.name);
      if (found) return this.force(found);
    }
    throw nixError(node.src, node.at, `undefined variable ${quoteName(node.name)}`);
  }

  private global(node: Node & { k: 'var' }): Value | null {
    const name = node.name;
    if (name === 'true' || name === 'false') return { t: 'bool', v: name === 'true' };
    if (name === 'null') return { t: 'null' };
    if (name === 'builtins') return { t: 'builtins' };
    if (name === 'import') return { t: 'primop', name, arity: 1, args: [] };
    if (GLOBAL_NAMES.has(name) || name.startsWith('__')) throw needsNix(node.src, node.at, quoteName(name));
    return null;
  }

  private typeError(node: Node, value: Value, wanted: string): SecretsError {
    return nixError(node.src, node.at, `value is ${value.t === 'attrs' ? 'a set' : value.t === 'primop' || value.t === 'lambda' ? 'a function' : `a ${value.t}`} while ${wanted} was expected`);
  }

  private eval(node: Node, env: Env | null): Value {
    if (++this.steps > this.limits.maxSteps) throw nixError(node.src, node.at, `evaluation takes more than ${this.limits.maxSteps} steps`, 'LIMIT_EXCEEDED');
    switch (node.k) {
      case 'string':
        return { t: 'string', v: node.v };
      case 'int':
      case 'float':
        return { t: node.k, v: node.v };
      case 'path':
        return { t: 'path', v: node.v };
      case 'var':
        return this.lookup(node, env);
      case 'list':
        this.produce(node, node.items.length);
        return { t: 'list', v: node.items.map((item) => new Thunk(item, env)) };
      case 'attrs':
        return this.attrs(node, node.binds, node.rec, env);
      case 'let': {
        const vars = new Map<string, Thunk>();
        const inner: Env = { vars, withScope: null, parent: env };
        for (const [name, def] of node.binds.attrs) vars.set(name, new Thunk(def.node, def.inherited ? env : inner));
        return this.force(new Thunk(node.body, inner));
      }
      case 'with':
        return this.force(new Thunk(node.body, { vars: null, withScope: new Thunk(node.scope, env), parent: env }));
      case 'select':
        return this.select(node, env);
      case 'has': {
        let value = this.force(new Thunk(node.e, env));
        for (const key of node.path) {
          if (value.t !== 'attrs') return { t: 'bool', v: false };
          const next = value.v.get(this.keyName(node, key));
          if (!next) return { t: 'bool', v: false };
          value = this.force(next);
        }
        return { t: 'bool', v: true };
      }
      case 'lambda':
        return { t: 'lambda' };
      case 'app':
        return this.apply(node, env);
      case 'op':
        return this.operator(node, env);
      case 'spath':
        throw needsNix(node.src, node.at, `the search path ${node.v}`);
      case 'hpath':
        throw nixError(node.src, node.at, node.v.startsWith('~') ? `the path ${node.v} is outside the repository` : `the path ${node.v} cannot be resolved here (no file given)`);
      case 'interp':
        throw needsNix(node.src, node.at, 'string interpolation ${…}');
      case 'if':
        throw needsNix(node.src, node.at, '"if"');
      case 'assert':
        throw needsNix(node.src, node.at, '"assert"');
      case 'not':
      case 'neg':
        throw needsNix(node.src, node.at, node.k === 'not' ? '"!"' : 'negation');
    }
  }

  private attrs(node: Node, binds: Binds, rec: boolean, env: Env | null): Value {
    if (binds.dynamic.length > 0) throw needsNix(node.src, (binds.dynamic[0] as { at: number }).at, 'a dynamic attribute name');
    this.produce(node, binds.attrs.size);
    const map = new Map<string, Thunk>();
    const inner: Env | null = rec ? { vars: map, withScope: null, parent: env } : env;
    for (const [name, def] of binds.attrs) map.set(name, new Thunk(def.node, def.inherited ? env : inner));
    return { t: 'attrs', v: map };
  }

  private keyName(node: Node, key: AttrKey): string {
    if ('name' in key) return key.name;
    throw needsNix(node.src, key.dynamic.at, 'a dynamic attribute name');
  }

  private select(node: Node & { k: 'select' }, env: Env | null): Value {
    let value = this.force(new Thunk(node.e, env));
    for (const key of node.path) {
      const name = this.keyName(node, key);
      if (value.t === 'builtins') {
        if (!(name in SUPPORTED_BUILTINS)) throw needsNix(node.src, node.at, `builtins.${name}`);
        value = { t: 'primop', name, arity: SUPPORTED_BUILTINS[name] as number, args: [] };
        continue;
      }
      const next = value.t === 'attrs' ? value.v.get(name) : undefined;
      if (!next) {
        if (node.def) return this.force(new Thunk(node.def, env));
        if (value.t !== 'attrs') throw this.typeError(node, value, 'a set');
        throw nixError(node.src, node.at, `attribute ${quoteName(name)} missing`);
      }
      value = this.force(next);
    }
    return value;
  }

  private apply(node: Node & { k: 'app' }, env: Env | null): Value {
    const f = this.force(new Thunk(node.f, env));
    if (f.t === 'lambda') throw needsNix(node.src, node.at, 'calling a function');
    if (f.t !== 'primop') throw nixError(node.src, node.at, `attempt to call something which is not a function but ${f.t === 'attrs' ? 'a set' : `a ${f.t}`}`);
    const args = [...f.args, new Thunk(node.arg, env)];
    if (args.length < f.arity) return { ...f, args };
    return this.primop(node, f.name, args);
  }

  private primop(node: Node, name: string, args: readonly Thunk[]): Value {
    const arg = this.force(args[0] as Thunk);
    if (name === 'attrValues' || name === 'attrNames') {
      if (arg.t !== 'attrs') throw this.typeError(node, arg, 'a set');
      const names = [...arg.v.keys()].sort(compareNames);
      this.produce(node, names.length);
      return { t: 'list', v: names.map((n) => (name === 'attrNames' ? new Thunk(null, null, { t: 'string', v: n }) : (arg.v.get(n) as Thunk))) };
    }
    if (arg.t !== 'path') throw needsNix(node.src, node.at, `${name} of a ${arg.t === 'string' ? 'string' : arg.t}`);
    const text = this.readPath(node, arg.v, name === 'import');
    if (name === 'readFile') {
      if (text.text.includes('\0')) throw nixError(node.src, node.at, 'the file read cannot be represented as a Nix string (it holds NUL)');
      return { t: 'string', v: text.text };
    }
    let file = this.files.get(text.path);
    if (!file) {
      const shown = posix.join(posix.dirname(node.src.shown), posix.relative(posix.dirname(node.src.path as string), text.path));
      file = this.evalFile({ text: text.text, path: text.path, shown });
      this.files.set(text.path, file);
    }
    if (file.forcing) throw nixError(node.src, node.at, 'import cycle: the file imports itself');
    return this.force(file);
  }

  private readPath(node: Node, path: string, isImport: boolean): { text: string; path: string } {
    const { readFile, root } = this.context;
    const what = posix.relative(posix.dirname(node.src.path ?? '/'), path) || '.';
    if (!readFile || !root) throw nixError(node.src, node.at, `${quoteName(what)} cannot be read here (no file access given)`);
    if (path !== root && !path.startsWith(root.endsWith('/') ? root : `${root}/`)) throw nixError(node.src, node.at, `${quoteName(what)} is outside the repository`);
    if (isImport && this.files.has(path)) return { text: '', path };
    if (++this.reads > this.limits.maxFiles) throw nixError(node.src, node.at, `more than ${this.limits.maxFiles} files read`, 'LIMIT_EXCEEDED');
    let text: string;
    let actual = path;
    try {
      text = readFile(path);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'EISDIR' && isImport) {
        actual = posix.join(path, 'default.nix');
        try {
          text = readFile(actual);
        } catch (inner) {
          throw this.readError(node, what, inner);
        }
      } else throw this.readError(node, what, error);
    }
    this.bytes += text.length;
    if (this.bytes > this.limits.maxBytes) throw nixError(node.src, node.at, `more than ${this.limits.maxBytes} bytes read`, 'LIMIT_EXCEEDED');
    return { text, path: actual };
  }

  private readError(node: Node, what: string, error: unknown): SecretsError {
    if (error instanceof SecretsError && error.code === 'LIMIT_EXCEEDED') return error;
    const code = (error as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : error instanceof SecretsError ? error.message : 'cannot be read';
    return nixError(node.src, node.at, `${quoteName(what)} ${why}`);
  }

  private operator(node: Node & { k: 'op' }, env: Env | null): Value {
    if (node.op !== '++' && node.op !== '//') throw needsNix(node.src, node.at, `the operator ${node.op}`);
    const l = this.force(new Thunk(node.l, env));
    const r = this.force(new Thunk(node.r, env));
    if (node.op === '++') {
      if (l.t !== 'list') throw this.typeError(node.l, l, 'a list');
      if (r.t !== 'list') throw this.typeError(node.r, r, 'a list');
      this.produce(node, l.v.length + r.v.length);
      return { t: 'list', v: [...l.v, ...r.v] };
    }
    if (l.t !== 'attrs') throw this.typeError(node.l, l, 'a set');
    if (r.t !== 'attrs') throw this.typeError(node.r, r, 'a set');
    const merged = new Map(l.v);
    for (const [k, v] of r.v) merged.set(k, v);
    this.produce(node, merged.size);
    return { t: 'attrs', v: merged };
  }
}
