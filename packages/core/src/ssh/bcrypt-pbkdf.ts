/**
 * bcrypt_pbkdf, the KDF of passphrase-protected OpenSSH private keys (OpenBSD `bcrypt_pbkdf.c`, used by
 * `PROTOCOL.key` with kdfname "bcrypt"). Built on Blowfish's expensive key schedule (EksBlowfish).
 *
 * Blowfish's initial P-array and S-boxes are, by definition, the first 1042 32-bit words of the fractional
 * part of π in hexadecimal. We compute them once (Machin's formula in BigInt, a few milliseconds) instead
 * of carrying a 4 KiB table; the test pins the first and last words against the published constants.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { SecretsError } from '../errors.js';

const WORDS = 18 + 4 * 256;

let initialState: Uint32Array | undefined;

/** arctan(1/x) · 2^bits, as a BigInt (Taylor series). */
function arctanInverse(x: bigint, bits: bigint): bigint {
  const x2 = x * x;
  let term = (1n << bits) / x;
  let sum = term;
  for (let n = 3n, sign = -1n; term !== 0n; n += 2n, sign = -sign) {
    term /= x2;
    sum += (sign * term) / n;
  }
  return sum;
}

/** The 1042 words of π's hex fraction: P[0..17] then S0..S3. */
export function blowfishInitialState(): Uint32Array {
  if (initialState) return initialState;
  const bits = BigInt(WORDS * 32 + 64); // guard bits absorb the truncation error of the series
  // Machin: π = 16·arctan(1/5) − 4·arctan(1/239)
  const pi = 16n * arctanInverse(5n, bits) - 4n * arctanInverse(239n, bits);
  const fraction = (pi - (3n << bits)) >> 64n; // drop the integer part and the guard bits
  const words = new Uint32Array(WORDS);
  for (let i = WORDS - 1, f = fraction; i >= 0; i--, f >>= 32n) words[i] = Number(f & 0xffffffffn);
  initialState = words;
  return words;
}

/** Blowfish state: P (18 words) and four 256-word S-boxes, in one array for speed. */
class Blowfish {
  readonly s = new Uint32Array(WORDS);

  constructor() {
    this.s.set(blowfishInitialState());
  }

  private f(x: number): number {
    const s = this.s;
    return ((((s[18 + (x >>> 24)] as number) + (s[274 + ((x >>> 16) & 0xff)] as number)) ^ (s[530 + ((x >>> 8) & 0xff)] as number)) + (s[786 + (x & 0xff)] as number)) >>> 0;
  }

  /** Encrypts the block (l, r) in place in `block`. */
  encipher(block: Uint32Array, i: number): void {
    const p = this.s;
    let l = block[i] as number;
    let r = block[i + 1] as number;
    l ^= p[0] as number;
    for (let k = 1; k <= 16; k += 2) {
      r ^= this.f(l) ^ (p[k] as number);
      l ^= this.f(r) ^ (p[k + 1] as number);
    }
    r ^= p[17] as number;
    block[i] = r >>> 0;
    block[i + 1] = l >>> 0;
  }

  /** Blowfish_expandstate / Blowfish_expand0state: mix `key` into P, then re-encrypt the whole state, XORing in `data` (cyclically) when given. */
  expand(key: Uint8Array, data: Uint8Array | null): void {
    const s = this.s;
    const keyStream = cyclicWords(key);
    for (let i = 0; i < 18; i++) s[i] = ((s[i] as number) ^ keyStream()) >>> 0;
    const dataStream = data ? cyclicWords(data) : null;
    const block = new Uint32Array(2);
    for (let i = 0; i < WORDS; i += 2) {
      if (dataStream) {
        block[0] = ((block[0] as number) ^ dataStream()) >>> 0;
        block[1] = ((block[1] as number) ^ dataStream()) >>> 0;
      }
      this.encipher(block, 0);
      s[i] = block[0] as number;
      s[i + 1] = block[1] as number;
    }
  }
}

