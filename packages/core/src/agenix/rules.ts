/**
 * agenix rules from a `secrets.nix` (read statically, or by nix-instantiate for the forms that need an
 * evaluator) or from JSON (`nix-instantiate --eval --strict --json` / `nix eval --json` output), and the
 * test of whether a `secrets.nix` is agenix rules at all.
 */
import { posix } from 'node:path';
import { SecretsError } from '../errors.js';
import { type NixReadContext, NixEvaluator, type Thunk, type Value } from './nix-eval.js';
import { type NixOptions, evaluateWithNix } from './nix-instantiate.js';
import { type SourceFile, isNeedsNix, nixError, quoteName } from './nix-source.js';

/** One rule of secrets.nix. */
export interface AgenixRule {
  /** The attribute name as written, e.g. `secret1.age` or `./secrets/x.age`. */
  readonly name: string;
  readonly publicKeys: readonly string[];
  readonly armor: boolean;
}

/** Options of the static reader. */
export interface StaticRulesOptions extends NixReadContext {
  /** The rules file's absolute path, for `./relative` paths in it (default: paths need Nix). */
  readonly file?: string;
}

/** Options of {@link readAgenixRules} and {@link classifySecretsNix}. */
export interface AgenixRulesOptions extends StaticRulesOptions {
  /**
   * `auto` (default): the static reader, and nix-instantiate for what needs an evaluator when Nix is
   * installed; `never`: the static reader only; `always`: nix-instantiate for every file, as agenix does.
   */
  readonly nix?: 'auto' | 'never' | 'always';
  /** How to run Nix; without it Nix is never used. */
  readonly nixOptions?: NixOptions;
}

/** How a rules file was read. */
export type RulesSource = 'static' | 'nix' | 'json';

/** The rules and how they were read. */
export interface AgenixRules {
  readonly rules: AgenixRule[];
  readonly via: RulesSource;
}

/**
 * What a `secrets.nix` is (see {@link classifySecretsNix}).
 * - `rules`: agenix rules;
 * - `not-rules`: something else (a NixOS module, a set without `publicKeys`, not Nix at all): not an error;
 * - `unreadable`: it could not be told or read (needs Nix and Nix is absent, an import is missing, a limit
 *   was hit…); `looksLikeRules` says whether what could be read has the shape of rules.
 */
export type SecretsNixVerdict =
  | { readonly kind: 'rules'; readonly rules: AgenixRule[]; readonly via: RulesSource }
  | { readonly kind: 'not-rules'; readonly reason: string }
  | { readonly kind: 'unreadable'; readonly error: SecretsError; readonly looksLikeRules: boolean };

const describe = (v: Value): string => (v.t === 'attrs' || v.t === 'builtins' ? 'a set' : v.t === 'lambda' || v.t === 'primop' ? 'a function' : `a ${v.t}`);

function rootValue(ev: NixEvaluator, src: SourceFile): { top: Thunk; value: Value } {
  const top = ev.evalFile(src);
  return { top, value: ev.force(top) };
}

/** The rules of an evaluated set: every value a set with a list of strings `publicKeys`, `armor` a bool. */
function rulesOf(ev: NixEvaluator, src: SourceFile, value: Value): AgenixRule[] {
  if (value.t !== 'attrs') throw nixError(src, 0, `the rules must be an attribute set, not ${describe(value)}`);
  const rules: AgenixRule[] = [];
  for (const [name, thunk] of value.v) {
    const at = (thunk.node ?? { at: 0 }).at;
    const placeSrc = thunk.node?.src ?? src;
    const rule = ev.force(thunk);
    if (rule.t !== 'attrs') throw nixError(placeSrc, at, `${quoteName(name)} must be an attribute set with publicKeys`);
    const keysThunk = rule.v.get('publicKeys');
    if (!keysThunk) throw nixError(placeSrc, at, `${quoteName(name)} has no publicKeys`);
    const keys = ev.force(keysThunk);
    const keysAt = keysThunk.node ?? { src: placeSrc, at };
    if (keys.t !== 'list') throw nixError(keysAt.src, keysAt.at, `${quoteName(name)}.publicKeys must be a list of strings, not ${describe(keys)}`);
    const publicKeys = keys.v.map((k) => {
      const key = ev.force(k);
      if (key.t !== 'string') throw nixError(k.node?.src ?? keysAt.src, k.node?.at ?? keysAt.at, `${quoteName(name)}.publicKeys must be a list of strings, not hold ${describe(key)}`);
      return key.v;
    });
    const armorThunk = rule.v.get('armor');
    const armor = armorThunk ? ev.force(armorThunk) : ({ t: 'bool', v: false } as const);
    if (armor.t !== 'bool') throw nixError(armorThunk?.node?.src ?? placeSrc, armorThunk?.node?.at ?? at, `${quoteName(name)}.armor must be true or false`);
    rules.push({ name, publicKeys, armor: armor.v });
  }
  return rules;
}

