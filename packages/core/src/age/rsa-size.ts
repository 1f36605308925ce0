/**
 * The smallest RSA key age accepts; apart from `ssh-rsa.ts` so that parsing recipients loads no stanza code.
 */

/** agessh refuses RSA recipients below 2048 bits. */
export const MIN_RSA_BITS = 2048;

/**
 * Whether a modulus is big enough for age. Go checks `pk.Size()*8 < 2048`, i.e. the modulus length
 * rounded up to whole bytes, so a 2047-bit modulus passes there and must pass here.
 *
 * @param bits - the modulus size in bits
 * @returns true when age accepts the key
 */
export function rsaKeyIsLargeEnough(bits: number): boolean {
  return Math.ceil(bits / 8) * 8 >= MIN_RSA_BITS;
}
