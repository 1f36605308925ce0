/**
 * Writing the `sops` metadata block in sops 3.13's layout (`stores/metadata.go` `goToSops`): keys sorted
 * bytewise at every level; one key group as top-level lists per key type; two or more as `key_groups`
 * only, each group always carrying `age` and `hc_vault`; empty fields omitted except `lastmodified`,
 * `mac`, `version`. A block read from a file and not changed since is written back exactly as it was
 * read, whatever its layout.
 */
import { canonicalRfc3339 } from './rfc3339.js';
import { RULE_NAMES, SOPS_RULE_FIELDS } from './rules.js';
import type { Entry, MapNode, Value } from './tree.js';
import { get, invalidMetadata, weakString } from './metadata-weak.js';
import type { KeyGroup, KeyType, MasterKey, Metadata } from './metadata.js';

/** The fields sops writes per key type (struct tags in stores/stores.go), and which are omitted when empty. */
const SCHEMA: Readonly<Record<Exclude<KeyType, 'age'>, readonly (readonly [field: string, omitEmpty: boolean])[]>> = {
  pgp: [
    ['created_at', false],
    ['enc', false],
    ['fp', false],
  ],
  kms: [
    ['arn', false],
    ['aws_profile', false],
    ['context', true],
    ['created_at', false],
    ['enc', false],
    ['role', true],
  ],
  gcp_kms: [
    ['created_at', false],
    ['enc', false],
    ['resource_id', false],
  ],
  azure_kv: [
    ['created_at', false],
    ['enc', false],
    ['name', false],
    ['vault_url', false],
    ['version', false],
  ],
  hc_vault: [
    ['created_at', false],
    ['enc', false],
    ['engine_path', false],
    ['key_name', false],
    ['vault_address', false],
  ],
  hckms: [
    ['created_at', false],
    ['enc', false],
    ['key_id', false],
  ],
};

/** Go sorts strings bytewise; for UTF-8 that is code point order (not UTF-16 unit order). */
function compareKeys(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx - cy;
  }
}

function sorted(entries: readonly Entry[]): MapNode {
  return { kind: 'map', items: [...entries].sort((a, b) => compareKeys(a.key, b.key)) };
}

/** A mapping entry. */
export const entry = (key: string, value: Value): Entry => ({ kind: 'entry', key, value });
/** A string scalar. */
export const str = (value: string): Value => ({ kind: 'string', value });

function contextNode(value: Value | undefined): MapNode | null {
  if (value === undefined || value.kind !== 'map') return null;
  const items: Entry[] = [];
  for (const item of value.items) {
    if (item.kind !== 'entry') continue;
    // map[string]*string: a null stays null, everything else is weakly a string.
    items.push(entry(item.key, item.value.kind === 'null' ? item.value : str(weakString(item.value, `context.${item.key}`))));
  }
  return items.length > 0 ? sorted(items) : null;
}

function keyNode(key: MasterKey): MapNode {
  if (key.type === 'age') return sorted([entry('enc', str(key.enc)), entry('recipient', str(key.recipient))]);
  // A PGP key's fp and enc are its model's (the fields keep created_at and anything unknown).
  const fields = key.type !== 'pgp' ? key.fields : { kind: 'map' as const, items: [...key.fields.items.filter((i) => i.kind !== 'entry' || (i.key !== 'fp' && i.key !== 'enc')), entry('enc', str(key.enc)), entry('fp', str(key.fingerprint))] };
  const schema = SCHEMA[key.type];
  const out: Entry[] = [];
  for (const [field, omitEmpty] of schema) {
    const raw = get(fields, field);
    if (field === 'context') {
      const ctx = contextNode(raw);
      if (ctx !== null) out.push(entry(field, ctx));
      continue;
    }
    let text = weakString(raw, field);
    // sops writes CreationDate.Format(time.RFC3339).
    if (field === 'created_at') text = canonicalRfc3339(text, false) ?? text;
    if (omitEmpty && text === '') continue;
    out.push(entry(field, str(text)));
  }
  // Fields sops does not know are kept (sops would drop them); the last of duplicates wins, as in Go.
  const known = new Set(schema.map(([f]) => f));
  const extra = new Map<string, Entry>();
  for (const item of fields.items) if (item.kind === 'entry' && !known.has(item.key)) extra.set(item.key, item);
  return sorted([...out, ...extra.values()]);
}

