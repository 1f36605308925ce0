/**
 * agenix's rules file (`secrets.nix`) read without a Nix evaluator, for the literal forms people write:
 * an attribute set of `"name.age".publicKeys = [ … ];` or `"name.age" = { publicKeys = …; armor = true; };`,
 * `let` bindings of strings and lists, lists of strings and bound names, and `++` between lists.
 * Anything else (functions, imports, interpolation, `with`, `inherit`) is refused with its line and column:
 * evaluate such a file with `nix eval --json -f secrets.nix` instead.
 */
import { SecretsError } from '../errors.js';

/** One rule of secrets.nix. */
export interface AgenixRule {
  /** The attribute name as written, e.g. `secret1.age` or `./secrets/x.age`. */
  readonly name: string;
  readonly publicKeys: readonly string[];
  readonly armor: boolean;
}

type Token =
  | { readonly t: 'str'; readonly v: string; readonly at: number }
  | { readonly t: 'id'; readonly v: string; readonly at: number }
  | { readonly t: 'p'; readonly v: string; readonly at: number }
  | { readonly t: 'path'; readonly v: string; readonly at: number }
  | { readonly t: 'eof'; readonly at: number };

type NixValue = { kind: 'string'; v: string } | { kind: 'bool'; v: boolean } | { kind: 'list'; v: NixValue[] } | { kind: 'attrs'; v: Map<string, NixValue> };

/**
 * Parses secrets.nix.
 *
 * @param text - the file
 * @param path - for messages
 * @returns the rules in file order
 * @throws SecretsError CONFIG_INVALID with `path:line:col`
 */
