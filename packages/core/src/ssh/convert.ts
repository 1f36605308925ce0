/**
 * ssh-ed25519 → age, byte for byte as ssh-to-age (Mic92/ssh-to-age convert.go) computes it:
 * - public: the Edwards point's Montgomery u-coordinate u = (1 + y) / (1 − y) (RFC 7748 §4.1), bech32
 *   with hrp `age`, lower case;
 * - private: SHA-512(seed)[0:32] NOT clamped (X25519 clamps when it uses the scalar; clamping here would
 *   give a different string for the same key), bech32 with hrp `age-secret-key-`, then upper-cased.
 * Bech32 is BIP 173 (not bech32m), as age uses it.
 */
import { createHash } from 'node:crypto';
import { bech32 } from '@scure/base';
import { SecretsError } from '../errors.js';
import { wipe } from '../bytes.js';
import { findKeyOnLine } from './public-key.js';
import type { SshEd25519PrivateKey, SshEd25519PublicKey, SshPrivateKey, SshPublicKey } from './types.js';

const P = (1n << 255n) - 19n;
/** The Edwards curve constant d = −121665/121666 mod p (RFC 8032 §5.1). */
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = base % P;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

/**
 * The Montgomery u-coordinate of an encoded Edwards25519 point, accepting exactly what Go's
 * filippo.io/edwards25519 `Point.SetBytes` accepts (ssh-to-age uses it): the top bit (x sign) is ignored
 * for u, y may be non-canonical (≥ p, reduced), and the point is valid iff x² = (y² − 1)/(d·y² + 1) has a
 * root. Like `BytesMontgomery`, 1/0 is taken as 0, so the identity gives u = 0.
 *
 * @returns 32 bytes little-endian, or null for an invalid point
 * @internal
 */
export function edwardsToMontgomery(point: Uint8Array): Uint8Array | null {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(point[i] as number);
  y = (y & ((1n << 255n) - 1n)) % P;
  const y2 = (y * y) % P;
  const num = (y2 - 1n + P) % P;
  const den = (D * y2 + 1n) % P;
  // Euler's criterion on num/den (same class as num·den): p−1 means no square root, so no point.
  if (modPow(num * den, (P - 1n) / 2n) === P - 1n) return null;
  const u = ((1n + y) * modPow((1n - y + P) % P, P - 2n)) % P;
  const out = new Uint8Array(32);
  let rest = u;
  for (let i = 0; i < 32; i++, rest >>= 8n) out[i] = Number(rest & 0xffn);
  return out;
}

/**
 * The age X25519 recipient for an ssh-ed25519 public key, as `ssh-to-age` prints it.
 *
 * @param key - the public key
 * @returns `age1…`
 * @throws SecretsError SSH_KEY_INVALID when the 32 bytes do not decode as an Edwards25519 point
 */
export function ed25519PublicKeyToAgeRecipient(key: SshEd25519PublicKey): string {
  // Public API: JavaScript callers may pass anything.
  const type = (key as { type?: unknown } | null | undefined)?.type;
  if (type !== 'ssh-ed25519') {
    throw new SecretsError('SSH_KEY_UNSUPPORTED', `got ${String(type)} key type, but only ed25519 keys are supported`);
  }
  if (!(key.key instanceof Uint8Array) || key.key.length !== 32) throw new SecretsError('SSH_KEY_INVALID', 'an ssh-ed25519 public key must be 32 bytes');
  const u = edwardsToMontgomery(key.key);
  if (u === null) throw new SecretsError('SSH_KEY_INVALID', 'invalid ssh-ed25519 public key: not a point on the curve');
  return bech32.encode('age', bech32.toWords(u), false);
}

/**
 * The age recipient for any parsed SSH public key; only ssh-ed25519 keys convert.
 *
 * @param key - the public key
 * @returns `age1…`
 * @throws SecretsError SSH_KEY_UNSUPPORTED for ssh-rsa (`got ssh-rsa key type, but only ed25519 keys are
 *   supported`), SSH_KEY_INVALID for an invalid point
 */
export function sshPublicKeyToAgeRecipient(key: SshPublicKey): string {
  return ed25519PublicKeyToAgeRecipient(key as SshEd25519PublicKey);
}

/**
 * The X25519 scalar ssh-to-age derives from an Ed25519 seed: SHA-512(seed)[0:32], unclamped.
 *
 * @param seed - the 32-byte Ed25519 seed (secret)
 * @returns 32 secret bytes; wipe them after use
 * @throws SecretsError SSH_KEY_INVALID when the seed is not 32 bytes
 */
export function ed25519SeedToX25519Scalar(seed: Uint8Array): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new SecretsError('SSH_KEY_INVALID', 'an ed25519 seed must be 32 bytes');
  const digest = new Uint8Array(createHash('sha512').update(seed).digest());
  const scalar = digest.slice(0, 32);
  wipe(digest);
  return scalar;
}

