/**
 * sops files as bytes in, bytes out: decrypt (data key from any key group the key sources open, values,
 * MAC), encrypt a new file, re-encrypt after an edit keeping unchanged ciphertext and rotate (a new data
 * key). Rekey (sops updatekeys) is in `rekey.ts`. Keys of every kind are reached through the key-source
 * registry (`key-registry.ts`): age identities and gpg are what the caller passes in.
 */
import { SecretsError } from '../errors.js';
import { generateDataKey, recoverDataKey, wrapDataKey } from './data-key.js';
import { decryptDocument, encryptDocument, type IvStash } from './engine.js';
import { keyTarget, keyString, type KeyTarget } from './key-source.js';
import { asKeyTarget, keySourcesFor, type KeyAccess, type RecipientOrTarget } from './key-registry.js';
import { readMetadata } from './metadata-read.js';
import { writeMetadata, writeMetadataCurrentLayout } from './metadata-write.js';
import { type Metadata } from './metadata.js';
import { normalizeRules, type CryptRules } from './rules.js';
import { storeFor, type Format, type StoreOptions } from './stores/store.js';
import type { Document, MapNode } from './tree.js';
import { freshRandom as random } from '../random.js';

/** The sops version whose output layout we write. */
export const SOPS_VERSION = '3.13.3';

/**
 * `lastmodified` as sops writes it (`time.Now().UTC().Format(time.RFC3339)`).
 *
 * @param now - the time (callers pass the clock in)
 * @returns RFC 3339, whole seconds, UTC, e.g. `2026-08-01T09:00:14Z`
 */
export function sopsTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** Options for opening a file: its format, and the identities, gpg or key sources to open it with. */
export interface OpenOptions extends KeyAccess {
  readonly format: Format;
  readonly ignoreMac?: boolean;
  readonly store?: StoreOptions;
}

/** A decrypted file and what re-encrypting it needs. */
export interface OpenedFile {
  readonly format: Format;
  /** The plaintext tree. */
  readonly document: Document;
  readonly metadata: Metadata;
  /** The metadata block exactly as read (written back unchanged when the metadata did not change). */
  readonly metadataNode: MapNode;
  /** The data key. Secret. */
  readonly dataKey: Uint8Array;
  /** IVs of the current values under this data key. */
  readonly stash: IvStash;
  readonly warnings: readonly string[];
}


export { MAX_SOPS_STANZAS } from './age-source.js';

/**
 * Recovers the data key: in each group, keys in sops' default decryption order (age, then PGP, then the
 * rest), the first that opens wins; with several groups, Shamir shares from at least
 * `shamir_threshold` groups.
 *
 * @param metadata - the file's metadata
 * @param access - identities (or their loader), passphrase callback, gpg, key sources
 * @param passphrase - asked for passphrase-protected identities (when `access` is a list of identities)
 * @returns the 32-byte data key
 * @throws SecretsError SOPS_DATA_KEY_UNAVAILABLE listing, per group and key, why it did not open
 */
export async function unwrapDataKey(metadata: Metadata, access: KeyAccess | KeyAccess['identities'], passphrase?: KeyAccess['passphrase']): Promise<Uint8Array> {
  const given: KeyAccess = Array.isArray(access) || typeof access === 'function' || access === undefined ? { identities: access as KeyAccess['identities'] } : (access as KeyAccess);
  return recoverDataKey(metadata, keySourcesFor(passphrase ? { ...given, passphrase } : given));
}

/**
 * Decrypts a sops file. The MAC is verified before anything is returned.
 *
 * @param bytes - the encrypted file
 * @param options - format, identities, passphrase callback, `ignoreMac`, store options
 * @returns the plaintext tree, metadata, data key (secret) and IV stash
 *
 * @throws SecretsError SOPS_METADATA_NOT_FOUND, SOPS_DATA_KEY_UNAVAILABLE, SOPS_MAC_MISMATCH,
 *   SOPS_VALUE_INVALID, SOPS_FORMAT_INVALID, LIMIT_EXCEEDED
 */
