/**
 * `.sops.yaml`: parsed into a typed model with the line and column of everything, so mistakes are
 * reported where they are. Semantics follow sops' config/config.go: non-strict (unknown keys are
 * warnings), key fields take a comma-separated string or a list, a non-empty `key_groups` replaces the
 * rule's top-level keys, `merge` flattens nested groups, keys are deduplicated per group.
 */
import type { Node, Pair, YAMLMap } from 'yaml';
import { isAlias, isMap, isScalar, isSeq, newLineCounter, parseDocument, visit } from '../sops/stores/yaml-lib.js';
import { parseRecipient } from '../age/index.js';
import { ed25519PublicKeyToAgeRecipient, parseSshPublicKey } from '../ssh/index.js';
import { SecretsError } from '../errors.js';
import { compileRe2, type Re2Regex } from '../re2.js';
import type { CryptRules } from '../sops/rules.js';
import { yamlParserReason } from '../sops/stores/common.js';

/** A position in the config file (1-based). */
export interface ConfigPosition {
  readonly line: number;
  readonly col: number;
}

/** A key of a group: age recipients are checked and usable; other types are kept as opaque strings. */
export type ConfigKey =
  | { readonly type: 'age'; readonly recipient: string; readonly position: ConfigPosition }
  | { readonly type: 'pgp' | 'kms' | 'gcp_kms' | 'azure_kv' | 'hc_vault' | 'hckms'; readonly value: string; readonly position: ConfigPosition };

/** One creation rule: which files, which keys, and the encryption-selection settings for new files. */
export interface CreationRule extends CryptRules {
  /** 0-based index in `creation_rules`. */
  readonly index: number;
  readonly position: ConfigPosition;
  /** The rule's `path_regex` source, or null for a catch-all rule. */
  readonly pathRegex: string | null;
  /** The compiled regex (RE2, linear-time matching), or null for a catch-all rule. */
  readonly regex: Re2Regex | null;
  /** Key groups, in order; one group when the rule uses top-level key fields. */
  readonly keyGroups: readonly (readonly ConfigKey[])[];
  readonly shamirThreshold: number;
  readonly macOnlyEncrypted: boolean;
}

/** The `stores:` settings sops reads. */
export interface StoresConfig {
  readonly yamlIndent?: number;
  readonly jsonIndent?: number;
  readonly jsonBinaryIndent?: number;
}

/** A parsed `.sops.yaml`. */
export interface SopsConfig {
  /** The path it was read from (for messages). */
  readonly path: string;
  readonly creationRules: readonly CreationRule[];
  readonly stores: StoresConfig;
  /** Non-fatal findings (unknown keys, …), each `line:col: message`. */
  readonly warnings: readonly string[];
  /** Recipient → the YAML anchor that names it (`- &server_batchn age1…`), for reports and secrets.nix. */
  readonly names: ReadonlyMap<string, string>;
  /**
   * ssh-to-age recipient → the ssh-ed25519 public key it was converted from, for keys written anywhere in
   * the file, comments included (`secrets hosts add` notes a host's SSH key beside its `age1…` line):
   * agenix hosts decrypt with the SSH key itself, which cannot open the X25519 stanza of its conversion.
   */
  readonly sshKeys: ReadonlyMap<string, string>;
}

const KEY_FIELDS = {
  age: 'age',
  pgp: 'pgp',
  kms: 'kms',
  gcp_kms: 'gcp_kms',
  azure_keyvault: 'azure_kv',
  hc_vault_transit_uri: 'hc_vault',
  hckms: 'hckms',
} as const;
const RULE_STRINGS = {
  unencrypted_suffix: 'unencryptedSuffix',
  encrypted_suffix: 'encryptedSuffix',
  unencrypted_regex: 'unencryptedRegex',
  encrypted_regex: 'encryptedRegex',
  unencrypted_comment_regex: 'unencryptedCommentRegex',
  encrypted_comment_regex: 'encryptedCommentRegex',
} as const;
const RULE_OTHER = new Set(['path_regex', 'key_groups', 'shamir_threshold', 'mac_only_encrypted', 'aws_profile', 'filename_regex']);
const GROUP_FIELDS = new Set(['age', 'pgp', 'kms', 'gcp_kms', 'azure_keyvault', 'hc_vault', 'hckms', 'merge']);
const TOP_FIELDS = new Set(['creation_rules', 'destination_rules', 'stores', 'keys']);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Masks age secret keys in text quoted from a `.sops.yaml` (a path_regex, a key name): people paste keys
 * into this file, and a message about the line must not print one.
 *
 * @param text - a message
 * @returns the message with every `AGE-SECRET-KEY-…`/`AGE-PLUGIN-…` token replaced
 */
