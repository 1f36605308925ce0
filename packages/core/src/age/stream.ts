/**
 * `decryptAgeStream`: an age file decrypted as it is read, in memory bounded by one STREAM chunk (C2SP age
 * §Payload: 64 KiB chunks, each authenticated on its own, the last flagged in its nonce), so a file of any
 * size can be decrypted. The header is read whole first, up to a limit, and parsed by the same strict
 * reader and limits as `decryptAge`; the file key comes from the same native or full path. An armored
 * file is not streamed (armor is for small files): it is read whole, up to the same limit.
 *
 * Every chunk is authenticated before it is returned; a file truncated or corrupted after its first
 * chunks fails there, after the chunks before it were returned (as `age -d` writes them).
 */
import { SecretsError } from '../errors.js';
import { concatBytes } from '../bytes.js';
import { AGE_MAGIC, isArmored, toBinaryAgeFile } from './armor.js';
import { decryptAge, type DecryptAgeOptions } from './decrypt.js';
import { decryptionFailure } from './diagnostics.js';
import type { AgeIdentity } from './identities.js';
import { nativeUnwrap, PayloadDecryptor } from './native.js';

/** Options for {@link decryptAgeStream}. */
export interface DecryptAgeStreamOptions extends DecryptAgeOptions {
  /** The most bytes read to find the end of the header (or of an armored file); default 64 MiB. */
  readonly maxHeaderBytes?: number;
}

const NONCE = 16;
const TAG = 16;
const ARMOR_PROBE = 64; // enough for whitespace and "-----BEGIN AGE ENCRYPTED FILE-----"
const corrupted = (): SecretsError => new SecretsError('AGE_FILE_INVALID', 'invalid age file: the payload is truncated or corrupted');

/** Bytes read but not yet used, taken from the front in any amount. */
class Pending {
  private chunks: Uint8Array[] = [];
  length = 0;
  /** Where {@link takeTransient} joins bytes that span two chunks. */
  private scratch: Uint8Array | null = null;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first `n` bytes (n ≤ length), removed. */
  take(n: number): Uint8Array {
    return this.takeInto(n, null);
  }

  /**
   * {@link take} for bytes used at once and then dropped (a sealed chunk, decrypted before the next
   * take): bytes spanning two chunks are joined in one reused buffer, not a new one per chunk.
   */
  takeTransient(n: number): Uint8Array {
    if (this.scratch === null || this.scratch.length < n) this.scratch = new Uint8Array(n);
    return this.takeInto(n, this.scratch);
  }

  private takeInto(n: number, scratch: Uint8Array | null): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0] as Uint8Array;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = scratch === null ? new Uint8Array(n) : scratch.subarray(0, n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0] as Uint8Array;
        const used = Math.min(c.length, n - filled);
        out.set(c.subarray(0, used), filled);
        filled += used;
        if (used === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(used);
      }
    }
    this.length -= n;
    return out;
  }

  /** Everything, as one array (for the header search: it is small, or bounded by the limit). */
  all(): Uint8Array {
    if (this.chunks.length > 1) this.chunks = [concatBytes(...this.chunks)];
    return this.chunks[0] ?? new Uint8Array(0);
  }
}

/**
 * Finds the end of the header across chunks without joining them: just past the LF of the first line
 * that starts with `---` (the MAC line; no other header line may start so, C2SP age §Header).
 */
class HeaderEnd {
  /** 0: inside a line; 1: at a line start; 2, 3: after one, two dashes; 4: on the MAC line. */
  private state = 0;
  private scanned = 0;

  /** Scans the next chunk; returns the header's length once its end is in sight. */
  scan(chunk: Uint8Array): number | null {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.state === 4) {
        if (b === 0x0a) return this.scanned + i + 1;
      } else if (b === 0x0a) this.state = 1;
      else this.state = b === 0x2d && this.state >= 1 ? this.state + 1 : 0;
    }
    this.scanned += chunk.length;
    return null;
  }
}

