/**
 * AES-256-GCM opening of many small sops values at once (NIST SP 800-38D; sops' `aes/cipher.go` uses
 * Go's `cipher.NewGCMWithNonceSize`: 16-byte tags, the IV length as written).
 *
 * Why not one `createDecipheriv` per value: for a value of a few dozen bytes, creating the decipher costs
 * far more than the cryptography (measured: ~7 µs per value, 60% of a whole decrypt). Here GHASH runs in
 * JavaScript, in constant time (`ghash.ts`), and AES runs natively once per batch: every value's J0 and
 * counter blocks are collected, and one AES-256-ECB pass of node:crypto encrypts them all. A value's
 * plaintext is produced only once its tag has been checked (constant-time comparison).
 *
 * Values as sops writes them are decoded here straight from the `ENC[…]` text (no intermediate
 * buffers); anything else, large data and unusual tag lengths go through `parseEncValue` and
 * `createDecipheriv` (`openEncValue`), whose results are the reference.
 */
import { utf8 } from '../bytes.js';
import { GcmKeyedBatch, fillCounterBlocks, growBytes, isAscii, readWord, writeWord } from './gcm-shared.js';
import { openEncValue } from './value-cipher.js';
import { parseEncValue, type EncValue } from './enc-value.js';

const TAG_LENGTH = 16;
/** Above this many bytes of data, one `createDecipheriv` costs little next to the data. */
const NATIVE_ABOVE = 4096;
const PREFIX = 'ENC[AES256_GCM,data:';
/** Per job: J0's offset in the counter blocks (-1: opened natively), data offset, data length, flags. */
const STRIDE = 4;
const AUTHENTIC = 1;
const ASCII = 2;

const B64 = /* @__PURE__ */ (() => {
  const index = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) index[alphabet.charCodeAt(i)] = i;
  return index;
})();

/** The decoded length of Go `StdEncoding` base64 in `text[start, end)`, or -1 when it cannot be (then the slow path decides). */
function base64Length(text: string, start: number, end: number): number {
  const length = end - start;
  if (length === 0 || length % 4 !== 0) return -1;
  const pad = text.charCodeAt(end - 1) !== 0x3d ? 0 : text.charCodeAt(end - 2) === 0x3d ? 2 : 1;
  return (length / 4) * 3 - pad;
}

/**
 * Decodes `text[start, end)` (padded standard base64, non-zero trailing bits accepted, as Go's
 * non-strict decoder) into `out` at `at`; false on any other character.
 */
function decodeBase64(text: string, start: number, end: number, out: Uint8Array, at: number, length: number): boolean {
  let o = at;
  const stop = at + length;
  for (let i = start; i < end; i += 4) {
    const a = B64[text.charCodeAt(i)] ?? -1;
    const b = B64[text.charCodeAt(i + 1)] ?? -1;
    const c = o + 1 >= stop ? 0 : (B64[text.charCodeAt(i + 2)] ?? -1);
    const d = o + 2 >= stop ? 0 : (B64[text.charCodeAt(i + 3)] ?? -1);
    if ((a | b | c | d) < 0) return false;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    if (o < stop) out[o++] = (n >>> 8) & 0xff;
    if (o < stop) out[o++] = n & 0xff;
  }
  return true;
}

/**
 * Values opened through `createDecipheriv` instead: the first ones of a process, because the JavaScript
 * GHASH is fast only once the JIT has compiled it (a command decrypting one small file would run it
 * interpreted: a 9-value file took 2-3 ms longer to open), and the first ones of every batch, so that a
 * small file never sets the batch up (`rekey --rotate` of 100 three-value files was 8% slower with only
 * the first 64 values of the process native). Both paths give the same results (tested).
 */
let coldValues = 1024;
const NATIVE_FIRST = 16;

