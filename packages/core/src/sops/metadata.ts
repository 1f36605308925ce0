/**
 * The `sops` metadata block: the serialized tree the stores hand over (a {@link MapNode}) ⇄ a typed
 * model. The two are kept apart as sops does (`stores/stores.go` `metadata` vs `sops.Metadata`), so the
 * on-disk layout can be read in all its historic forms while the model stays simple.
 *
 * Reading (`stores/stores.go` `ToInternal`, mapstructure with `WeaklyTypedInput`) accepts every layout
 * sops has written: ≤3.9 with empty `kms: []`/`null` lists, 3.10–3.12 struct order, 3.13 sorted,
 * `key_groups`, and Python-era extra keys (kept). Scalars are converted weakly, as mapstructure does, so
 * the flat stores' all-string values work too.
 *
 * Writing produces sops 3.13's layout (`stores/metadata.go` `goToSops`): keys sorted bytewise at every
 * level; one key group as top-level lists per key type; two or more as `key_groups` only, each group
 * always carrying `age` and `hc_vault`; empty fields omitted except `lastmodified`, `mac`, `version`.
 * A block read from a file and not changed since is written back exactly as it was read, whatever its
 * layout.
 *
 * Age and PGP keys are typed (and usable through their key sources, `key-source.ts`); the other key
 * types (KMS, GCP KMS, Azure Key Vault, Vault, HuaweiCloud KMS) are kept as their original fields.
 */
import { SecretsError } from '../errors.js';
import { canonicalRfc3339, parseRfc3339 } from './rfc3339.js';
import { normalizeRules, RULE_NAMES, SOPS_RULE_FIELDS, type CryptRules } from './rules.js';
import type { Entry, MapNode, Value } from './tree.js';
import { get, listOf, weakBool, weakInt, weakString } from './metadata-weak.js';

/** Key types sops knows, as named in the metadata. */
export type KeyType = 'age' | 'pgp' | 'kms' | 'gcp_kms' | 'azure_kv' | 'hc_vault' | 'hckms';

/** Key types this library keeps but cannot use. */
export type OpaqueKeyType = Exclude<KeyType, 'age' | 'pgp'>;

/** An age master key: the recipient and the armored age file wrapping the data key or a Shamir share. */
export interface AgeKey {
  readonly type: 'age';
  readonly recipient: string;
  /** `-----BEGIN AGE ENCRYPTED FILE-----…` */
  readonly enc: string;
}

/**
 * A PGP master key: the key's fingerprint and the armored OpenPGP message holding the data key (or a
 * Shamir share), as sops writes it (`pgp/keysource.go` ToMap: `created_at`, `enc`, `fp`).
 */
export interface PgpKey {
  readonly type: 'pgp';
  /** `fp`, as written (sops removes spaces when it reads one from a config). */
  readonly fingerprint: string;
  /** `-----BEGIN PGP MESSAGE-----…` */
  readonly enc: string;
  /** The mapping it was read from (`created_at` and fields sops does not know are kept from it). */
  readonly fields: MapNode;
}

/** A master key of another type, kept as the mapping it was read from (values untouched). */
export interface OpaqueKey {
  readonly type: OpaqueKeyType;
  /** The name sops shows for it (see {@link keyName}); derived from `fields`. */
  readonly label: string;
  readonly fields: MapNode;
}

/** Any master key. */
export type MasterKey = AgeKey | PgpKey | OpaqueKey;

/** The keys that each wrap the same part of the data key (the whole key, or one Shamir share). */
export type KeyGroup = readonly MasterKey[];

/** Where a {@link Metadata} was read from, to write it back unchanged when nothing changed. */
export interface MetadataSource {
  /** The block exactly as the store gave it. */
  readonly node: MapNode;
  /** A fingerprint of the model as read; a model with another fingerprint was changed. */
  readonly fingerprint: string;
}

/** The typed metadata of a sops file. */
export interface Metadata {
  /** One group unless Shamir secret sharing is used. */
  readonly keyGroups: readonly KeyGroup[];
  /** 0 when not set. */
  readonly shamirThreshold: number;
  /** RFC 3339, e.g. `2026-08-01T09:00:14Z`; the MAC's AAD. */
  readonly lastmodified: string;
  /** The encrypted MAC (an ENC string), or empty. */
  readonly mac: string;
  /** The sops version that wrote the file, e.g. `3.13.3`. */
  readonly version: string;
  /** Selection rules, normalized: exactly one rule set (sops' default suffix when the file names none). */
  readonly rules: CryptRules;
  /** Top-level entries sops does not know (Python-era `attention`, …), kept verbatim. */
  readonly unknown: readonly Entry[];
  /** Set by {@link readMetadata}; keep it when copying the object so unchanged metadata round-trips. */
  readonly source?: MetadataSource;
}

