/**
 * bcrypt_pbkdf, the KDF of passphrase-protected OpenSSH private keys (kdfname "bcrypt" in OpenSSH's
 * PROTOCOL.key; defined in OpenBSD's bcrypt_pbkdf.c): a PBKDF2-like loop whose PRF is a "bcrypt hash" —
 * Blowfish's expensive key schedule (EksBlowfish, Provos–Mazières 1999) over SHA-512 of the passphrase
 * and salt, then the 32-byte magic "OxychromaticBlowfishSwatDynamite" encrypted 64 times.
 *
 * Blowfish's initial P-array and S-boxes are, by definition (Schneier 1993), the first 1042 32-bit words of
 * the fractional part of π in hexadecimal. We compute them once with Machin's formula in BigInt (tens of
 * milliseconds, on first use only) rather than carry a 4 KiB table that could hide a typo; Schneier's
 * Blowfish test vectors in the tests depend on every word.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { SecretsError } from '../errors.js';

const P_WORDS = 18;
const S_WORDS = 4 * 256;
const WORDS = P_WORDS + S_WORDS;

let initialState: Int32Array | undefined;

/** arctan(1/x) · 2^bits as a BigInt (alternating Taylor series, truncated terms). */
function arctanInverse(x: bigint, bits: bigint): bigint {
  const x2 = x * x;
  let power = (1n << bits) / x;
  let sum = power;
  for (let n = 3n, sign = -1n; power !== 0n; n += 2n, sign = -sign) {
    power /= x2;
    sum += (sign * power) / n;
  }
  return sum;
}

/**
 * The 1042 words of π's hexadecimal fraction: P[0..17], then S-boxes 0 to 3 (256 words each).
 *
 * @returns a fresh copy (callers may mutate it)
 */
export function blowfishInitialState(): Int32Array {
  if (!initialState) {
    // 64 guard bits absorb the truncation error of ~10^4 series terms.
    const bits = BigInt(WORDS * 32 + 64);
    const pi = 16n * arctanInverse(5n, bits) - 4n * arctanInverse(239n, bits); // Machin
    let fraction = (pi - (3n << bits)) >> 64n;
    const words = new Int32Array(WORDS);
    for (let i = WORDS - 1; i >= 0; i--, fraction >>= 32n) words[i] = Number(BigInt.asIntN(32, fraction));
    initialState = words;
  }
  return initialState.slice();
}

/**
 * `count` big-endian words read cyclically from `bytes`, as OpenBSD's Blowfish_stream2word reads keys and
 * data (wrapping around mid-word when the length is not a multiple of 4).
 */
function streamWords(bytes: Uint8Array, count: number): Int32Array {
  const out = new Int32Array(count);
  let j = 0;
  for (let i = 0; i < count; i++) {
    let w = 0;
    for (let k = 0; k < 4; k++) {
      w = (w << 8) | (bytes[j] as number);
      j = j + 1 === bytes.length ? 0 : j + 1;
    }
    out[i] = w;
  }
  return out;
}

/**
 * Encrypts the block (lr[0], lr[1]) in place with state `st` (P at 0..17, S-boxes from 18). The 16
 * Feistel rounds are written out as OpenBSD's Blowfish_encipher does: F(x) = ((S0[a] + S1[b]) ^ S2[c]) + S3[d].
 * Int32 arithmetic: sums may exceed 32 bits, and the next `^` truncates them mod 2^32 as C would.
 */
function encipher(st: Int32Array, lr: Int32Array): void {
  let l = lr[0] as number;
  let r = lr[1] as number;
  l ^= st[0] as number;
  for (let k = 1; k < 17; k += 2) {
    r ^= ((((st[18 + (l >>> 24)] as number) + (st[274 + ((l >>> 16) & 0xff)] as number)) ^ (st[530 + ((l >>> 8) & 0xff)] as number)) + (st[786 + (l & 0xff)] as number)) ^ (st[k] as number);
    l ^= ((((st[18 + (r >>> 24)] as number) + (st[274 + ((r >>> 16) & 0xff)] as number)) ^ (st[530 + ((r >>> 8) & 0xff)] as number)) + (st[786 + (r & 0xff)] as number)) ^ (st[k + 1] as number);
  }
  lr[0] = r ^ (st[17] as number);
  lr[1] = l;
}

