/**
 * ssh-ed25519 → age, byte for byte as ssh-to-age (Mic92/ssh-to-age convert.go) does it:
 * - public: the Edwards point's Montgomery u-coordinate, u = (1 + y) / (1 − y), bech32 with hrp `age`;
 * - private: SHA-512(seed)[0:32], NOT clamped (X25519 clamps when using it), bech32 with hrp
 *   `age-secret-key-`, the whole string upper-cased.
 * Bech32 is BIP 173 (not bech32m), as in age.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bech32 } from '@scure/base';
import { SecretsError } from '../errors.js';
import { wipe } from '../bytes.js';
import { findKeyOnLine } from './public-key.js';
import type { SshEd25519PrivateKey, SshEd25519PublicKey } from './types.js';

/**
 * The age X25519 recipient for an ssh-ed25519 public key.
 *
 * @param key - the public key
 * @returns `age1…`
 * @throws SecretsError SSH_KEY_INVALID when the 32 bytes are not a point on the curve
 */
export function ed25519PublicKeyToAgeRecipient(key: SshEd25519PublicKey): string {
  let u: Uint8Array;
  try {
    u = ed25519.utils.toMontgomery(key.key);
  } catch {
    throw new SecretsError('SSH_KEY_INVALID', 'invalid ssh-ed25519 public key: not a point on the curve');
  }
  return bech32.encode('age', bech32.toWords(u), false);
}

/**
 * The X25519 scalar ssh-to-age derives from an Ed25519 seed: SHA-512(seed)[0:32], unclamped.
 *
 * @param seed - the 32-byte Ed25519 seed (secret)
 * @returns 32 secret bytes; wipe them after use
 */
export function ed25519SeedToX25519Scalar(seed: Uint8Array): Uint8Array {
  const digest = sha512(seed);
  const scalar = digest.slice(0, 32);
  wipe(digest);
  return scalar;
}

/**
 * The age identity ssh-to-age derives from an ssh-ed25519 private key.
 *
 * @param key - the decrypted private key
 * @returns `AGE-SECRET-KEY-1…` (upper case); a secret
 */
export function ed25519PrivateKeyToAgeIdentity(key: SshEd25519PrivateKey): string {
  const scalar = ed25519SeedToX25519Scalar(key.seed);
  try {
    return bech32.encode('age-secret-key-', bech32.toWords(scalar), false).toUpperCase();
  } finally {
    wipe(scalar);
  }
}

/** A key that {@link convertPublicKeys} skipped. */
export interface SkippedKey {
  /** 1-based line number. */
  readonly line: number;
  readonly keyType: string;
  /** ssh-to-age's note text, e.g. `got ssh-rsa key type, but only ed25519 keys are supported`. */
  readonly message: string;
}

/**
 * Converts every ssh-ed25519 key in a text of public keys — a `.pub` file, authorized_keys (with
 * options), known_hosts (host patterns, markers, hashed hosts) or `ssh-keyscan` output — in order.
 *
 * Like ssh-to-age, `#` lines and blank lines are skipped and other key types are reported and skipped.
 * Unlike it, ecdsa and security-key lines, options with spaces and leading whitespace are handled
 * (ssh-to-age fails on them only because of how it picks a parser), and a line that holds no key is an
 * error naming its number — never its content, which could be anything, a private key included.
 *
 * @param text - the input
 * @returns the `age1…` recipients and the skipped keys
 * @throws SecretsError SSH_KEY_INVALID for a line without a key, or an invalid ed25519 point
 */
export function convertPublicKeys(text: string): { recipients: string[]; skipped: SkippedKey[] } {
  const recipients: string[] = [];
  const skipped: SkippedKey[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const lineNo = index + 1;
    let found;
    try {
      found = findKeyOnLine(line);
    } catch (error) {
      if (error instanceof SecretsError) throw new SecretsError(error.code, `line ${lineNo}: ${error.message}`, { hints: error.hints });
      throw error;
    }
    if (found.kind === 'none') {
      throw new SecretsError('SSH_KEY_INVALID', `line ${lineNo} holds no SSH public key`, {
        hints: ['expected public keys, e.g. a .pub file, authorized_keys, known_hosts or ssh-keyscan output'],
      });
    }
    if (found.kind === 'unsupported' || found.key.type !== 'ssh-ed25519') {
      const keyType = found.kind === 'unsupported' ? found.keyType : found.key.type;
      skipped.push({ line: lineNo, keyType, message: `got ${keyType} key type, but only ed25519 keys are supported` });
      continue;
    }
    try {
      recipients.push(ed25519PublicKeyToAgeRecipient(found.key));
    } catch (error) {
      if (error instanceof SecretsError) throw new SecretsError(error.code, `line ${lineNo}: ${error.message}`);
      throw error;
    }
  }
  return { recipients, skipped };
}