function sourceOf(text: string, shown: string, options: StaticRulesOptions): SourceFile {
  return { text, shown, path: options.file ? posix.resolve(options.file) : null };
}

/**
 * Reads secrets.nix without Nix (the static forms: see docs/format.md), in file order.
 *
 * @param text - the file
 * @param path - how messages name it
 * @param options - its absolute path, the repository root and a file reader for `import`/`readFile`, limits
 * @returns the rules
 * @throws SecretsError CONFIG_INVALID with `path:line:col` (`details.needsNix` when only an evaluator can
 *   read it), LIMIT_EXCEEDED for the hostile-input limits
 */
export function readRulesStatic(text: string, path: string, options: StaticRulesOptions = {}): AgenixRule[] {
  const src = sourceOf(text, path, options);
  const ev = new NixEvaluator(options);
  return rulesOf(ev, src, rootValue(ev, src).value);
}

/**
 * Rules given as JSON: an object of `{ "name.age": { "publicKeys": [...], "armor": bool } }` as
 * `nix-instantiate --eval --strict --json secrets.nix` or `nix eval --json` print it (other attributes
 * are ignored, as agenix ignores them).
 *
 * @throws SecretsError CONFIG_INVALID naming the rule that is wrong
 */
export function parseAgenixRulesJson(text: string, path: string): AgenixRule[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SecretsError('CONFIG_INVALID', `${path}: not valid JSON`);
  }
  return rulesFromJson(json, path);
}

function rulesFromJson(json: unknown, path: string): AgenixRule[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SecretsError('CONFIG_INVALID', `${path}: the rules must be an object of rules`);
  return Object.entries(json as Record<string, unknown>).map(([name, rule]) => {
    const r = rule as { publicKeys?: unknown; armor?: unknown } | null;
    if (typeof r !== 'object' || r === null || Array.isArray(r) || !('publicKeys' in r)) throw new SecretsError('CONFIG_INVALID', `${path}: ${quoteName(name)} must be an attribute set with publicKeys`);
    if (!Array.isArray(r.publicKeys) || r.publicKeys.some((k) => typeof k !== 'string')) throw new SecretsError('CONFIG_INVALID', `${path}: ${quoteName(name)}.publicKeys must be a list of strings`);
    if (r.armor !== undefined && typeof r.armor !== 'boolean') throw new SecretsError('CONFIG_INVALID', `${path}: ${quoteName(name)}.armor must be true or false`);
    return { name, publicKeys: [...(r.publicKeys as string[])], armor: r.armor === true };
  });
}