const TYPES = ['str', 'int', 'float', 'bool', 'time', 'bytes', 'comment'];
/** `text[start, end)`, as a shared constant when it is one of sops' types. */
function typeText(text: string, start: number, end: number): string {
  for (const t of TYPES) if (t.length === end - start && text.startsWith(t, start)) return t;
  return text.slice(start, end);
}

/**
 * Opens queued ENC values under one data key: {@link GcmBatch.add} each value (a job number comes back),
 * {@link GcmBatch.open} them all, read each job's result, {@link GcmBatch.clear} for the next batch.
 */
export class GcmBatch extends GcmKeyedBatch {
  /** AES-256-ECB and GHASH under the key, set up when the first value is queued for the batch. */
  private nativeLeft = NATIVE_FIRST;
  private counters = new Uint8Array(4096);
  private countersUsed = 0;
  /** Each job's data: ciphertext until {@link open}, then plaintext in place. */
  private data = new Uint8Array(4096);
  /** The same memory as a Buffer, for its native latin1 decoder. */
  private dataBuffer = Buffer.from(this.data.buffer);
  private dataUsed = 0;
  private jobs = new Int32Array(256 * STRIDE);
  /** Expected E(K, J0) per job (GHASH(A, C) xor tag), four words each. */
  private expected = new Int32Array(256 * 4);
  private ivs: Uint8Array[] = [];
  private types: string[] = [];
  private native = new Map<number, Uint8Array | null>();
  private readonly words = new Int32Array(4);
  private readonly tag = new Uint8Array(TAG_LENGTH);

  /** Queued jobs. */
  get size(): number {
    return this.ivs.length;
  }

  /** Bytes of counter blocks queued (the AES work of the next {@link open}). */
  get pendingBytes(): number {
    return this.countersUsed;
  }

  /**
   * Queues one ENC value.
   *
   * @param text - the `ENC[…]` text
   * @param aad - the additional data it was encrypted with
   * @returns its job number
   * @throws SecretsError SOPS_VALUE_INVALID when it is not an ENC value (as `parseEncValue`)
   */
  add(text: string, aad: string): number {
    if (this.options.warmUp !== false && (coldValues > 0 || this.nativeLeft > 0)) {
      coldValues--;
      this.nativeLeft--;
      return this.addParsed(parseEncValue(text), aad, true);
    }
    const job = this.addCanonical(text, aad);
    if (job >= 0) return job;
    const value = parseEncValue(text);
    return this.addParsed(value, aad, false);
  }

  /** Runs AES over every queued counter block and checks every tag; plaintexts replace ciphertexts. */
  open(): void {
    if (this.countersUsed === 0) return;
    const stream = this.setUp().ecb.update(this.counters.subarray(0, this.countersUsed));
    const { jobs, expected, data } = this;
    for (let job = 0; job < this.size; job++) {
      const at = (jobs[job * STRIDE] as number);
      if (at < 0) continue;
      let diff = 0;
      for (let k = 0; k < 4; k++) {
        const o = at + 4 * k;
        diff |= readWord(stream, o) ^ (expected[job * 4 + k] as number);
      }
      if (diff !== 0) continue;
      const start = (jobs[job * STRIDE + 1] as number);
      const length = (jobs[job * STRIDE + 2] as number);
      let high = 0;
      for (let i = 0; i < length; i++) {
        const p = (data[start + i] as number) ^ (stream[at + 16 + i] as number);
        data[start + i] = p;
        high |= p;
      }
      jobs[job * STRIDE + 3] = AUTHENTIC | (high < 0x80 ? ASCII : 0);
    }
    stream.fill(0);
  }

  /** Whether a job authenticated (after {@link open}). */
  authentic(job: number): boolean {
    return (this.jobs[job * STRIDE] as number) < 0 ? this.native.get(job) != null : ((this.jobs[job * STRIDE + 3] as number) & AUTHENTIC) !== 0;
  }

