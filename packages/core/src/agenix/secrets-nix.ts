/**
 * agenix's rules file (`secrets.nix`): {@link parseSecretsNix} reads it without Nix (see rules.ts for the
 * forms read, JSON rules and the Nix path), and {@link formatSecretsNix} writes one.
 */
import { type AgenixRule, type StaticRulesOptions, readRulesStatic } from './rules.js';

export type { AgenixRule } from './rules.js';

/**
 * Parses secrets.nix without Nix: literal strings and lists, `let`, `rec`, `with`, `inherit`, attribute
 * paths and selection, `++`, `//`, and with `options` (the file's absolute path, the repository root and a
 * reader) `import` and `builtins.readFile`.
 *
 * @param text - the file
 * @param path - for messages
 * @param options - file access for imports, limits
 * @returns the rules in file order
 * @throws SecretsError CONFIG_INVALID with `path:line:col` (`details.needsNix` for forms that need Nix),
 *   LIMIT_EXCEEDED for the hostile-input limits
 */
export function parseSecretsNix(text: string, path: string, options: StaticRulesOptions = {}): AgenixRule[] {
  return readRulesStatic(text, path, options);
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