/**
 * Blowfish_expandstate (with `data`) / Blowfish_expand0state (without): XOR the key words into P, then
 * replace P and the S-boxes, in order, by successive encryptions of a running block (starting at zero),
 * XORing the next data words into the block first when data is given. Plain Blowfish's key schedule is
 * the initial state plus expand0state(key).
 *
 * @param keyWords - at least 18 words from {@link streamWords}
 * @param dataWords - 1042 words, or null
 */
function expand(st: Int32Array, keyWords: Int32Array, dataWords: Int32Array | null): void {
  for (let i = 0; i < P_WORDS; i++) st[i] = (st[i] as number) ^ (keyWords[i] as number);
  // encipher() inlined on locals: this loop is where all of the KDF's time goes.
  let l = 0;
  let r = 0;
  for (let i = 0; i < WORDS; i += 2) {
    if (dataWords) {
      l ^= dataWords[i] as number;
      r ^= dataWords[i + 1] as number;
    }
    l ^= st[0] as number;
    for (let k = 1; k < 17; k += 2) {
      r ^= ((((st[18 + (l >>> 24)] as number) + (st[274 + ((l >>> 16) & 0xff)] as number)) ^ (st[530 + ((l >>> 8) & 0xff)] as number)) + (st[786 + (l & 0xff)] as number)) ^ (st[k] as number);
      l ^= ((((st[18 + (r >>> 24)] as number) + (st[274 + ((r >>> 16) & 0xff)] as number)) ^ (st[530 + ((r >>> 8) & 0xff)] as number)) + (st[786 + (r & 0xff)] as number)) ^ (st[k + 1] as number);
    }
    const t = r ^ (st[17] as number);
    r = l;
    l = t;
    st[i] = l;
    st[i + 1] = r;
  }
}

/**
 * Plain Blowfish (ECB, one 8-byte block) under a 1–56 byte key; for the known-answer tests of the cipher
 * under the KDF.
 *
 * @param key - the key
 * @param block - 8 bytes
 * @returns the 8-byte ciphertext
 * @internal
 */
export function blowfishEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const st = blowfishInitialState();
  expand(st, streamWords(key, P_WORDS), null);
  const words = streamWords(block, 2);
  encipher(st, words);
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setInt32(0, words[0] as number);
  view.setInt32(4, words[1] as number);
  return out;
}

const MAGIC_WORDS = streamWords(new TextEncoder().encode('OxychromaticBlowfishSwatDynamite'), 8);

/**
 * bcrypt_hash(sha2pass, sha2salt) → 32 bytes into `out`: EksBlowfish setup with 64 rounds of alternating
 * salt and passphrase expansion, then the magic encrypted 64 times, words written little-endian.
 */
function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array, out: Uint8Array): void {
  const st = blowfishInitialState();
  const lr = new Int32Array(2);
  const passWords = streamWords(sha2pass, WORDS);
  const saltWords = streamWords(sha2salt, WORDS);
  expand(st, passWords, saltWords); // Blowfish_expandstate(state, salt, pass)
  for (let i = 0; i < 64; i++) {
    expand(st, saltWords, null);
    expand(st, passWords, null);
  }
  const cdata = MAGIC_WORDS.slice();
  for (let i = 0; i < 64; i++) {
    for (let b = 0; b < 8; b += 2) {
      lr[0] = cdata[b] as number;
      lr[1] = cdata[b + 1] as number;
      encipher(st, lr);
      cdata[b] = lr[0];
      cdata[b + 1] = lr[1];
    }
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < 8; i++) view.setInt32(4 * i, cdata[i] as number, true);
  st.fill(0);
  lr.fill(0);
  passWords.fill(0);
  saltWords.fill(0);
  cdata.fill(0);
}

/**
 * The most rounds accepted. ssh-keygen writes 16 by default and `-a 100` is the usual hardening advice;
 * a hostile key file could ask for 2^32. Each round costs two bcrypt hashes (≈ 2 × 4 ms here), so this
 * caps the work at about half a minute.
 */
