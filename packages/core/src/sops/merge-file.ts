/**
 * Merging three versions of one sops file (the git merge driver): decrypt base, ours and theirs, merge
 * the plaintext trees ({@link mergeDocuments}) and the keys, re-encrypt.
 *
 * - Values: the merged tree is encrypted with the IVs of every side under the chosen data key (an
 *   {@link IvStash} union), so a value neither side changed keeps its exact ciphertext, and a value one
 *   side changed gets that side's ciphertext bytes whenever the data key is that side's. The MAC and
 *   `lastmodified` are new.
 * - Keys: a side whose recipients and data key equal the base's takes the other side's key groups (their
 *   `enc` blocks byte for byte) and data key. When both changed them (one key group only), the recipient
 *   sets merge as sets (base, plus what either added, minus what either removed); the data key is the one
 *   a side rotated to, and a new one when both rotated (each rotation revokes someone who could read the
 *   other's key in git history). A Shamir file whose groups both sides changed is refused.
 * - Selection rules and other metadata: taken from the side that changed them; changed differently on
 *   both sides, refused.
 * - A value both sides changed differently: the file gets our side there plus an encrypted conflict
 *   record (merge-conflict.ts), and the result lists the conflict paths.
 *
 * Everything happens in memory: no plaintext is written anywhere.
 */
import { SecretsError } from '../errors.js';
import { equalBytes } from '../bytes.js';
import { generateDataKey } from './data-key.js';
import { IvStash, encryptDocument } from './engine.js';
import { newerVersion, openSopsFile, sopsTimestamp, type OpenedFile } from './file.js';
import { keySourcesFor, type KeyAccess } from './key-registry.js';
import { keyTarget } from './key-source.js';
import { MERGE_CONFLICT_KEY, hasMergeConflict, sealMergeConflict } from './merge-conflict.js';
import { mergeDocuments, sameDocument } from './merge-tree.js';
import { keyName, type MasterKey, type Metadata } from './metadata.js';
import { writeMetadata } from './metadata-write.js';
import { storeFor, type Format } from './stores/store.js';
import { formatTreePath } from './tree-path.js';
import type { Document } from './tree.js';
import { freshRandom as random } from '../random.js';

/** The three versions git hands a merge driver. */
export interface MergeInput {
  /** The common ancestor; empty when the file was added on both sides. */
  readonly base: Uint8Array;
  readonly ours: Uint8Array;
  readonly theirs: Uint8Array;
}

/** Options of {@link mergeSopsFiles}. */
export interface MergeOptions extends KeyAccess {
  readonly format: Format;
  /** The merge's time (the new `lastmodified`). */
  readonly now: Date;
}

/** The result of {@link mergeSopsFiles}. */
export interface MergeResult {
  /** The merged file (our side at each conflict, plus the conflict record). */
  readonly bytes: Uint8Array;
  /** Conflict paths (`["db"]["password"]`); empty for a clean merge. */
  readonly conflicts: readonly string[];
}

const keyId = (k: MasterKey): string => `${k.type}:${keyName(k)}`;
const groupsId = (m: Metadata): string => JSON.stringify([m.shamirThreshold, m.keyGroups.map((g) => g.map(keyId))]);

/** The key material of the merged file. */
interface Keys {
  readonly dataKey: Uint8Array;
  readonly keyGroups: Metadata['keyGroups'];
  readonly shamirThreshold: number;
  /** The side it was taken from whole, if any. */
  readonly from: OpenedFile | null;
}

const sameKeys = (a: OpenedFile, b: OpenedFile): boolean => groupsId(a.metadata) === groupsId(b.metadata) && equalBytes(a.dataKey, b.dataKey);
const whole = (side: OpenedFile): Keys => ({ dataKey: side.dataKey, keyGroups: side.metadata.keyGroups, shamirThreshold: side.metadata.shamirThreshold, from: side });

const refuse = (message: string, hint: string): SecretsError => new SecretsError('SOPS_MERGE_CONFLICT', message, { hints: [hint, 'keep one side with git checkout --ours FILE (or --theirs), then redo the other side\'s change'] });

/** Set-merges one-group recipient lists and picks the data key (both sides changed their keys). */
async function mergedKeys(base: OpenedFile | null, ours: OpenedFile, theirs: OpenedFile, options: MergeOptions): Promise<Keys> {
  if ([base, ours, theirs].some((s) => s !== null && s.metadata.keyGroups.length !== 1)) {
    throw refuse('both sides changed the key groups of a file split with Shamir (several key groups)', 'Shamir key groups are not merged automatically');
  }
  const list = (s: OpenedFile | null): readonly MasterKey[] => s?.metadata.keyGroups[0] ?? [];
  const ids = (s: OpenedFile | null): Set<string> => new Set(list(s).map(keyId));
  const [b, o, t] = [ids(base), ids(ours), ids(theirs)];
  const keep = (id: string): boolean => (o.has(id) || !b.has(id)) && (t.has(id) || !b.has(id)) && (o.has(id) || t.has(id));
  const order = [...new Set([...list(ours), ...list(theirs)].map(keyId))].filter(keep);
  const baseKey = base?.dataKey;
  const rotated = (s: OpenedFile): boolean => baseKey === undefined || !equalBytes(s.dataKey, baseKey);
  let dataKey: Uint8Array;
  if (!rotated(ours)) dataKey = theirs.dataKey;
  else if (!rotated(theirs) || equalBytes(ours.dataKey, theirs.dataKey)) dataKey = ours.dataKey;
  else dataKey = generateDataKey(random);
  const holders = [ours, theirs, ...(base ? [base] : [])].filter((s) => equalBytes(s.dataKey, dataKey));
  const group: MasterKey[] = [];
  const sources = keySourcesFor(options);
  for (const id of order) {
    const existing = holders.flatMap(list).find((k) => keyId(k) === id);
    if (existing) {
      group.push(existing);
      continue;
    }
    const key = [...list(ours), ...list(theirs)].find((k) => keyId(k) === id) as MasterKey;
    const source = sources[key.type];
    if (source === undefined) throw refuse(`the merged data key would have to be wrapped for ${key.type} key ${keyName(key)}, which secrets cannot use`, 'merge this file with sops, or remove that key first');
    group.push(await source.wrap(keyTarget(key), dataKey, { now: options.now }));
  }
  if (group.length === 0) throw refuse('the merged file would have no recipients', 'keep at least one recipient on one side');
  return { dataKey, keyGroups: [group], shamirThreshold: 0, from: null };
}

