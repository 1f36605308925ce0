/**
 * The data key: 32 random bytes that encrypt every value, wrapped once per master key (`sops.go`
 * `GenerateDataKeyWithKeyServices`, `UpdateMasterKeysWithKeyServices`, `GetDataKeyWithKeyServices`).
 *
 * - One key group: every key wraps the whole data key.
 * - Two or more: the key is split with Shamir (`shamir.ts`); every key of group i wraps share i, and any
 *   `shamir_threshold` groups recover it.
 * - Recovery tries, in each group, the keys in decryption order (sops' default `age,pgp`, then the rest
 *   in file order), those whose recipient names one of our identities first; the first that opens wins. On failure the error lists every group and key with the
 *   reason it did not open.
 *
 * The age layer is reached through {@link KeyWrapper}, so this module knows nothing about identities.
 * Only age keys can be used; other key types are reported as unsupported.
 */
import { SecretsError, isSecretsError } from '../errors.js';
import { keyName, type AgeKey, type KeyGroup, type KeyType, type MasterKey, type OpaqueKey } from './metadata.js';
import { SHARE_OVERHEAD, shamirCombine, shamirSplit } from './shamir.js';

/** Bytes of a data key (AES-256). */
export const DATA_KEY_LENGTH = 32;

/** Returns `length` cryptographically random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** The age layer as the data key code needs it. */
export interface KeyWrapper {
  /**
   * Encrypts a secret to one recipient.
   *
   * @param recipient - `age1…`, `ssh-ed25519 …`, …
   * @param secret - the data key or a Shamir share
   * @returns the armored age file (`-----BEGIN AGE ENCRYPTED FILE-----…`), as sops stores it in `enc`
   */
  wrap(recipient: string, secret: Uint8Array): Promise<string>;
  /**
   * Decrypts one key's `enc` with the identities at hand.
   *
   * @param enc - the armored age file
   * @param recipient - the key's recipient (for messages, and for key commands that want it)
   * @returns the secret, or null when no identity matches; throw a SecretsError to report a more
   *   precise reason (its message is shown for this key)
   */
  unwrap(enc: string, recipient: string): Promise<Uint8Array | null>;
  /** Extra lines for the failure report, e.g. which identities were tried and where they came from. */
  explainFailure?(): readonly string[];
  /**
   * Whether a key's recipient names one of the identities at hand: such keys are tried first in their
   * group (only an order: the label is not trusted, every other key is still tried after it).
   */
  likelyOpens?(recipient: string): boolean;
}

/** A key to wrap for: an age recipient, or an existing key of another type (which cannot be used). */
export type KeyRecipient = { readonly type: 'age'; readonly recipient: string } | OpaqueKey;

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
  /** The groups with every age key's `enc` set. */
  readonly keyGroups: readonly (readonly AgeKey[])[];
  /** The threshold to store: the given one, or the group count when 0 and Shamir is used. */
  readonly shamirThreshold: number;
}

/**
 * Wraps a data key for every key of every group.
 *
 * @param dataKey - the 32-byte data key
 * @param groups - the key groups (one unless Shamir is wanted)
 * @param options - `threshold` (0: all groups), the age `wrapper`, and `random` for the Shamir
 *   coefficients
 * @returns the keys with their `enc`, and the threshold to store
 * @throws SecretsError USAGE (no groups, an empty group, a threshold outside 2…groups, a key type other
 *   than age); the wrapper's error when a recipient cannot be encrypted to
 */