export async function openSopsFile(bytes: Uint8Array, options: OpenOptions): Promise<OpenedFile> {
  const store = storeFor(options.format, options.store);
  const { document, metadata: metadataNode } = store.loadEncrypted(bytes);
  const metadata = readMetadata(metadataNode);
  const dataKey = await unwrapDataKey(metadata, options);
  const decrypted = decryptDocument(document, { dataKey, metadata, ...(options.ignoreMac ? { ignoreMac: true } : {}) });
  return { format: options.format, document: decrypted.document, metadata, metadataNode, dataKey, stash: decrypted.ivStash, warnings: decrypted.warnings };
}

/** Options for a new file. */
export interface CreateOptions extends KeyAccess {
  readonly format: Format;
  /** Keys per key group (one group unless Shamir is wanted): parsed age recipients or key targets (PGP…). */
  readonly keyGroups: readonly (readonly RecipientOrTarget[])[];
  readonly shamirThreshold?: number;
  readonly rules?: CryptRules;
  readonly now: Date;
  readonly store?: StoreOptions;
}

/**
 * Encrypts a plaintext tree into a new sops file with a fresh data key.
 *
 * @param document - the plaintext tree
 * @param options - format, key groups, threshold, selection rules, the time, store options
 * @returns the encrypted file
 *
 * @throws SecretsError USAGE (no recipients, bad threshold), SOPS_RULES_CONFLICT, AGE_RECIPIENT_INVALID
 */
