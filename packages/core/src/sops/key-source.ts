/**
 * The key-source seam: every kind of master key (age recipient, PGP fingerprint, and the kinds this
 * library keeps but cannot use) is reached through a {@link KeySource} that describes, wraps and unwraps
 * a data key (or a Shamir share) for it. The data-key code (`data-key.ts`) dispatches through a
 * {@link KeySources} registry and knows no kind; a deploy tool can pass its own sources (a gpg on another
 * machine, an HSM) without touching the format code.
 */
import { keyName, type KeyType, type MasterKey, type OpaqueKey } from './metadata.js';

/**
 * A key to wrap a data key for: a master key without its wrapped data key. Age plugin recipients
 * (`age1yubikey1…`) are age keys, as sops stores them.
 */
export type KeyTarget =
  | { readonly type: 'age'; readonly recipient: string }
  | { readonly type: 'pgp'; readonly fingerprint: string }
  /** A key of a kind no source here can wrap for (KMS, Vault…), kept as read. */
  | OpaqueKey;

/** What a wrap may need besides the secret. */
export interface WrapContext {
  /** The time, for kinds that record when they were wrapped (PGP `created_at`). */
  readonly now: Date;
}

/** One kind of master key, as the data-key code uses it. */
export interface KeySource {
  /**
   * The key's name in messages (the age recipient, the PGP fingerprint).
   *
   * @param key - a key of this source's kind
   */
  describe(key: MasterKey | KeyTarget): string;
  /**
   * Wraps a secret for one key.
   *
   * @param target - a key of this source's kind
   * @param secret - the data key or a Shamir share
   * @returns the master key with its wrapped secret, as it goes into the metadata
   * @throws SecretsError KEY_WRAP_FAILED (or the kind's own code) when it cannot be wrapped
   */
  wrap(target: KeyTarget, secret: Uint8Array, context: WrapContext): Promise<MasterKey>;
  /**
   * Unwraps one key's secret.
   *
   * @param key - a key of this source's kind
   * @returns the secret, or null when nothing at hand opens it; throw a SecretsError to report a
   *   more precise reason (its message is shown for this key)
   */
  unwrap(key: MasterKey): Promise<Uint8Array | null>;
  /**
   * Whether a key likely opens with what is at hand: such keys are tried first in their group (only an
   * order: labels are not trusted, every other key is still tried after it).
   */
  likelyOpens?(key: MasterKey): boolean | Promise<boolean>;
  /** Extra lines for the failure report, e.g. which identities were tried and where they came from. */
  explainFailure?(): readonly string[];
}

/** The key sources by kind; a kind without one is reported as one secrets cannot use. */
export type KeySources = Readonly<Partial<Record<KeyType, KeySource>>>;

/**
 * A master key as the string keys are compared by: the age recipient, else `type:name`
 * (`pgp:FINGERPRINT`, `kms:ARN`…).
 *
 * @param key - a master key or a key target
 */
export function keyString(key: MasterKey | KeyTarget): string {
  return key.type === 'age' ? key.recipient : `${key.type}:${targetName(key)}`;
}

/**
 * The name sops shows for a key (see {@link keyName}), for targets too.
 *
 * @param key - a master key or a key target
 */
export function targetName(key: MasterKey | KeyTarget): string {
  if (key.type === 'pgp' && !('enc' in key)) return key.fingerprint;
  return keyName(key as MasterKey);
}

/**
 * A master key as a target to wrap a (new) data key for: the same key without its wrapping.
 *
 * @param key - a key read from a file
 */
export function keyTarget(key: MasterKey): KeyTarget {
  switch (key.type) {
    case 'age':
      return { type: 'age', recipient: key.recipient };
    case 'pgp':
      return { type: 'pgp', fingerprint: key.fingerprint };
    default:
      return key;
  }
}

/**
 * A PGP fingerprint as sops reads one from a config or `--pgp` (`NewMasterKeyFromFingerprint`): spaces
 * removed, nothing else changed.
 *
 * @param text - a fingerprint, possibly grouped with spaces
 */
export function pgpTarget(text: string): KeyTarget {
  return { type: 'pgp', fingerprint: text.replace(/ /g, '') };
}