/** Whether a rules file's text is JSON rather than Nix (JSON objects start with `{` and parse). */
export function isJsonRules(text: string): boolean {
  if (!/^\s*\{/.test(text)) return false;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function nixContext(options: AgenixRulesOptions, path: string): { file: string; root: string } {
  if (!options.file) throw new SecretsError('CONFIG_INVALID', `${path}: Nix needs the rules file's absolute path`);
  const file = posix.resolve(options.file);
  return { file, root: options.root ?? posix.dirname(file) };
}

/**
 * Reads agenix rules: JSON as it is; Nix statically, with nix-instantiate for what needs an evaluator
 * (`nix: 'auto'`), never (`'never'`) or for everything (`'always'`, as agenix does).
 *
 * @param text - the file
 * @param path - how messages name it
 * @returns the rules and how they were read
 * @throws SecretsError as {@link readRulesStatic}; CONFIG_INVALID when Nix is needed and missing, or fails
 */
export async function readAgenixRules(text: string, path: string, options: AgenixRulesOptions = {}): Promise<AgenixRules> {
  if (isJsonRules(text)) return { rules: parseAgenixRulesJson(text, path), via: 'json' };
  const mode = options.nix ?? 'auto';
  if (mode !== 'always') {
    try {
      return { rules: readRulesStatic(text, path, options), via: 'static' };
    } catch (error) {
      if (mode === 'never' || !options.nixOptions || !isNeedsNix(error)) throw error;
      const output = await evaluateWithNix(...nixArgs(options, path));
      if (output === null) throw error; // Nix is not installed: the static reader's "needs Nix" stands
      return { rules: rulesFromNixOutput(output, path), via: 'nix' };
    }
  }
  if (!options.nixOptions) throw new SecretsError('CONFIG_INVALID', `${path}: Nix was asked for but cannot be run here`);
  const output = await evaluateWithNix(...nixArgs(options, path));
  if (output === null) throw new SecretsError('CONFIG_INVALID', 'nix-instantiate is not installed', { hints: ['install Nix (Debian: nix-bin), or drop --nix to read the rules without it'] });
  return { rules: rulesFromNixOutput(output, path), via: 'nix' };
}

function nixArgs(options: AgenixRulesOptions, path: string): Parameters<typeof evaluateWithNix> {
  const { file, root } = nixContext(options, path);
  return [file, root, path, options.nixOptions as NixOptions];
}

function rulesFromNixOutput(output: { type: string; rules?: unknown }, path: string): AgenixRule[] {
  // Not the shape of rules at all (details.notRules): classifySecretsNix says `not-rules`, not `unreadable`.
  const notRules = (what: string): SecretsError => new SecretsError('CONFIG_INVALID', `${path}: ${what}`, { details: { notRules: true } });
  if (output.type !== 'set') throw notRules(`the rules must be an attribute set, not a ${output.type === 'lambda' ? 'function' : output.type}`);
  const rules = (output.rules ?? {}) as Record<string, unknown>;
  const other = Object.keys(rules).find((name) => rules[name] === null);
  if (other !== undefined) throw notRules(`${quoteName(other)} must be an attribute set with publicKeys`);
  return rulesFromJson(rules, path);
}

/**
 * Whether a `secrets.nix` is agenix rules: it evaluates to an attribute set whose values are all
 * attribute sets with `publicKeys` (what agenix's `rules."FILE".publicKeys` needs). A NixOS module (a
 * function), a set of anything else, an empty set, or a file that is not Nix is `not-rules`, which is not
 * an error. The shape is decided lazily, so a rule whose keys need Nix still shows as rules-shaped.
 * This is the test for "which secrets.nix files are agenix rules" in a repository walk.
 *
 * @param text - the file
 * @param path - how messages name it
 * @param options - as {@link readAgenixRules}
 * @returns the verdict; never throws for the file's content
 */
export async function classifySecretsNix(text: string, path: string, options: AgenixRulesOptions = {}): Promise<SecretsNixVerdict> {
  const mode = options.nix ?? 'auto';
  const alone = classifySecretsNixStatic(text, path, options);
  // Nix decides what the static reader could not (auto), or every Nix file it could read too (always).
  const nixUsable = mode !== 'never' && options.nixOptions !== undefined;
  const wantNix =
    mode === 'always' ? alone.kind === 'unreadable' || (alone.kind === 'rules' && alone.via === 'static') : alone.kind === 'unreadable' && isNeedsNix(alone.error);
  if (!nixUsable || !wantNix) return alone;
  try {
    const read = await readAgenixRules(text, path, options);
    return { kind: 'rules', ...read };
  } catch (error) {
    const e = error instanceof SecretsError ? error : new SecretsError('INTERNAL', `${path}: unexpected error`, { cause: error });
    if (e.details['notRules'] === true) return { kind: 'not-rules', reason: e.message };
    return { kind: 'unreadable', error: e, looksLikeRules: alone.kind !== 'unreadable' || alone.looksLikeRules };
  }
}

/**
 * {@link classifySecretsNix} without Nix: synchronous and pure (files only through `options.readFile`),
 * for a repository walk over an injected file-system view. A file that needs an evaluator is `unreadable`
 * with `details.needsNix` on its error, and `looksLikeRules` when its shape is that of rules.
 *
 * @returns the verdict; never throws for the file's content
 */
export function classifySecretsNixStatic(text: string, path: string, options: StaticRulesOptions = {}): SecretsNixVerdict {
  if (isJsonRules(text)) {
    try {
      const rules = parseAgenixRulesJson(text, path);
      return rules.length === 0 ? { kind: 'not-rules', reason: 'it is an empty attribute set' } : { kind: 'rules', rules, via: 'json' };
    } catch (error) {
      return { kind: 'not-rules', reason: (error as Error).message };
    }
  }
  const shape = staticShape(text, path, options);
  if (shape.kind === 'not-rules') return shape;
  try {
    return { kind: 'rules', rules: readRulesStatic(text, path, options), via: 'static' };
  } catch (error) {
    const e = error instanceof SecretsError ? error : new SecretsError('INTERNAL', `${path}: unexpected error`, { cause: error });
    return { kind: 'unreadable', error: e, looksLikeRules: shape.kind === 'rules-shaped' };
  }
}

/** The static reader's view of the shape: rules-shaped, not rules, or unknown (needs more than it reads). */
function staticShape(text: string, path: string, options: StaticRulesOptions): { kind: 'rules-shaped' | 'unknown' } | { kind: 'not-rules'; reason: string } {
  const src = sourceOf(text, path, options);
  const ev = new NixEvaluator(options);
  try {
    const { value } = rootValue(ev, src);
    if (value.t !== 'attrs') return { kind: 'not-rules', reason: `it is ${describe(value)}, not an attribute set of rules` };
    if (value.v.size === 0) return { kind: 'not-rules', reason: 'it is an empty attribute set' };
    for (const [name, thunk] of value.v) {
      const rule = ev.force(thunk);
      if (rule.t !== 'attrs' || !rule.v.has('publicKeys')) return { kind: 'not-rules', reason: `${quoteName(name)} is not a rule (no publicKeys)` };
    }
    return { kind: 'rules-shaped' };
  } catch (error) {
    if (error instanceof SecretsError && error.code === 'CONFIG_INVALID' && !isNeedsNix(error) && /: unexpected |: unterminated /.test(error.message) && error.details['file'] === path) {
      return { kind: 'not-rules', reason: `it is not valid Nix (${error.message})` };
    }
    return { kind: 'unknown' };
  }
}

/**
 * The names a `secrets.nix` gives its recipients: each string bound by its leading `let` (`alice = "ssh-…"`),
 * or inside a bound set (`users = { alice = …; }` → `users.alice`, `keys = import ./keys.nix` →
 * `keys.bob`), two levels deep. The first name wins. For naming recipients in output the way the
 * repository names them; read statically, never throws (what cannot be read has no name).
 *
 * @param text - the file
 * @param path - how messages name it
 * @param options - as {@link readRulesStatic}
 * @returns recipient text → name
 */
export function secretsNixRecipientNames(text: string, path: string, options: StaticRulesOptions = {}): Map<string, string> {
  const names = new Map<string, string>();
  const ev = new NixEvaluator(options);
  let bindings: Map<string, Thunk>;
  try {
    bindings = ev.topBindings(ev.evalFile(sourceOf(text, path, options)));
  } catch {
    return names;
  }
  const visit = (name: string, thunk: Thunk, depth: number): void => {
    let value: Value;
    try {
      value = ev.force(thunk);
    } catch {
      return;
    }
    if (value.t === 'string') {
      if (!names.has(value.v)) names.set(value.v, name);
    } else if (value.t === 'attrs' && depth < 2) {
      for (const [key, inner] of value.v) visit(`${name}.${key}`, inner, depth + 1);
    }
  };
  for (const [name, thunk] of bindings) visit(name, thunk, 0);
  return names;
}