  /** A job's IV. */
  iv(job: number): Uint8Array {
    return this.ivs[job] ?? new Uint8Array(0);
  }

  /** A job's `type:` text. */
  type(job: number): string {
    return this.types[job] ?? '';
  }

  /** An authentic job's plaintext, as a copy. */
  plaintext(job: number): Uint8Array {
    if ((this.jobs[job * STRIDE] as number) < 0) return this.native.get(job) ?? new Uint8Array(0);
    const start = (this.jobs[job * STRIDE + 1] as number);
    const out = new Uint8Array((this.jobs[job * STRIDE + 2] as number));
    for (let i = 0; i < out.length; i++) out[i] = (this.data[start + i] as number);
    return out;
  }

  /** An authentic job's plaintext as text when it is ASCII (valid UTF-8 by construction); undefined when not, or when opened natively. */
  asciiText(job: number): string | undefined {
    if ((this.jobs[job * STRIDE] as number) < 0 || ((this.jobs[job * STRIDE + 3] as number) & ASCII) === 0) return undefined;
    const start = (this.jobs[job * STRIDE + 1] as number);
    return this.dataBuffer.toString('latin1', start, start + (this.jobs[job * STRIDE + 2] as number));
  }

  /**
   * An authentic job's plaintext bytes, handed to `sink` without a copy (valid during the call only).
   *
   * @param job - the job
   * @param sink - receives the bytes, start and end
   */
  withPlaintext(job: number, sink: (bytes: Uint8Array, start: number, end: number) => void): void {
    if ((this.jobs[job * STRIDE] as number) < 0) {
      const bytes = this.native.get(job) ?? new Uint8Array(0);
      sink(bytes, 0, bytes.length);
      return;
    }
    const start = (this.jobs[job * STRIDE + 1] as number);
    sink(this.data, start, start + (this.jobs[job * STRIDE + 2] as number));
  }

  /** Forgets the queued jobs and wipes their plaintexts and counter blocks. */
  clear(): void {
    this.counters.fill(0, 0, this.countersUsed);
    this.data.fill(0, 0, this.dataUsed);
    this.countersUsed = 0;
    this.dataUsed = 0;
    this.ivs = [];
    this.types = [];
    this.native = new Map();
  }

  /** {@link clear}, and forgets the GHASH key. */
  dispose(): void {
    this.clear();
    this.wipeEngine();
    this.expected.fill(0);
  }

