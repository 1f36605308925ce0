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
import { IV_LENGTH, canonicalEncoding, encodePlaintext, type EncType, type IvSource, type Plaintext } from './value-cipher.js';

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

/** A decrypted value as recorded; checked and hashed on first use of the stash. */
interface Pending {
  readonly aad: string;
  readonly value: Plaintext;
  /** What was decrypted; null for strings and bytes, which re-encode to exactly that by construction. */
  readonly decrypted: Uint8Array | null;
  readonly iv: Uint8Array;
}

/** IVs of values decrypted under one data key, to re-encrypt them to identical ciphertext. */
export class IvStash {
  /** A stash with no entries: every encryption gets a fresh IV. */
  static readonly EMPTY: IvStash = /* @__PURE__ */ new IvStash(null, []);
  private resolved: ReadonlyMap<string, Uint8Array> | undefined;

  private constructor(
    private key: Buffer | null,
    private pending: readonly Pending[],
  ) {}

  private get entries(): ReadonlyMap<string, Uint8Array> {
    if (this.resolved === undefined) {
      const entries = new Map<string, Uint8Array>();
      for (const p of this.pending) {
        // Only when re-encrypting gives exactly the decrypted bytes (a decrypted `+5` re-encrypts as `5`).
        const canonical = p.decrypted === null ? encodePlaintext(p.value) : canonicalEncoding(p.value, p.decrypted);
        if (canonical && this.key) entries.set(entryId(this.key, p.aad, canonical.type, canonical.bytes), p.iv.slice());
      }
      this.resolved = entries;
      this.pending = [];
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
  private readonly pending: Pending[] = [];

  /** @internal */
  constructor(
    private readonly key: Buffer,
    private readonly make: (key: Buffer, pending: readonly Pending[]) => IvStash,
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
    this.pending.push({ aad, value, decrypted: exact ? null : decrypted, iv });
  }

  /** @returns the immutable stash */
  build(): IvStash {
    return this.make(this.key, [...this.pending]);
  }
}