export async function wrapDataKey(
  dataKey: Uint8Array,
  groups: readonly (readonly KeyRecipient[])[],
  options: { readonly threshold: number; readonly wrapper: KeyWrapper; readonly random: RandomSource },
): Promise<WrappedDataKey> {
  if (groups.length === 0) throw new SecretsError('USAGE', 'no key groups to encrypt the data key to');
  if (groups.some((g) => g.length === 0)) throw new SecretsError('USAGE', 'empty key group: every key group needs at least one key');
  const unusable = groups.flat().filter((k): k is OpaqueKey => k.type !== 'age');
  if (unusable.length > 0) {
    throw new SecretsError('USAGE', `cannot encrypt the data key for ${unusable.map((k) => `${k.type} ${keyName(k)}`).join(', ')}: only age keys are supported`);
  }
  let threshold = options.threshold;
  let parts: Uint8Array[];
  if (groups.length === 1) parts = [dataKey];
  else {
    // sops: a threshold of 0 means all groups (UpdateMasterKeysWithKeyServices).
    if (threshold === 0) threshold = groups.length;
    parts = shamirSplit(dataKey, groups.length, threshold, options.random);
  }
  try {
    const keyGroups: AgeKey[][] = [];
    for (const [i, group] of groups.entries()) {
      const wrapped: AgeKey[] = [];
      // One age file per recipient, as sops does (age/keysource.go MasterKey.Encrypt).
      for (const key of group as readonly { type: 'age'; recipient: string }[]) {
        wrapped.push({ type: 'age', recipient: key.recipient, enc: await options.wrapper.wrap(key.recipient, parts[i] as Uint8Array) });
      }
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
 * Recovers the data key from the key groups with the identities behind `wrapper`.
 *
 * Groups are tried in order until enough are open (1, or `shamir_threshold` with Shamir; the group
 * count when the threshold is 0); within a group, keys in decryption order until one opens.
 *
 * @param metadata - the file's key groups and threshold
 * @param wrapper - the age layer
 * @param options - decryption order
 * @returns the 32-byte data key
 * @throws SecretsError SOPS_DATA_KEY_UNAVAILABLE with hints listing, per group, each key and why it did
 *   not open, and `details.groups` ({@link GroupAttempt}[])
 */
export async function recoverDataKey(
  metadata: { readonly keyGroups: readonly KeyGroup[]; readonly shamirThreshold: number },
  wrapper: KeyWrapper,
  options: RecoverOptions = {},
): Promise<Uint8Array> {
  const groups = metadata.keyGroups;
  const order = options.decryptionOrder ?? ['age', 'pgp'];
  const shamir = groups.length > 1;
  const needed = !shamir ? 1 : metadata.shamirThreshold > 0 ? metadata.shamirThreshold : groups.length;
  const expectedLength = shamir ? DATA_KEY_LENGTH + SHARE_OVERHEAD : DATA_KEY_LENGTH;
  const parts: Uint8Array[] = [];
  const report: GroupAttempt[] = [];

  for (const [index, group] of groups.entries()) {
    const sorted = ordered(group, order);
    // Keys whose recipient is one of ours first: the recipient is an unauthenticated label, so this only
    // changes the order (a wrong label costs one failed attempt), but it spares one X25519 per other key.
    const hinted = wrapper.likelyOpens ? sorted.filter((k) => k.type === 'age' && wrapper.likelyOpens?.(k.recipient)) : [];
    const attempts = new Map<MasterKey, KeyAttempt>();
    let part: Uint8Array | undefined;
    for (const key of hinted.length > 0 ? [...hinted, ...sorted.filter((k) => !hinted.includes(k))] : sorted) {
      const attempt = { type: key.type, name: keyName(key) };
      if (part !== undefined || parts.length >= needed) {
        attempts.set(key, { ...attempt, status: 'not tried', reason: '' });
        continue;
      }
      if (key.type !== 'age') {
        attempts.set(key, { ...attempt, status: 'failed', reason: `${key.type} keys cannot be used by secrets yet` });
        continue;
      }
      let reason: string;
      try {
        const secret = await wrapper.unwrap(key.enc, key.recipient);
        if (secret === null) reason = 'no identity matched';
        else if (secret.length !== expectedLength) reason = `it holds ${secret.length} bytes, not a ${shamir ? 'Shamir share' : 'data key'}`;
        else {
          part = secret;
          attempts.set(key, { ...attempt, status: 'opened', reason: '' });
          continue;
        }
      } catch (error) {
        // A limit ends the recovery: it is about the file, not this key.
        if (!isSecretsError(error) || error.code === 'LIMIT_EXCEEDED') throw error;
        reason = error.message;
      }
      attempts.set(key, { ...attempt, status: 'failed', reason });
    }
    const keys = sorted.map((k) => attempts.get(k) as KeyAttempt);
    report.push({ group: index + 1, status: part !== undefined ? 'opened' : keys.every((k) => k.status === 'not tried') ? 'not tried' : 'failed', keys });
    if (part !== undefined) parts.push(part);
  }

  if (parts.length < needed) {
    const lines = report.flatMap((g) => g.keys.filter((k) => k.status !== 'not tried').map((k) => `  group ${g.group}: ${k.type} ${k.name}: ${k.status === 'opened' ? 'opened' : k.reason}`));
    const message = shamir
      ? `could not decrypt the data key: ${parts.length} of the ${needed} key groups needed could be opened`
      : "could not decrypt the data key with any of the file's keys";
    for (const p of parts) p.fill(0);
    throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', message, {
      hints: ['keys in the file:', ...lines, ...(wrapper.explainFailure?.() ?? [])],
      details: { groups: report, needed, opened: parts.length },
    });
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
