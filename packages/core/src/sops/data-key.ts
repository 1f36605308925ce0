/**
 * The data key: 32 random bytes that encrypt every value, wrapped once per master key (`sops.go`
 * `GenerateDataKeyWithKeyServices`, `UpdateMasterKeysWithKeyServices`, `GetDataKeyWithKeyServices`).
 *
 * - One key group: every key wraps the whole data key.
 * - Two or more: the key is split with Shamir (`shamir.ts`); every key of group i wraps share i, and any
 *   `shamir_threshold` groups recover it.
 * - Recovery tries, in each group, the keys in decryption order (sops' default `age,pgp`, then the rest
 *   in file order), those its source says are likely ours first; the first that opens wins. On failure
 *   the error lists every group and key with the reason it did not open.
 *
 * Every kind of key is reached through its {@link KeySource} in a {@link KeySources} registry (age,
 * PGP…), so this module knows no kind, identity or program; a kind without a source is reported, and
 * refused when wrapping.
 */
import { SecretsError, isSecretsError } from '../errors.js';
import { keyName, type KeyGroup, type KeyType, type MasterKey } from './metadata.js';
import { targetName, type KeySource, type KeySources, type KeyTarget } from './key-source.js';
import { SHARE_OVERHEAD, shamirCombine, shamirSplit } from './shamir.js';

/** Bytes of a data key (AES-256). */
export const DATA_KEY_LENGTH = 32;

/** Returns `length` cryptographically random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/**
 * Generates a data key.
 *
 * @param random - the randomness source
 * @returns 32 random bytes
 * @throws RangeError when the source returns the wrong number of bytes
 */
export function generateDataKey(random: RandomSource): Uint8Array {
  const key = random(DATA_KEY_LENGTH);
  if (key.length !== DATA_KEY_LENGTH) throw new RangeError(`random source returned ${key.length} bytes, expected ${DATA_KEY_LENGTH}`);
  return key;
}

/** The result of {@link wrapDataKey}. */
export interface WrappedDataKey {
  /** The groups, every key with its wrapped data key or share. */
  readonly keyGroups: readonly (readonly MasterKey[])[];
  /** The threshold to store: the given one, or the group count when 0 and Shamir is used. */
  readonly shamirThreshold: number;
}

/**
 * Wraps a data key for every key of every group.
 *
 * @param dataKey - the 32-byte data key
 * @param groups - the key groups (one unless Shamir is wanted)
 * @param options - `threshold` (0: all groups), the key `sources` by kind, `random` for the Shamir
 *   coefficients, `now` for kinds that record the wrapping time
 * @returns the keys with their `enc`, and the threshold to store
 * @throws SecretsError USAGE (no groups, an empty group, a threshold outside 2…groups, a kind without a
 *   source); the source's error when a key cannot be wrapped for
 */
export async function wrapDataKey(
  dataKey: Uint8Array,
  groups: readonly (readonly KeyTarget[])[],
  options: { readonly threshold: number; readonly sources: KeySources; readonly random: RandomSource; readonly now?: Date },
): Promise<WrappedDataKey> {
  if (groups.length === 0) throw new SecretsError('USAGE', 'no key groups to encrypt the data key to');
  if (groups.some((g) => g.length === 0)) throw new SecretsError('USAGE', 'empty key group: every key group needs at least one key');
  const unusable = groups.flat().filter((k) => options.sources[k.type] === undefined);
  if (unusable.length > 0) {
    throw new SecretsError('USAGE', `cannot encrypt the data key for ${unusable.map((k) => `${k.type} ${targetName(k)}`).join(', ')}: secrets cannot use ${unusable[0]?.type} keys`);
  }
  const context = { now: options.now ?? new Date() };
  let threshold = options.threshold;
  let parts: Uint8Array[];
  if (groups.length === 1) parts = [dataKey];
  else {
    // sops: a threshold of 0 means all groups (UpdateMasterKeysWithKeyServices).
    if (threshold === 0) threshold = groups.length;
    parts = shamirSplit(dataKey, groups.length, threshold, options.random);
  }
  try {
    const keyGroups: MasterKey[][] = [];
    for (const [i, group] of groups.entries()) {
      const wrapped: MasterKey[] = [];
      // Every key wraps its group's part on its own (sops: one MasterKey.Encrypt per key).
      for (const key of group) wrapped.push(await (options.sources[key.type] as KeySource).wrap(key, parts[i] as Uint8Array, context));
      keyGroups.push(wrapped);
    }
    return { keyGroups, shamirThreshold: threshold };
  } finally {
    // Shares are as secret as the key itself.
    if (groups.length > 1) for (const p of parts) p.fill(0);
  }
}

/** How one key fared during recovery. */
export interface KeyAttempt {
  readonly type: KeyType;
  /** The recipient, fingerprint, ARN… */
  readonly name: string;
  readonly status: 'opened' | 'failed' | 'not tried';
  /** Why it failed ('' when opened or not tried). */
  readonly reason: string;
}

/** How one group fared during recovery. */
export interface GroupAttempt {
  /** 1-based, as in messages. */
  readonly group: number;
  readonly status: 'opened' | 'failed' | 'not tried';
  readonly keys: readonly KeyAttempt[];
}

/** Options of {@link recoverDataKey}. */
export interface RecoverOptions {
  /** Key types in the order to try them within a group (sops `--decryption-order`); default age, pgp. */
  readonly decryptionOrder?: readonly KeyType[];
}