export function parseSecretsNix(text: string, path: string): AgenixRule[] {
  const fail = (at: number, message: string): never => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    throw new SecretsError('CONFIG_INVALID', `${path}:${line}:${col}: ${message}`, {
      hints: ['only literal forms are read (strings, lists, let bindings, ++); evaluate other files with `nix eval --json -f secrets.nix`'],
    });
  };

  // Tokenizer
  const tokens: Token[] = [];
  for (let i = 0; i < text.length; ) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) fail(i, 'unterminated comment');
      i = end + 2;
    } else if (ch === '"') {
      const at = i;
      let v = '';
      i++;
      for (;;) {
        if (i >= text.length) fail(at, 'unterminated string');
        const c = text[i] as string;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '$' && text[i + 1] === '{') fail(i, 'string interpolation ${…} needs a Nix evaluator');
        if (c === '\\') {
          const n = text[i + 1] as string;
          v += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
          i += 2;
          continue;
        }
        v += c;
        i++;
      }
      tokens.push({ t: 'str', v, at });
    } else if (/[A-Za-z_]/.test(ch)) {
      const at = i;
      while (i < text.length && /[A-Za-z0-9_'-]/.test(text[i] as string)) i++;
      tokens.push({ t: 'id', v: text.slice(at, i), at });
    } else if (/^(\.\.?|~)?\/[A-Za-z0-9._/-]/.test(text.slice(i, i + 4)) || (ch === '.' && text[i + 1] === '/')) {
      // a path literal (./keys.nix): kept as a token so the error can name what uses it
      const at = i;
      while (i < text.length && /[A-Za-z0-9._/~-]/.test(text[i] as string)) i++;
      tokens.push({ t: 'path', v: text.slice(at, i), at });
    } else if (text.startsWith('++', i)) {
      tokens.push({ t: 'p', v: '++', at: i });
      i += 2;
    } else if ('{}[]=;.()'.includes(ch)) {
      tokens.push({ t: 'p', v: ch, at: i });
      i++;
    } else {
      fail(i, `unexpected ${JSON.stringify(ch)}`);
    }
  }
  tokens.push({ t: 'eof', at: text.length });

  // Parser + evaluator over the literal subset
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const expect = (v: string): void => {
    const t = next();
    if (t.t !== 'p' || t.v !== v) fail(t.at, `expected ${JSON.stringify(v)}`);
  };
  const scopes: Map<string, NixValue>[] = [];
  const lookup = (name: string, at: number): NixValue => {
    for (let s = scopes.length - 1; s >= 0; s--) {
      const v = scopes[s]?.get(name);
      if (v) return v;
    }
    return fail(at, `unknown name ${JSON.stringify(name)}`);
  };

  const expr = (): NixValue => {
    const t = peek();
    if (t.t === 'id' && t.v === 'let') {
      next();
      const scope = new Map<string, NixValue>();
      scopes.push(scope);
      while (!(peek().t === 'id' && (peek() as { v: string }).v === 'in')) {
        const name = next();
        if (name.t !== 'id') fail(name.at, 'expected a name in let');
        expect('=');
        scope.set((name as { v: string }).v, expr());
        expect(';');
      }
      next(); // in
      const body = expr();
      scopes.pop();
      return body;
    }
    let left = primary();
    while (peek().t === 'p' && (peek() as { v: string }).v === '++') {
      const op = next();
      const right = primary();
      if (left.kind !== 'list' || right.kind !== 'list') fail(op.at, '++ needs lists on both sides');
      left = { kind: 'list', v: [...(left as { v: NixValue[] }).v, ...(right as { v: NixValue[] }).v] };
    }
    return left;
  };

  const primary = (): NixValue => {
    const t = next();
    if (t.t === 'str') return { kind: 'string', v: t.v };
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return { kind: 'bool', v: t.v === 'true' };
      if (['import', 'with', 'inherit', 'rec', 'builtins', 'if', 'assert'].includes(t.v)) fail(t.at, `${JSON.stringify(t.v)} needs a Nix evaluator`);
      return lookup(t.v, t.at);
    }
    if (t.t === 'path') fail(t.at, `the path ${t.v} needs a Nix evaluator`);
    if (t.t === 'p' && t.v === '(') {
      const v = expr();
      expect(')');
      return v;
    }
    if (t.t === 'p' && t.v === '[') {
      const items: NixValue[] = [];
      while (!(peek().t === 'p' && (peek() as { v: string }).v === ']')) {
        if (peek().t === 'eof') fail(peek().at, 'unterminated list');
        const item = primary();
        if (item.kind === 'list') items.push(...item.v);
        else items.push(item);
      }
      next();
      return { kind: 'list', v: items };
    }
    if (t.t === 'p' && t.v === '{') {
      const attrs = new Map<string, NixValue>();
      while (!(peek().t === 'p' && (peek() as { v: string }).v === '}')) {
        const pathParts: string[] = [];
        for (;;) {
          const k = next();
          if (k.t !== 'str' && k.t !== 'id') fail(k.at, 'expected an attribute name');
          pathParts.push((k as { v: string }).v);
          if (peek().t === 'p' && (peek() as { v: string }).v === '.') {
            next();
            continue;
          }
          break;
        }
        expect('=');
        const value = expr();
        expect(';');
        // `"a.age".publicKeys = …` sets a nested attribute: merge into the attrset of `a.age`.
        let target = attrs;
        for (const part of pathParts.slice(0, -1)) {
          let child = target.get(part);
          if (!child) {
            child = { kind: 'attrs', v: new Map() };
            target.set(part, child);
          }
          if (child.kind !== 'attrs') fail(t.at, `${JSON.stringify(part)} is set twice`);
          target = (child as { v: Map<string, NixValue> }).v;
        }
        target.set(pathParts[pathParts.length - 1] as string, value);
      }
      next();
      return { kind: 'attrs', v: attrs };
    }
    return fail(t.at, t.t === 'eof' ? 'unexpected end of file' : `unexpected ${JSON.stringify((t as { v: string }).v)}`);
  };

  const start = peek().at;
  const root = expr();
  if (peek().t !== 'eof') fail(peek().at, 'unexpected content after the rules');
  if (root.kind !== 'attrs') fail(start, 'the rules must be an attribute set');
  const rules: AgenixRule[] = [];
  for (const [name, value] of (root as { v: Map<string, NixValue> }).v) {
    if (value.kind !== 'attrs') fail(start, `${JSON.stringify(name)} must be an attribute set with publicKeys`);
    const attrs = (value as { v: Map<string, NixValue> }).v;
    const keys = attrs.get('publicKeys');
    if (!keys || keys.kind !== 'list' || keys.v.some((k) => k.kind !== 'string')) fail(start, `${JSON.stringify(name)}.publicKeys must be a list of strings`);
    const armor = attrs.get('armor');
    rules.push({
      name,
      publicKeys: (keys as { v: { v: string }[] }).v.map((k) => k.v),
      armor: armor?.kind === 'bool' ? armor.v : false,
    });
  }
  return rules;
}

