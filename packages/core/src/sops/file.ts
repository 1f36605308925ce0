/**
 * sops files as bytes in, bytes out: decrypt (data key from any key group the identities open, values,
 * MAC), encrypt a new file, re-encrypt after an edit keeping unchanged ciphertext, and rekey (sops
 * updatekeys: the SAME data key wrapped for a new recipient set, values untouched).
 */
import { randomBytes } from 'node:crypto';
import { SecretsError, isSecretsError } from '../errors.js';
import { utf8 } from '../bytes.js';
import { decryptAge, encryptAge, parseRecipient as parseRecipientText, type AgeIdentity, type AgeRecipient, type PassphraseRequest } from '../age/index.js';
import { decryptDocument, encryptDocument, type IvStash } from './engine.js';
import { readMetadata, writeMetadata, type AgeKey, type MasterKey, type Metadata } from './metadata.js';
import { normalizeRules, type CryptRules } from './rules.js';
import { shamirCombine, shamirSplit } from './shamir.js';
import { storeFor, type Format, type StoreOptions } from './stores/store.js';
import type { Document, MapNode } from './tree.js';

/** The sops version whose output layout we write. */
export const SOPS_VERSION = '3.13.3';

/** `lastmodified` as sops writes it: RFC 3339, whole seconds, UTC. */
export function sopsTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** Options for opening a file. */
export interface OpenOptions {
  readonly format: Format;
  readonly identities: readonly AgeIdentity[];
  readonly passphrase?: (request: PassphraseRequest) => Promise<string>;
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

function describeKey(key: MasterKey): string {
  return key.type === 'age' ? `age ${key.recipient}` : `${key.type} ${key.label}`;
}

/**
 * Recovers the data key: in each group, age keys first (sops' default decryption order), the first that
 * opens wins; with several groups, Shamir shares from at least `shamir_threshold` groups.
 *
 * @throws SecretsError SOPS_DATA_KEY_UNAVAILABLE listing, per group and key, why it did not open
 */
export async function unwrapDataKey(metadata: Metadata, identities: readonly AgeIdentity[], passphrase?: OpenOptions['passphrase']): Promise<Uint8Array> {
  const groups = metadata.keyGroups;
  const needed = groups.length === 1 ? 1 : metadata.shamirThreshold > 0 ? metadata.shamirThreshold : groups.length;
  const report: string[] = [];
  const pieces: Uint8Array[] = [];
  let firstError: SecretsError | undefined;
  for (const [index, group] of groups.entries()) {
    if (pieces.length >= needed) break;
    const ordered = [...group.filter((k) => k.type === 'age'), ...group.filter((k) => k.type !== 'age')];
    let piece: Uint8Array | undefined;
    for (const key of ordered) {
      if (key.type !== 'age') {
        report.push(`  group ${index + 1}: ${describeKey(key)}: ${key.type} keys cannot be used by secrets yet`);
        continue;
      }
      try {
        piece = await decryptAge(utf8(key.enc), identities, passphrase ? { passphrase } : {});
        break;
      } catch (error) {
        if (!isSecretsError(error)) throw error;
        firstError ??= error;
        const why = error.code === 'AGE_NO_IDENTITY_MATCHED' ? `no identity matched (${error.hints[0]?.replace('the file has stanzas: ', 'stanza ') ?? ''})` : error.message;
        report.push(`  group ${index + 1}: ${describeKey(key)}: ${why}`);
      }
    }
    if (piece) pieces.push(piece);
  }
  if (pieces.length < needed) {
    const tried = firstError?.code === 'AGE_NO_IDENTITY_MATCHED' ? firstError.hints.filter((h) => h.startsWith('  ')).map((h) => `  ${h.trim()}`) : [];
    throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', groups.length === 1 ? 'could not decrypt the data key with any of the file\'s keys' : `could not decrypt the data key: ${pieces.length} of the ${needed} key groups needed could be opened`, {
      hints: ['keys in the file:', ...report, ...(tried.length > 0 ? ['identities tried:', ...tried] : [])],
      details: { groups: groups.length, needed, opened: pieces.length },
    });
  }
  if (groups.length === 1) {
    const key = pieces[0] as Uint8Array;
    if (key.length !== 32) throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', `the data key has ${key.length} bytes instead of 32`);
    return key;
  }
  const key = shamirCombine(pieces);
  if (key.length !== 32) throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', 'the recombined data key is malformed');
  return key;
}