/** Blowfish_stream2word: big-endian 32-bit words read cyclically from `bytes`. */
function cyclicWords(bytes: Uint8Array): () => number {
  let j = 0;
  return () => {
    let w = 0;
    for (let k = 0; k < 4; k++) {
      w = (w << 8) | (bytes[j] as number);
      j = (j + 1) % bytes.length;
    }
    return w >>> 0;
  };
}

const MAGIC = new TextEncoder().encode('OxychromaticBlowfishSwatDynamite');

/** bcrypt_hash(sha2pass, sha2salt): 64 rounds of EksBlowfish, then encrypt the magic 64 times. */
function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array, out: Uint8Array): void {
  const bf = new Blowfish();
  bf.expand(sha2pass, sha2salt);
  for (let i = 0; i < 64; i++) {
    bf.expand(sha2salt, null);
    bf.expand(sha2pass, null);
  }
  const cdata = new Uint32Array(8);
  const words = cyclicWords(MAGIC);
  for (let i = 0; i < 8; i++) cdata[i] = words();
  for (let i = 0; i < 64; i++) for (let b = 0; b < 8; b += 2) bf.encipher(cdata, b);
  // Output words little-endian (bcrypt_pbkdf.c: "copy out").
  for (let i = 0; i < 8; i++) {
    const w = cdata[i] as number;
    out[4 * i] = w & 0xff;
    out[4 * i + 1] = (w >>> 8) & 0xff;
    out[4 * i + 2] = (w >>> 16) & 0xff;
    out[4 * i + 3] = w >>> 24;
  }
  bf.s.fill(0);
}

/** The most rounds we accept: OpenSSH writes 16 by default (24 for -a 24…); 2^16 is far beyond use. */
export const MAX_BCRYPT_ROUNDS = 65536;

/**
 * bcrypt_pbkdf(passphrase, salt, rounds) → `length` bytes, as OpenSSH computes it.
 *
 * @param passphrase - the passphrase bytes
 * @param salt - the salt from the key file
 * @param rounds - the rounds from the key file
 * @param length - how many bytes of key material (≤ 1024)
 * @returns the derived bytes
 * @throws SecretsError LIMIT_EXCEEDED for absurd rounds or lengths, SSH_KEY_INVALID for an empty salt
 */
export function bcryptPbkdf(passphrase: Uint8Array, salt: Uint8Array, rounds: number, length: number): Uint8Array {
  if (rounds < 1 || rounds > MAX_BCRYPT_ROUNDS) throw new SecretsError('LIMIT_EXCEEDED', `bcrypt rounds ${rounds} out of range (1 to ${MAX_BCRYPT_ROUNDS})`);
  if (length < 1 || length > 1024) throw new SecretsError('LIMIT_EXCEEDED', `bcrypt key length ${length} out of range`);
  if (salt.length === 0 || salt.length > 1024) throw new SecretsError('SSH_KEY_INVALID', 'malformed private key: bad bcrypt salt');
  const key = new Uint8Array(length);
  const stride = Math.ceil(length / 32);
  const amount = Math.ceil(length / stride);
  const sha2pass = sha512(passphrase);
  const countsalt = new Uint8Array(salt.length + 4);
  countsalt.set(salt);
  const tmp = new Uint8Array(32);
  const out = new Uint8Array(32);
  let remaining = length;
  for (let count = 1; remaining > 0; count++) {
    new DataView(countsalt.buffer).setUint32(salt.length, count);
    bcryptHash(sha2pass, sha512(countsalt), tmp);
    out.set(tmp);
    for (let i = 1; i < rounds; i++) {
      bcryptHash(sha2pass, sha512(tmp), tmp);
      for (let j = 0; j < 32; j++) out[j] = (out[j] as number) ^ (tmp[j] as number);
    }
    // Spread the output across the key (not sequentially): bcrypt_pbkdf.c "pbkdf2 deviation".
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
  tmp.fill(0);
  out.fill(0);
  return key;
}
