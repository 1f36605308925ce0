/**
 * The `sops` metadata block: the serialized tree (as stores read and write it) ⇄ a typed model.
 *
 * Reading accepts every layout sops has written (≤3.9 with empty `kms: []` lists, 3.10–3.12 struct
 * order, 3.13 sorted, `key_groups`, Python-era extra keys). Writing produces sops 3.13's layout: keys
 * sorted bytewise at every level (stores/metadata.go goToSops), one group as top-level lists per key
 * type, two or more as `key_groups` whose maps always carry `age` and `hc_vault`. Key types we cannot
 * use (pgp, kms, …) are kept as their original entries, unchanged.
 */
import { SecretsError } from '../errors.js';
import { macAad } from './engine.js';
import type { CryptRules } from './rules.js';
import type { Entry, MapNode, Scalar, SeqNode, Value } from './tree.js';

/** Key types sops knows, as named in the metadata. */
export type KeyType = 'age' | 'pgp' | 'kms' | 'gcp_kms' | 'azure_kv' | 'hc_vault' | 'hckms';
const KEY_TYPES: readonly KeyType[] = ['age', 'pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms'];

/** An age master key: recipient and the armored age file wrapping the data key (or a Shamir share). */
export interface AgeKey {
  readonly type: 'age';
  readonly recipient: string;
  readonly enc: string;
}

/** A master key of a type we keep but cannot use; `entry` is its original mapping, unchanged. */
export interface OpaqueKey {
  readonly type: Exclude<KeyType, 'age'>;
  /** A human label: the PGP fingerprint, KMS ARN, vault URL… */
  readonly label: string;
  readonly entry: MapNode;
}

/** Any master key. */
export type MasterKey = AgeKey | OpaqueKey;

/** The typed metadata of a sops file. */
export interface Metadata {
  /** Key groups; one group unless Shamir is used. */
  readonly keyGroups: readonly (readonly MasterKey[])[];
  /** 0 when not set. */
  readonly shamirThreshold: number;
  readonly lastmodified: string;
  readonly mac: string;
  readonly version: string;
  readonly rules: CryptRules;
  /** Top-level keys sops does not know (kept, written after sorting with the rest). */
  readonly unknown: readonly Entry[];
}

const str = (value: string): Scalar => ({ kind: 'string', value });

function scalarText(v: Value | undefined): string | undefined {
  if (!v) return undefined;
  if (v.kind === 'string' || v.kind === 'time') return v.value;
  if (v.kind === 'int') return v.value.toString();
  if (v.kind === 'float') return String(v.value);
  if (v.kind === 'bool') return String(v.value);
  return undefined;
}

function get(map: MapNode, key: string): Value | undefined {
  for (const item of map.items) if (item.kind === 'entry' && item.key === key) return item.value;
  return undefined;
}

function entries(map: MapNode): Entry[] {
  return map.items.filter((i): i is Entry => i.kind === 'entry');
}

function listOf(v: Value | undefined, what: string): MapNode[] {
  if (v === undefined || v.kind === 'null') return [];
  if (v.kind !== 'seq') throw new SecretsError('SOPS_METADATA_INVALID', `sops metadata: ${what} is not a list`);
  return v.items.filter((i) => i.kind !== 'comment').map((i) => {
    if (i.kind !== 'map') throw new SecretsError('SOPS_METADATA_INVALID', `sops metadata: an entry of ${what} is not a mapping`);
    return i;
  });
}

const LABEL_FIELD: Record<Exclude<KeyType, 'age'>, string> = {
  pgp: 'fp',
  kms: 'arn',
  gcp_kms: 'resource_id',
  azure_kv: 'vault_url',
  hc_vault: 'vault_address',
  hckms: 'key_id',
};

function readKeys(container: MapNode, where: string): MasterKey[] {
  const keys: MasterKey[] = [];
  for (const type of KEY_TYPES) {
    for (const m of listOf(get(container, type), `${where}${type}`)) {
      if (type === 'age') {
        const recipient = scalarText(get(m, 'recipient'));
        const enc = scalarText(get(m, 'enc'));
        if (recipient === undefined || enc === undefined) throw new SecretsError('SOPS_METADATA_INVALID', 'sops metadata: an age key lacks recipient or enc');
        keys.push({ type, recipient, enc });
      } else {
        let label = scalarText(get(m, LABEL_FIELD[type])) ?? '';
        if (type === 'azure_kv') label = `${label}/keys/${scalarText(get(m, 'name')) ?? ''}/${scalarText(get(m, 'version')) ?? ''}`;
        if (type === 'hc_vault') label = `${label}/v1/${scalarText(get(m, 'engine_path')) ?? ''}/keys/${scalarText(get(m, 'key_name')) ?? ''}`;
        keys.push({ type, label, entry: m });
      }
    }
  }
  return keys;
}

const KNOWN_TOP = new Set<string>([
  ...KEY_TYPES,
  'key_groups',
  'shamir_threshold',
  'lastmodified',
  'mac',
  'version',
  'mac_only_encrypted',
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
]);

/**
 * Reads the `sops` block.
 *
 * @throws SecretsError SOPS_METADATA_INVALID (no keys, bad lastmodified, wrong shapes)
 */
