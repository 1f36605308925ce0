/**
 * The X25519 key agreement shared by age's X25519 and ssh-ed25519 stanzas (C2SP age §X25519, Go
 * agessh.go): an ephemeral share, HKDF-SHA-256 over the shared secret with salt share ‖ recipient, and
 * ChaCha20-Poly1305 with a zero nonce around the 16-byte file key.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { SecretsError } from '../errors.js';
import { concatBytes, utf8, wipe } from '../bytes.js';

const ZERO_NONCE = /* @__PURE__ */ new Uint8Array(12);

/**
 * X25519(scalar, point), refusing the all-zero result (age: "abort on an all-zero shared secret").
 *
 * @throws SecretsError AGE_FILE_INVALID for a low-order share
 */
export function sharedSecret(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  try {
    return x25519.scalarMult(scalar, point);
  } catch {
    throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: X25519 share of low order');
  }
}

/** HKDF-SHA-256 → the 32-byte wrapping key. */
export function wrapKey(ikm: Uint8Array, salt: Uint8Array, label: string): Uint8Array {
  return hkdf(sha256, ikm, salt, utf8(label), 32);
}

/** Seals the file key (random ephemeral share); returns the share and the body. */
export function sealFileKey(
  fileKey: Uint8Array,
  recipientPoint: Uint8Array,
  label: string,
  tweakSharedSecret: (ss: Uint8Array) => Uint8Array = (ss) => ss,
): { share: Uint8Array; body: Uint8Array } {
  const ephemeral = randomBytes(32);
  const share = x25519.getPublicKey(ephemeral);
  const ss = sharedSecret(ephemeral, recipientPoint);
  const tweaked = tweakSharedSecret(ss);
  const key = wrapKey(tweaked, concatBytes(share, recipientPoint), label);
  const body = chacha20poly1305(key, ZERO_NONCE).encrypt(fileKey);
  wipe(ephemeral, ss, tweaked, key);
  return { share, body };
}

/** Opens a sealed file key; null when the AEAD fails (wrong key). */
export function openFileKey(key: Uint8Array, body: Uint8Array): Uint8Array | null {
  try {
    return chacha20poly1305(key, ZERO_NONCE).decrypt(body);
  } catch {
    return null;
  } finally {
    wipe(key);
  }
}