/**
 * Decrypts a sops file. The MAC is verified before anything is returned.
 *
 * @throws SecretsError SOPS_METADATA_NOT_FOUND, SOPS_DATA_KEY_UNAVAILABLE, SOPS_MAC_MISMATCH,
 *   SOPS_VALUE_INVALID, SOPS_FORMAT_INVALID, LIMIT_EXCEEDED
 */
export async function openSopsFile(bytes: Uint8Array, options: OpenOptions): Promise<OpenedFile> {
  const store = storeFor(options.format, options.store);
  const { document, metadata: metadataNode } = store.loadEncrypted(bytes);
  const metadata = readMetadata(metadataNode);
  const dataKey = await unwrapDataKey(metadata, options.identities, options.passphrase);
  const decrypted = decryptDocument(document, {
    dataKey,
    rules: metadata.rules,
    lastmodified: metadata.lastmodified,
    mac: metadata.mac,
    ...(options.ignoreMac ? { ignoreMac: true } : {}),
  });
  return { format: options.format, document: decrypted.document, metadata, metadataNode, dataKey, stash: decrypted.stash, warnings: decrypted.warnings };
}

async function wrapGroups(dataKey: Uint8Array, groups: readonly (readonly AgeRecipient[])[], threshold: number): Promise<AgeKey[][]> {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) throw new SecretsError('USAGE', 'no recipients to encrypt the data key to');
  const secrets = groups.length === 1 ? [dataKey] : shamirSplit(dataKey, groups.length, threshold > 0 ? threshold : groups.length);
  return Promise.all(
    groups.map(async (group, i) =>
      Promise.all(
        group.map(async (r) => ({
          type: 'age' as const,
          recipient: r.text,
          // One armored age file per recipient, as sops writes it (age/keysource.go MasterKey.Encrypt).
          enc: Buffer.from(await encryptAge(secrets[i] as Uint8Array, [r], { armor: true })).toString('utf8'),
        })),
      ),
    ),
  );
}

/** Options for a new file. */
export interface CreateOptions {
  readonly format: Format;
  /** Age recipients per key group (one group unless Shamir is wanted). */
  readonly keyGroups: readonly (readonly AgeRecipient[])[];
  readonly shamirThreshold?: number;
  readonly rules?: CryptRules;
  readonly now: Date;
  readonly store?: StoreOptions;
}

/**
 * Encrypts a plaintext tree into a new sops file with a fresh data key.
 *
 * @throws SecretsError USAGE (no recipients, bad threshold), SOPS_RULES_CONFLICT, AGE_RECIPIENT_INVALID
 */
