/**
 * An unresolved merge conflict inside a sops file, and its conflict markers.
 *
 * The merge driver cannot leave plaintext conflict markers in the work tree, so a conflicted merge
 * writes a valid sops file: the merge with OUR side at every conflict, plus one extra metadata entry,
 * `merge_conflict`, an ENC value (AES-256-GCM under the file's data key, as every value) holding the
 * conflict paths and the plaintext of the same merge with THEIR side at every conflict. Its AAD binds it
 * to the file's `lastmodified`, so a record copied into another version of the file does not open.
 *
 * sops and sops-nix ignore metadata keys they do not know (Go's decoder skips them), so the file still
 * decrypts, to our side. `secrets edit` shows the two sides as git-style conflict markers, refuses to
 * save while a marker line is left, and drops the record when it writes the resolution.
 */
import { SecretsError } from '../errors.js';
import { fromBase64, fromUtf8, toBase64, utf8 } from '../bytes.js';
import type { Metadata } from './metadata.js';
import type { Entry } from './tree.js';
import { IV_LENGTH, openEncValue, sealEncValue } from './value-cipher.js';
import { parseEncValue } from './enc-value.js';
import { freshRandom } from '../random.js';

/** The metadata key of the conflict record. */
export const MERGE_CONFLICT_KEY = 'merge_conflict';

/** An unresolved merge conflict. */
export interface MergeConflict {
  /** Where both sides changed a value differently, in sops tree-path syntax (`["db"]["password"]`). */
  readonly paths: readonly string[];
  /** The plaintext file with their side at every conflict (the file's values hold ours). Secret. */
  readonly theirs: Uint8Array;
}

const aadFor = (lastmodified: string): string => `sops_merge_conflict:${lastmodified}`;

/**
 * The metadata entry recording a conflict.
 *
 * @param conflict - the conflict paths and their side's plaintext
 * @param dataKey - the file's data key
 * @param lastmodified - the file's new `lastmodified`
 * @returns the entry to add to the metadata's unknown entries
 */
export function sealMergeConflict(conflict: MergeConflict, dataKey: Uint8Array, lastmodified: string): Entry {
  const json = JSON.stringify({ v: 1, paths: conflict.paths, theirs: toBase64(conflict.theirs) });
  const iv = freshRandom(IV_LENGTH);
  return { kind: 'entry', key: MERGE_CONFLICT_KEY, value: { kind: 'string', value: sealEncValue(utf8(json), 'str', dataKey, aadFor(lastmodified), iv) } };
}

/**
 * Whether the metadata carries a conflict record.
 *
 * @param metadata - a file's metadata
 */
export function hasMergeConflict(metadata: Metadata): boolean {
  return metadata.unknown.some((e) => e.key === MERGE_CONFLICT_KEY);
}

/**
 * The metadata without its conflict record (what a resolved file is written with).
 *
 * @param metadata - a file's metadata
 */
export function withoutMergeConflict(metadata: Metadata): Metadata {
  if (!hasMergeConflict(metadata)) return metadata;
  // The block as read had the record: `source` would write it back, so it goes.
  const rest: Metadata = { ...metadata, unknown: metadata.unknown.filter((e) => e.key !== MERGE_CONFLICT_KEY) };
  delete (rest as { source?: unknown }).source;
  return rest;
}

/**
 * Opens a file's conflict record.
 *
 * @param metadata - the file's metadata
 * @param dataKey - its data key
 * @returns the conflict, or null when the file has none
 * @throws SecretsError SOPS_VALUE_INVALID when the record does not open (changed by hand, or copied
 *   from another version of the file)
 */