/**
 * Decrypts an age file as a stream of chunks.
 *
 * @param input - the file's bytes, in chunks of any size
 * @param identities - as for `decryptAge`, tried in the same order
 * @param options - the passphrase callback, the header limit
 * @returns the plaintext, in chunks (64 KiB each but the last), each authenticated before it is yielded
 * @throws SecretsError as `decryptAge`; LIMIT_EXCEEDED when the header (or an armored file) is larger
 *   than the limit
 */
export async function* decryptAgeStream(input: AsyncIterable<Uint8Array>, identities: readonly AgeIdentity[], options: DecryptAgeStreamOptions = {}): AsyncGenerator<Uint8Array> {
  if (identities.length === 0) throw new SecretsError('AGE_NO_IDENTITIES', 'no age identities to decrypt with');
  const max = options.maxHeaderBytes ?? 64 * 1024 * 1024;
  const source = input[Symbol.asyncIterator]();
  const pending = new Pending();
  let done = false;
  /** Reads the next chunk into `pending`; null at the end. */
  const next = async (): Promise<Uint8Array | null> => {
    if (done) return null;
    const r = await source.next();
    if (r.done) done = true;
    else pending.push(r.value);
    return r.done ? null : r.value;
  };
  const read = async (): Promise<boolean> => (await next()) !== null;
  const tooLarge = (what: string): SecretsError =>
    new SecretsError('LIMIT_EXCEEDED', `the age ${what} is larger than ${max} bytes`, { details: { limit: 'inputBytes', max } });

  // An armored file: read whole (bounded), decrypted at once.
  while (pending.length < ARMOR_PROBE && (await read()));
  if (isArmored(pending.all())) {
    while (await read()) if (pending.length > max) throw tooLarge('file');
    yield await decryptAge(pending.all(), identities, options);
    return;
  }
  // Not an age file at all: said at once, as decryptAge says it, without reading further.
  const probe = pending.all();
  if (probe.length >= AGE_MAGIC.length) toBinaryAgeFile(probe.subarray(0, ARMOR_PROBE));
  // The header, whole.
  const scanner = new HeaderEnd();
  let end = scanner.scan(pending.all());
  while (end === null) {
    if (pending.length > max) throw tooLarge('header');
    const chunk = await next();
    if (chunk === null) break;
    end = scanner.scan(chunk);
  }
  // The same first check as decryptAge (the age magic), then the same header reader.
  const header = toBinaryAgeFile(pending.take(end ?? pending.length));
  const native = nativeUnwrap(header, identities);
  if (native !== null && 'unmatched' in native) throw decryptionFailure(native.stanzas, native.unmatched);
  let fileKey: Uint8Array;
  if (native !== null) fileKey = native.fileKey;
  else {
    // The full path parses the header again and says what is wrong with it, if anything.
    const { unwrapWithSession } = await import('./decrypt-session.js');
    fileKey = await unwrapWithSession(header, identities, options);
  }
  // The payload: a nonce, then chunks; a chunk is the last one when nothing follows it.
  let decryptor: PayloadDecryptor;
  try {
    while (pending.length < NONCE + TAG && (await read()));
    // As the whole-file path: a file cut inside the nonce is a header failure (C2SP CCTV stream_no_nonce).
    if (pending.length < NONCE) throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: the payload nonce is missing or truncated');
    if (pending.length < NONCE + TAG) throw corrupted();
    decryptor = new PayloadDecryptor(fileKey, pending.take(NONCE));
  } finally {
    fileKey.fill(0);
  }
  try {
    for (;;) {
      while (pending.length <= PayloadDecryptor.SEALED_CHUNK && (await read()));
      const last = pending.length <= PayloadDecryptor.SEALED_CHUNK;
      // Decrypted into a new buffer before the next take: the sealed bytes may live in a reused one.
      const chunk = decryptor.next(pending.takeTransient(Math.min(pending.length, PayloadDecryptor.SEALED_CHUNK)), last);
      if (chunk === null) throw corrupted();
      yield chunk;
      if (last) return;
    }
  } finally {
    decryptor.dispose();
  }
}