/** Recovery's failure report, thrown once every group was tried. */
function unavailable(report: readonly GroupAttempt[], shamir: boolean, opened: number, needed: number, sources: KeySources, firstErrors: readonly SecretsError[]): SecretsError {
  const attempted = report.flatMap((g) => g.keys.filter((k) => k.status !== 'not tried'));
  // Nothing but "no age identities" (no other kind was there to try): that error, with its hints.
  const only = firstErrors[0];
  if (only !== undefined && only.code === 'AGE_NO_IDENTITIES' && attempted.every((k) => k.reason === only.message)) return only;
  const lines = report.flatMap((g) => g.keys.filter((k) => k.status !== 'not tried').map((k) => `  group ${g.group}: ${k.type} ${k.name}: ${k.status === 'opened' ? 'opened' : k.reason}`));
  const message = shamir ? `could not decrypt the data key: ${opened} of the ${needed} key groups needed could be opened` : "could not decrypt the data key with any of the file's keys";
  const explained = Object.values(sources).flatMap((s) => s.explainFailure?.() ?? []);
  const kinds = [...new Set(attempted.map((k) => k.type))];
  return new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', message, {
    hints: ['keys in the file:', ...lines, ...explained, ...firstErrors.filter((e) => kinds.length > 1 && e.code === 'AGE_NO_IDENTITIES').flatMap((e) => e.hints)],
    details: { groups: report, needed, opened },
  });
}

/** sops.go sortKeyGroupIndices: stable sort by position in the order list, unlisted types last. */
function ordered(group: KeyGroup, order: readonly KeyType[]): MasterKey[] {
  const rank = (k: MasterKey): number => {
    const i = order.indexOf(k.type);
    return i < 0 ? order.length : i;
  };
  return group
    .map((key, index) => ({ key, index }))
    .sort((a, b) => rank(a.key) - rank(b.key) || a.index - b.index)
    .map((x) => x.key);
}

/**
 * Recovers the data key from the key groups, each key through the source of its kind.
 *
 * Groups are tried in order until enough are open (1, or `shamir_threshold` with Shamir; the group
 * count when the threshold is 0); within a group, keys in decryption order until one opens.
 *
 * @param metadata - the file's key groups and threshold
 * @param sources - the key sources by kind (a kind without one is reported, not tried)
 * @param options - decryption order
 * @returns the 32-byte data key
 * @throws SecretsError SOPS_DATA_KEY_UNAVAILABLE with hints listing, per group, each key and why it did
 *   not open, and `details.groups` ({@link GroupAttempt}[])
 */
export async function recoverDataKey(
  metadata: { readonly keyGroups: readonly KeyGroup[]; readonly shamirThreshold: number },
  sources: KeySources,
  options: RecoverOptions = {},
): Promise<Uint8Array> {
  const groups = metadata.keyGroups;
  const order = options.decryptionOrder ?? ['age', 'pgp'];
  const shamir = groups.length > 1;
  const needed = !shamir ? 1 : metadata.shamirThreshold > 0 ? metadata.shamirThreshold : groups.length;
  const expectedLength = shamir ? DATA_KEY_LENGTH + SHARE_OVERHEAD : DATA_KEY_LENGTH;
  const parts: Uint8Array[] = [];
  const report: GroupAttempt[] = [];
  const firstErrors: SecretsError[] = [];

  for (const [index, group] of groups.entries()) {
    const sorted = ordered(group, order);
    // Keys likely ours first: labels are unauthenticated, so this only changes the order (a wrong label
    // costs one failed attempt), but it spares one X25519 per other age key.
    const hinted: MasterKey[] = [];
    for (const k of sorted) if ((await sources[k.type]?.likelyOpens?.(k)) === true) hinted.push(k);
    const attempts = new Map<MasterKey, KeyAttempt>();
    let part: Uint8Array | undefined;
    for (const key of hinted.length > 0 ? [...hinted, ...sorted.filter((k) => !hinted.includes(k))] : sorted) {
      const source = sources[key.type];
      const attempt = { type: key.type, name: source?.describe(key) ?? keyName(key) };
      if (part !== undefined || parts.length >= needed) {
        attempts.set(key, { ...attempt, status: 'not tried', reason: '' });
        continue;
      }
      if (source === undefined) {
        attempts.set(key, { ...attempt, status: 'failed', reason: `${key.type} keys cannot be used here (no key source for them)` });
        continue;
      }
      let reason: string;
      try {
        const secret = await source.unwrap(key);
        if (secret === null) reason = 'no identity matched';
        else if (secret.length !== expectedLength) {
          secret.fill(0);
          reason = `it holds ${secret.length} bytes, not a ${shamir ? 'Shamir share' : 'data key'}`;
        } else {
          part = secret;
          attempts.set(key, { ...attempt, status: 'opened', reason: '' });
          continue;
        }
      } catch (error) {
        // A limit ends the recovery: it is about the file, not this key.
        if (!isSecretsError(error) || error.code === 'LIMIT_EXCEEDED') throw error;
        if (!firstErrors.some((e) => e.code === error.code)) firstErrors.push(error);
        reason = error.message;
      }
      attempts.set(key, { ...attempt, status: 'failed', reason });
    }
    const keys = sorted.map((k) => attempts.get(k) as KeyAttempt);
    report.push({ group: index + 1, status: part !== undefined ? 'opened' : keys.every((k) => k.status === 'not tried') ? 'not tried' : 'failed', keys });
    if (part !== undefined) parts.push(part);
  }

  if (parts.length < needed) {
    const error = unavailable(report, shamir, parts.length, needed, sources, firstErrors);
    for (const p of parts) p.fill(0);
    throw error;
  }
  if (!shamir) return parts[0] as Uint8Array;
  try {
    const key = shamirCombine(parts);
    if (key.length !== DATA_KEY_LENGTH) throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', 'the recombined data key is malformed');
    return key;
  } finally {
    for (const p of parts) p.fill(0);
  }
}