export function openMergeConflict(metadata: Metadata, dataKey: Uint8Array): MergeConflict | null {
  const entry = metadata.unknown.find((e) => e.key === MERGE_CONFLICT_KEY);
  if (entry === undefined) return null;
  const invalid = new SecretsError('SOPS_VALUE_INVALID', 'the file\'s merge_conflict record does not open: it was changed, or belongs to another version of the file', {
    hints: ['take one side with git checkout --ours/--theirs FILE, or redo the merge (git checkout -m FILE)'],
  });
  if (entry.value.kind !== 'string') throw invalid;
  let parsed: unknown;
  try {
    const plain = openEncValue(parseEncValue(entry.value.value), dataKey, aadFor(metadata.lastmodified));
    if (plain === null) throw invalid;
    parsed = JSON.parse(fromUtf8(plain));
  } catch {
    throw invalid;
  }
  const record = parsed as { v?: unknown; paths?: unknown; theirs?: unknown };
  const theirs = typeof record.theirs === 'string' ? fromBase64(record.theirs) : null;
  if (record.v !== 1 || !Array.isArray(record.paths) || !record.paths.every((p) => typeof p === 'string') || theirs === null) throw invalid;
  return { paths: record.paths, theirs };
}

/** Conflict marker lines, as git writes them (7 characters). */
export const CONFLICT_MARKERS = { ours: '<<<<<<< ours', separator: '=======', theirs: '>>>>>>> theirs' } as const;

/**
 * Whether a text still has a conflict marker line (`<<<<<<< `, `=======`, `>>>>>>> ` at a line start).
 *
 * @param bytes - the edited plaintext
 */
export function hasConflictMarkers(bytes: Uint8Array): boolean {
  return /^(<{7}( |$)|={7}\r?$|>{7}( |$))/m.test(Buffer.from(bytes).toString('latin1'));
}

/** Lines with their terminators, as byte-exact latin1 strings. */
function lines(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes).toString('latin1');
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** The most lines an exact alignment is computed for (an LCS table of this many cells); else one hunk. */
const MAX_TABLE_CELLS = 4_000_000;

/** Pairs of equal lines (indexes into a and b), in order: a longest common subsequence. */
function alignment(a: readonly string[], b: readonly string[]): [number, number][] {
  const [n, m] = [a.length, b.length];
  if (n * m > MAX_TABLE_CELLS) return [];
  const table = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => table[i * (m + 1) + j] as number;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) table[i * (m + 1) + j] = a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  }
  const pairs: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (a[i] === b[j]) pairs.push([i++, j++]);
    else if (at(i + 1, j) >= at(i, j + 1)) i++;
    else j++;
  }
  return pairs;
}

/**
 * The two sides as one text with git-style conflict markers around the lines that differ.
 *
 * @param ours - the plaintext with our side at every conflict
 * @param theirs - the plaintext with their side
 * @returns the text to put in front of the user (plaintext: tmpfs only)
 */
export function conflictMarkerText(ours: Uint8Array, theirs: Uint8Array): Uint8Array {
  const [a, b] = [lines(ours), lines(theirs)];
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const [midA, midB] = [a.slice(prefix, a.length - suffix), b.slice(prefix, b.length - suffix)];
  const out: string[] = a.slice(0, prefix);
  const withNewline = (l: string): string => (l.endsWith('\n') ? l : `${l}\n`);
  const hunk = (x: readonly string[], y: readonly string[]): void => {
    if (x.length === 0 && y.length === 0) return;
    out.push(`${CONFLICT_MARKERS.ours}\n`, ...x.map(withNewline), `${CONFLICT_MARKERS.separator}\n`, ...y.map(withNewline), `${CONFLICT_MARKERS.theirs}\n`);
  };
  let [i, j] = [0, 0];
  for (const [pi, pj] of alignment(midA, midB)) {
    hunk(midA.slice(i, pi), midB.slice(j, pj));
    out.push(midA[pi] as string);
    [i, j] = [pi + 1, pj + 1];
  }
  hunk(midA.slice(i), midB.slice(j));
  out.push(...a.slice(a.length - suffix));
  return new Uint8Array(Buffer.from(out.join(''), 'latin1'));
}
