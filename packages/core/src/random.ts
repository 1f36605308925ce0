/**
 * Fresh random bytes for keys and nonces (age file keys and ephemeral scalars, sops data keys and IVs),
 * drawn from a pool: one `randomFillSync` per 4 KiB instead of one `randomBytes` call per key or IV (each
 * ~3–4 µs, most of it the call, not the bytes: a sops file of 100,000 values draws 100,000 IVs).
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { wipe } from './bytes.js';

// Bytes handed out are copied and wiped in the pool; bytes not yet handed out are as secret as the DRBG
// state OpenSSL keeps in the same process.
const POOL_BYTES = 4096;
let pool: Buffer | undefined;
let poolUsed = POOL_BYTES;

/**
 * Fresh random bytes (from a pool filled by `randomFillSync`); the caller wipes them when they are secret.
 *
 * @param length - any; more than 256 bytes (Shamir coefficients for many key groups) bypass the pool
 * @internal
 */
export function freshRandom(length: number): Uint8Array {
  if (length > 256) return new Uint8Array(randomBytes(length));
  if (pool === undefined || poolUsed + length > POOL_BYTES) {
    pool ??= Buffer.allocUnsafeSlow(POOL_BYTES);
    randomFillSync(pool);
    poolUsed = 0;
  }
  const taken = pool.subarray(poolUsed, poolUsed + length);
  const bytes = new Uint8Array(taken);
  wipe(taken);
  poolUsed += length;
  return bytes;
}
