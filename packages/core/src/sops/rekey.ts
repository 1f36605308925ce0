/**
 * Rekey (sops updatekeys): the SAME data key wrapped for a new recipient set; values, MAC,
 * `lastmodified` and `version` untouched.
 *
 * What it does not redo, because the data key does not change:
 * - a recipient that stays keeps its `enc` byte for byte (with one key group, every key wraps the whole
 *   data key, so its wrapping is still valid); only new recipients are wrapped. With several groups
 *   (Shamir) the key is split again and every key wrapped, as sops does.
 * - the file is parsed once ({@link loadSopsFile}; planning can keep the result for the apply step);
 * - the data is not emitted again: the new `sops` block replaces the old one at the end of the file
 *   ({@link spliceMetadata}), which gives the bytes a full emit gives for any file the store wrote
 *   (property test); a file whose block's place is not known is emitted in full.
 */
import { SecretsError } from '../errors.js';
import { concatBytes } from '../bytes.js';
import { wrapDataKey } from './data-key.js';
import { decryptDocument } from './engine.js';
import { unwrapDataKey, type OpenedFile, type OpenOptions } from './file.js';
import { keyString } from './key-source.js';
import { asKeyTarget, keySourcesFor, type KeyAccess, type RecipientOrTarget } from './key-registry.js';
import { readMetadata } from './metadata-read.js';
import { writeMetadata, writeMetadataCurrentLayout } from './metadata-write.js';
import { type MasterKey, type Metadata } from './metadata.js';
import { storeFor, type Format, type Store, type StoreOptions } from './stores/store.js';
import type { Document, MapNode } from './tree.js';
import { freshRandom as random } from '../random.js';

/** An encrypted sops file, parsed once: what planning reads and the apply step reuses. */
export interface LoadedSopsFile {
  readonly format: Format;
  /** The file as read. */
  readonly bytes: Uint8Array;
  /** The data, still encrypted. */
  readonly document: Document;
  /** The `sops` block as the store gave it. */
  readonly metadataNode: MapNode;
  readonly metadata: Metadata;
  /** Where the block starts when the store knows it and nothing else follows it (see {@link Store.loadEncrypted}). */
  readonly metadataOffset?: number;
}

/**
 * Parses an encrypted sops file without decrypting anything.
 *
 * @param bytes - the file
 * @param format - its format
 * @param store - store options (indentation, limits)
 * @returns the data, the metadata block and its model
 * @throws SecretsError SOPS_METADATA_NOT_FOUND, SOPS_FORMAT_INVALID, SOPS_METADATA_INVALID, LIMIT_EXCEEDED
 */
export function loadSopsFile(bytes: Uint8Array, format: Format, store?: StoreOptions): LoadedSopsFile {
  const { document, metadata: metadataNode, metadataOffset } = storeFor(format, store).loadEncrypted(bytes);
  return { format, bytes, document, metadataNode, metadata: readMetadata(metadataNode), ...(metadataOffset === undefined ? {} : { metadataOffset }) };
}

/**
 * {@link openSopsFile} for a file already parsed: recovers the data key and decrypts the values (MAC
 * verified), without reading the bytes again (`rekey --rotate` plans, then opens every file).
 *
 * @param loaded - from {@link loadSopsFile}
 * @param options - identities, passphrase callback, gpg or key sources (format and store options are the
 *   loaded file's)
 * @returns the opened file
 * @throws SecretsError as {@link openSopsFile}
 */
export async function openLoadedSopsFile(loaded: LoadedSopsFile, options: KeyAccess & Pick<OpenOptions, 'ignoreMac'>): Promise<OpenedFile> {
  const { metadata, metadataNode } = loaded;
  const dataKey = await unwrapDataKey(metadata, options);
  try {
    const decrypted = decryptDocument(loaded.document, { dataKey, metadata, ...(options.ignoreMac ? { ignoreMac: true } : {}) });
    return { format: loaded.format, document: decrypted.document, metadata, metadataNode, dataKey, stash: decrypted.ivStash, warnings: decrypted.warnings };
  } catch (error) {
    dataKey.fill(0);
    throw error;
  }
}

