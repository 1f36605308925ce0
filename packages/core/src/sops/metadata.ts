/**
 * The `sops` metadata block's typed model, and its keys. The serialized tree the stores hand over (a
 * {@link MapNode}) and this model are kept apart as sops does (`stores/stores.go` `metadata` vs
 * `sops.Metadata`), so the on-disk layout can be read in all its historic forms while the model stays
 * simple: reading is `metadata-read.ts`, writing `metadata-write.ts`.
 *
 * Age and PGP keys are typed (and usable through their key sources, `key-source.ts`); the other key
 * types (KMS, GCP KMS, Azure Key Vault, Vault, HuaweiCloud KMS) are kept as their original fields.
 */
import type { CryptRules } from './rules.js';
import type { Entry, MapNode } from './tree.js';
import { get, weakString } from './metadata-weak.js';
import { entry, str } from './metadata-write.js';

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
