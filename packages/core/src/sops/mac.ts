/**
 * The sops MAC (`sops.go` `Tree.Encrypt`/`Tree.Decrypt`, `cmd/sops/common` `DecryptTree`/`EncryptTree`):
 * SHA-512 over the plaintext bytes of the leaves in walk order (every document, depth-first; comments
 * and nulls excluded; no keys, types or separators), as 128 upper-case hex characters, stored encrypted
 * with `lastmodified` as the AAD.
 *
 * With `mac_only_encrypted` only the encrypted leaves count, and the hash is first fed the raw bytes of
 * SHA-256("sops") (`MACOnlyEncryptedInitialization`), so the two kinds of MAC never coincide.
 *
 * The MAC covers neither keys (they are bound only through the AAD of encrypted values), nor metadata,
 * nor comments, nor unencrypted values under `mac_only_encrypted`.
 */
import { createHash, type Hash } from 'node:crypto';
import { SecretsError } from '../errors.js';
import { equalBytes, utf8 } from '../bytes.js';
import type { IvStashBuilder } from './iv-stash.js';
import { formatRfc3339, parseRfc3339 } from './rfc3339.js';
import { decryptValue, encryptValue, type IvSource } from './value-cipher.js';

/**
 * sops `MACOnlyEncryptedInitialization`: SHA-256("sops"), fed raw (32 bytes) before the values. Written
 * out rather than hashed at load time, so that loading this module does not load node:crypto (the CLI's
 * `--version` and help need no crypto); mac.test.ts checks it against the hash.
 */
export const MAC_ONLY_ENCRYPTED_INIT: Uint8Array = /* @__PURE__ */ new Uint8Array([
  138, 63, 210, 173, 84, 206, 102, 82, 123, 16, 52, 243, 209, 71, 190, 11,
  11, 151, 91, 59, 244, 79, 114, 198, 253, 173, 236, 129, 118, 242, 125, 105,
]);

/** Accumulates the MAC over leaves as a walk visits them. */
export class MacHasher {
  private readonly hash: Hash = createHash('sha512');
  /** Small values are gathered here and hashed in one call: one native call per value costs more than hashing it. */
  private readonly staged = new Uint8Array(16384);
  private used = 0;

  /**
   * @param macOnlyEncrypted - the file's `mac_only_encrypted` setting
   */
  constructor(private readonly macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_INIT);
  }

  /**
   * Adds one leaf (never a comment or a null).
   *
   * @param plaintext - the leaf's plaintext bytes (`ToBytes`)
   * @param encrypted - whether the leaf is (to be) encrypted; unencrypted leaves are skipped under
   *   `mac_only_encrypted`
   */
  add(plaintext: Uint8Array, encrypted: boolean): void {
    this.addRange(plaintext, 0, plaintext.length, encrypted);
  }

  /**
   * Adds one leaf whose bytes are `bytes[start, end)`; see {@link MacHasher.add}.
   *
   * @param bytes - holds the leaf's plaintext bytes
   * @param start - where they start
   * @param end - where they end
   * @param encrypted - whether the leaf is (to be) encrypted
   */
  addRange(bytes: Uint8Array, start: number, end: number, encrypted: boolean): void {
    if (this.macOnlyEncrypted && !encrypted) return;
    const n = end - start;
    if (n > this.staged.length - this.used) {
      this.flush();
      if (n > this.staged.length / 2) {
        this.hash.update(bytes.subarray(start, end));
        return;
      }
    }
    if (n > 64) this.staged.set(bytes.subarray(start, end), this.used);
    else for (let i = 0; i < n; i++) this.staged[this.used + i] = bytes[start + i] as number;
    this.used += n;
  }

  /** @returns the MAC as sops formats it (`%X`: upper-case hex); the hasher cannot be used afterwards */
  hex(): string {
    this.flush();
    this.staged.fill(0);
    return this.hash.digest('hex').toUpperCase();
  }

  private flush(): void {
    if (this.used > 0) this.hash.update(this.staged.subarray(0, this.used));
    this.staged.fill(0, 0, this.used);
    this.used = 0;
  }
}

/**
 * The AAD of the MAC: sops parses `lastmodified` and formats it again as RFC 3339, so fractional
 * seconds are dropped and a zero offset becomes `Z`, while another offset is kept.
 *
 * @param lastmodified - the metadata's `lastmodified`
 * @returns the AAD text
 * @throws SecretsError SOPS_METADATA_INVALID when it is not an RFC 3339 time
 */
export function macAad(lastmodified: string): string {
  const parsed = parseRfc3339(lastmodified);
  if (parsed === null) throw new SecretsError('SOPS_METADATA_INVALID', `lastmodified ${JSON.stringify(lastmodified)} is not an RFC 3339 time`);
  return formatRfc3339(parsed, false);
}

/**
 * Encrypts a MAC for the metadata's `mac` field (type `str`, AAD = `lastmodified`).
 *
 * @param macHex - from {@link MacHasher.hex}
 * @param dataKey - the 32-byte data key
 * @param lastmodified - the `lastmodified` written next to it
 * @param ivFor - IV source (fresh, or a stash: an unchanged MAC with an unchanged `lastmodified` keeps
 *   its ciphertext)
 * @returns the ENC string
 * @throws SecretsError SOPS_METADATA_INVALID for a bad `lastmodified`
 */
export function encryptMac(macHex: string, dataKey: Uint8Array, lastmodified: string, ivFor: IvSource): string {
  return encryptValue({ kind: 'string', value: macHex }, dataKey, macAad(lastmodified), ivFor);
}

const MAC_HINT = 'if you trust the file anyway, the MAC check can be skipped (sops: --ignore-mac)';

/**
 * Checks a computed MAC against the stored one. The hashes are never put in the error: the computed
 * one is a hash of the plaintext.
 *
 * @param stored - the metadata's `mac` (an ENC string, or empty)
 * @param computedHex - from {@link MacHasher.hex}
 * @param dataKey - the 32-byte data key
 * @param lastmodified - the metadata's `lastmodified`
 * @param stash - when given, records the MAC's IV so an unchanged MAC re-encrypts identically
 * @throws SecretsError SOPS_MAC_MISMATCH when the MAC is missing, does not decrypt, or differs;
 *   SOPS_METADATA_INVALID for a bad `lastmodified`
 */
export function verifyMac(stored: string, computedHex: string, dataKey: Uint8Array, lastmodified: string, stash?: IvStashBuilder): void {
  const aad = macAad(lastmodified);
  if (stored === '') throw new SecretsError('SOPS_MAC_MISMATCH', 'mac mismatch: the file has no MAC', { hints: [MAC_HINT] });
  let storedHex: string;
  try {
    const decrypted = decryptValue(stored, dataKey, aad);
    if (decrypted.value.kind !== 'string') throw new SecretsError('SOPS_VALUE_INVALID', 'the MAC is not a string');
    storedHex = decrypted.value.value;
    stash?.record(aad, decrypted.value, decrypted.plaintext, decrypted.iv);
  } catch (error) {
    throw new SecretsError('SOPS_MAC_MISMATCH', 'mac mismatch: the MAC could not be decrypted (the metadata was changed or corrupted)', {
      hints: [MAC_HINT],
      cause: error,
    });
  }
  if (!equalBytes(utf8(storedHex), utf8(computedHex))) {
    throw new SecretsError('SOPS_MAC_MISMATCH', 'mac mismatch: the file has been tampered with or corrupted', {
      hints: ['values were changed, moved, added or removed since the file was last encrypted', MAC_HINT],
    });
  }
}
