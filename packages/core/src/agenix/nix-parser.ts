/**
 * The Nix grammar (Nix 2.8's `parser.y`, restated: precedences, attribute-path merging, `inherit`,
 * formals) into a small AST. Nesting is capped so a hostile file cannot exhaust the stack.
 */
import { posix } from 'node:path';
import type { AttrKey, Binds, Node } from './nix-ast.js';
import { type StringPart, type Token, lexNix } from './nix-lexer.js';
import { checkScopes } from './nix-scopes.js';
import { type SourceFile, nixError, quoteName } from './nix-source.js';

export type { AttrDef, AttrKey, Binds, Node } from './nix-ast.js';
export { GLOBAL_NAMES } from './nix-scopes.js';

// Binary operators: [binding power, associativity] (parser.y: IMPL < OR < AND < EQ < REL < UPDATE < NOT < + - < * / < ++ < ? < NEGATE).
const BINARY: Record<string, [number, 'left' | 'right' | 'none']> = {
  '->': [1, 'right'],
  '||': [2, 'left'],
  '&&': [3, 'left'],
  '==': [4, 'none'],
  '!=': [4, 'none'],
  '<': [5, 'none'],
  '>': [5, 'none'],
  '<=': [5, 'none'],
  '>=': [5, 'none'],
  '//': [6, 'right'],
  '+': [8, 'left'],
  '-': [8, 'left'],
  '*': [9, 'left'],
  '/': [9, 'left'],
  '++': [10, 'right'],
  '?': [11, 'none'],
};
const NOT_POWER = 7;

/**
 * Parses a Nix file.
 *
 * @param src - the file
 * @param maxDepth - how deep expressions may nest
 * @param budget - tokens still allowed in this read (decremented)
 * @returns the expression
 * @throws SecretsError with `file:line:column`
 */
