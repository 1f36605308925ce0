/**
 * The SSH wire encoding (RFC 4251 §5): uint32, string (uint32 length + bytes) and mpint, read with every
 * length checked against what is left, so a hostile key file can only ever produce an SSH_KEY_INVALID error.
 */
import { SecretsError } from '../errors.js';

/** A bounds-checked reader over SSH wire bytes. */
export class WireReader {
  private offset = 0;

  /**
   * @param bytes - the buffer to read
   * @param what - what is being read, for error messages (e.g. "public key")
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  private fail(): never {
    throw new SecretsError('SSH_KEY_INVALID', `malformed ${this.what}: truncated or inconsistent length field`);
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Reads a big-endian uint32. */
  uint32(): number {
    if (this.remaining < 4) this.fail();
    const b = this.bytes;
    const o = this.offset;
    this.offset += 4;
    return (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
  }

  /** Reads `n` raw bytes (a view, not a copy). */
  raw(n: number): Uint8Array {
    if (n < 0 || n > this.remaining) this.fail();
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** Reads a length-prefixed string as bytes. */
  string(): Uint8Array {
    return this.raw(this.uint32());
  }

  /** Reads a length-prefixed string that must be ASCII text (key types, cipher names). */
  text(): string {
    const bytes = this.string();
    for (const b of bytes) if (b < 0x20 || b > 0x7e) this.fail();
    return String.fromCharCode(...bytes);
  }

  /**
   * Reads an mpint and returns its unsigned magnitude without leading zeros. Negative values are
   * rejected: no key field we read may be negative.
   */
  mpint(): Uint8Array {
    const bytes = this.string();
    if (bytes.length > 0 && ((bytes[0] as number) & 0x80) !== 0) this.fail();
    let start = 0;
    while (start < bytes.length && bytes[start] === 0) start++;
    return bytes.subarray(start);
  }

  /** Fails unless everything was read. */
  end(): void {
    if (this.remaining !== 0) this.fail();
  }
}

/** Encodes a uint32 big-endian. */
export function wireUint32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

/** Encodes a length-prefixed string. */
export function wireString(bytes: Uint8Array | string): Uint8Array {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const out = new Uint8Array(4 + data.length);
  out.set(wireUint32(data.length), 0);
  out.set(data, 4);
  return out;
}

/** Encodes an unsigned magnitude as an mpint (a leading zero byte when the top bit is set). */
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
