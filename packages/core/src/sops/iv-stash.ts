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
 * - entries are identified by an HMAC under a key derived from the data key, so the stash holds no
 *   plaintext, and under another data key (rotate) nothing matches: every value gets a fresh IV.
 */
import { createHmac } from 'node:crypto';
import { utf8 } from '../bytes.js';
import { IV_LENGTH, type EncType, type IvSource } from './value-cipher.js';

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

/** IVs of values decrypted under one data key, to re-encrypt them to identical ciphertext. */
export class IvStash {
  /** A stash with no entries: every encryption gets a fresh IV. */
  static readonly EMPTY: IvStash = /* @__PURE__ */ new IvStash(new Map());

  private constructor(private readonly entries: ReadonlyMap<string, Uint8Array>) {}

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
    return new IvStashBuilder(stashKey(dataKey), (entries) => new IvStash(entries));
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
    const key = this.entries.size > 0 ? stashKey(dataKey) : undefined;
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
  private readonly entries = new Map<string, Uint8Array>();

  /** @internal */
  constructor(
    private readonly key: Buffer,
    private readonly make: (entries: ReadonlyMap<string, Uint8Array>) => IvStash,
  ) {}

  /**
   * Records the IV of a decrypted value. Call it only with the bytes that re-encrypting the value would
   * produce, and only when they equal what was decrypted (see `canonicalEncoding`).
   *
   * @param aad - the value's AAD
   * @param type - the type it re-encrypts as
   * @param plaintext - its plaintext bytes
   * @param iv - the IV it was encrypted with; IVs of another length than sops' 32 bytes are ignored
   */
  record(aad: string, type: EncType, plaintext: Uint8Array, iv: Uint8Array): void {
    if (iv.length !== IV_LENGTH) return;
    this.entries.set(entryId(this.key, aad, type, plaintext), iv.slice());
  }

  /** @returns the immutable stash */
  build(): IvStash {
    return this.make(new Map(this.entries));
  }
}