export function readMetadata(node: MapNode): Metadata {
  const groupsNode = get(node, 'key_groups');
  let keyGroups: MasterKey[][];
  const groupMaps = listOf(groupsNode, 'key_groups');
  if (groupMaps.length > 0) keyGroups = groupMaps.map((g, i) => readKeys(g, `key_groups[${i}].`));
  else keyGroups = [readKeys(node, '')];
  if (keyGroups.every((g) => g.length === 0)) throw new SecretsError('SOPS_METADATA_INVALID', 'no keys found in the sops metadata');
  const lastmodified = scalarText(get(node, 'lastmodified')) ?? '';
  macAad(lastmodified); // validates RFC 3339
  const thresholdText = scalarText(get(node, 'shamir_threshold'));
  const optional = (k: string): string | undefined => {
    const v = scalarText(get(node, k));
    return v === undefined || v === '' ? undefined : v;
  };
  const rules: CryptRules = {
    ...(optional('unencrypted_suffix') !== undefined ? { unencryptedSuffix: optional('unencrypted_suffix') } : {}),
    ...(optional('encrypted_suffix') !== undefined ? { encryptedSuffix: optional('encrypted_suffix') } : {}),
    ...(optional('unencrypted_regex') !== undefined ? { unencryptedRegex: optional('unencrypted_regex') } : {}),
    ...(optional('encrypted_regex') !== undefined ? { encryptedRegex: optional('encrypted_regex') } : {}),
    ...(optional('unencrypted_comment_regex') !== undefined ? { unencryptedCommentRegex: optional('unencrypted_comment_regex') } : {}),
    ...(optional('encrypted_comment_regex') !== undefined ? { encryptedCommentRegex: optional('encrypted_comment_regex') } : {}),
    ...(scalarText(get(node, 'mac_only_encrypted')) === 'true' ? { macOnlyEncrypted: true } : {}),
  };
  return {
    keyGroups,
    shamirThreshold: thresholdText ? Number(thresholdText) : 0,
    lastmodified,
    mac: scalarText(get(node, 'mac')) ?? '',
    version: scalarText(get(node, 'version')) ?? '',
    rules,
    unknown: entries(node).filter((e) => !KNOWN_TOP.has(e.key)),
  };
}

function sortMap(map: MapNode): MapNode {
  const sorted = entries(map)
    .map((e) => ({ ...e, value: sortValue(e.value) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { kind: 'map', items: sorted };
}

function sortValue(v: Value): Value {
  if (v.kind === 'map') return sortMap(v);
  if (v.kind === 'seq') return { kind: 'seq', items: v.items.filter((i) => i.kind !== 'comment').map((i) => sortValue(i as Value)) };
  return v;
}

function keysToMap(keys: readonly MasterKey[], alwaysAgeAndVault: boolean): Entry[] {
  const out: Entry[] = [];
  for (const type of KEY_TYPES) {
    const ofType = keys.filter((k) => k.type === type);
    if (ofType.length === 0 && !(alwaysAgeAndVault && (type === 'age' || type === 'hc_vault'))) continue;
    const items: Value[] = ofType.map((k) =>
      k.type === 'age'
        ? { kind: 'map', items: [{ kind: 'entry', key: 'enc', value: str(k.enc) }, { kind: 'entry', key: 'recipient', value: str(k.recipient) }] }
        : (k as OpaqueKey).entry,
    );
    out.push({ kind: 'entry', key: type, value: { kind: 'seq', items } satisfies SeqNode });
  }
  return out;
}

/**
 * Writes the `sops` block in sops 3.13's layout.
 *
 * @param metadata - the model
 * @returns the block as a tree, keys sorted at every level
 */
export function writeMetadata(metadata: Metadata): MapNode {
  const top: Entry[] = [...metadata.unknown];
  if (metadata.keyGroups.length === 1) top.push(...keysToMap(metadata.keyGroups[0] as MasterKey[], false));
  else {
    const groups: Value[] = metadata.keyGroups.map((g) => ({ kind: 'map', items: keysToMap(g, true) }));
    top.push({ kind: 'entry', key: 'key_groups', value: { kind: 'seq', items: groups } });
  }
  if (metadata.shamirThreshold > 0) top.push({ kind: 'entry', key: 'shamir_threshold', value: { kind: 'int', value: BigInt(metadata.shamirThreshold) } });
  top.push({ kind: 'entry', key: 'lastmodified', value: str(metadata.lastmodified) });
  top.push({ kind: 'entry', key: 'mac', value: str(metadata.mac) });
  const r = metadata.rules;
  const ruleFields: [string, string | undefined][] = [
    ['unencrypted_suffix', r.unencryptedSuffix],
    ['encrypted_suffix', r.encryptedSuffix],
    ['unencrypted_regex', r.unencryptedRegex],
    ['encrypted_regex', r.encryptedRegex],
    ['unencrypted_comment_regex', r.unencryptedCommentRegex],
    ['encrypted_comment_regex', r.encryptedCommentRegex],
  ];
  for (const [key, value] of ruleFields) if (value !== undefined && value !== '') top.push({ kind: 'entry', key, value: str(value) });
  if (r.macOnlyEncrypted) top.push({ kind: 'entry', key: 'mac_only_encrypted', value: { kind: 'bool', value: true } });
  top.push({ kind: 'entry', key: 'version', value: str(metadata.version) });
  return sortMap({ kind: 'map', items: top });
}
