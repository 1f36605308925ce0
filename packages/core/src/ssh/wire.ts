/**
 * The SSH wire encoding (RFC 4251 §5): uint32, string (uint32 length + bytes), mpint and names, read with
 * every length checked against what is left. A hostile key file can therefore only ever produce an
 * SSH_KEY_INVALID {@link SecretsError}, never a RangeError or an out-of-bounds read.
 *
 * Error messages name what was being read ("OpenSSH private key", "SSH public key"), never its bytes.
 */
import { SecretsError } from '../errors.js';

const encoder = new TextEncoder();

/** RFC 4251 §6: algorithm and key type names are at most 64 characters. */
const MAX_NAME_LENGTH = 64;

/** A bounds-checked reader over SSH wire bytes. Views it returns alias the input; copy what you keep. */
export class WireReader {
  readonly #bytes: Uint8Array;
  readonly #what: string;
  #offset = 0;

  /**
   * @param bytes - the buffer to read (not copied)
   * @param what - what is being read, for error messages, e.g. `SSH public key`
   */
  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#what = what;
  }

  /**
   * Throws this reader's error.
   *
   * @param reason - what is wrong, without any of the data
   * @throws SecretsError SSH_KEY_INVALID `malformed <what>: <reason>`, always
   */
  fail(reason: string): never {
    throw new SecretsError('SSH_KEY_INVALID', `malformed ${this.#what}: ${reason}`);
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  /**
   * Reads a big-endian uint32.
   *
   * @returns a number in [0, 2^32)
   * @throws SecretsError SSH_KEY_INVALID when fewer than 4 bytes are left
   */
  uint32(): number {
    if (this.remaining < 4) this.fail('truncated data');
    const b = this.#bytes;
    const o = this.#offset;
    this.#offset += 4;
    return ((b[o] as number) * 0x1000000 + (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number))) >>> 0;
  }

  /**
   * Reads `n` raw bytes.
   *
   * @param n - how many
   * @returns a view into the input
   * @throws SecretsError SSH_KEY_INVALID when fewer than `n` bytes are left
   */
  raw(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining) this.fail('a length field exceeds the data');
    const out = this.#bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  /**
   * Reads a length-prefixed string (RFC 4251 §5 "string") as bytes.
   *
   * @returns a view into the input
   * @throws SecretsError SSH_KEY_INVALID when the length exceeds the data
   */
  string(): Uint8Array {
    return this.raw(this.uint32());
  }

  /**
   * Reads a name: a string of 1 to 64 printable US-ASCII characters without spaces (RFC 4251 §6), such
   * as a key type, cipher or KDF name.
   *
   * @returns the name
   * @throws SecretsError SSH_KEY_INVALID for anything else
   */
  name(): string {
    const bytes = this.string();
    if (bytes.length === 0 || bytes.length > MAX_NAME_LENGTH) this.fail('bad algorithm name');
    let out = '';
    for (const b of bytes) {
      if (b < 0x21 || b > 0x7e) this.fail('bad algorithm name');
      out += String.fromCharCode(b);
    }
    return out;
  }

  /**
   * Reads an mpint (RFC 4251 §5) that must not be negative, as an unsigned big-endian magnitude.
   * Redundant leading zero bytes are tolerated and dropped (OpenSSH and Go accept them too).
   *
   * @returns a fresh copy of the magnitude without leading zeros (empty for zero)
   * @throws SecretsError SSH_KEY_INVALID for a negative or truncated value
   */
  mpint(): Uint8Array {
    const bytes = this.string();
    if (bytes.length > 0 && ((bytes[0] as number) & 0x80) !== 0) this.fail('negative integer');
    let start = 0;
    while (start < bytes.length && bytes[start] === 0) start++;
    return bytes.slice(start);
  }

  /**
   * Reads everything that is left.
   *
   * @returns a view into the input
   */
  rest(): Uint8Array {
    return this.raw(this.remaining);
  }

  /**
   * Fails unless everything was read.
   *
   * @throws SecretsError SSH_KEY_INVALID when bytes are left over
   */
  end(): void {
    if (this.remaining !== 0) this.fail('unexpected trailing data');
  }
}

/** Builds SSH wire bytes; the counterpart of {@link WireReader}. */
export class WireWriter {
  readonly #parts: Uint8Array[] = [];
  #length = 0;

  /**
   * Appends bytes as they are (copied).
   *
   * @param bytes - the bytes
   * @returns this writer
   */
  raw(bytes: Uint8Array): this {
    this.#parts.push(bytes.slice());
    this.#length += bytes.length;
    return this;
  }

  /**
   * Appends a big-endian uint32.
   *
   * @param n - an integer in [0, 2^32)
   * @returns this writer
   * @throws SecretsError INTERNAL for a value out of range
   */
  uint32(n: number): this {
    return this.raw(wireUint32(n));
  }

  /**
   * Appends a length-prefixed string.
   *
   * @param bytes - the contents; a JS string is UTF-8 encoded
   * @returns this writer
   */
  string(bytes: Uint8Array | string): this {
    return this.raw(wireString(bytes));
  }

  /**
   * Appends an unsigned magnitude as a minimal mpint.
   *
   * @param magnitude - big-endian unsigned bytes
   * @returns this writer
   */
  mpint(magnitude: Uint8Array): this {
    return this.raw(wireMpint(magnitude));
  }

  /**
   * Joins what was written.
   *
   * @returns everything written, as one fresh array
   */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const p of this.#parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}

/**
 * Encodes a uint32 big-endian.
 *
 * @param n - an integer in [0, 2^32)
 * @returns 4 bytes
 * @throws SecretsError INTERNAL for a value out of range (a programming error, not input)
 */
export function wireUint32(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new SecretsError('INTERNAL', 'uint32 out of range');
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/**
 * Encodes a length-prefixed string.
 *
 * @param bytes - the contents; a JS string is UTF-8 encoded
 * @returns `uint32(length) || bytes`
 */
export function wireString(bytes: Uint8Array | string): Uint8Array {
  const data = typeof bytes === 'string' ? encoder.encode(bytes) : bytes;
  const out = new Uint8Array(4 + data.length);
  out.set(wireUint32(data.length), 0);
  out.set(data, 4);
  return out;
}

/**
 * Encodes an unsigned magnitude as a minimal mpint: leading zeros dropped, one zero byte added when the
 * top bit is set so that the value stays positive (RFC 4251 §5).
 *
 * @param magnitude - big-endian unsigned bytes
 * @returns the length-prefixed mpint
 */
export function wireMpint(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length && magnitude[start] === 0) start++;
  const m = magnitude.subarray(start);
  if (m.length > 0 && ((m[0] as number) & 0x80) !== 0) {
    const padded = new Uint8Array(m.length + 1);
    padded.set(m, 1);
    return wireString(padded);
  }
  return wireString(m);
}

/**
 * Decodes standard base64 as OpenSSH and Go's `encoding/base64` (non-strict) accept it in key files and
 * lines: the RFC 4648 alphabet, `=` padding optional, non-zero trailing bits tolerated.
 *
 * @param text - base64 without whitespace
 * @returns the bytes, or null when the text is not base64
 */
export function decodeBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const pad = text.length - text.replace(/=+$/, '').length;
  if (pad > 0 && text.length % 4 !== 0) return null;
  if ((text.length - pad) % 4 === 1) return null;
  // Copy out of Buffer's shared pool and clear our slice of it: this may be a private key.
  const decoded = Buffer.from(text, 'base64');
  const out = new Uint8Array(decoded);
  decoded.fill(0);
  return out;
}
