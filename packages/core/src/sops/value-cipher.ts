/**
 * sops' value cipher (`aes/cipher.go`): AES-256-GCM with a 32-byte IV and the value's path as additional
 * data, encrypting and decrypting one value. The `ENC[…]` text is in `enc-value.ts`, the plaintext
 * bytes of each type in `plaintext-encoding.ts`.
 *
 * Nothing here picks IVs on its own: encryption takes an {@link IvSource}, so that callers decide
 * between a fresh random IV and one reused from an {@link IvStash} (see `iv-stash.ts`).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SecretsError } from '../errors.js';
import { utf8 } from '../bytes.js';
import { formatEncValue, parseEncValue, type EncValue } from './enc-value.js';
import { decodePlaintext, encodePlaintext, type EncodedPlaintext, type EncType, type Plaintext } from './plaintext-encoding.js';

/**
 * Where the IV for one encryption comes from: called with the AAD, the type and the plaintext bytes,
 * returns 32 bytes. Return a fresh random IV unless this exact (key, AAD, type, plaintext) was seen
 * before: reusing a GCM IV for different data under the same key would leak both plaintexts.
 */
export type IvSource = (aad: string, type: EncType, plaintext: Uint8Array) => Uint8Array;

/** sops' GCM nonce size (`aes/cipher.go` `nonceSize`). */
export const IV_LENGTH = 32;
const TAG_LENGTH = 16;
const KEY_LENGTH = 32;

function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_LENGTH) throw new SecretsError('INTERNAL', `data key must be ${KEY_LENGTH} bytes, got ${key.length}`);
}

/**
 * Encrypts bytes to an ENC value (GCM `Seal`, split into data and the 16-byte tag).
 *
 * @param plaintext - the bytes
 * @param type - the `type:` to record
 * @param key - the 32-byte data key
 * @param aad - additional data: the value's path (`a:b:`) or, for the MAC, `lastmodified`
 * @param iv - 32 bytes
 * @returns the ENC string
 * @throws SecretsError INTERNAL for a key or IV of the wrong length
 */
export function sealEncValue(plaintext: Uint8Array, type: string, key: Uint8Array, aad: string, iv: Uint8Array): string {
  checkKey(key);
  if (iv.length !== IV_LENGTH) throw new SecretsError('INTERNAL', `IV must be ${IV_LENGTH} bytes, got ${iv.length}`);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(utf8(aad));
  const data = cipher.update(plaintext);
  cipher.final(); // GCM: nothing more to write
  return formatEncValue({ data, iv, tag: cipher.getAuthTag(), type });
}

/**
 * Decrypts an ENC value's bytes. Like Go, `data` and `tag` are concatenated and the last 16 bytes are
 * the tag, and any non-empty IV length is accepted.
 *
 * @param value - the parsed ENC value
 * @param key - the 32-byte data key
 * @param aad - the additional data it was encrypted with
 * @returns the plaintext bytes, or null when authentication fails (wrong key, path or tampering)
 * @throws SecretsError INTERNAL for a key of the wrong length
 */
export function openEncValue(value: EncValue, key: Uint8Array, aad: string): Uint8Array | null {
  checkKey(key);
  // sops always writes 16-byte tags; only other lengths need the concatenation.
  const sealed = value.tag.length === TAG_LENGTH ? null : Buffer.concat([value.data, value.tag]);
  const data = sealed ? sealed.subarray(0, Math.max(0, sealed.length - TAG_LENGTH)) : value.data;
  const tag = sealed ? sealed.subarray(sealed.length - TAG_LENGTH) : value.tag;
  if ((sealed && sealed.length < TAG_LENGTH) || value.iv.length === 0) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, value.iv);
    decipher.setAAD(utf8(aad));
    decipher.setAuthTag(tag);
    const plaintext = decipher.update(data);
    decipher.final(); // throws unless the tag matches
    return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  } catch {
    return null;
  }
}

/** sops never encrypts an empty string or comment (`aes/cipher.go`): it is written as `""`. */
export function staysEmpty(encoded: EncodedPlaintext): boolean {
  return encoded.bytes.length === 0 && (encoded.type === 'str' || encoded.type === 'comment');
}

/**
 * Encrypts one value or comment as sops does. An empty string, empty bytes or empty comment is never
 * encrypted: the result is `""`.
 *
 * @param value - the plaintext leaf or comment
 * @param key - the 32-byte data key
 * @param aad - the path AAD (`a:b:`), `:` for a top-level comment
 * @param ivFor - picks the IV (fresh, or from a stash of the same data key)
 * @returns the ENC string, or `""`
 * @throws SecretsError SOPS_VALUE_INVALID for values sops cannot encode
 */
export function encryptValue(value: Plaintext, key: Uint8Array, aad: string, ivFor: IvSource): string {
  const encoded = encodePlaintext(value);
  if (staysEmpty(encoded)) return '';
  return sealEncValue(encoded.bytes, encoded.type, key, aad, ivFor(aad, encoded.type, encoded.bytes));
}

/** The result of {@link decryptValue}. */
export interface DecryptedValue {
  /** The decoded value (a comment for `type:comment`). */
  readonly value: Plaintext;
  /** The bytes that were decrypted (what sops hashes for a `str`). */
  readonly plaintext: Uint8Array;
  /** The IV of the ENC value, for the stash. */
  readonly iv: Uint8Array;
}

/**
 * Decrypts one ENC string. `""` decrypts to `""` (sops never encrypts empty values).
 *
 * @param text - the stored text
 * @param key - the 32-byte data key
 * @param aad - the path AAD
 * @returns value, plaintext bytes and IV
 * @throws SecretsError SOPS_VALUE_INVALID when the text is not an ENC value, does not authenticate
 *   (wrong key, moved or tampered value), or does not decode as its type
 */
export function decryptValue(text: string, key: Uint8Array, aad: string): DecryptedValue {
  if (text === '') return { value: { kind: 'string', value: '' }, plaintext: new Uint8Array(0), iv: new Uint8Array(0) };
  const enc = parseEncValue(text);
  const plaintext = openEncValue(enc, key, aad);
  if (plaintext === null) throw new SecretsError('SOPS_VALUE_INVALID', 'value failed authentication: wrong data key, or the value was moved or tampered with');
  return { value: decodePlaintext(enc.type, plaintext), plaintext, iv: enc.iv };
}
