/**
 * The check every `.sops.yaml` edit passes before it is returned: the new text, parsed, must mean exactly
 * the old one plus (or minus) the one recipient, in the rules asked and nowhere else. A text splice that
 * met a form it did not foresee is refused here instead of written.
 */
import type { Document } from 'yaml';
import { parseDocument } from '../sops/stores/yaml-lib.js';
import { SecretsError } from '../errors.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function text(value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A key field as sops reads it: a list of strings, each possibly `a, b` (parseKeyField). */
function keyList(value: Json | undefined): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((v) => text(v).split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

function leaves(value: Json | undefined): string[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.flatMap(leaves) : [text(value)];
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key fields a removal may touch: a removed admin key can be a PGP fingerprint under `&users:`. */
const KEY_FIELDS = ['age', 'pgp'] as const;

/** A rule's age holder, as the editor chooses it: key_groups[0] when groups are used, else the rule. */
function holderOf(rule: { [key: string]: Json }): { [key: string]: Json } {
  const groups = rule['key_groups'];
  return Array.isArray(groups) && groups.length > 0 && isObject(groups[0]) ? groups[0] : rule;
}

/** The document as data, with `keys:` flattened and sorted and every age and pgp field a list of keys. */
function meaning(source: string | Document): { [key: string]: Json } {
  const doc = typeof source === 'string' ? parseDocument(source) : source;
  let js: Json = null;
  try {
    if (doc.errors.length === 0) js = doc.toJS({ maxAliasCount: 10_000 }) as Json;
  } catch {
    // an alias before its anchor, an alias bomb: not a file to write
  }
  if (!isObject(js)) throw new SecretsError('CONFIG_INVALID', 'cannot edit .sops.yaml in place: the edited file does not parse');
  js['keys'] = leaves(js['keys']).sort();
  const rules = Array.isArray(js['creation_rules']) ? js['creation_rules'] : [];
  for (const rule of rules) {
    if (!isObject(rule)) continue;
    for (const holder of [rule, ...(Array.isArray(rule['key_groups']) ? rule['key_groups'].filter(isObject) : [])]) {
      for (const field of KEY_FIELDS) holder[field] = keyList(holder[field]);
    }
  }
  return js;
}

function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k] as Json)}`).join(',')}}`;
  return JSON.stringify(value);
}

/** What an edit is meant to change. */
export type Intent =
  | { readonly add: string; readonly keyAdded: boolean; readonly rules: readonly number[] }
  | { readonly remove: string };

/**
 * Throws unless `after` means `before` changed by exactly `intent`.
 *
 * @param before - the file before the edit, parsed (a large file is parsed once less)
 * @throws SecretsError CONFIG_INVALID
 */
export function verifyEdit(before: Document, after: string, intent: Intent): void {
  const expected = meaning(before);
  const rules = (Array.isArray(expected['creation_rules']) ? expected['creation_rules'] : []).filter(isObject);
  if ('add' in intent) {
    if (intent.keyAdded) expected['keys'] = [...(expected['keys'] as string[]), intent.add].sort();
    for (const i of intent.rules) {
      const holder = holderOf(rules[i] as { [key: string]: Json });
      holder['age'] = [...(holder['age'] as string[]), intent.add];
    }
  } else {
    const keys = expected['keys'] as string[];
    keys.splice(keys.indexOf(intent.remove), 1);
    for (const rule of rules) {
      for (const holder of [rule, ...(Array.isArray(rule['key_groups']) ? rule['key_groups'].filter(isObject) : [])]) {
        for (const field of KEY_FIELDS) holder[field] = (holder[field] as string[]).filter((r) => r !== intent.remove);
      }
    }
  }
  if (canonical(expected) !== canonical(meaning(after))) {
    throw new SecretsError('CONFIG_INVALID', 'cannot edit .sops.yaml in place: the edited file would not mean what was asked', {
      hints: ['make the change by hand; please report the file\'s layout (without keys) as a bug'],
    });
  }
}