// stores/stores.go internalGroupFrom: the order keys of one group are read in.
const READ_ORDER: readonly KeyType[] = ['kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'pgp', 'age'];

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

const invalid = (message: string): SecretsError => new SecretsError('SOPS_METADATA_INVALID', `invalid sops metadata: ${message}`);

// ---- keys ---------------------------------------------------------------------------------------

function labelOf(type: OpaqueKeyType, fields: MapNode): string {
  const f = (name: string): string => {
    try {
      return weakString(get(fields, name), name);
    } catch {
      return '';
    }
  };
  switch (type) {
    case 'kms':
      return f('arn');
    case 'gcp_kms':
      return f('resource_id');
    case 'azure_kv':
      return `${f('vault_url')}/keys/${f('name')}/${f('version')}`;
    case 'hc_vault':
      return `${f('vault_address')}/v1/${f('engine_path')}/keys/${f('key_name')}`;
    case 'hckms':
      return f('key_id');
  }
}

/**
 * A key of a type this library cannot use, from its metadata fields.
 *
 * @param type - `pgp`, `kms`, …
 * @param fields - the key's mapping, kept as it is
 * @returns the key, with its label
 */
export function opaqueKey(type: OpaqueKeyType, fields: MapNode): OpaqueKey {
  return { type, label: labelOf(type, fields), fields };
}

/**
 * A PGP key as sops writes a new one: `fp`, `enc` and `created_at` (RFC 3339, UTC, whole seconds).
 *
 * @param fingerprint - the key's fingerprint, as named in the config
 * @param enc - the armored OpenPGP message
 * @param createdAt - the wrapping time
 */
export function pgpKey(fingerprint: string, enc: string, createdAt: Date): PgpKey {
  const fields: MapNode = { kind: 'map', items: [entry('created_at', str(`${createdAt.toISOString().slice(0, 19)}Z`)), entry('enc', str(enc)), entry('fp', str(fingerprint))] };
  return { type: 'pgp', fingerprint, enc, fields };
}

function pgpKeyFrom(fields: MapNode, at: string): PgpKey {
  return { type: 'pgp', fingerprint: weakString(get(fields, 'fp'), `${at}.fp`), enc: weakString(get(fields, 'enc'), `${at}.enc`), fields };
}

/**
 * The name sops uses for a key in messages (`MasterKey.ToString()`): the age recipient, the PGP
 * fingerprint, the KMS ARN, the Azure key URL (`vault_url/keys/name/version`), the Vault key URL
 * (`address/v1/engine/keys/name`), the HuaweiCloud key id.
 *
 * @param key - a master key
 * @returns its name
 */
export function keyName(key: MasterKey): string {
  switch (key.type) {
    case 'age':
      return key.recipient;
    case 'pgp':
      return key.fingerprint;
    default:
      return key.label;
  }
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
      if (parseRfc3339(createdAt) === null) throw invalid(`${at}.created_at ${JSON.stringify(createdAt)} is not an RFC 3339 time`);
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
  if (parseRfc3339(lastmodified) === null) throw invalid(`lastmodified ${JSON.stringify(lastmodified)} is not an RFC 3339 time`);

  // internalKeygroups: top-level key lists win; key_groups is read only when there are none.
  let keyGroups: MasterKey[][];
  if (topLevelKeysPresent(node)) keyGroups = [readKeys(node, '')];
  else keyGroups = listOf(get(node, 'key_groups'), 'key_groups').map((g, i) => readKeys(g, `key_groups[${i}].`));
  if (keyGroups.every((g) => g.length === 0)) throw invalid('no keys found in the file');

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

// ---- writing ------------------------------------------------------------------------------------

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

const entry = (key: string, value: Value): Entry => ({ kind: 'entry', key, value });
const str = (value: string): Value => ({ kind: 'string', value });

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

function buildNode(metadata: Metadata): MapNode {
  if (metadata.keyGroups.length === 0) throw invalid('there are no key groups to write');
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
function fingerprint(value: Value | Entry | { kind: 'comment'; text: string }): string {
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