/** Options of {@link rekeySopsFile}: the identities, gpg or key sources to open the file and wrap for. */
export interface RekeyOptions extends KeyAccess {
  /** The file's format (a {@link LoadedSopsFile} brings its own). */
  readonly format: Format;
  /**
   * The new keys per key group (parsed age recipients or key targets). Keys of the file of a kind no
   * source can wrap for (KMS, Vault…) are kept in group 0.
   */
  readonly keyGroups: readonly (readonly RecipientOrTarget[])[];
  readonly shamirThreshold?: number;
  readonly store?: StoreOptions;
  /** The wrapping time, for kinds that record it (PGP `created_at`); default now. */
  readonly now?: Date;
}


/** The metadata with the new key groups: kept wrappings where still valid, new ones for the rest. */
async function rekeyedMetadata(metadata: Metadata, dataKey: Uint8Array, options: RekeyOptions): Promise<Metadata> {
  const wanted = options.keyGroups;
  if (wanted.length === 0 || wanted.some((g) => g.length === 0)) throw new SecretsError('USAGE', 'no recipients to encrypt the data key to');
  const sources = keySourcesFor(options, wanted.flat());
  const targets = wanted.map((g) => g.map(asKeyTarget));
  const now = options.now ?? new Date();
  let groups: MasterKey[][];
  let shamirThreshold: number;
  if (wanted.length === 1 && metadata.keyGroups.length === 1) {
    // One group: every key wraps the whole (same) data key, so a key that stays keeps its wrapping.
    const kept = new Map((metadata.keyGroups[0] as readonly MasterKey[]).map((k) => [keyString(k), k]));
    const fresh = (targets[0] as typeof targets[number]).filter((t) => !kept.has(keyString(t)));
    const wrapped = fresh.length > 0 ? (await wrapDataKey(dataKey, [fresh], { threshold: 0, sources, random, now })).keyGroups[0] ?? [] : [];
    groups = [(targets[0] as typeof targets[number]).map((t) => kept.get(keyString(t)) ?? (wrapped[fresh.indexOf(t)] as MasterKey))];
    shamirThreshold = 0;
  } else {
    // sops updatekeys: the file's threshold, capped at the number of groups.
    const threshold = Math.min(options.shamirThreshold ?? metadata.shamirThreshold, wanted.length);
    const wrapped = await wrapDataKey(dataKey, targets, { threshold, sources, random, now });
    groups = wrapped.keyGroups.map((g) => [...g]);
    shamirThreshold = groups.length > 1 ? wrapped.shamirThreshold : 0;
  }
  // Keys of kinds no source can wrap for (kms, Vault…) still hold the same data key: keep them, in the
  // only group.
  const opaque = metadata.keyGroups.flat().filter((k) => sources[k.type] === undefined && !groups.some((g) => g.some((w) => keyString(w) === keyString(k))));
  if (opaque.length > 0 && groups.length === 1) groups[0] = [...(groups[0] as MasterKey[]), ...opaque];
  return { ...metadata, keyGroups: groups, shamirThreshold };
}

/**
 * sops updatekeys: wraps the SAME data key for a new recipient set. Values, MAC, `lastmodified` and
 * `version` are untouched, so a git diff shows only the `sops` block; recipients that stay keep their
 * `enc` byte for byte (one key group), so the diff shows only the recipients added and removed.
 *
 * @param file - the encrypted file, or the same already parsed by {@link loadSopsFile}
 * @param options - format, identities to open it, the new key groups and threshold
 * @returns the file with the new `sops` block
 * @throws SecretsError SOPS_DATA_KEY_UNAVAILABLE when the identities cannot open the file; USAGE for
 *   empty groups or a bad threshold
 */