export function redactSecretKeys(text: string): string {
  return text.replace(/AGE-(?:SECRET-KEY|PLUGIN)-[0-9A-Z-]*/gi, '[secret key]');
}

/**
 * Parses and validates a `.sops.yaml`.
 *
 * @param text - the file's content
 * @param path - its path, for messages
 * @returns the typed config with warnings
 * @throws SecretsError CONFIG_INVALID with `path:line:col` for syntax errors, bad regexes, secret keys
 *   pasted where recipients belong, unknown recipient types, and inconsistent rules
 */
export function parseSopsConfig(text: string, path: string): SopsConfig {
  const lineCounter = newLineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const pos = (node: { range?: [number, number, number] | null | undefined } | null | undefined): ConfigPosition => {
    const offset = node?.range?.[0] ?? 0;
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, col: lp.col };
  };
  const fail = (node: { range?: [number, number, number] | null | undefined } | null | undefined, message: string, hints: string[] = []): never => {
    const p = pos(node);
    throw new SecretsError('CONFIG_INVALID', redactSecretKeys(`${path}:${p.line}:${p.col}: ${message}`), { hints: hints.map(redactSecretKeys) });
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0] as { linePos?: [{ line: number; col: number }]; message: string; pos: [number, number] };
    const lp = lineCounter.linePos(e.pos[0]);
    throw new SecretsError('CONFIG_INVALID', redactSecretKeys(`${path}:${lp.line}:${lp.col}: invalid YAML: ${yamlParserReason(e.message).toLowerCase()}`));
  }
  const warnings: string[] = [];
  const warn = (node: Node | Pair | null | undefined, message: string): void => {
    const p = pos(node as { range?: [number, number, number] });
    warnings.push(redactSecretKeys(`${path}:${p.line}:${p.col}: ${message}`));
  };
  const resolve = (node: unknown): Node | null => {
    let n = node as Node | null;
    for (let depth = 0; depth < 100 && n && isAlias(n); depth++) n = (n.resolve(doc) ?? null);
    return n;
  };

  const names = new Map<string, string>();
  visit(doc, {
    Scalar(_key, node) {
      if (node.anchor && typeof node.value === 'string' && !names.has(node.value.trim())) names.set(node.value.trim(), node.anchor);
    },
  });
  const sshKeys = sshKeysIn(text);
  const root = resolve(doc.contents);
  if (root === null || (isScalar(root) && root.value === null)) return { path, creationRules: [], stores: {}, warnings, names, sshKeys };
  if (!isMap(root)) return fail(root, 'the top level must be a mapping');

  let creationRules: CreationRule[] = [];
  let stores: StoresConfig = {};
  for (const pair of root.items) {
    const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
    if (!TOP_FIELDS.has(key)) warn(pair.key as Node, `unknown key ${JSON.stringify(key)} ignored`);
    if (key === 'creation_rules') {
      const rules = resolve(pair.value);
      if (rules === null || (isScalar(rules) && rules.value === null)) continue;
      if (!isSeq(rules)) fail(rules, 'creation_rules must be a list of rules');
      creationRules = (rules as { items: unknown[] }).items.map((item, index) => parseRule(resolve(item), index));
    } else if (key === 'stores') {
      stores = parseStores(resolve(pair.value));
    }
  }
  return { path, creationRules, stores, warnings, names, sshKeys };

  function str(node: Node | null, what: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') fail(node, `${what} must be a string`);
    return String((node as { value: unknown }).value);
  }

  function intOf(node: Node | null, what: string): number {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(node, `${what} must be an integer`);
    return v as number;
  }

  function parseStores(node: Node | null): StoresConfig {
    if (node === null || (isScalar(node) && node.value === null)) return {};
    if (!isMap(node)) return fail(node, 'stores must be a mapping');
    const out: Mutable<StoresConfig> = {};
    for (const pair of node.items) {
      const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const value = resolve(pair.value);
      if (!['yaml', 'json', 'json_binary', 'dotenv', 'ini'].includes(name)) {
        warn(pair.key as Node, `unknown store ${JSON.stringify(name)} ignored`);
        continue;
      }
      if (value === null || (isScalar(value) && value.value === null)) continue;
      if (!isMap(value)) fail(value, `stores.${name} must be a mapping`);
      for (const p of (value as YAMLMap).items) {
        const field = String(isScalar(p.key) ? p.key.value : p.key);
        if (field !== 'indent') {
          warn(p.key as Node, `unknown setting stores.${name}.${field} ignored`);
          continue;
        }
        const indent = intOf(resolve(p.value), `stores.${name}.indent`);
        if (indent < 0) fail(resolve(p.value), `stores.${name}.indent must not be negative`);
        if (name === 'yaml') out.yamlIndent = indent;
        else if (name === 'json') out.jsonIndent = indent;
        else if (name === 'json_binary') out.jsonBinaryIndent = indent;
        else warn(p.key as Node, `stores.${name} has no indent setting`);
      }
    }
    return out;
  }

  // A key field: "a, b" or [a, b] (sops parseKeyField); list items may themselves be comma-separated.
  function keyStrings(node: Node | null, what: string, splitItems: boolean): { value: string; node: Node }[] {
    if (node === null || (isScalar(node) && node.value === null)) return [];
    const split = (s: string): string[] => s.split(',').map((p) => p.trim()).filter((p) => p !== '');
    if (isScalar(node)) return split(str(node, what)).map((value) => ({ value, node }));
    if (!isSeq(node)) return fail(node, `${what} must be a string or a list of strings`);
    const out: { value: string; node: Node }[] = [];
    for (const raw of node.items) {
      const item = resolve(raw);
      const s = str(item, `each entry of ${what}`);
      for (const value of splitItems ? split(s) : [s.trim()]) out.push({ value, node: item as Node });
    }
    return out;
  }

  function ageKey(value: string, node: Node): ConfigKey {
    if (/^AGE-SECRET-KEY-|^AGE-PLUGIN-|-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) {
      // Never echo it: it is a secret.
      return fail(node, 'a secret key is pasted where an age recipient belongs', [
        'put the public key here (age1… or ssh-ed25519 AAAA…); `age-keygen -y keys.txt` prints it',
        'the secret key has been in this file: treat it as leaked and rotate it',
      ]);
    }
    // An age plugin recipient (`age1yubikey1…`: sops counts more than one "1") is kept as a string: the
    // key-free commands compare it like any recipient; only encrypting to it is refused, per file.
    if (/^age1[a-z0-9]+1[02-9ac-hj-np-z]+$/.test(value) && !value.startsWith('age1pq1') && value.indexOf('1', 4) > 0) return { type: 'age', recipient: value, position: pos(node) };
    try {
      parseRecipient(value);
    } catch (error) {
      const reason = error instanceof SecretsError ? error.message : `invalid age recipient ${JSON.stringify(value)}`;
      return fail(node, reason, [
        'age recipients are age1…, age1pq1…, ssh-ed25519 AAAA… or ssh-rsa AAAA…',
      ]);
    }
    return { type: 'age', recipient: value, position: pos(node) };
  }

  function otherKeys(node: Node | null, field: string, type: Exclude<ConfigKey['type'], 'age'>): ConfigKey[] {
    if (type === 'kms' || type === 'gcp_kms' || type === 'azure_kv' || type === 'hckms') {
      // Inside key_groups these are mappings; keep each as a compact, stable string.
      if (isSeq(node) && node.items.some((i) => isMap(resolve(i)))) {
        return node.items.map((i) => {
          const n = resolve(i);
          const js = (n as { toJSON(): unknown } | null)?.toJSON() ?? null;
          return { type, value: JSON.stringify(js), position: pos(n) };
        });
      }
    }
    return keyStrings(node, field, type !== 'pgp').map(({ value, node: n }) => ({ type, value, position: pos(n) }));
  }

  function parseGroup(node: Node | null, where: string, depth = 0): ConfigKey[] {
    if (depth > 20) return fail(node, 'key_groups merge nesting is too deep');
    if (!isMap(node)) return fail(node, `${where} must be a mapping of key types`);
    const keys: ConfigKey[] = [];
    for (const pair of node.items) {
      const field = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const value = resolve(pair.value);
      if (!GROUP_FIELDS.has(field)) {
        warn(pair.key as Node, `unknown key type ${JSON.stringify(field)} in ${where} ignored`);
        continue;
      }
      if (field === 'age') keys.push(...keyStrings(value, `${where}.age`, true).map(({ value: v, node: n }) => ageKey(v, n)));
      else if (field === 'merge') {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isSeq(value)) fail(value, `${where}.merge must be a list of groups`);
        for (const g of (value as { items: unknown[] }).items) keys.push(...parseGroup(resolve(g), `${where}.merge`, depth + 1));
      } else if (field === 'hc_vault') keys.push(...otherKeys(value, `${where}.hc_vault`, 'hc_vault'));
      else if (field === 'azure_keyvault') keys.push(...otherKeys(value, `${where}.azure_keyvault`, 'azure_kv'));
      else keys.push(...otherKeys(value, `${where}.${field}`, field as 'pgp' | 'kms' | 'gcp_kms' | 'hckms'));
    }
    return dedupe(keys);
  }

  function parseRule(node: Node | null, index: number): CreationRule {
    const where = `creation_rules[${index}]`;
    if (!isMap(node)) return fail(node, `${where} must be a mapping`);
    const rule: Mutable<CreationRule> = {
      index,
      position: pos(node),
      pathRegex: null,
      regex: null,
      keyGroups: [],
      shamirThreshold: 0,
      macOnlyEncrypted: false,
    };
    const topKeys: ConfigKey[] = [];
    let groups: ConfigKey[][] | null = null;
    const crypt: string[] = [];
    for (const pair of node.items) {
      const field = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const value = resolve(pair.value);
      if (field === 'path_regex') {
        const source = str(value, `${where}.path_regex`);
        try {
          rule.regex = compileRe2(source);
        } catch (error) {
          const reason = error instanceof SecretsError ? error.message : 'invalid regular expression';
          fail(value, `invalid path_regex ${JSON.stringify(source)}: ${reason}`);
        }
        rule.pathRegex = source;
      } else if (field === 'key_groups') {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isSeq(value)) fail(value, `${where}.key_groups must be a list of groups`);
        groups = (value as { items: unknown[] }).items.map((g, i) => parseGroup(resolve(g), `${where}.key_groups[${i}]`));
      } else if (field === 'shamir_threshold') {
        rule.shamirThreshold = intOf(value, `${where}.shamir_threshold`);
        if (rule.shamirThreshold < 0) fail(value, 'shamir_threshold must not be negative');
      } else if (field === 'mac_only_encrypted') {
        if (!isScalar(value) || typeof value.value !== 'boolean') fail(value, `${where}.mac_only_encrypted must be true or false`);
        rule.macOnlyEncrypted = (value as { value: boolean }).value;
      } else if (field in RULE_STRINGS) {
        const prop = RULE_STRINGS[field as keyof typeof RULE_STRINGS];
        const s = str(value, `${where}.${field}`);
        if (field.endsWith('_regex')) {
          try {
            compileRe2(s);
          } catch (error) {
            fail(value, `invalid ${field} ${JSON.stringify(s)}: ${error instanceof SecretsError ? error.message : 'invalid regular expression'}`);
          }
        }
        rule[prop] = s;
        crypt.push(field);
      } else if (field in KEY_FIELDS) {
        const type = KEY_FIELDS[field as keyof typeof KEY_FIELDS];
        if (type === 'age') topKeys.push(...keyStrings(value, `${where}.age`, true).map(({ value: v, node: n }) => ageKey(v, n)));
        else topKeys.push(...otherKeys(value, `${where}.${field}`, type));
      } else if (!RULE_OTHER.has(field)) {
        warn(pair.key as Node, `unknown key ${JSON.stringify(field)} in ${where} ignored`);
      }
    }
    if (crypt.length > 1) {
      fail(node, `${where} sets ${crypt.join(' and ')}: at most one of the encryption-selection rules may be set`);
    }
    if (groups !== null && groups.length > 0) {
      // sops: a non-empty key_groups makes the rule's top-level key fields ignored.
      if (topKeys.length > 0) warn(node, `${where} has both key_groups and top-level keys; the top-level keys are ignored, as in sops`);
      rule.keyGroups = groups;
    } else {
      rule.keyGroups = topKeys.length > 0 ? [dedupe(topKeys)] : [];
    }
    if (rule.keyGroups.length > 1 && rule.shamirThreshold > rule.keyGroups.length) {
      fail(node, `${where} has shamir_threshold ${rule.shamirThreshold} but only ${rule.keyGroups.length} key groups`);
    }
    return rule;
  }
}

/** ssh-ed25519 keys anywhere in the text (after `#` too), by their ssh-to-age recipient. */
function sshKeysIn(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/ssh-ed25519 +AAAA[A-Za-z0-9+/]+={0,2}/g)) {
    try {
      const key = parseSshPublicKey(m[0]);
      if (key.type !== 'ssh-ed25519') continue;
      const recipient = ed25519PublicKeyToAgeRecipient(key);
      if (!out.has(recipient)) out.set(recipient, m[0]);
    } catch {
      // a malformed key or not a curve point: not a key anyone can use, so not one to offer
    }
  }
  return out;
}

function dedupe(keys: readonly ConfigKey[]): ConfigKey[] {
  const seen = new Set<string>();
  const out: ConfigKey[] = [];
  for (const k of keys) {
    const id = `${k.type}\u0000${k.type === 'age' ? k.recipient : k.value}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(k);
  }
  return out;
}
