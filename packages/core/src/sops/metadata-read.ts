/**
 * Reading the `sops` metadata block (`stores/stores.go` `ToInternal`, mapstructure with
 * `WeaklyTypedInput`): accepts every layout sops has written: ≤3.9 with empty `kms: []`/`null` lists,
 * 3.10–3.12 struct order, 3.13 sorted, `key_groups`, and Python-era extra keys (kept). Scalars are
 * converted weakly, as mapstructure does, so the flat stores' all-string values work too.
 */
import { SecretsError } from '../errors.js';
import { parseRfc3339 } from './rfc3339.js';
import { normalizeRules, RULE_NAMES, SOPS_RULE_FIELDS, type CryptRules } from './rules.js';
import type { Entry, MapNode } from './tree.js';
import { get, invalidMetadata, listOf, weakBool, weakInt, weakString } from './metadata-weak.js';
import { opaqueKey, type KeyType, type MasterKey, type Metadata, type PgpKey } from './metadata.js';
import { buildNode, fingerprint } from './metadata-write.js';

// stores/stores.go internalGroupFrom: the order keys of one group are read in.
const READ_ORDER: readonly KeyType[] = ['kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'pgp', 'age'];

const KNOWN_TOP = new Set<string>([
  ...READ_ORDER,
  'key_groups',
  'shamir_threshold',
  'lastmodified',
  'mac',
  'mac_only_encrypted',
  'version',
  ...Object.values(SOPS_RULE_FIELDS),
]);

function pgpKeyFrom(fields: MapNode, at: string): PgpKey {
  return { type: 'pgp', fingerprint: weakString(get(fields, 'fp'), `${at}.fp`), enc: weakString(get(fields, 'enc'), `${at}.enc`), fields };
}

function readKeys(container: MapNode, where: string): MasterKey[] {
  const keys: MasterKey[] = [];
  for (const type of READ_ORDER) {
    const field = `${where}${type}`;
    for (const [index, m] of listOf(get(container, type), field).entries()) {
      const at = `${field}[${index}]`;
      if (type === 'age') {
        keys.push({ type, recipient: weakString(get(m, 'recipient'), `${at}.recipient`), enc: weakString(get(m, 'enc'), `${at}.enc`) });
        continue;
      }
      // ToInternal parses created_at for every non-age key.
      const createdAt = weakString(get(m, 'created_at'), `${at}.created_at`);
      if (parseRfc3339(createdAt) === null) throw invalidMetadata(`${at}.created_at ${JSON.stringify(createdAt)} is not an RFC 3339 time`);
      keys.push(type === 'pgp' ? pgpKeyFrom(m, at) : opaqueKey(type, m));
    }
  }
  return keys;
}

function topLevelKeysPresent(node: MapNode): boolean {
  return READ_ORDER.some((type) => listOf(get(node, type), type).length > 0);
}

/**
 * Reads the `sops` block.
 *
 * @param node - the block as the store returned it; null/undefined when the file has none
 * @returns the model, remembering the block so that an unchanged model is written back verbatim
 * @throws SecretsError SOPS_METADATA_NOT_FOUND (no block), SOPS_METADATA_INVALID (no keys, a bad
 *   `lastmodified` or `created_at`, wrong shapes), SOPS_RULES_CONFLICT (more than one selection rule)
 */
export function readMetadata(node: MapNode | null | undefined): Metadata {
  if (!node) throw new SecretsError('SOPS_METADATA_NOT_FOUND', 'sops metadata not found');
  const lastmodified = weakString(get(node, 'lastmodified'), 'lastmodified');
  if (parseRfc3339(lastmodified) === null) throw invalidMetadata(`lastmodified ${JSON.stringify(lastmodified)} is not an RFC 3339 time`);

  // internalKeygroups: top-level key lists win; key_groups is read only when there are none.
  let keyGroups: MasterKey[][];
  if (topLevelKeysPresent(node)) keyGroups = [readKeys(node, '')];
  else keyGroups = listOf(get(node, 'key_groups'), 'key_groups').map((g, i) => readKeys(g, `key_groups[${i}].`));
  if (keyGroups.every((g) => g.length === 0)) throw invalidMetadata('no keys found in the file');

  const rules: { -readonly [K in keyof CryptRules]: CryptRules[K] } = {};
  for (const name of RULE_NAMES) {
    const value = weakString(get(node, SOPS_RULE_FIELDS[name]), SOPS_RULE_FIELDS[name]);
    if (value !== '') rules[name] = value;
  }
  if (weakBool(get(node, 'mac_only_encrypted'), 'mac_only_encrypted')) rules.macOnlyEncrypted = true;

  const model: Metadata = {
    keyGroups,
    shamirThreshold: weakInt(get(node, 'shamir_threshold'), 'shamir_threshold'),
    lastmodified,
    mac: weakString(get(node, 'mac'), 'mac'),
    version: weakString(get(node, 'version'), 'version'),
    rules: normalizeRules(rules),
    unknown: node.items.filter((i): i is Entry => i.kind === 'entry' && !KNOWN_TOP.has(i.key)),
  };
  // Computed when first compared (writeMetadata): rekey and rotate change the model and never need it.
  let print: string | undefined;
  return { ...model, source: { node, get fingerprint() { return (print ??= fingerprint(buildNode(model))); } } };
}