export const MAX_BCRYPT_ROUNDS = 4096;

/** bcrypt_pbkdf.c refuses more than 1024 output bytes (sizeof(out)²) and salts over 2^20 bytes. */
const MAX_KEY_LENGTH = 1024;
const MAX_SALT_LENGTH = 1 << 20;

/**
 * bcrypt_pbkdf(passphrase, salt, rounds) → `length` bytes, exactly as OpenSSH computes it.
 *
 * @param passphrase - the passphrase bytes (not empty)
 * @param salt - the salt from the key file (not empty)
 * @param rounds - the rounds from the key file, 1 to {@link MAX_BCRYPT_ROUNDS}
 * @param length - how many bytes of key material, 1 to 1024
 * @returns the derived bytes; wipe them after use
 * @throws SecretsError LIMIT_EXCEEDED for rounds, length or salt beyond the limits, SSH_KEY_INVALID for
 *   an empty salt or zero rounds, SSH_PASSPHRASE_REQUIRED for an empty passphrase (bcrypt_pbkdf.c refuses all
 *   of these)
 */
export function bcryptPbkdf(passphrase: Uint8Array, salt: Uint8Array, rounds: number, length: number): Uint8Array {
  if (!Number.isInteger(rounds) || rounds < 1) throw new SecretsError('SSH_KEY_INVALID', 'malformed private key: bcrypt rounds must be at least 1');
  if (rounds > MAX_BCRYPT_ROUNDS) {
    throw new SecretsError('LIMIT_EXCEEDED', `bcrypt KDF rounds ${rounds} exceed the limit of ${MAX_BCRYPT_ROUNDS}`, {
      hints: [`re-encrypt a copy of the key with fewer rounds: ssh-keygen -p -a 100 -f KEYFILE`],
    });
  }
  if (!Number.isInteger(length) || length < 1 || length > MAX_KEY_LENGTH) throw new SecretsError('LIMIT_EXCEEDED', `bcrypt KDF output length must be 1 to ${MAX_KEY_LENGTH} bytes`);
  if (salt.length === 0) throw new SecretsError('SSH_KEY_INVALID', 'malformed private key: empty bcrypt salt');
  if (salt.length > MAX_SALT_LENGTH) throw new SecretsError('LIMIT_EXCEEDED', 'bcrypt salt too long');
  if (passphrase.length === 0) throw new SecretsError('SSH_PASSPHRASE_REQUIRED', 'the bcrypt KDF needs a non-empty passphrase');

  const key = new Uint8Array(length);
  // Output blocks are interleaved, not concatenated: byte i of block `count` goes to key[i·stride + count−1]
  // (the "pbkdf2 deviation" of bcrypt_pbkdf.c, so that every output byte needs all the blocks' work).
  const stride = Math.ceil(length / 32);
  const amount = Math.ceil(length / stride);
  const sha2pass = sha512(passphrase);
  const countsalt = new Uint8Array(salt.length + 4);
  countsalt.set(salt);
  const countView = new DataView(countsalt.buffer);
  const tmp = new Uint8Array(32);
  const out = new Uint8Array(32);
  let remaining = length;
  for (let count = 1; remaining > 0; count++) {
    countView.setUint32(salt.length, count); // big-endian block counter appended to the salt
    let sha2salt = sha512(countsalt);
    bcryptHash(sha2pass, sha2salt, tmp);
    out.set(tmp);
    for (let i = 1; i < rounds; i++) {
      sha2salt.fill(0);
      sha2salt = sha512(tmp);
      bcryptHash(sha2pass, sha2salt, tmp);
      for (let j = 0; j < 32; j++) out[j] = (out[j] as number) ^ (tmp[j] as number);
    }
    sha2salt.fill(0);
    const take = Math.min(amount, remaining);
    let i = 0;
    for (; i < take; i++) {
      const dest = i * stride + (count - 1);
      if (dest >= length) break;
      key[dest] = out[i] as number;
    }
    remaining -= i;
  }
  sha2pass.fill(0);
  countsalt.fill(0);
  tmp.fill(0);
  out.fill(0);
  return key;
}
