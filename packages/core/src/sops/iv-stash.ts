/**
 * The IV stash: stable ciphertext for unchanged values across decrypt → edit → encrypt.
 *
 * sops keeps a hidden map in its cipher object (`aes/cipher.go` `stash`, keyed by AAD and the Go value)
 * so that an unchanged value re-encrypts to the same text and git diffs stay small. Here the stash is an
 * explicit, immutable value: {@link decryptDocument} returns one, and the caller hands it to the next
 * encryption under the same data key.
 *
 * Safety rules (stricter than sops):
 * - an entry is recorded only when re-encrypting the decoded value gives back exactly the decrypted bytes,
 *   so an IV is only ever reused for the same (key, AAD, plaintext) and the ciphertext is identical;
 * - entries are identified by an HMAC under a key derived from the data key, and under another data key
 *   (rotate) nothing matches: every value gets a fresh IV.
 *
 * The checks and HMACs run when the stash is first used: most callers only decrypt and never need it.
 * Until then it refers to the decrypted values, which the opened file's document holds anyway.
 */
import { createHmac } from 'node:crypto';
import { SecretsError } from '../errors.js';
import { utf8 } from '../bytes.js';
import { IV_LENGTH, type IvSource } from './value-cipher.js';
import { canonicalEncoding, encodePlaintext, type EncType, type Plaintext } from './plaintext-encoding.js';

const STASH_KEY_LABEL = 'secrets/sops iv stash v1';

function stashKey(dataKey: Uint8Array): Buffer {
  return createHmac('sha256', dataKey).update(STASH_KEY_LABEL).digest();
}

function entryId(key: Buffer, aad: string, type: EncType, plaintext: Uint8Array): string {
  // Length-prefixed fields, so that no two (aad, type, plaintext) triples share an encoding.
  const aadBytes = utf8(aad);
  const h = createHmac('sha256', key);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(aadBytes.length);
  h.update(len).update(aadBytes);
  h.update(Buffer.from([type.length])).update(type);
  return h.update(plaintext).digest('base64');
}

/**
 * The decrypted values as recorded, checked and hashed on first use of the stash. Held column-wise, the
 * IVs in one buffer: an object and an IV array per value were most of what decrypting a large file left
 * for the garbage collector to move.
 */
class PendingValues {
  readonly aads: string[] = [];
  readonly values: Plaintext[] = [];
  /** What was decrypted; null for strings and bytes, which re-encode to exactly that by construction. */
  readonly decrypted: (Uint8Array | null)[] = [];
  private ivs = new Uint8Array(0);

  get length(): number {
    return this.aads.length;
  }

  push(aad: string, value: Plaintext, decrypted: Uint8Array | null, iv: Uint8Array): void {
    const at = this.aads.length * IV_LENGTH;
    if (at + IV_LENGTH > this.ivs.length) {
      const grown = new Uint8Array(Math.max(64 * IV_LENGTH, this.ivs.length * 2));
      grown.set(this.ivs);
      this.ivs = grown;
    }
    this.ivs.set(iv, at);
    this.aads.push(aad);
    this.values.push(value);
    this.decrypted.push(decrypted);
  }

  /** The i-th IV, as a copy. */
  iv(i: number): Uint8Array {
    return this.ivs.slice(i * IV_LENGTH, (i + 1) * IV_LENGTH);
  }
}

/** IVs of values decrypted under one data key, to re-encrypt them to identical ciphertext. */
export class IvStash {
  /** A stash with no entries: every encryption gets a fresh IV. */
  static readonly EMPTY: IvStash = /* @__PURE__ */ new IvStash(null, new PendingValues());
  private resolved: ReadonlyMap<string, Uint8Array> | undefined;

  private constructor(
    private key: Buffer | null,
    private pending: PendingValues | null,
  ) {}

