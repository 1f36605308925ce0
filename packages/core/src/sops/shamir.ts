/**
 * Shamir secret sharing as sops does it (`shamir/shamir.go`, forked from HashiCorp Vault), used when a
 * file has two or more key groups: group i wraps share i of the data key.
 *
 * - Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11B): addition is XOR,
 *   multiplication reduces with 0x1B, the inverse of a is a^254.
 * - Each secret byte gets its own random polynomial of degree threshold−1 whose constant term is the
 *   byte; sops draws threshold−1 random bytes per secret byte, in order, and so does {@link shamirSplit}, so a
 *   recorded random stream reproduces sops' shares.
 * - Share i (0-based) holds the evaluations at x = i+1 followed by one trailing byte x (sops uses
 *   sequential x values, unlike Vault's random ones): 33 bytes for a 32-byte data key.
 * - {@link shamirCombine} interpolates at 0 over all shares it is given, taking x from each last byte.
 *
 * The field arithmetic has no tables and no secret-dependent branches.
 */
import { SecretsError } from '../errors.js';

/** Bytes a share has beyond the secret (the trailing x coordinate). */
export const SHARE_OVERHEAD = 1;

/**
 * @internal Multiplication in GF(2^8) modulo the AES polynomial, most significant bit of b first.
 *
 * @param a - a field element (0…255)
 * @param b - a field element (0…255)
 * @returns a·b
 */
export function gfMul(a: number, b: number): number {
  let product = 0;
  for (let bit = 7; bit >= 0; bit--) {
    // product · x, reduced: when the top bit falls out, XOR in 0x1B (mask instead of a branch).
    const reduce = -(product >> 7) & 0x1b;
    product = ((product << 1) & 0xff) ^ reduce;
    // + a when this bit of b is set.
    product ^= -((b >> bit) & 1) & a;
  }
  return product;
}

/**
 * @internal The multiplicative inverse a^254 (0 for 0), by a fixed square-and-multiply chain.
 *
 * @param a - a field element (0…255)
 * @returns a⁻¹, or 0 for 0
 */
export function gfInv(a: number): number {
  const a2 = gfMul(a, a);
  const a3 = gfMul(a2, a);
  const a6 = gfMul(a3, a3);
  const a12 = gfMul(a6, a6);
  const a15 = gfMul(a12, a3);
  const a30 = gfMul(a15, a15);
  const a60 = gfMul(a30, a30);
  const a63 = gfMul(a60, a3);
  const a126 = gfMul(a63, a63);
  const a127 = gfMul(a126, a);
  return gfMul(a127, a127);
}

/**
 * Splits a secret into `parts` shares, any `threshold` of which recover it.
 *
 * @param secret - the secret (non-empty)
 * @param parts - number of shares, 2…255
 * @param threshold - shares needed, 2…parts
 * @param random - returns `n` cryptographically random bytes (called once per secret byte with
 *   n = threshold − 1)
 * @returns the shares; share i ends with x = i+1
 * @throws SecretsError USAGE for out-of-range parameters or an empty secret
 */
export function shamirSplit(secret: Uint8Array, parts: number, threshold: number, random: (length: number) => Uint8Array): Uint8Array[] {
  if (!Number.isInteger(parts) || !Number.isInteger(threshold)) throw new SecretsError('USAGE', 'shamir parts and threshold must be integers');
  if (parts < threshold) throw new SecretsError('USAGE', `shamir threshold ${threshold} is more than the ${parts} key groups`);
  if (parts > 255) throw new SecretsError('USAGE', 'shamir secret sharing supports at most 255 key groups');
  if (threshold < 2) throw new SecretsError('USAGE', 'shamir threshold must be at least 2');
  if (secret.length === 0) throw new SecretsError('USAGE', 'cannot split an empty secret');

  const shares = Array.from({ length: parts }, (_, i) => {
    const share = new Uint8Array(secret.length + SHARE_OVERHEAD);
    share[secret.length] = i + 1;
    return share;
  });
  const coefficients = new Uint8Array(threshold);
  for (let idx = 0; idx < secret.length; idx++) {
    const drawn = random(threshold - 1);
    if (drawn.length !== threshold - 1) throw new RangeError(`random source returned ${drawn.length} bytes, expected ${threshold - 1}`);
    coefficients[0] = secret[idx] as number;
    coefficients.set(drawn, 1);
    for (let i = 0; i < parts; i++) {
      // Horner's rule at x = i + 1.
      const x = i + 1;
      let y = coefficients[threshold - 1] as number;
      for (let d = threshold - 2; d >= 0; d--) y = gfMul(y, x) ^ (coefficients[d] as number);
      (shares[i] as Uint8Array)[idx] = y;
    }
    drawn.fill(0);
  }
  // The coefficients determine the secret: wipe them.
  coefficients.fill(0);
  return shares;
}

/**
 * Recovers a secret from shares by Lagrange interpolation at 0. Giving fewer shares than the threshold
 * used to split yields a wrong secret, not an error (as in sops); callers detect it later (GCM, MAC).
 *
 * @param shares - at least 2 shares of equal length (≥ 2 bytes)
 * @returns the secret (share length − 1 bytes)
 * @throws SecretsError SOPS_DATA_KEY_UNAVAILABLE for fewer than two shares, unequal lengths or a
 *   duplicate x coordinate
 */
export function shamirCombine(shares: readonly Uint8Array[]): Uint8Array {
  const fail = (why: string): SecretsError => new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', `cannot combine Shamir shares: ${why}`);
  if (shares.length < 2) throw fail('less than two shares');
  const length = (shares[0] as Uint8Array).length;
  if (length < 2) throw fail('shares must be at least two bytes');
  if (shares.some((s) => s.length !== length)) throw fail('shares have different lengths');
  const xs = shares.map((s) => s[length - 1] as number);
  if (new Set(xs).size !== xs.length) throw fail('duplicate share');

  // The Lagrange basis at 0 does not depend on the byte position: compute it once.
  const basis = xs.map((xi, i) => {
    let b = 1;
    xs.forEach((xj, j) => {
      if (i !== j) b = gfMul(b, gfMul(xj, gfInv(xi ^ xj)));
    });
    return b;
  });
  const secret = new Uint8Array(length - 1);
  for (let idx = 0; idx < secret.length; idx++) {
    let value = 0;
    shares.forEach((share, i) => {
      value ^= gfMul(share[idx] as number, basis[i] as number);
    });
    secret[idx] = value;
  }
  return secret;
}
