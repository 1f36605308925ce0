/**
 * The primitives of age's native path (`native.ts`, `native-encrypt.ts`) on node:crypto (OpenSSL):
 * HKDF-SHA-256, ChaCha20-Poly1305 with a 16-byte tag, the header MAC and the STREAM nonce (C2SP age).
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { concatBytes, wipe } from '../bytes.js';

/** The version line of every binary age file. */
export const VERSION_LINE = 'age-encryption.org/v1';
/** The HKDF info of X25519 stanzas. */
export const X25519_LABEL = 'age-encryption.org/v1/X25519';
/** The HKDF info of ssh-ed25519 stanzas and of their tweak (agessh). */
export const SSH_ED25519_LABEL = 'age-encryption.org/v1/ssh-ed25519';
/** Stanza bodies are sealed with a zero nonce: each wrapping key is used once. */
export const ZERO_NONCE = /* @__PURE__ */ new Uint8Array(12);
/** An empty IKM or salt. */
export const EMPTY = /* @__PURE__ */ new Uint8Array(0);
/** The Poly1305 tag. */
export const TAG = 16;
/** Plaintext bytes per STREAM chunk. */
export const CHUNK = 64 * 1024;

const ONE = /* @__PURE__ */ new Uint8Array([1]);

/**
 * HKDF-SHA-256 (RFC 5869) for one 32-byte block: two HMAC objects. Measured cheaper than `hkdfSync`
 * (~9 µs against ~14 µs per call on Node 20) and than a one-shot-hash HMAC or noble's.
 *
 * @internal
 */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const digest = createHmac('sha256', prk).update(info).update(ONE).digest();
  const okm = new Uint8Array(digest);
  wipe(prk, digest);
  return okm;
}

/** @internal ChaCha20-Poly1305 sealing: ciphertext ‖ tag. */
export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  return concatBytes(c.update(plaintext), c.final(), c.getAuthTag());
}

/** @internal ChaCha20-Poly1305 opening; null when it does not authenticate. */
export function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG) return null;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    const out = d.update(sealed.subarray(0, sealed.length - TAG));
    const rest = d.final(); // empty for an AEAD: no copy then (a 64 KiB chunk per call when streaming)
    return rest.length === 0 ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength) : concatBytes(out, rest);
  } catch {
    return null;
  }
}

/** @internal The header MAC: HMAC-SHA-256 under HKDF(file key, empty salt, "header") of the header up to `---`. */
export function headerMac(fileKey: Uint8Array, headerNoMac: Uint8Array): Uint8Array {
  const key = hkdf(fileKey, EMPTY, 'header');
  const mac = new Uint8Array(createHmac('sha256', key).update(headerNoMac).digest());
  key.fill(0);
  return mac;
}

/** @internal The STREAM nonce of chunk `counter`: an 11-byte big-endian counter and the last-chunk flag. */
export function streamNonce(counter: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(12);
  // Files here never exceed 2^53 chunks.
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--, c = Math.floor(c / 256)) nonce[i] = c % 256;
  nonce[11] = last ? 1 : 0;
  return nonce;
}
