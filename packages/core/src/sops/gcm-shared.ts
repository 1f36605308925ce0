/**
 * What the batched AES-256-GCM opener (`gcm-batch.ts`) and sealer (`gcm-seal.ts`) share (NIST SP
 * 800-38D): the cipher and GHASH under one data key, counter blocks, and byte helpers.
 */
import { createCipheriv, type Cipher } from 'node:crypto';
import { SecretsError } from '../errors.js';
import { Ghash } from './ghash.js';

/** AES-256-ECB and GHASH under one data key. */
export interface GcmEngine {
  readonly ecb: Cipher;
  readonly ghash: Ghash;
}

/** A batch of values under one data key; its cipher and GHASH are made when first needed. */
export abstract class GcmKeyedBatch {
  private engine: GcmEngine | undefined;

  /**
   * @param key - the 32-byte data key
   * @param options - `warmUp: false` batches every value from the start (tests)
   * @throws SecretsError INTERNAL for a key of the wrong length
   */
  constructor(
    protected readonly key: Uint8Array,
    protected readonly options: { readonly warmUp?: boolean } = {},
  ) {
    if (key.length !== 32) throw new SecretsError('INTERNAL', `data key must be 32 bytes, got ${key.length}`);
  }

  /** The ECB cipher and GHASH under the key (H = E(K, 0^128), wiped once GHASH holds it). */
  protected setUp(): GcmEngine {
    if (this.engine) return this.engine;
    const ecb = createCipheriv('aes-256-ecb', this.key, null).setAutoPadding(false);
    const h = ecb.update(new Uint8Array(16));
    this.engine = { ecb, ghash: new Ghash(h) };
    h.fill(0);
    return this.engine;
  }

  /** Forgets the GHASH key. */
  protected wipeEngine(): void {
    this.engine?.ghash.wipe();
  }
}

/** Writes a 32-bit word big-endian. */
export function writeWord(bytes: Uint8Array, at: number, w: number): void {
  bytes[at] = w >>> 24;
  bytes[at + 1] = (w >>> 16) & 0xff;
  bytes[at + 2] = (w >>> 8) & 0xff;
  bytes[at + 3] = w & 0xff;
}

/** Reads a 32-bit word big-endian (as a signed 32-bit number). */
export function readWord(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
}

/**
 * The data's counter blocks after J0 at `counters[at]`: J0 with its low 32 bits incremented (mod 2^32)
 * once per block (SP 800-38D inc32), `blocks - 1` of them.
 */
export function fillCounterBlocks(counters: Uint8Array, at: number, blocks: number): void {
  const low = readWord(counters, at + 12);
  for (let i = 1; i < blocks; i++) {
    const o = at + 16 * i;
    counters.copyWithin(o, at, at + 12);
    writeWord(counters, o + 12, (low + i) | 0);
  }
}

/** A growable byte arena: the same array when it has room, else a larger copy (the old one wiped). */
export function growBytes(bytes: Uint8Array<ArrayBuffer>, needed: number): Uint8Array<ArrayBuffer> {
  if (needed <= bytes.length) return bytes;
  const grown = new Uint8Array(Math.max(bytes.length * 2, needed));
  grown.set(bytes);
  bytes.fill(0);
  return grown;
}

/** Whether every code unit of `text` is ASCII. */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}