  private get entries(): ReadonlyMap<string, Uint8Array> {
    if (this.resolved === undefined) {
      const entries = new Map<string, Uint8Array>();
      const p = this.pending;
      for (let i = 0; p !== null && i < p.length; i++) {
        const value = p.values[i] as Plaintext;
        const decrypted = p.decrypted[i] ?? null;
        // Only when re-encrypting gives exactly the decrypted bytes (a decrypted `+5` re-encrypts as `5`).
        const canonical = decrypted === null ? encodePlaintext(value) : canonicalEncoding(value, decrypted);
        if (canonical && this.key) entries.set(entryId(this.key, p.aads[i] as string, canonical.type, canonical.bytes), p.iv(i));
      }
      this.resolved = entries;
      this.pending = null;
      this.key?.fill(0);
      this.key = null;
    }
    return this.resolved;
  }

  /** Number of recorded IVs. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * One stash holding the entries of several (the first wins for a value in more than one). Only
   * stashes recorded under the data key of the coming encryption can match: entries are keyed under
   * their own data key, so the others are inert.
   *
   * @param stashes - stashes from decrypting versions of one file (a merge's sides)
   * @returns the combined stash
   */
  static union(stashes: readonly IvStash[]): IvStash {
    const entries = new Map<string, Uint8Array>();
    for (const stash of stashes) for (const [id, iv] of stash.entries) if (!entries.has(id)) entries.set(id, iv);
    const combined = new IvStash(null, null);
    combined.resolved = entries;
    return combined;
  }

  /**
   * Starts building a stash while decrypting with `dataKey`.
   *
   * @param dataKey - the file's data key
   * @returns a builder; call {@link IvStashBuilder.build} at the end
   */
  static builder(dataKey: Uint8Array): IvStashBuilder {
    return new IvStashBuilder(stashKey(dataKey), (key, pending) => new IvStash(key, pending));
  }

  /**
   * The IV source for an encryption: the recorded IV for an unchanged value under the same data key,
   * otherwise a fresh one.
   *
   * @param dataKey - the data key the encryption uses
   * @param random - returns `n` cryptographically random bytes
   * @returns an {@link IvSource}
   */
  ivSource(dataKey: Uint8Array, random: (length: number) => Uint8Array): IvSource {
    const key = this.size > 0 ? stashKey(dataKey) : undefined;
    return (aad, type, plaintext) => {
      const iv = key === undefined ? undefined : this.entries.get(entryId(key, aad, type, plaintext));
      if (iv !== undefined) return iv.slice();
      const fresh = random(IV_LENGTH);
      if (fresh.length !== IV_LENGTH) throw new RangeError(`random source returned ${fresh.length} bytes, expected ${IV_LENGTH}`);
      return fresh;
    };
  }
}

/** Collects IVs during one decryption; see {@link IvStash.builder}. */
export class IvStashBuilder {
  private readonly pending = new PendingValues();

  /** @internal */
  constructor(
    private readonly key: Buffer,
    private readonly make: (key: Buffer, pending: PendingValues) => IvStash,
  ) {}

  /**
   * Records the IV of a decrypted value. It is reused only for a value that re-encrypts to exactly the
   * bytes that were decrypted (see `canonicalEncoding`), which is checked when the stash is first used.
   *
   * @param aad - the value's AAD
   * @param value - the decoded value (after any conversion, e.g. to a comment)
   * @param decrypted - the bytes that were decrypted; may be null for a string or bytes value
   * @param iv - the IV it was encrypted with; IVs of another length than sops' 32 bytes are ignored
   */
  record(aad: string, value: Plaintext, decrypted: Uint8Array | null, iv: Uint8Array): void {
    if (iv.length !== IV_LENGTH) return;
    // A string was decoded strictly and bytes are kept as they are: both re-encode to exactly what was
    // decrypted, so their plaintext need not be kept (a large file's would double its memory).
    const exact = value.kind === 'string' || value.kind === 'bytes';
    if (!exact && decrypted === null) throw new SecretsError('INTERNAL', `the decrypted bytes of a ${value.kind} are needed for its IV`);
    this.pending.push(aad, value, exact ? null : decrypted, iv);
  }

  /** @returns the immutable stash; call once, when done recording */
  build(): IvStash {
    return this.make(this.key, this.pending);
  }
}