/** JSON of metadata parts (tree values may hold bigints and bytes). */
const json = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));

/** Selection rules and unknown metadata entries: what else a side may have changed. */
function otherMetadata(m: Metadata): string {
  return json([m.rules, m.unknown.filter((e) => e.key !== MERGE_CONFLICT_KEY)]);
}

/** Compares dotted version numbers (`3.13.3`). */
function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('.').map((p) => Number.parseInt(p, 10) || 0)) as [number[], number[]];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

function mergedOther(base: OpenedFile | null, ours: OpenedFile, theirs: OpenedFile): Metadata {
  const [o, t] = [otherMetadata(ours.metadata), otherMetadata(theirs.metadata)];
  if (o === t || (base && otherMetadata(base.metadata) === t)) return ours.metadata;
  if (base && otherMetadata(base.metadata) === o) return theirs.metadata;
  throw refuse('both sides changed the file\'s encryption rules (encrypted_regex and the like) or other metadata differently', 'agree on one set of rules first');
}

async function open(bytes: Uint8Array, options: MergeOptions, side: string): Promise<OpenedFile> {
  const opened = await openSopsFile(bytes, options);
  if (hasMergeConflict(opened.metadata)) throw refuse(`${side} version still has an unresolved merge conflict`, 'resolve it first with secrets edit FILE, commit, then merge again');
  return opened;
}

/**
 * Three-way merges one sops file.
 *
 * @param input - base, ours and theirs, encrypted (base empty when both sides added the file)
 * @param options - format, identities that open all three, passphrase callback, the time
 * @returns the merged file and the conflict paths (none for a clean merge)
 * @throws SecretsError SOPS_DATA_KEY_UNAVAILABLE (no key opens a version) and the other errors of
 *   {@link openSopsFile}; SOPS_MERGE_CONFLICT when the metadata cannot be merged (rules or Shamir groups
 *   changed differently on both sides, a side with an unresolved conflict)
 */
export async function mergeSopsFiles(input: MergeInput, options: MergeOptions): Promise<MergeResult> {
  const base = input.base.length === 0 ? null : await open(input.base, options, 'the common ancestor\'s');
  const ours = await open(input.ours, options, 'our');
  const theirs = await open(input.theirs, options, 'their');
  const empty: Document = { branches: [] };
  const tree = mergeDocuments(base?.document ?? empty, ours.document, theirs.document);
  const keys = base && sameKeys(ours, base) ? whole(theirs) : (base && sameKeys(theirs, base)) || sameKeys(ours, theirs) ? whole(ours) : await mergedKeys(base, ours, theirs, options);
  const other = mergedOther(base, ours, theirs);
  const conflicts = tree.conflicts.map((p) => (p.length === 0 ? '(the whole file)' : formatTreePath(p)));
  // One side's file whole, when the merge is exactly it: no new ciphertext, no new lastmodified.
  for (const side of [ours, theirs]) {
    const sameMetadata = otherMetadata(side.metadata) === otherMetadata(other) && equalBytes(side.dataKey, keys.dataKey) && json(side.metadata.keyGroups) === json(keys.keyGroups);
    if (conflicts.length === 0 && sameMetadata && side.metadata.shamirThreshold === keys.shamirThreshold && sameDocument(tree.ours, side.document)) {
      return { bytes: side === ours ? input.ours : input.theirs, conflicts };
    }
  }
  const lastmodified = sopsTimestamp(options.now);
  const ivStash = IvStash.union([ours, theirs, ...(base ? [base] : [])].filter((s) => equalBytes(s.dataKey, keys.dataKey)).map((s) => s.stash));
  const encrypted = encryptDocument(tree.ours, { dataKey: keys.dataKey, rules: other.rules, lastmodified, ivStash, random });
  const unknown = other.unknown.filter((e) => e.key !== MERGE_CONFLICT_KEY);
  if (conflicts.length > 0) {
    const theirsText = storeFor(options.format).emitPlain(tree.theirs);
    unknown.push(sealMergeConflict({ paths: conflicts, theirs: theirsText }, keys.dataKey, lastmodified));
  }
  const version = [ours, theirs].map((s) => newerVersion(s.metadata.version)).reduce((a, b) => (compareVersions(b, a) > 0 ? b : a));
  const metadata: Metadata = {
    keyGroups: keys.keyGroups,
    shamirThreshold: keys.shamirThreshold,
    lastmodified,
    mac: encrypted.mac,
    version,
    rules: other.rules,
    unknown,
  };
  return { bytes: storeFor(options.format).emitEncrypted(encrypted.document, writeMetadata(metadata)), conflicts };
}