export async function rekeySopsFile(file: Uint8Array | LoadedSopsFile, options: RekeyOptions): Promise<Uint8Array> {
  const loaded = file instanceof Uint8Array ? loadSopsFile(file, options.format, options.store) : file;
  // The data key is recovered even when only recipients are removed: as sops, only someone who can open
  // the file rekeys it.
  const dataKey = await unwrapDataKey(loaded.metadata, options);
  try {
    const next = await rekeyedMetadata(loaded.metadata, dataKey, options);
    // Unchanged keys: the block as read may come back verbatim (writeMetadata compares); else it is new.
    const node = sameKeys(loaded.metadata, next) ? writeMetadata(next) : writeMetadataCurrentLayout(next);
    const store = storeFor(loaded.format, options.store);
    return spliceMetadata(loaded, node, store) ?? store.emitEncrypted(loaded.document, node);
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Whether the new metadata holds the very same key objects, per group and key type in the same order
 * (what the block's layout depends on). Kept keys are the objects read; a new wrapping is a new object
 * with a new `enc`, so anything else is a change.
 */
function sameKeys(before: Metadata, after: Metadata): boolean {
  if (before.shamirThreshold !== after.shamirThreshold || before.keyGroups.length !== after.keyGroups.length) return false;
  const byType = (group: readonly MasterKey[]): Map<string, MasterKey[]> => {
    const out = new Map<string, MasterKey[]>();
    for (const k of group) out.set(k.type, [...(out.get(k.type) ?? []), k]);
    return out;
  };
  return before.keyGroups.every((group, g) => {
    const [a, b] = [byType(group), byType(after.keyGroups[g] as readonly MasterKey[])];
    return a.size === b.size && [...a].every(([type, keys]) => keys.length === b.get(type)?.length && keys.every((k, i) => k === b.get(type)?.[i]));
  });
}

const EMPTY: Document = { branches: [{ kind: 'map', items: [] }] };
const LF = 0x0a;

function endsWith(bytes: Uint8Array, tail: Uint8Array): boolean {
  if (tail.length > bytes.length) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset + bytes.length - tail.length, tail.length).equals(tail);
}

/**
 * The file with its `sops` block replaced, without emitting the data again. Where the block starts is
 * known when the store says so (YAML read by the fast reader: `metadataOffset`, the block being the last
 * thing in the file), else when the file ends with exactly the block the store writes for the old
 * metadata, placed as the store places it (YAML, dotenv, INI: the last lines, from a line start; JSON
 * and binary: the last member, after `,` and a newline). That block is cut off and the new one
 * appended. The store's emission of a top-level key does not depend on its siblings, so for a file the
 * store wrote the result is what {@link Store.emitEncrypted} writes (data written otherwise is kept as
 * it is: only the block changes).
 *
 * @param loaded - the file as read
 * @param node - the new metadata block
 * @param store - the file's store (same options as it was read with)
 * @returns the new file, or null when the block's place is not known (then emit in full); always null
 *   for multi-document YAML, whose every document carries a block
 * @internal
 */
export function spliceMetadata(loaded: LoadedSopsFile, node: MapNode, store: Store): Uint8Array | null {
  if (loaded.document.branches.length !== 1) return null;
  const bytes = loaded.bytes;
  const offset = loaded.metadataOffset;
  if (offset !== undefined && loaded.format === 'yaml' && (offset === 0 || bytes[offset - 1] === LF)) {
    // The store found the block's start and that nothing follows it: no need to emit the old block to
    // find it (YAML: the `sops:` line begins the block, which ends the file).
    let after: Uint8Array;
    try {
      after = store.emitEncrypted(EMPTY, node);
    } catch {
      return null;
    }
    return concatBytes(bytes.subarray(0, offset), after);
  }
  let before: Uint8Array;
  let after: Uint8Array;
  try {
    before = store.emitEncrypted(EMPTY, loaded.metadataNode);
    after = store.emitEncrypted(EMPTY, node);
  } catch {
    return null;
  }
  const json = loaded.format === 'json' || loaded.format === 'binary';
  // JSON: the object's opening line ("{" LF) is not part of the block.
  const open = json ? before.indexOf(LF) + 1 : 0;
  if (json && (open !== 2 || after.indexOf(LF) + 1 !== 2)) return null;
  const oldTail = before.subarray(open);
  if (!endsWith(bytes, oldTail)) return null;
  const cut = bytes.length - oldTail.length;
  const at = (i: number): number | undefined => bytes[i];
  const placed = json ? cut === open ? endsWith(bytes.subarray(0, cut), before.subarray(0, open)) : at(cut - 2) === 0x2c && at(cut - 1) === LF : cut === 0 || at(cut - 1) === LF;
  return placed ? concatBytes(bytes.subarray(0, cut), after.subarray(open)) : null;
}