export function parseNix(src: SourceFile, maxDepth: number, budget: { left: number } = { left: Number.MAX_SAFE_INTEGER }): Node {
  const tokens = lexNix(src, maxDepth, budget);
  const node = new Parser(src, tokens, maxDepth).file();
  checkScopes(node, maxDepth);
  return node;
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly src: SourceFile,
    private readonly tokens: readonly Token[],
    private readonly maxDepth: number,
  ) {}

  file(): Node {
    const e = this.expr();
    const t = this.peek();
    if (t.t !== 'eof') throw this.unexpected(t);
    return e;
  }

  private peek(n = 0): Token {
    return this.tokens[Math.min(this.pos + n, this.tokens.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    this.pos = Math.min(this.pos + 1, this.tokens.length - 1);
    return t;
  }
  private is(t: Token, v: string): t is Token & { t: 'op' | 'kw'; v: string } {
    return (t.t === 'op' || t.t === 'kw') && t.v === v;
  }
  private expect(v: string): Token {
    const t = this.next();
    if (!this.is(t, v)) throw this.unexpected(t, `, expecting ${JSON.stringify(v)}`);
    return t;
  }
  private unexpected(t: Token, expecting = ''): Error {
    if (t.t === 'eof') return nixError(this.src, t.at, `unexpected end of file${expecting}`);
    if (t.t === 'str') return nixError(this.src, t.at, `unexpected string${expecting}`);
    return nixError(this.src, t.at, `unexpected ${quoteName(t.v)}${expecting}`);
  }
  // The type parameter keeps each call's object literal checked as the variant it builds.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  private node<N extends Omit<Node, 'src' | 'at'>>(at: number, n: N): Node {
    return { src: this.src, at, ...n } as unknown as Node;
  }
  private enter(at: number): void {
    if (++this.depth > this.maxDepth) throw nixError(this.src, at, `expressions nest deeper than ${this.maxDepth} levels`, 'LIMIT_EXCEEDED');
  }

  /** expr_function: lambdas, assert, with, let … in, then if. */
  expr(): Node {
    const t = this.peek();
    this.enter(t.at);
    try {
      if (t.t === 'id' && this.is(this.peek(1), ':')) {
        this.pos += 2;
        return this.node(t.at, { k: 'lambda', params: [t.v], defaults: [], body: this.expr() });
      }
      if (t.t === 'id' && this.is(this.peek(1), '@')) {
        this.pos += 2;
        return this.lambdaWithFormals(t.at, [t.v]);
      }
      if (this.is(t, '{') && this.startsFormals()) return this.lambdaWithFormals(t.at, []);
      if (this.is(t, 'assert') || this.is(t, 'with')) {
        this.next();
        const first = this.expr();
        this.expect(';');
        const body = this.expr();
        return t.v === 'assert' ? this.node(t.at, { k: 'assert', cond: first, body }) : this.node(t.at, { k: 'with', scope: first, body });
      }
      if (this.is(t, 'let') && !this.is(this.peek(1), '{')) {
        this.next();
        const binds = this.binds('in', false);
        this.expect('in');
        return this.node(t.at, { k: 'let', binds, body: this.expr() });
      }
      if (this.is(t, 'if')) {
        this.next();
        const cond = this.expr();
        this.expect('then');
        const then = this.expr();
        this.expect('else');
        return this.node(t.at, { k: 'if', cond, then, else: this.expr() });
      }
      return this.op(0);
    } finally {
      this.depth--;
    }
  }

  /** After `{`: `}` then `:` or `@`, `...`, or a name then `,` `?` or `}` `:`/`@`. */
  private startsFormals(): boolean {
    const a = this.peek(1);
    const b = this.peek(2);
    if (this.is(a, '}')) return this.is(b, ':') || this.is(b, '@');
    if (this.is(a, '...')) return true;
    if (a.t !== 'id') return false;
    if (this.is(b, ',') || this.is(b, '?')) return true;
    return this.is(b, '}') && (this.is(this.peek(3), ':') || this.is(this.peek(3), '@'));
  }

  private lambdaWithFormals(at: number, params: string[]): Node {
    this.expect('{');
    const defaults: Node[] = [];
    while (!this.is(this.peek(), '}')) {
      const t = this.next();
      if (this.is(t, '...')) break;
      if (t.t !== 'id') throw this.unexpected(t);
      if (params.includes(t.v)) throw nixError(this.src, t.at, `duplicate formal function argument ${quoteName(t.v)}`);
      params.push(t.v);
      if (this.is(this.peek(), '?')) {
        this.next();
        defaults.push(this.expr());
      }
      if (!this.is(this.peek(), ',')) break;
      this.next();
    }
    this.expect('}');
    if (this.is(this.peek(), '@')) {
      this.next();
      const name = this.next();
      if (name.t !== 'id') throw this.unexpected(name);
      params.push(name.v);
    }
    this.expect(':');
    return this.node(at, { k: 'lambda', params, defaults, body: this.expr() });
  }

  /** Operators by binding power (Pratt). */
  private op(min: number): Node {
    const t = this.peek();
    this.enter(t.at);
    try {
      let left: Node;
      if (this.is(t, '!')) {
        this.next();
        left = this.node(t.at, { k: 'not', e: this.op(NOT_POWER + 1) });
      } else if (this.is(t, '-')) {
        this.next();
        left = this.node(t.at, { k: 'neg', e: this.app() });
      } else left = this.app();
      for (;;) {
        const o = this.peek() as Token & { v: string };
        const spec = o.t === 'op' ? BINARY[o.v] : undefined;
        if (!spec || spec[0] < min) return left;
        this.next();
        if (o.v === '?') {
          left = this.node(o.at, { k: 'has', e: left, path: this.attrPath() });
          continue;
        }
        const right = this.op(spec[1] === 'right' ? spec[0] : spec[0] + 1);
        left = this.node(o.at, { k: 'op', op: o.v, l: left, r: right });
        const after = this.peek();
        if (spec[1] === 'none' && after.t === 'op' && BINARY[after.v]?.[0] === spec[0]) throw this.unexpected(after);
      }
    } finally {
      this.depth--;
    }
  }

  private startsSimple(t: Token): boolean {
    if (t.t === 'id' || t.t === 'int' || t.t === 'float' || t.t === 'str' || t.t === 'path' || t.t === 'hpath' || t.t === 'spath' || t.t === 'uri') return true;
    if (this.is(t, '(') || this.is(t, '{') || this.is(t, '[') || this.is(t, 'rec')) return true;
    return this.is(t, 'let') && this.is(this.peek(1), '{');
  }

  private app(): Node {
    let f = this.select();
    while (this.startsSimple(this.peek())) f = this.node(f.at, { k: 'app', f, arg: this.select() });
    return f;
  }

  private select(): Node {
    const e = this.simple();
    const t = this.peek();
    if (this.is(t, '.')) {
      this.next();
      const path = this.attrPath();
      let def: Node | null = null;
      if (this.is(this.peek(), 'or')) {
        this.next();
        def = this.select();
      }
      return this.node(e.at, { k: 'select', e, path, def });
    }
    if (this.is(t, 'or')) {
      this.next(); // `f or`: a call of a function named `or` (parser.y's backwards compatibility)
      return this.node(t.at, { k: 'app', f: e, arg: this.node(t.at, { k: 'var', name: 'or' }) });
    }
    return e;
  }

  private attrPath(): AttrKey[] {
    const path = [this.attrName()];
    while (this.is(this.peek(), '.')) {
      this.next();
      path.push(this.attrName());
    }
    return path;
  }

  private attrName(): AttrKey {
    const t = this.next();
    if (t.t === 'id' || (t.t === 'kw' && t.v === 'or')) return { name: t.v };
    if (t.t === 'str' && !t.indented) {
      const s = this.stringNode(t);
      return s.k === 'string' ? { name: s.v } : { dynamic: s };
    }
    if (this.is(t, '${')) {
      const e = this.expr();
      this.expect('}');
      return { dynamic: e };
    }
    throw this.unexpected(t);
  }

  private stringNode(t: Token & { t: 'str' }): Node {
    const parts: readonly StringPart[] = t.parts;
    if (parts.every((p) => 'text' in p)) return this.node(t.at, { k: 'string', v: parts.map((p) => ('text' in p ? p.text : '')).join('') });
    for (const p of parts) if ('tokens' in p) new Parser(this.src, p.tokens, this.maxDepth - this.depth).file(); // syntax-checked, not evaluated
    const first = parts.find((p) => 'tokens' in p) as StringPart;
    return this.node(first.at, { k: 'interp' });
  }

  private simple(): Node {
    const t = this.next();
    switch (t.t) {
      case 'id':
        return this.node(t.at, { k: 'var', name: t.v });
      case 'int':
        return this.node(t.at, { k: 'int', v: t.v });
      case 'float':
        return this.node(t.at, { k: 'float', v: t.v });
      case 'str':
        return this.stringNode(t);
      case 'uri':
        return this.node(t.at, { k: 'string', v: t.v });
      case 'path': {
        // Nix resolves a relative path against the directory of the file it is written in.
        if (this.src.path === null && !t.v.startsWith('/')) return this.node(t.at, { k: 'hpath', v: t.v });
        return this.node(t.at, { k: 'path', v: posix.resolve(posix.dirname(this.src.path ?? '/'), t.v) });
      }
      case 'hpath':
      case 'spath':
        return this.node(t.at, { k: t.t, v: t.v });
      case 'eof':
        throw this.unexpected(t);
      default:
    }
    if (this.is(t, '(')) {
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (this.is(t, '[')) {
      this.enter(t.at);
      const items: Node[] = [];
      while (!this.is(this.peek(), ']')) items.push(this.select());
      this.next();
      this.depth--;
      return this.node(t.at, { k: 'list', items });
    }
    if (this.is(t, '{') || this.is(t, 'rec') || this.is(t, 'let')) {
      const rec = !this.is(t, '{');
      if (rec) this.expect('{');
      this.enter(t.at);
      const binds = this.binds('}', true);
      this.expect('}');
      this.depth--;
      const attrs = this.node(t.at, { k: 'attrs', rec, binds });
      // `let { …; body = …; }` is `(rec { … }).body`.
      return this.is(t, 'let') ? this.node(t.at, { k: 'select', e: attrs, path: [{ name: 'body' }], def: null }) : attrs;
    }
    throw this.unexpected(t);
  }

  /** Bindings up to `end`; dotted paths merge as parser.y's addAttr does. */
  private binds(end: string, allowDynamic: boolean): Binds {
    const binds: Binds = { attrs: new Map(), dynamic: [] };
    while (!this.is(this.peek(), end) && this.peek().t !== 'eof') {
      const t = this.peek();
      if (this.is(t, 'inherit')) {
        this.next();
        let from: Node | null = null;
        if (this.is(this.peek(), '(')) {
          this.next();
          from = this.expr();
          this.expect(')');
        }
        while (!this.is(this.peek(), ';')) {
          const n = this.peek();
          const key = this.attrName();
          if (!('name' in key)) throw nixError(this.src, n.at, 'dynamic attributes not allowed in inherit');
          if (binds.attrs.has(key.name)) throw nixError(this.src, n.at, `attribute ${quoteName(key.name)} already defined`);
          const node = from ? this.node(n.at, { k: 'select', e: from, path: [key], def: null }) : this.node(n.at, { k: 'var', name: key.name });
          binds.attrs.set(key.name, { node, inherited: from === null, at: n.at });
        }
        this.next();
        continue;
      }
      const path = this.attrPath();
      this.expect('=');
      const value = this.expr();
      this.expect(';');
      this.addAttr(binds, path, value, t.at, allowDynamic);
    }
    return binds;
  }

  private addAttr(root: Binds, path: readonly AttrKey[], value: Node, at: number, allowDynamic: boolean): void {
    let binds = root;
    const dup = (): Error => nixError(this.src, at, `attribute ${quoteName(path.map((p) => ('name' in p ? p.name : '${…}')).join('.'))} already defined`);
    for (const [index, key] of path.entries()) {
      const last = index === path.length - 1;
      if (!('name' in key)) {
        if (!allowDynamic) throw nixError(this.src, at, 'dynamic attributes not allowed in let');
        const rest = path.slice(index + 1);
        const nested: Binds = { attrs: new Map(), dynamic: [] };
        if (rest.length > 0) this.addAttr(nested, rest, value, at, true);
        binds.dynamic.push({ key: key.dynamic, node: rest.length > 0 ? this.node(at, { k: 'attrs', rec: false, binds: nested }) : value, at });
        return;
      }
      const existing = binds.attrs.get(key.name);
      if (!last) {
        if (existing) {
          if (existing.inherited || existing.node.k !== 'attrs') throw dup();
          binds = existing.node.binds;
        } else {
          const nested: Binds = { attrs: new Map(), dynamic: [] };
          binds.attrs.set(key.name, { node: this.node(at, { k: 'attrs', rec: false, binds: nested }), inherited: false, at });
          binds = nested;
        }
        continue;
      }
      if (!existing) {
        binds.attrs.set(key.name, { node: value, inherited: false, at });
      } else if (existing.node.k === 'attrs' && value.k === 'attrs' && !existing.inherited) {
        const into = existing.node.binds;
        for (const [name, def] of value.binds.attrs) {
          if (into.attrs.has(name)) throw dup();
          into.attrs.set(name, def);
        }
        into.dynamic.push(...value.binds.dynamic);
      } else throw dup();
    }
  }
}
