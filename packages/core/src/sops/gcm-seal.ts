/**
 * AES-256-GCM sealing of many small sops values at once: the encryption side of `gcm-batch.ts` (NIST
 * SP 800-38D; sops' `aes/cipher.go`: 32-byte IVs, 16-byte tags, the value's path as additional data).
 *
 * One `createCipheriv` per value costs ~5 µs for a few dozen bytes of work, most of a large file's
 * encryption. Here every queued value's J0 and counter blocks go through one AES-256-ECB pass of
 * node:crypto, the data is XORed with its keystream, and the tag is GHASH (constant-time JavaScript,
 * `ghash.ts`) of the AAD and ciphertext XOR E(K, J0). The output is the same ENC text `sealEncValue`
 * writes for the same IV (a property test compares them); the first values of a process and of each
 * batch, and large values, are sealed by `sealEncValue` itself (the JavaScript GHASH is fast only once
 * the JIT has compiled it; see `gcm-batch.ts`).
 */
import { toBase64, utf8 } from '../bytes.js';
import { GcmKeyedBatch, fillCounterBlocks, growBytes, isAscii, readWord, writeWord } from './gcm-shared.js';
import { sealEncValue } from './value-cipher.js';

/** Above this many bytes of data, one `createCipheriv` costs little next to the data. */
const NATIVE_ABOVE = 4096;
/** Sealed natively: the first values of a process (cold JIT) and of each batch (a small file never sets one up). */
let coldValues = 1024;
const NATIVE_FIRST = 16;
/** Counter bytes queued before the batch seals what it holds (memory stays bounded for a large file). */
const SEAL_EVERY = 1 << 20;

/** A queued value: where its blocks and data are, and what its ENC text needs. */
interface Job {
  readonly counterAt: number;
  readonly dataAt: number;
  readonly length: number;
  readonly iv: Uint8Array;
  readonly type: string;
  readonly aad: string;
  readonly done: (text: string) => void;
}

/**
 * Seals values under one data key: {@link GcmSealBatch.add} each (its ENC text is handed to `done`, at
 * once or at the next {@link GcmSealBatch.seal}), {@link GcmSealBatch.seal} the rest, then
 * {@link GcmSealBatch.dispose}.
 */
export class GcmSealBatch extends GcmKeyedBatch {
  private nativeLeft = NATIVE_FIRST;
  private counters = new Uint8Array(4096);
  private countersUsed = 0;
  /** Each job's plaintext until {@link seal}, then its ciphertext. */
  private data = new Uint8Array(4096);
  private dataUsed = 0;
  private jobs: Job[] = [];
  private readonly words = new Int32Array(4);
  private readonly tag = new Uint8Array(16);

  /**
   * Queues one value.
   *
   * @param plaintext - its bytes (copied)
   * @param type - the `type:` to record
   * @param aad - its additional data
   * @param iv - its 32-byte IV
   * @param done - receives the ENC text
   */
  add(plaintext: Uint8Array, type: string, aad: string, iv: Uint8Array, done: (text: string) => void): void {
    const warm = this.options.warmUp === false || (coldValues <= 0 && this.nativeLeft <= 0);
    if (!warm || plaintext.length > NATIVE_ABOVE || iv.length !== 32) {
      coldValues--;
      this.nativeLeft--;
      done(sealEncValue(plaintext, type, this.key, aad, iv));
      return;
    }
    const blocks = 1 + Math.ceil(plaintext.length / 16);
    this.counters = growBytes(this.counters, this.countersUsed + blocks * 16);
    this.data = growBytes(this.data, this.dataUsed + plaintext.length);
    const at = this.countersUsed;
    const { counters, words } = this;
    const { ghash } = this.setUp();
    // J0 for a 32-byte IV: GHASH(IV, then the lengths block 0 || 256 bits) (SP 800-38D §7.1 step 2).
    ghash.reset();
    ghash.bytes(iv, 0, iv.length);
    ghash.lengths(0, iv.length);
    ghash.digestWords(words, 0);
    for (let k = 0; k < 4; k++) writeWord(counters, at + 4 * k, words[k] as number);
    fillCounterBlocks(counters, at, blocks);
    this.countersUsed += blocks * 16;
    this.data.set(plaintext, this.dataUsed);
    this.jobs.push({ counterAt: at, dataAt: this.dataUsed, length: plaintext.length, iv, type, aad, done });
    this.dataUsed += plaintext.length;
    if (this.countersUsed >= SEAL_EVERY) this.seal();
  }

  /** Seals every queued value and hands each its ENC text. */
  seal(): void {
    if (this.jobs.length === 0) return;
    const { ecb, ghash } = this.setUp();
    const stream = ecb.update(this.counters.subarray(0, this.countersUsed));
    const { data, words, tag } = this;
    const jobs = this.jobs;
    this.jobs = [];
    try {
      for (const job of jobs) {
        const { counterAt: at, dataAt: start, length } = job;
        for (let i = 0; i < length; i++) data[start + i] = (data[start + i] as number) ^ (stream[at + 16 + i] as number);
        // tag = GHASH(A, C) xor E(K, J0)
        ghash.reset();
        const ascii = isAscii(job.aad);
        const aadBytes = ascii ? null : utf8(job.aad);
        if (aadBytes) ghash.bytes(aadBytes, 0, aadBytes.length);
        else ghash.ascii(job.aad);
        ghash.bytes(data, start, start + length);
        ghash.lengths(aadBytes ? aadBytes.length : job.aad.length, length);
        ghash.digestWords(words, 0);
        for (let k = 0; k < 4; k++) writeWord(tag, 4 * k, (words[k] as number) ^ readWord(stream, at + 4 * k));
        job.done(`ENC[AES256_GCM,data:${toBase64(data.subarray(start, start + length))},iv:${toBase64(job.iv)},tag:${toBase64(tag)},type:${job.type}]`);
      }
    } finally {
      stream.fill(0);
      this.counters.fill(0, 0, this.countersUsed);
      this.data.fill(0, 0, this.dataUsed);
      this.countersUsed = 0;
      this.dataUsed = 0;
    }
  }

  /** Forgets queued values (unsealed) and the GHASH key. */
  dispose(): void {
    this.jobs = [];
    this.counters.fill(0, 0, this.countersUsed);
    this.data.fill(0, 0, this.dataUsed);
    this.countersUsed = 0;
    this.dataUsed = 0;
    this.wipeEngine();
  }
}
