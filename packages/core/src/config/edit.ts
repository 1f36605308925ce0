/**
 * Editing `.sops.yaml` the way a person would: a host's or an admin's key gets an anchor under `keys:`
 * and an alias in the creation rules chosen. The edit is a set of text splices (./edit-text.ts): the diff
 * is the lines that change and nothing else, in the file's own style, and the result is checked to mean
 * exactly what was asked (./edit-verify.ts). This is the sops-nix README's manual step (ssh-keyscan |
 * ssh-to-age, paste into .sops.yaml) as a function.
 *
 * Anchor names follow the file: `&server_NAME` / `&admin_NAME` (the sops-nix README) unless the file
 * names its keys plainly (`&NAME`, two or more anchored keys and none with a role prefix), as most real
 * repositories do. Keys grouped under `- &hosts:` / `- &users:` lists go into the group of their kind.
 */
import type { Document, Node, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { isAlias, isMap, isScalar, isSeq, parseDocument, visit } from '../sops/stores/yaml-lib.js';
import { parseRecipient } from '../age/index.js';
import { SecretsError } from '../errors.js';
import { compileRe2 } from '../re2.js';
import { yamlParserReason } from '../sops/stores/common.js';
import { addKeysBlock, addListPair, appendToList, appendToString, applySplices, lineStart, nextLineStart, notInPlace, pairOf, removeFromList, removeFromString, scalarText, sequenceOffset, withLineEnding, type Splice } from './edit-text.js';
import { verifyEdit } from './edit-verify.js';

/** Which rules a key joins: by index, or every rule whose path_regex matches a sample path. */
export type RuleSelector = { readonly index: number } | { readonly path: string } | 'only';

/** Whose key: a host's (it decrypts on deploy) or an admin's (a person who edits the secrets). */
export type KeyKind = 'host' | 'user';

/** The result of an edit. */
export interface ConfigEdit {
  /** The new text; the same string when nothing had to change (the key was already there). */
  readonly text: string;
  /** Indexes of the creation rules that changed. */
  readonly rules: readonly number[];
  /** The anchor that names the key (`server_batchn`, `alice`). */
  readonly anchor: string;
  /** The recipient added or removed. */
  readonly recipient: string;
  /** Whether the `keys:` entry was written (false: it was already there). */
  readonly keyAdded: boolean;
}

/** Role prefixes of anchor names, the sops-nix README's first. */
const PREFIXES: Record<KeyKind, readonly string[]> = { host: ['server_', 'host_', 'machine_'], user: ['admin_', 'user_'] };
/** Names of grouping lists under keys: (`- &hosts:` then the hosts' keys), by kind. */
const GROUPS: Record<KeyKind, RegExp> = { host: /^(hosts?|servers?|machines?|nodes?|systems?)$/i, user: /^(users?|admins?|people|persons?|humans?)$/i };
const WHAT: Record<KeyKind, string> = { host: 'host', user: 'admin key' };

function load(text: string): Document {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new SecretsError('CONFIG_INVALID', `.sops.yaml is not valid YAML: ${yamlParserReason(doc.errors[0]?.message ?? '').toLowerCase()}`);
  if (!isMap(doc.contents)) throw new SecretsError('CONFIG_INVALID', '.sops.yaml must be a mapping');
  // The yaml library accepts an alias to an undefined (or later) anchor; such a file is not sops'.
  const anchors = new Set<string>();
  visit(doc, (_key, node) => {
    if (isAlias(node) && !anchors.has(node.source)) {
      throw new SecretsError('CONFIG_INVALID', '.sops.yaml cannot be written back: an alias refers to no anchor defined before it', {
        hints: ['define each &anchor (e.g. under keys:) before every *alias that refers to it'],
      });
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.add(anchor);
  });
  return doc;
}

/** A key under `keys:`: its node, the list holding it, and the kind of the group it is in, if any. */
interface KeyEntry {
  readonly node: Scalar;
  readonly list: YAMLSeq;
  readonly group: KeyKind | null;
}

function groupKind(seq: YAMLSeq): KeyKind | null {
  const name = (seq.anchor ?? '').replace(/:$/, '');
  return GROUPS.host.test(name) ? 'host' : GROUPS.user.test(name) ? 'user' : null;
}

function keyEntries(keys: YAMLSeq, group: KeyKind | null = null, depth = 0): KeyEntry[] {
  if (depth > 8) return [];
  return keys.items.flatMap((item): KeyEntry[] => {
    if (isScalar(item)) return [{ node: item, list: keys, group }];
    if (isSeq(item)) return keyEntries(item, groupKind(item) ?? group, depth + 1);
    return [];
  });
}

/** The prefix new anchors of this kind get in this file ('' for plain names). */
function prefixFor(entries: readonly KeyEntry[], kind: KeyKind): string {
  const anchors = entries.map((e) => e.node.anchor).filter((a): a is string => a !== undefined);
  const used = PREFIXES[kind].find((p) => anchors.some((a) => a.startsWith(p)));
  if (used !== undefined) return used;
  const anyRole = [...PREFIXES.host, ...PREFIXES.user].some((p) => anchors.some((a) => a.startsWith(p)));
  return !anyRole && anchors.length >= 2 ? '' : (PREFIXES[kind][0] as string);
}

/** The entry named `name` for this kind: `&<prefix>name` for any of its prefixes, else `&name`. */
function findEntry(entries: readonly KeyEntry[], kind: KeyKind, name: string): KeyEntry | undefined {
  const candidates = [prefixFor(entries, kind), ...PREFIXES[kind], ''].map((p) => `${p}${name}`);
  for (const anchor of candidates) {
    const found = entries.find((e) => e.node.anchor === anchor);
    if (found) return found;
  }
  return undefined;
}

/** Refuses an entry that belongs to the other kind (`hosts rm alice` for the admin `&admin_alice`). */
function checkKind(entry: KeyEntry, kind: KeyKind, name: string, verb: 'add' | 'rm'): void {
  const other: KeyKind = kind === 'host' ? 'user' : 'host';
  const anchor = entry.node.anchor as string;
  if (entry.group === other || PREFIXES[other].some((p) => anchor.startsWith(p))) {
    const bare = PREFIXES[other].reduce((n, p) => (n.startsWith(p) ? n.slice(p.length) : n), name);
    throw new SecretsError('USAGE', `&${anchor} in .sops.yaml is ${other === 'host' ? 'a host' : 'an admin key'}, not ${kind === 'host' ? 'a host' : 'an admin key'}`, {
      hints: [`use: secrets ${other === 'host' ? 'hosts' : 'users'} ${verb} ${bare}`],
    });
  }
}

function rulesOf(doc: Document): YAMLMap[] {
  const rules = doc.get('creation_rules', true);
  if (!isSeq(rules) || rules.items.length === 0) throw new SecretsError('CONFIG_INVALID', '.sops.yaml has no creation_rules to add the key to');
  return rules.items.map((r, i) => {
    if (!isMap(r)) throw new SecretsError('CONFIG_INVALID', `creation_rules[${i}] is not a mapping`);
    return r;
  });
}

function selectRules(rules: readonly YAMLMap[], selector: RuleSelector, kind: KeyKind): number[] {
  if (selector === 'only') {
    if (rules.length !== 1) {
      throw new SecretsError('USAGE', `.sops.yaml has ${rules.length} creation rules: say which the ${WHAT[kind]} joins`, { hints: ['pass --rule N (0-based) or --path secrets/host.yaml (every rule matching it)'] });
    }
    return [0];
  }
  if ('index' in selector) {
    if (!rules[selector.index]) throw new SecretsError('USAGE', `there is no creation_rules[${selector.index}]`);
    return [selector.index];
  }
  const chosen = rules.flatMap((r, i) => {
    const re = r.get('path_regex');
    if (re === undefined || re === null) return [i];
    if (typeof re !== 'string') throw new SecretsError('CONFIG_INVALID', `creation_rules[${i}].path_regex is not a string`);
    return compileRe2(re).test(selector.path) ? [i] : [];
  });
  if (chosen.length === 0) throw new SecretsError('CONFIG_NO_MATCHING_RULE', `no creation rule matches ${JSON.stringify(selector.path)}`);
  return chosen;
}

/** The mapping whose `age:` a key joins: key_groups[0] when groups are used, else the rule. */
function ageHolder(rule: YAMLMap): YAMLMap {
  const groups = pairOf(rule, 'key_groups')?.value;
  if (isSeq(groups) && groups.items.length > 0) {
    const first = groups.items[0];
    if (!isMap(first)) throw new SecretsError('CONFIG_INVALID', 'key_groups[0] is not a mapping');
    return first;
  }
  return rule;
}

/** The recipients an age field holds, aliases resolved and comma strings split (sops parseKeyField). */
function recipientsOf(doc: Document, value: Node | null | undefined): string[] {
  const resolve = (n: unknown): unknown => (isAlias(n) ? n.resolve(doc) : n);
  const node = resolve(value);
  const items = isSeq(node) ? node.items.map(resolve) : [node];
  return items.flatMap((i) => (isScalar(i) && i.value !== null ? scalarText(i.value).split(',').map((s) => s.trim()) : []));
}

function checkName(name: string, kind: KeyKind): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new SecretsError('USAGE', `invalid ${kind === 'host' ? 'host' : 'user'} name ${JSON.stringify(name)}: use letters, digits, - and _`);
}

/**
 * Adds a key: `&<anchor> <recipient>` under `keys:` (in the group of its kind when the file groups them)
 * and `*<anchor>` in the chosen rules (the recipient itself in a rule whose age is a comma string).
 * Already there: the same text comes back.
 *
 * @param text - the current `.sops.yaml`
 * @param kind - a host's key or an admin's
 * @param name - letters, digits, `-`, `_`
 * @param recipient - `age1…` or `ssh-ed25519 …`
 * @param selector - which rules it joins
 * @param note - a comment for the end of the key's line, e.g. the SSH key an `age1…` recipient was
 *   converted from (what `secrets agenix export` encrypts to natively)
 * @throws SecretsError USAGE for a bad name or a name or key already used otherwise; CONFIG_INVALID for a
 *   file or form that cannot be edited in place
 */
export function addKey(text: string, kind: KeyKind, name: string, recipient: string, selector: RuleSelector, note?: string): ConfigEdit {
  if (note !== undefined && /[\r\n]/.test(note)) throw new SecretsError('USAGE', 'a key note must be one line');
  checkName(name, kind);
  parseRecipient(recipient);
  const doc = load(text);
  const keysPair = pairOf(doc.contents as YAMLMap, 'keys');
  const keys = keysPair?.value ?? null;
  if (keys !== null && !isSeq(keys) && !(isScalar(keys) && keys.value === null)) throw new SecretsError('CONFIG_INVALID', 'the keys: field of .sops.yaml is not a list');
  const entries = isSeq(keys) ? keyEntries(keys) : [];
  const existing = findEntry(entries, kind, name);
  if (existing) checkKind(existing, kind, name, 'add');
  if (existing && scalarText(existing.node.value) !== recipient) {
    throw new SecretsError('USAGE', `${WHAT[kind]} ${JSON.stringify(name)} is already in .sops.yaml (&${existing.node.anchor}) with another key`, {
      hints: [`remove it first: secrets ${kind === 'host' ? 'hosts' : 'users'} rm ${name}`],
    });
  }
  const twin = existing ? undefined : entries.find((e) => e.node.anchor !== undefined && scalarText(e.node.value) === recipient);
  if (twin) throw new SecretsError('USAGE', `this key is already in .sops.yaml as &${twin.node.anchor}`, { hints: ['add it to more rules under that name, or remove that entry first'] });
  const anchor = existing?.node.anchor ?? `${prefixFor(entries, kind)}${name}`;
  if (!existing) {
    visit(doc, (_k, node) => {
      if ((node as { anchor?: string }).anchor === anchor) throw new SecretsError('USAGE', `the anchor &${anchor} is already used in .sops.yaml for something else`, { hints: ['choose another name'] });
    });
  }
  const rules = rulesOf(doc);
  const rulesAt = pairOf(doc.contents as YAMLMap, 'creation_rules')?.key.range?.[0] ?? 0;
  if (!existing && keysPair && (keysPair.key.range?.[0] ?? 0) > rulesAt) throw notInPlace(text, keysPair.key.range?.[0] ?? 0, 'keys: comes after creation_rules:, and an anchor must come before its aliases');
  const changed = selectRules(rules, selector, kind).filter((i) => !recipientsOf(doc, pairOf(ageHolder(rules[i] as YAMLMap), 'age')?.value).includes(recipient));

  const offset = sequenceOffset(doc, text);
  const splices: Splice[] = [];
  if (!existing) {
    const line = `&${anchor} ${/[:#,[\]{}'"]/.test(recipient) ? JSON.stringify(recipient) : recipient}${note ? ` # ${note}` : ''}`;
    if (isSeq(keys)) {
      const group = keys.items.find((i): i is YAMLSeq => isSeq(i) && groupKind(i) === kind);
      splices.push(appendToList(text, group ?? keys, line));
    } else if (keysPair) splices.push(...addListPair(text, doc.contents as YAMLMap, 'keys', line, offset));
    else splices.push(addKeysBlock(text, doc, line, offset));
  }
  for (const i of changed) {
    const holder = ageHolder(rules[i] as YAMLMap);
    const age = pairOf(holder, 'age')?.value ?? null;
    if (isSeq(age)) splices.push(appendToList(text, age, `*${anchor}`));
    else if (isScalar(age) && age.value !== null && scalarText(age.value).trim() !== '') splices.push(appendToString(text, age, recipient));
    else if (age === null || isScalar(age)) splices.push(...addListPair(text, holder, 'age', `*${anchor}`, offset));
    else throw notInPlace(text, age.range?.[0] ?? 0, 'an age: field that refers to an anchor');
  }
  const next = applySplices(text, withLineEnding(text, splices));
  verifyEdit(doc, next, { add: recipient, keyAdded: !existing, rules: changed });
  return { text: next, rules: changed, anchor, recipient, keyAdded: !existing };
}

/** Every alias of `anchor` with the list that holds it. */
function aliasesOf(doc: Document, text: string, anchor: string): { list: YAMLSeq; node: Node }[] {
  const found: { list: YAMLSeq; node: Node }[] = [];
  visit(doc, (_key, node, path) => {
    if (!isAlias(node) || node.source !== anchor) return;
    const parent = path[path.length - 1];
    if (!isSeq(parent)) throw notInPlace(text, node.range?.[0] ?? 0, `*${anchor} is used outside a list`);
    found.push({ list: parent, node });
  });
  return found;
}

/** The key written out in the age (or pgp) fields of the rules, as list items or in comma strings. */
function literalsOf(text: string, rules: readonly YAMLMap[], recipient: string): { splices: Splice[]; rules: number[] } {
  const splices: Splice[] = [];
  const changed: number[] = [];
  rules.forEach((rule, i) => {
    const groups = pairOf(rule, 'key_groups')?.value;
    const holders = [rule, ...(isSeq(groups) ? groups.items.filter(isMap) : [])];
    const before = splices.length;
    for (const field of holders.flatMap((h) => [pairOf(h, 'age')?.value, pairOf(h, 'pgp')?.value])) {
      for (const item of isSeq(field) ? field.items : [field]) {
        if (!isScalar(item) || item.value === null) continue;
        if (scalarText(item.value).trim() === recipient && isSeq(field)) splices.push(removeFromList(text, field, item));
        else splices.push(...removeFromString(text, item, recipient));
      }
    }
    if (splices.length > before) changed.push(i);
  });
  return { splices, rules: changed };
}

/**
 * Removes a key: its entry under `keys:` (a `keys:` left empty goes too), every alias of it, and the
 * recipient wherever a rule writes it out. Whole lines go for block lists.
 *
 * @throws SecretsError USAGE when there is no such key of this kind
 */
export function removeKey(text: string, kind: KeyKind, name: string): ConfigEdit {
  checkName(name, kind);
  const doc = load(text);
  const keysPair = pairOf(doc.contents as YAMLMap, 'keys');
  const keys = keysPair?.value;
  const entry = isSeq(keys) ? findEntry(keyEntries(keys), kind, name) : undefined;
  if (!entry || !isSeq(keys) || !keysPair) {
    const tried = [...new Set([...PREFIXES[kind].slice(0, 1), ''])].map((p) => `&${p}${name}`).join(' or ');
    throw new SecretsError('USAGE', `no ${WHAT[kind]} ${JSON.stringify(name)} in .sops.yaml (no ${tried} under keys:)`);
  }
  checkKind(entry, kind, name, 'rm');
  const anchor = entry.node.anchor as string;
  const recipient = scalarText(entry.node.value);
  const twin = keyEntries(keys).find((e) => e.node !== entry.node && scalarText(e.node.value) === recipient);
  if (twin) {
    throw new SecretsError('USAGE', `the key of &${anchor} is also in .sops.yaml${twin.node.anchor ? ` as &${twin.node.anchor}` : ''}: removing ${name} alone would leave it a recipient`, {
      hints: ['remove the other entry first, or edit .sops.yaml by hand'],
    });
  }
  const splices: Splice[] = [];
  const keyLine = Math.max(lineStart(text, (keysPair.key.range as [number, number, number])[0]), text.startsWith('\uFEFF') ? 1 : 0);
  const itemEnd = nextLineStart(text, (entry.node.range as [number, number, number])[1]);
  if (entry.list === keys && keys.items.length === 1 && !keys.flow && /^keys:[ \t]*\r?\n(\s*\n)*[ \t]*-[^\n]*\n?$/.test(text.slice(keyLine, itemEnd))) {
    // the last key: the `keys:` line goes with it (what `add` wrote into a file that had none)
    splices.push({ at: keyLine, remove: itemEnd - keyLine, insert: '' });
  } else splices.push(removeFromList(text, entry.list, entry.node));
  const rules = rulesOf(doc);
  const changed = new Set<number>();
  for (const { list, node } of aliasesOf(doc, text, anchor)) {
    splices.push(removeFromList(text, list, node));
    const at = node.range?.[0] ?? 0;
    rules.forEach((r, i) => r.range && at >= r.range[0] && at < r.range[2] && changed.add(i));
  }
  const literals = literalsOf(text, rules, recipient);
  splices.push(...literals.splices);
  literals.rules.forEach((i) => changed.add(i));
  const next = applySplices(text, withLineEnding(text, splices));
  verifyEdit(doc, next, { remove: recipient });
  return { text: next, rules: [...changed].sort((a, b) => a - b), anchor, recipient, keyAdded: false };
}

/** {@link addKey} for a host (`&server_NAME` unless the file names keys plainly). */
export function addHost(text: string, name: string, recipient: string, selector: RuleSelector, note?: string): ConfigEdit {
  return addKey(text, 'host', name, recipient, selector, note);
}

/** {@link removeKey} for a host. */
export function removeHost(text: string, name: string): ConfigEdit {
  return removeKey(text, 'host', name);
}