const WRITE_TYPES: readonly KeyType[] = ['age', 'azure_kv', 'gcp_kms', 'hc_vault', 'hckms', 'kms', 'pgp'];

function groupEntries(group: KeyGroup, inKeyGroups: boolean): Entry[] {
  const out: Entry[] = [];
  for (const type of WRITE_TYPES) {
    const keys = group.filter((k) => k.type === type);
    // In key_groups, `age` and `hc_vault` have no omitempty tag: always written, `[]` when empty.
    if (keys.length === 0 && !(inKeyGroups && (type === 'age' || type === 'hc_vault'))) continue;
    out.push(entry(type, { kind: 'seq', items: keys.map(keyNode) }));
  }
  return out;
}

/** The block in sops 3.13's layout. */
export function buildNode(metadata: Metadata): MapNode {
  if (metadata.keyGroups.length === 0) throw invalidMetadata('there are no key groups to write');
  const top: Entry[] = [];
  if (metadata.keyGroups.length === 1) top.push(...groupEntries(metadata.keyGroups[0] as KeyGroup, false));
  else top.push(entry('key_groups', { kind: 'seq', items: metadata.keyGroups.map((g) => sorted(groupEntries(g, true))) }));
  if (metadata.shamirThreshold !== 0) top.push(entry('shamir_threshold', { kind: 'int', value: BigInt(metadata.shamirThreshold) }));
  top.push(entry('lastmodified', str(canonicalRfc3339(metadata.lastmodified, false) ?? metadata.lastmodified)));
  top.push(entry('mac', str(metadata.mac)));
  const rules = metadata.rules;
  for (const name of RULE_NAMES) {
    const value = rules[name];
    if (value !== undefined && value !== '') top.push(entry(SOPS_RULE_FIELDS[name], str(value)));
  }
  if (rules.macOnlyEncrypted) top.push(entry('mac_only_encrypted', { kind: 'bool', value: true }));
  top.push(entry('version', str(metadata.version)));
  top.push(...metadata.unknown);
  return sorted(top);
}

/** A stable text for a tree value (bigints and bytes included), to compare models. */
export function fingerprint(value: Value | Entry | { kind: 'comment'; text: string }): string {
  switch (value.kind) {
    case 'map':
      return `{${value.items.map(fingerprint).join(',')}}`;
    case 'seq':
      return `[${value.items.map(fingerprint).join(',')}]`;
    case 'entry':
      return `${JSON.stringify(value.key)}:${fingerprint(value.value)}`;
    case 'comment':
      return `#${JSON.stringify(value.text)}`;
    case 'null':
      return 'null';
    case 'int':
      return `i${value.value.toString()}`;
    case 'float':
      return `f${Object.is(value.value, -0) ? '-0' : String(value.value)}`;
    case 'bytes':
      return `b${Buffer.from(value.value).toString('base64')}`;
    default:
      return `${value.kind[0] as string}${JSON.stringify(value.value)}`;
  }
}

/**
 * Writes the `sops` block: verbatim as it was read when the model is unchanged since
 * {@link readMetadata}, otherwise in sops 3.13's layout.
 *
 * @param metadata - the model
 * @returns the block, for the store to place (and, for dotenv/INI, flatten)
 * @throws SecretsError SOPS_METADATA_INVALID when there are no key groups
 */
export function writeMetadata(metadata: Metadata): MapNode {
  const node = buildNode(metadata);
  if (metadata.source && fingerprint(node) === metadata.source.fingerprint) return metadata.source.node;
  return node;
}

/**
 * Writes the `sops` block in sops 3.13's layout, even when it is unchanged.
 *
 * @param metadata - the model
 * @returns the block
 * @throws SecretsError SOPS_METADATA_INVALID when there are no key groups
 */
export function writeMetadataCurrentLayout(metadata: Metadata): MapNode {
  return buildNode(metadata);
}