/** `./x.age` and `x.age` name the same file (agenix#149, #201). */
export function normalizeRuleName(name: string): string {
  return name.replace(/^(\.\/)+/, '');
}

/** One rule to write. */
export interface SecretsNixEntry {
  readonly name: string;
  readonly publicKeys: readonly string[];
  readonly armor: boolean;
}

const NIX_KEYWORDS = new Set(['let', 'in', 'if', 'then', 'else', 'assert', 'with', 'rec', 'inherit', 'or', 'true', 'false', 'null', 'import', 'builtins']);

/** A Nix string literal: `"`, `\` and `${` escaped (Nix manual, "String literals"). */
function nixString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\$\{/g, '\\${').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r')}"`;
}

/** A usable, unique Nix identifier for a binding name. */
function nixIdentifier(wanted: string, taken: ReadonlySet<string>): string {
  let base = wanted.replace(/[^A-Za-z0-9_'-]/g, '_');
  if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
  if (NIX_KEYWORDS.has(base)) base = `${base}_`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  return name;
}

/**
 * Writes a `secrets.nix` deterministically: recipients that have a name (a `.sops.yaml` anchor) become
 * `let` bindings sorted by name, rules are sorted by file name, and the output of equal input is equal
 * byte for byte, so regenerating it gives no diff. {@link parseSecretsNix} reads it back.
 *
 * @param entries - the rules
 * @param names - recipient text → preferred binding name; unnamed recipients are written inline
 * @param header - comment lines for the top (without `#`)
 * @returns the file's text
 */
export function formatSecretsNix(entries: readonly SecretsNixEntry[], names: ReadonlyMap<string, string>, header: readonly string[] = []): string {
  const used = new Set(entries.flatMap((e) => e.publicKeys));
  const bindings = new Map<string, string>();
  const taken = new Set<string>();
  const named = [...used].filter((r) => names.has(r)).sort((a, b) => (names.get(a) as string).localeCompare(names.get(b) as string) || a.localeCompare(b));
  for (const recipient of named) {
    const id = nixIdentifier(names.get(recipient) as string, taken);
    taken.add(id);
    bindings.set(recipient, id);
  }
  const ref = (r: string): string => bindings.get(r) ?? nixString(r);
  const lines = header.map((h) => (h === '' ? '#' : `# ${h}`));
  const body: string[] = [];
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const keys = `[ ${e.publicKeys.map(ref).join(' ')} ]`;
    if (e.armor) body.push(`  ${nixString(e.name)} = {`, `    publicKeys = ${keys};`, '    armor = true;', '  };');
    else body.push(`  ${nixString(e.name)}.publicKeys = ${keys};`);
  }
  if (bindings.size > 0) {
    lines.push('let');
    for (const [recipient, id] of [...bindings].sort((a, b) => (a[1] < b[1] ? -1 : 1))) lines.push(`  ${id} = ${nixString(recipient)};`);
    lines.push('in');
  }
  lines.push('{', ...body, '}');
  return `${lines.join('\n')}\n`;
}