  /** The ENC value as sops writes it (see `parseCanonicalEncValue` in `enc-value.ts`), or -1. */
  private addCanonical(text: string, aad: string): number {
    if (!text.startsWith(PREFIX) || text.charCodeAt(text.length - 1) !== 0x5d) return -1;
    const iv = text.indexOf(',iv:', PREFIX.length);
    const tag = text.indexOf(',tag:', iv + 4);
    const type = text.indexOf(',type:', tag + 5);
    if (iv < 0 || tag < 0 || type < 0 || type + 7 >= text.length) return -1;
    for (let i = type + 6; i < text.length - 1; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x2c || c === 0x5d || c === 0x0a) return -1;
    }
    const dataLength = base64Length(text, PREFIX.length, iv);
    const ivLength = base64Length(text, iv + 4, tag);
    if (dataLength < 0 || dataLength > NATIVE_ABOVE || ivLength <= 0 || base64Length(text, tag + 5, type) !== TAG_LENGTH) return -1;
    this.reserveData(dataLength);
    const ivBytes = new Uint8Array(ivLength);
    const ok =
      decodeBase64(text, PREFIX.length, iv, this.data, this.dataUsed, dataLength) &&
      decodeBase64(text, iv + 4, tag, ivBytes, 0, ivLength) &&
      decodeBase64(text, tag + 5, type, this.tag, 0, TAG_LENGTH);
    if (!ok) return -1;
    return this.queue(ivBytes, this.tag, dataLength, typeText(text, type + 6, text.length - 1), aad);
  }

  private addParsed(value: EncValue, aad: string, native: boolean): number {
    const { data, iv, tag } = value;
    if (native || tag.length !== TAG_LENGTH || data.length > NATIVE_ABOVE || iv.length === 0) {
      const job = this.reserveJob();
      this.jobs[job * STRIDE] = -1;
      this.native.set(job, openEncValue(value, this.key, aad));
      this.ivs.push(iv);
      this.types.push(value.type);
      return job;
    }
    this.reserveData(data.length);
    this.data.set(data, this.dataUsed);
    return this.queue(iv, tag, data.length, value.type, aad);
  }

  /** Queues a job whose ciphertext is at the end of the data arena: J0, counters, expected E(K, J0). */
  private queue(iv: Uint8Array, tag: Uint8Array, dataLength: number, type: string, aad: string): number {
    const job = this.reserveJob();
    const blocks = 1 + Math.ceil(dataLength / 16);
    this.counters = growBytes(this.counters, this.countersUsed + blocks * 16);
    const at = this.countersUsed;
    const { counters, words } = this;
    const { ghash } = this.setUp();
    // J0: IV || 0^31 || 1 for a 12-byte IV, else GHASH(IV zero-padded, then the lengths 0 and |IV|).
    if (iv.length === 12) {
      counters.set(iv, at);
      counters.fill(0, at + 12, at + 15);
      counters[at + 15] = 1;
    } else {
      ghash.reset();
      ghash.bytes(iv, 0, iv.length);
      ghash.lengths(0, iv.length);
      ghash.digestWords(words, 0);
      for (let k = 0; k < 4; k++) writeWord(counters, at + 4 * k, (words[k] as number));
    }
    // The data's counter blocks: J0 with its low 32 bits incremented (mod 2^32) once per block.
    fillCounterBlocks(counters, at, blocks);
    this.countersUsed += blocks * 16;
    // tag = GHASH(A, C) xor E(K, J0): keep GHASH(A, C) xor tag, to compare with E(K, J0).
    ghash.reset();
    const aadLength = isAscii(aad) ? aad.length : -1;
    if (aadLength >= 0) ghash.ascii(aad);
    const aadBytes = aadLength >= 0 ? null : utf8(aad);
    if (aadBytes) ghash.bytes(aadBytes, 0, aadBytes.length);
    ghash.bytes(this.data, this.dataUsed, this.dataUsed + dataLength);
    ghash.lengths(aadBytes ? aadBytes.length : aadLength, dataLength);
    ghash.digestWords(this.expected, job * 4);
    for (let k = 0; k < 4; k++) (this.expected[job * 4 + k] as number) ^= ((tag[4 * k] as number) << 24) | ((tag[4 * k + 1] as number) << 16) | ((tag[4 * k + 2] as number) << 8) | (tag[4 * k + 3] as number);
    this.jobs[job * STRIDE] = at;
    this.jobs[job * STRIDE + 1] = this.dataUsed;
    this.jobs[job * STRIDE + 2] = dataLength;
    this.jobs[job * STRIDE + 3] = 0;
    this.dataUsed += dataLength;
    this.ivs.push(iv);
    this.types.push(type);
    return job;
  }

  private reserveData(length: number): void {
    const data = growBytes(this.data, this.dataUsed + length);
    if (data === this.data) return;
    this.data = data;
    this.dataBuffer = Buffer.from(data.buffer);
  }

  /** The next job number, with room for it in the job tables. */
  private reserveJob(): number {
    const job = this.ivs.length;
    if ((job + 1) * STRIDE > this.jobs.length) {
      const jobs = new Int32Array(this.jobs.length * 2);
      jobs.set(this.jobs);
      this.jobs = jobs;
      const expected = new Int32Array(this.expected.length * 2);
      expected.set(this.expected);
      this.expected.fill(0);
      this.expected = expected;
    }
    return job;
  }
}
