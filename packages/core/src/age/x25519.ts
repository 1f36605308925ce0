/**
 * Bech32 encodings of age's native X25519 keys (C2SP age §"The X25519 recipient type"): recipients are
 * `age1…` (HRP `age`, lower case), identities `AGE-SECRET-KEY-1…` (HRP `AGE-SECRET-KEY-`, upper case), both
 * holding 32 bytes, and the X25519 function itself (RFC 7748) on node:crypto (OpenSSL), which clamps the
scalar and refuses an all-zero result, as Go's `curve25519.X25519` does.
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { bech32 } from '@scure/base';
import { bufferOf, wipe } from '../bytes.js';

/**
 * A private X25519 key object from a raw scalar. JWK is the only raw import Node 20 has for OKP keys, and
 * it is ~10× faster than PKCS#8; `x` must be a string but only `d` is used for a private key.
 *
 * @internal
 */
export function x25519PrivateKey(scalar: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: bufferOf(scalar).toString('base64url'), x: '' }, format: 'jwk' });
}

/** @internal A public X25519 key object from a 32-byte u-coordinate. */
export function x25519PublicKey(point: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: bufferOf(point).toString('base64url') }, format: 'jwk' });
}

/** @internal X25519(scalar, base point): the public half of a private key object. */
export function x25519Base(key: KeyObject): Uint8Array {
  const { x } = createPublicKey(key).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(x as string, 'base64url'));
}

/**
 * X25519(scalar, point).
 *
 * @returns the shared secret, or null when it is all zero (a low-order point)
 * @internal
 */
export function x25519(key: KeyObject, point: KeyObject): Uint8Array | null {
  try {
    // A view, not a copy: wiping the result wipes the only copy of the secret.
    const shared = diffieHellman({ privateKey: key, publicKey: point });
    return new Uint8Array(shared.buffer, shared.byteOffset, shared.byteLength);
  } catch {
    return null; // OpenSSL: "failed during derivation" for an all-zero shared secret
  }
}

/** Decodes bech32 without the 90-character limit (age keys are not BIP-173 addresses). */
function decodeBech32(text: string): { prefix: string; bytes: Uint8Array } | null {
  try {
    const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
    return { prefix, bytes: Uint8Array.from(bech32.fromWords(words)) };
  } catch {
    return null;
  }
}

/**
 * Decodes an X25519 recipient.
 *
 * @param text - `age1…`; Go age accepts only the lower-case form (its bech32 keeps the HRP's case)
 * @returns the 32-byte Montgomery point, or null when the checksum, HRP, case or length is wrong
 */
export function decodeX25519Recipient(text: string): Uint8Array | null {
  if (text !== text.toLowerCase()) return null;
  const decoded = decodeBech32(text);
  return decoded?.prefix === 'age' && decoded.bytes.length === 32 ? decoded.bytes : null;
}

/**
 * Decodes an X25519 identity. The caller owns (and should wipe) the returned scalar.
 *
 * @param text - `AGE-SECRET-KEY-1…`, upper case as age writes and reads it
 * @returns the 32-byte scalar, or null when the checksum, HRP, case or length is wrong
 */
export function decodeX25519Identity(text: string): Uint8Array | null {
  if (text !== text.toUpperCase()) return null;
  const decoded = decodeBech32(text);
  if (decoded === null) return null;
  // @scure/base reports the HRP in lower case whatever the input's case.
  if (decoded.prefix !== 'age-secret-key-' || decoded.bytes.length !== 32) {
    wipe(decoded.bytes);
    return null;
  }
  return decoded.bytes;
}

/**
 * Validates a post-quantum hybrid identity (C2SP age §MLKEM768-X25519: a 32-byte seed, HRP
 * `AGE-SECRET-KEY-PQ-`, longer than BIP-173's 90 characters).
 *
 * @param text - `AGE-SECRET-KEY-PQ-1…`
 * @returns whether it is well formed
 */
export function isHybridIdentity(text: string): boolean {
  if (text !== text.toUpperCase()) return false;
  const decoded = decodeBech32(text);
  const ok = decoded?.prefix === 'age-secret-key-pq-' && decoded.bytes.length === 32;
  wipe(decoded?.bytes);
  return ok;
}

/**
 * Validates a post-quantum hybrid recipient: bech32 with HRP `age1pq` holding an ML-KEM-768 encapsulation
 * key plus an X25519 point (1216 bytes, as typage's HybridRecipient requires).
 *
 * @param text - `age1pq1…`
 * @returns whether it is well formed
 */
export function isHybridRecipient(text: string): boolean {
  if (text !== text.toLowerCase()) return false;
  const decoded = decodeBech32(text);
  return decoded?.prefix === 'age1pq' && decoded.bytes.length === 1216;
}

/**
 * The `age1…` recipient of an X25519 identity: X25519(identity, base point), bech32-encoded.
 *
 * @param identity - `AGE-SECRET-KEY-1…`
 * @returns the recipient, or null when the identity is malformed
 */
export function x25519RecipientOf(identity: string): string | null {
  const scalar = decodeX25519Identity(identity);
  if (scalar === null) return null;
  try {
    return bech32.encode('age', bech32.toWords(x25519Base(x25519PrivateKey(scalar))), false);
  } finally {
    wipe(scalar);
  }
}
