/**
 * Shamir secret sharing over GF(2^8) as sops does it (shamir/shamir.go, forked from HashiCorp Vault):
 * the AES field (x^8 + x^4 + x^3 + x + 1), one random polynomial per secret byte, and share i (0-based,
 * one per key group) = the evaluations at x = i + 1 followed by that x as a trailing byte. Unlike Vault,
 * the x values are sequential, not random.
 */
import { randomBytes } from 'node:crypto';
import { SecretsError } from '../errors.js';

/** Multiplication in GF(2^8) modulo the AES polynomial (no tables, no secret-dependent branches). */
function mul(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) {
    r ^= -(b & 1) & a;
    const hi = -((a >> 7) & 1) & 0x1b;
    a = ((a << 1) ^ hi) & 0xff;
    b >>= 1;
  }
  return r;
}

/** a^254 = a^-1 in GF(2^8) (0 maps to 0). */
function inv(a: number): number {
  let result = 1;
  let base = a;
  for (let e = 254; e > 0; e >>= 1) {
    if (e & 1) result = mul(result, base);
    base = mul(base, base);
  }
  return result;
}

/**
 * Splits a secret into `parts` shares, any `threshold` of which recombine it.
 *
 * @param random - source of coefficient bytes (tests pass a fixed one)
 * @throws SecretsError USAGE unless 2 ≤ threshold ≤ parts ≤ 255
 */
export function shamirSplit(secret: Uint8Array, parts: number, threshold: number, random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): Uint8Array[] {
  if (threshold < 2) throw new SecretsError('USAGE', 'shamir threshold must be at least 2');
  if (parts < threshold) throw new SecretsError('USAGE', `shamir threshold ${threshold} is larger than the number of key groups (${parts})`);
  if (parts > 255) throw new SecretsError('USAGE', 'at most 255 key groups');
  const shares = Array.from({ length: parts }, (_, i) => {
    const s = new Uint8Array(secret.length + 1);
    s[secret.length] = i + 1;
    return s;
  });
  for (let byte = 0; byte < secret.length; byte++) {
    const coefficients = random(threshold - 1);
    for (let i = 0; i < parts; i++) {
      const x = i + 1;
      // Horner: c_{t-1} x^{t-1} + … + c_1 x + secret
      let y = 0;
      for (let c = coefficients.length - 1; c >= 0; c--) y = mul(y ^ (coefficients[c] as number), x);
      (shares[i] as Uint8Array)[byte] = y ^ (secret[byte] as number);
    }
    coefficients.fill(0);
  }
  return shares;
}

/**
 * Recombines shares by Lagrange interpolation at 0.
 *
 * @throws SecretsError SOPS_DATA_KEY_UNAVAILABLE for fewer than 2 shares, unequal lengths or duplicate x
 */
export function shamirCombine(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', 'at least two key groups are needed to rebuild the data key');
  const length = (shares[0] as Uint8Array).length;
  if (length < 2 || shares.some((s) => s.length !== length)) throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', 'malformed Shamir shares');
  const xs = shares.map((s) => s[length - 1] as number);
  if (new Set(xs).size !== xs.length || xs.includes(0)) throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', 'duplicate or invalid Shamir share');
  const secret = new Uint8Array(length - 1);
  for (let i = 0; i < shares.length; i++) {
    // basis_i(0) = Π_{j≠i} x_j / (x_i − x_j); subtraction is XOR in GF(2^8)
    let basis = 1;
    for (let j = 0; j < shares.length; j++) {
      if (j === i) continue;
      basis = mul(basis, mul(xs[j] as number, inv((xs[i] as number) ^ (xs[j] as number))));
    }
    const share = shares[i] as Uint8Array;
    for (let b = 0; b < secret.length; b++) secret[b] = (secret[b] as number) ^ mul(share[b] as number, basis);
  }
  return secret;
}