export async function createSopsFile(document: Document, options: CreateOptions): Promise<Uint8Array> {
  const dataKey = generateDataKey(random);
  try {
    const rules = normalizeRules(options.rules ?? {});
    if (options.keyGroups.length === 0 || options.keyGroups.some((g) => g.length === 0)) throw new SecretsError('USAGE', 'no recipients to encrypt the data key to');
    const groups = options.keyGroups.map((g) => g.map(asKeyTarget));
    const wrapped = await wrapDataKey(dataKey, groups, { threshold: options.shamirThreshold ?? 0, sources: keySourcesFor(options, options.keyGroups.flat()), random, now: options.now });
    const lastmodified = sopsTimestamp(options.now);
    const encrypted = encryptDocument(document, { dataKey, rules, lastmodified, random });
    const metadata: Metadata = {
      keyGroups: wrapped.keyGroups,
      shamirThreshold: options.keyGroups.length > 1 ? wrapped.shamirThreshold : 0,
      lastmodified,
      mac: encrypted.mac,
      version: SOPS_VERSION,
      rules,
      unknown: [],
    };
    return storeFor(options.format, options.store).emitEncrypted(encrypted.document, writeMetadata(metadata));
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Re-encrypts an opened file after its plaintext changed (edit, set, unset): same data key and keys,
 * unchanged values keep their exact ciphertext, new `lastmodified` and MAC, version raised to ours.
 *
 * @param opened - from {@link openSopsFile}
 * @param document - the new plaintext tree
 * @param options - the time, store options
 * @returns the encrypted file
 * @throws SecretsError as {@link encryptDocument}
 */
export function updateSopsFile(opened: OpenedFile, document: Document, options: { now: Date; store?: StoreOptions }): Uint8Array {
  const lastmodified = sopsTimestamp(options.now);
  const encrypted = encryptDocument(document, { dataKey: opened.dataKey, rules: opened.metadata.rules, lastmodified, ivStash: opened.stash, random });
  const metadata: Metadata = { ...opened.metadata, lastmodified, mac: encrypted.mac, version: newerVersion(opened.metadata.version) };
  return storeFor(opened.format, options.store).emitEncrypted(encrypted.document, writeMetadata(metadata));
}

/**
 * Re-emits an opened file with its data re-encrypted under the same key and the SAME lastmodified: when
 * nothing changed this reproduces the file byte for byte (IVs reused, original metadata block kept).
 *
 * @param opened - from {@link openSopsFile}
 * @param options - store options
 * @returns the encrypted file
 */
export function reproduceSopsFile(opened: OpenedFile, options: { store?: StoreOptions } = {}): Uint8Array {
  const encrypted = encryptDocument(opened.document, { dataKey: opened.dataKey, rules: opened.metadata.rules, lastmodified: opened.metadata.lastmodified, ivStash: opened.stash, random });
  const node = encrypted.mac === opened.metadata.mac ? opened.metadataNode : writeMetadata({ ...opened.metadata, mac: encrypted.mac });
  return storeFor(opened.format, options.store).emitEncrypted(encrypted.document, node);
}

/**
 * sops raises the version on edit when the running one is newer (cmd/sops/edit.go).
 *
 * @internal
 */
export function newerVersion(current: string): string {
  const parse = (v: string): number[] => v.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const [a, b] = [parse(current), parse(SOPS_VERSION)];
  for (let i = 0; i < 3; i++) {
    if ((b[i] ?? 0) > (a[i] ?? 0)) return SOPS_VERSION;
    if ((b[i] ?? 0) < (a[i] ?? 0)) return current;
  }
  return current;
}

/**
 * sops rotate: a NEW data key for the same (or given) recipients; every value is re-encrypted with fresh
 * IVs, the MAC and `lastmodified` renewed. Needed after removing a recipient: it may have kept the old key.
 *
 * @param opened - the opened file
 * @param options - the new key groups (default: the file's keys), the time, store options, and gpg or
 *   key sources for keys other than age
 * @returns the re-encrypted file
 * @throws SecretsError SOPS_DATA_KEY_UNAVAILABLE when the file has keys of a kind no source can wrap for;
 *   USAGE for an empty group
 */
export async function rotateSopsFile(opened: OpenedFile, options: KeyAccess & { keyGroups?: readonly (readonly RecipientOrTarget[])[]; now: Date; store?: StoreOptions }): Promise<Uint8Array> {
  const keyGroups: KeyTarget[][] = options.keyGroups ? options.keyGroups.map((g) => g.map(asKeyTarget)) : opened.metadata.keyGroups.map((g) => g.map(keyTarget));
  if (keyGroups.length === 0 || keyGroups.some((g) => g.length === 0)) throw new SecretsError('USAGE', 'no recipients to encrypt the data key to');
  const sources = keySourcesFor(options, options.keyGroups?.flat() ?? []);
  const unusable = keyGroups.flat().find((k) => sources[k.type] === undefined);
  if (unusable) {
    throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', `rotating needs to wrap the new data key for every key, and ${unusable.type} keys cannot be used by secrets (${keyString(unusable)})`, {
      hints: ['remove those keys from the file first (secrets rekey with a .sops.yaml rule without them)'],
    });
  }
  const dataKey = generateDataKey(random);
  try {
    const wrapped = await wrapDataKey(dataKey, keyGroups, { threshold: opened.metadata.shamirThreshold, sources, random, now: options.now });
    const lastmodified = sopsTimestamp(options.now);
    // A new key: no IV of the old key's stash may be reused (and none would match).
    const encrypted = encryptDocument(opened.document, { dataKey, rules: opened.metadata.rules, lastmodified, random });
    const metadata: Metadata = {
      ...opened.metadata,
      keyGroups: wrapped.keyGroups,
      shamirThreshold: keyGroups.length > 1 ? wrapped.shamirThreshold : opened.metadata.shamirThreshold,
      lastmodified,
      mac: encrypted.mac,
      version: newerVersion(opened.metadata.version),
    };
    // A new MAC (fresh IV) and keys: never the block as read, so not compared with it.
    return storeFor(opened.format, options.store).emitEncrypted(encrypted.document, writeMetadataCurrentLayout(metadata));
  } finally {
    dataKey.fill(0);
  }
}