export async function createSopsFile(document: Document, options: CreateOptions): Promise<Uint8Array> {
  const dataKey = new Uint8Array(randomBytes(32));
  try {
    const rules = normalizeRules(options.rules ?? {});
    const groups = await wrapGroups(dataKey, options.keyGroups, options.shamirThreshold ?? 0);
    const lastmodified = sopsTimestamp(options.now);
    const encrypted = encryptDocument(document, { dataKey, rules, lastmodified });
    const metadata: Metadata = {
      keyGroups: groups,
      shamirThreshold: options.keyGroups.length > 1 ? (options.shamirThreshold || options.keyGroups.length) : 0,
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
 */
export function updateSopsFile(opened: OpenedFile, document: Document, options: { now: Date; store?: StoreOptions }): Uint8Array {
  const lastmodified = sopsTimestamp(options.now);
  const encrypted = encryptDocument(document, { dataKey: opened.dataKey, rules: opened.metadata.rules, lastmodified, stash: opened.stash });
  const metadata: Metadata = { ...opened.metadata, lastmodified, mac: encrypted.mac, version: newerVersion(opened.metadata.version) };
  return storeFor(opened.format, options.store).emitEncrypted(encrypted.document, writeMetadata(metadata));
}

/**
 * Re-emits an opened file with its data re-encrypted under the same key and the SAME lastmodified: when
 * nothing changed this reproduces the file byte for byte (IVs reused, original metadata block kept).
 */
export function reproduceSopsFile(opened: OpenedFile, options: { store?: StoreOptions } = {}): Uint8Array {
  const encrypted = encryptDocument(opened.document, { dataKey: opened.dataKey, rules: opened.metadata.rules, lastmodified: opened.metadata.lastmodified, stash: opened.stash });
  const node = encrypted.mac === opened.metadata.mac ? opened.metadataNode : writeMetadata({ ...opened.metadata, mac: encrypted.mac });
  return storeFor(opened.format, options.store).emitEncrypted(encrypted.document, node);
}

/** sops raises the version on edit when the running one is newer (cmd/sops/edit.go). */
function newerVersion(current: string): string {
  const parse = (v: string): number[] => v.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const [a, b] = [parse(current), parse(SOPS_VERSION)];
  for (let i = 0; i < 3; i++) {
    if ((b[i] ?? 0) > (a[i] ?? 0)) return SOPS_VERSION;
    if ((b[i] ?? 0) < (a[i] ?? 0)) return current;
  }
  return current;
}

/** Options of {@link rekeySopsFile}. */
export interface RekeyOptions {
  readonly format: Format;
  readonly identities: readonly AgeIdentity[];
  readonly passphrase?: (request: PassphraseRequest) => Promise<string>;
  /** The new age recipients per key group. Opaque (pgp, kms…) keys of the file are kept in group 0. */
  readonly keyGroups: readonly (readonly AgeRecipient[])[];
  readonly shamirThreshold?: number;
  readonly store?: StoreOptions;
}

/**
 * sops updatekeys: wraps the SAME data key for a new recipient set. Values, MAC, `lastmodified` and
 * `version` are untouched, so a git diff shows only the `sops` block. Existing recipients that stay get a
 * fresh wrapping too (sops re-wraps every key).
 *
 * @throws SecretsError SOPS_DATA_KEY_UNAVAILABLE when the identities cannot open the file
 */
export async function rekeySopsFile(bytes: Uint8Array, options: RekeyOptions): Promise<Uint8Array> {
  const store = storeFor(options.format, options.store);
  const { document, metadata: node } = store.loadEncrypted(bytes);
  const metadata = readMetadata(node);
  const dataKey = await unwrapDataKey(metadata, options.identities, options.passphrase);
  try {
    const threshold = Math.min(options.shamirThreshold ?? metadata.shamirThreshold, options.keyGroups.length);
    const groups: MasterKey[][] = await wrapGroups(dataKey, options.keyGroups, threshold);
    // Keys we cannot wrap for (pgp, kms…) stay as they were, in the first group.
    const opaque = metadata.keyGroups.flat().filter((k) => k.type !== 'age');
    if (opaque.length > 0 && groups.length === 1) groups[0] = [...(groups[0] as MasterKey[]), ...opaque];
    const next: Metadata = { ...metadata, keyGroups: groups, shamirThreshold: options.keyGroups.length > 1 ? threshold || options.keyGroups.length : 0 };
    return store.emitEncrypted(document, writeMetadata(next));
  } finally {
    dataKey.fill(0);
  }
}

/**
 * sops rotate: a NEW data key for the same (or given) recipients; every value is re-encrypted, the MAC
 * and `lastmodified` renewed. Needed after removing a recipient: the old one may have kept the old key.
 */
export async function rotateSopsFile(opened: OpenedFile, options: { keyGroups?: readonly (readonly AgeRecipient[])[]; now: Date; store?: StoreOptions }): Promise<Uint8Array> {
  const current = opened.metadata.keyGroups.map((g) => g.filter((k): k is AgeKey => k.type === 'age').map((k) => parseRecipientText(k.recipient)));
  const keyGroups = options.keyGroups ?? current;
  const opaque = opened.metadata.keyGroups.flat().filter((k) => k.type !== 'age');
  if (opaque.length > 0) {
    throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', `rotating needs to wrap the new data key for every key, and ${opaque[0]?.type} keys cannot be used by secrets yet`, {
      hints: ['remove those keys from the file first (secrets rekey with a .sops.yaml rule without them)'],
    });
  }
  const dataKey = new Uint8Array(randomBytes(32));
  try {
    const groups = await wrapGroups(dataKey, keyGroups, opened.metadata.shamirThreshold);
    const lastmodified = sopsTimestamp(options.now);
    // A new key: no IV may be reused (the stash belongs to the old key).
    const encrypted = encryptDocument(opened.document, { dataKey, rules: opened.metadata.rules, lastmodified });
    const metadata: Metadata = { ...opened.metadata, keyGroups: groups, lastmodified, mac: encrypted.mac, version: newerVersion(opened.metadata.version) };
    return storeFor(opened.format, options.store).emitEncrypted(encrypted.document, writeMetadata(metadata));
  } finally {
    dataKey.fill(0);
  }
}