/**
 * The age identity ssh-to-age derives from an ssh-ed25519 private key (`ssh-to-age -private-key`).
 *
 * @param key - the decrypted private key
 * @returns `AGE-SECRET-KEY-1…` (upper case); a secret
 * @throws SecretsError SSH_KEY_UNSUPPORTED when given another key type at run time
 */
export function ed25519PrivateKeyToAgeIdentity(key: SshEd25519PrivateKey): string {
  // Public API: JavaScript callers may pass anything.
  const type = (key as { type?: unknown } | null | undefined)?.type;
  if (type !== 'ssh-ed25519') {
    throw new SecretsError('SSH_KEY_UNSUPPORTED', `got ${String(type)} key type, but only ed25519 keys are supported`);
  }
  const scalar = ed25519SeedToX25519Scalar(key.seed);
  const words = bech32.toWords(scalar);
  try {
    // ssh-to-age's bech32 lower-cases the hrp for the checksum, then the whole string is upper-cased.
    return bech32.encode('age-secret-key-', words, false).toUpperCase();
  } finally {
    wipe(scalar);
    words.fill(0);
  }
}

/**
 * The age identity for any decrypted SSH private key; only ssh-ed25519 keys convert.
 *
 * @param key - the private key
 * @returns `AGE-SECRET-KEY-1…`; a secret
 * @throws SecretsError SSH_KEY_UNSUPPORTED for ssh-rsa: `got ssh-rsa key type, but only ed25519 keys are
 *   supported` (ssh-to-age: `got *rsa.PrivateKey key type but: only ed25519 keys are supported`)
 */
export function sshPrivateKeyToAgeIdentity(key: SshPrivateKey): string {
  return ed25519PrivateKeyToAgeIdentity(key as SshEd25519PrivateKey);
}

/** A key that {@link convertPublicKeys} skipped. */
export interface SkippedKey {
  /** 1-based line number. */
  readonly line: number;
  /** The key type, e.g. `ssh-rsa`. */
  readonly keyType: string;
  /** ssh-to-age's note text, e.g. `got ssh-rsa key type, but only ed25519 keys are supported`. */
  readonly message: string;
}

/** What {@link convertPublicKeys} returns. */
export interface ConvertedPublicKeys {
  /** One `age1…` per ssh-ed25519 key, in input order (duplicates kept, as ssh-to-age prints them). */
  readonly recipients: string[];
  /** The other keys; ssh-to-age prints `skipped key: <message>` on stderr for each. */
  readonly skipped: SkippedKey[];
}

function atLine(error: unknown, lineNo: number): never {
  if (error instanceof SecretsError) throw new SecretsError(error.code, `line ${lineNo}: ${error.message}`, { hints: error.hints, details: { ...error.details, line: lineNo } });
  throw new SecretsError('SSH_KEY_INVALID', `line ${lineNo}: malformed SSH public key`);
}

/**
 * Converts every ssh-ed25519 key of a text of public keys, in order: a `.pub` file, authorized_keys,
 * known_hosts (host lists, `@cert-authority`/`@revoked` markers, hashed hosts) or `ssh-keyscan` output.
 *
 * As ssh-to-age (cmd/ssh-to-age/main.go): lines are split on `\n`; empty and `#` lines are skipped; other key
 * types are skipped with its note; a line that holds no key is an error; keys on `@revoked` lines are
 * converted like any other (x/crypto's ParseKnownHosts returns them).
 *
 * Deliberately more lenient where ssh-to-age fails only because of how it picks a parser (lines not
 * starting with `ssh-` go to ParseKnownHosts, which takes the first field as the host list): ecdsa and
 * sk-… lines are skipped like ssh-rsa, authorized_keys options containing quoted spaces parse, leading
 * whitespace, CRLF line ends and whitespace-only lines are accepted. Errors name the line number only,
 * never the line, which could hold anything (ssh-to-age quotes it).
 *
 * @param text - the input
 * @returns the recipients and the skipped keys
 * @throws SecretsError SSH_KEY_INVALID for a line without a key or with a malformed or off-curve key
 */
export function convertPublicKeys(text: string): ConvertedPublicKeys {
  const recipients: string[] = [];
  const skipped: SkippedKey[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const lineNo = index + 1;
    let found;
    try {
      found = findKeyOnLine(line);
    } catch (error) {
      atLine(error, lineNo);
    }
    if (found.kind === 'none') {
      throw new SecretsError('SSH_KEY_INVALID', `line ${lineNo} holds no SSH public key`, {
        hints: ['expected public keys, e.g. a .pub file, authorized_keys, known_hosts or ssh-keyscan output'],
        details: { line: lineNo },
      });
    }
    const keyType = found.kind === 'unsupported' ? found.keyType : found.key.type;
    if (found.kind === 'unsupported' || found.key.type !== 'ssh-ed25519') {
      skipped.push({ line: lineNo, keyType, message: `got ${keyType} key type, but only ed25519 keys are supported` });
      continue;
    }
    try {
      recipients.push(ed25519PublicKeyToAgeRecipient(found.key));
    } catch (error) {
      atLine(error, lineNo);
    }
  }
  return { recipients, skipped };
}
