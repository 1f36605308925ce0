/**
 * sops' value cipher (`aes/cipher.go`): `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, AES-256-GCM with a
 * 32-byte IV and the value's path as additional data, and the exact plaintext encoding of each type
 * (the same bytes feed the MAC: `sops.go` `ToBytes`).
 *
 * Nothing here picks IVs on its own: encryption takes an {@link IvSource}, so that callers decide
 * between a fresh random IV and one reused from an {@link IvStash} (see `iv-stash.ts`).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SecretsError } from '../errors.js';
import { toBase64, utf8 } from '../bytes.js';
import { canonicalRfc3339 } from './rfc3339.js';
import type { Comment, Scalar } from './tree.js';

/** The `type:` of an ENC value, as sops writes it. */
export type EncType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'bytes' | 'comment';

/** Anything the cipher encrypts: a non-null leaf or a comment. */
export type Plaintext = Exclude<Scalar, { kind: 'null' }> | Comment;

/** The decoded parts of an ENC value. */
export interface EncValue {
  readonly data: Uint8Array;
  readonly iv: Uint8Array;
  readonly tag: Uint8Array;
  /** The `type:` text, unchecked (decryption rejects unknown types). */
  readonly type: string;
}

/** A value's plaintext bytes and the type sops records for it. */
export interface EncodedPlaintext {
  readonly type: EncType;
  readonly bytes: Uint8Array;
}

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

// aes/cipher.go `encre`: anchored at the start only, greedy groups. Go's `.` excludes only `\n`
// (JavaScript's also excludes `\r`, U+2028 and U+2029), hence `[^\n]`.
const ENC_RE = /^ENC\[AES256_GCM,data:([^\n]+),iv:([^\n]+),tag:([^\n]+),type:([^\n]+)\]/;

/**
 * Go `base64.StdEncoding.DecodeString`: standard alphabet, padding required, line breaks ignored,
 * non-zero trailing bits accepted (the decoder is not Strict).
 */
function goBase64(text: string): Buffer | null {
  const s = text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, '') : text;
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  return Buffer.from(s, 'base64');
}

/**
 * Whether a string is an ENC value by sops' own test (its regex; the base64 is not checked).
 *
 * @param text - a leaf or comment text
 * @returns true when sops would try to decrypt it
 */
export function isEncValue(text: string): boolean {
  return ENC_RE.test(text);
}

/**
 * Parses an ENC value.
 *
 * @param text - the `ENC[…]` string (text after its closing `]` is ignored, as in sops)
 * @returns its parts
 * @throws SecretsError SOPS_VALUE_INVALID when it does not match sops' format or its base64 is bad
 *   (the message never includes the value)
 */
export function parseEncValue(text: string): EncValue {
  return parseCanonicalEncValue(text) ?? parseEncValueByRegex(text);
}

const PREFIX = 'ENC[AES256_GCM,data:';
const B64_INDEX = /* @__PURE__ */ (() => {
  const index = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) index[alphabet.charCodeAt(i)] = i;
  return index;
})();

/**
 * Go `StdEncoding` base64 of `text[start, end)` without line breaks (padding required, non-zero
 * trailing bits accepted), decoded in one pass; null for anything else (then the regex path decides).
 */
function decodeStdBase64(text: string, start: number, end: number): Uint8Array | null {
  const length = end - start;
  if (length === 0 || length % 4 !== 0) return null;
  const pad = text.charCodeAt(end - 1) !== 0x3d ? 0 : text.charCodeAt(end - 2) === 0x3d ? 2 : 1;
  const out = new Uint8Array((length / 4) * 3 - pad);
  let o = 0;
  for (let i = start; i < end; i += 4) {
    const last = i + 4 === end;
    const a = B64_INDEX[text.charCodeAt(i)] ?? -1;
    const b = B64_INDEX[text.charCodeAt(i + 1)] ?? -1;
    const c = last && pad === 2 ? 0 : (B64_INDEX[text.charCodeAt(i + 2)] ?? -1);
    const d = last && pad > 0 ? 0 : (B64_INDEX[text.charCodeAt(i + 3)] ?? -1);
    if ((a | b | c | d) < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    if (o < out.length) out[o++] = (n >>> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

/**
 * The ENC value as sops writes it, parsed without the regex: the prefix, `,iv:`, `,tag:` and `,type:`
 * each once, one `]` at the very end, no line break, canonical base64 (which has none of `,` `]` LF). Then the regex's greedy groups
 * could only split the text at exactly these places, so the result is the same. Null for anything
 * else: the regex path parses it, or says what is wrong.
 */
function parseCanonicalEncValue(text: string): EncValue | null {
  if (!text.startsWith(PREFIX) || text.charCodeAt(text.length - 1) !== 0x5d) return null;
  const iv = text.indexOf(',iv:', PREFIX.length);
  const tag = text.indexOf(',tag:', iv + 4);
  const type = text.indexOf(',type:', tag + 5);
  if (iv < 0 || tag < 0 || type < 0 || type + 7 >= text.length) return null;
  // data, iv and tag hold only base64 characters once decoded below (no `,`, `]` or line break); the
  // type must hold none of those either, so that no other split is possible.
  for (let i = type + 6; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2c || c === 0x5d || c === 0x0a) return null;
  }
  // Large data: Buffer's native decoder after the same validation is faster than a loop here.
  const large = iv - PREFIX.length > 256 ? text.slice(PREFIX.length, iv) : null;
  const data = large === null ? decodeStdBase64(text, PREFIX.length, iv) : /[\r\n]/.test(large) ? null : goBase64(large);
  const ivBytes = decodeStdBase64(text, iv + 4, tag);
  const tagBytes = decodeStdBase64(text, tag + 5, type);
  if (data === null || ivBytes === null || tagBytes === null) return null;
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), iv: ivBytes, tag: tagBytes, type: text.slice(type + 6, text.length - 1) };
}

/**
 * {@link parseEncValue} by sops' regex alone (the reference for the fast path).
 *
 * @internal
 */
export function parseEncValueByRegex(text: string): EncValue {
  const m = ENC_RE.exec(text);
  if (!m) throw new SecretsError('SOPS_VALUE_INVALID', "value does not match sops' ENC[AES256_GCM,…] format");
  const parts: Buffer[] = [];
  for (const [index, name] of [
    [1, 'data'],
    [2, 'iv'],
    [3, 'tag'],
  ] as const) {
    const bytes = goBase64(m[index] as string);
    if (bytes === null) throw new SecretsError('SOPS_VALUE_INVALID', `encrypted value has invalid base64 in its ${name}`);
    parts.push(bytes);
  }
  const [data, iv, tag] = parts as [Buffer, Buffer, Buffer];
  // The data as a view (it is large and short-lived); IV and tag as copies, since small Buffers share a
  // pool whose 8 KiB they would keep alive (IVs are kept for the stash).
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), iv: Uint8Array.from(iv), tag: Uint8Array.from(tag), type: m[4] as string };
}

/**
 * Formats an ENC value (Go `StdEncoding` base64, padded).
 *
 * @param value - the parts
 * @returns `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`
 */
export function formatEncValue(value: EncValue): string {
  return `ENC[AES256_GCM,data:${toBase64(value.data)},iv:${toBase64(value.iv)},tag:${toBase64(value.tag)},type:${value.type}]`;
}

// ---- Go number and bool texts --------------------------------------------------------------------

/**
 * Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest digits that round-trip, never an exponent
 * (`1e21` → `1000000000000000000000`, `1.0` → `1`, `-0` → `-0`), and Go's `NaN`, `+Inf`, `-Inf`.
 *
 * @param value - any float64
 * @returns the text sops encrypts and hashes for a float
 */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  // toExponential() without a fraction digit count yields the shortest round-trip digits, like Go's -1.
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const point = Number(exponent) + 1; // digits before the decimal point
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return value < 0 ? `-${out}` : out;
}

/** Go strconv `underscoreOK`: underscores only between digits (or right after a base prefix). */
function underscoresOk(text: string): boolean {
  let s = text.replace(/^[+-]/, '');
  let saw: 'start' | 'digit' | 'underscore' | 'other' = 'start';
  let hex = false;
  if (/^0[box]/i.test(s)) {
    hex = s[1]?.toLowerCase() === 'x';
    saw = 'digit';
    s = s.slice(2);
  }
  for (const ch of s) {
    if (/[0-9]/.test(ch) || (hex && /[a-f]/i.test(ch))) saw = 'digit';
    else if (ch === '_') {
      if (saw !== 'digit') return false;
      saw = 'underscore';
    } else {
      if (saw === 'underscore') return false;
      saw = 'other';
    }
  }
  return saw !== 'underscore';
}

/**
 * Go's `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (`0x1.8p3`) floats, `_` digit separators,
 * `inf`/`infinity`/`nan` in any case. Overflow is an error, as in Go (ErrRange).
 *
 * @param text - the text
 * @returns the number, or null when Go would return an error
 */
export function parseGoFloat(text: string): number | null {
  const special = /^([+-]?)(?:inf|infinity)$/i.exec(text);
  if (special) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (text.includes('_') && !underscoresOk(text)) return null;
  const s = text.replace(/_/g, '');
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) {
    const value = Number(s);
    return Number.isFinite(value) ? value : null;
  }
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
  const digits = hex ? (hex[2] ?? '') + (hex[3] ?? '') : '';
  if (hex && digits.length > 0) {
    const frac = hex[3] ?? '';
    let value = Number(BigInt(`0x${digits}`));
    let exp = Number(hex[4]) - 4 * frac.length;
    // Scale in steps so that intermediate powers of two neither overflow nor underflow early.
    while (exp > 0 && Number.isFinite(value)) {
      const step = Math.min(exp, 1000);
      value *= 2 ** step;
      exp -= step;
    }
    while (exp < 0 && value !== 0) {
      const step = Math.min(-exp, 1000);
      value /= 2 ** step;
      exp += step;
    }
    if (!Number.isFinite(value)) return null;
    return hex[1] === '-' ? -value : value;
  }
  return null;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Go's `strconv.Atoi` on a 64-bit platform: optional sign, decimal digits, int64 range.
 *
 * @param text - the text
 * @returns the integer, or null when Go would return an error
 */
export function parseGoInt(text: string): bigint | null {
  if (!/^[+-]?\d+$/.test(text)) return null;
  if (text.replace(/^[+-]?0*/, '').length > 19) return null; // beyond int64; BigInt() of a huge text is slow
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? null : value;
}

/**
 * Go's `strconv.ParseBool`.
 *
 * @param text - `1 t T TRUE true True 0 f F FALSE false False`
 * @returns the bool, or null for anything else
 */
export function parseGoBool(text: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return null;
}

// ---- plaintext encoding ---------------------------------------------------------------------------

/**
 * The bytes and type sops encrypts for a value (`aes/cipher.go` `Encrypt`); the same bytes go into the
 * MAC (`sops.go` `ToBytes`). Bools are `True`/`False` (Python era), floats Go `'f'` format, times
 * RFC3339Nano. A `bytes` leaf is encrypted as `str`, as sops turns `[]byte` into a string first.
 *
 * @param value - a non-null leaf or a comment
 * @returns type and bytes
 * @throws SecretsError SOPS_VALUE_INVALID for an int outside int64 or a time that is not RFC 3339
 */
export function encodePlaintext(value: Plaintext): EncodedPlaintext {
  switch (value.kind) {
    case 'string':
      return { type: 'str', bytes: utf8(value.value) };
    case 'bytes':
      return { type: 'str', bytes: value.value };
    case 'int':
      if (value.value < INT64_MIN || value.value > INT64_MAX) throw new SecretsError('SOPS_VALUE_INVALID', 'integer value does not fit in 64 bits');
      return { type: 'int', bytes: utf8(value.value.toString()) };
    case 'float':
      return { type: 'float', bytes: utf8(formatGoFloat(value.value)) };
    case 'bool':
      return { type: 'bool', bytes: utf8(value.value ? 'True' : 'False') };
    case 'time': {
      const text = canonicalRfc3339(value.value, true);
      if (text === null) throw new SecretsError('SOPS_VALUE_INVALID', `time value ${JSON.stringify(value.value)} is not an RFC 3339 time`);
      return { type: 'time', bytes: utf8(text) };
    }
    case 'comment':
      return { type: 'comment', bytes: utf8(value.text) };
  }
}

const strictUtf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = /* @__PURE__ */ new TextDecoder('utf-8', { ignoreBOM: true });

/** UTF-8 text of decrypted bytes, and whether they were valid UTF-8 (invalid sequences become U+FFFD). */
function text(bytes: Uint8Array): { text: string; valid: boolean } {
  try {
    return { text: strictUtf8.decode(bytes), valid: true };
  } catch {
    return { text: lenientUtf8.decode(bytes), valid: false };
  }
}

/**
 * Turns decrypted bytes back into a value (`aes/cipher.go` `Decrypt`'s type switch).
 *
 * @param type - the `type:` of the ENC value
 * @param bytes - the decrypted bytes
 * @returns the value
 * @throws SecretsError SOPS_VALUE_INVALID for an unknown type or bytes that do not parse as the type
 */
export function decodePlaintext(type: string, bytes: Uint8Array): Plaintext {
  const t = (): string => text(bytes).text;
  const bad = (what: string): SecretsError => new SecretsError('SOPS_VALUE_INVALID', `encrypted ${what} value does not parse`);
  switch (type) {
    case 'str': {
      // A Go string may hold any bytes (a binary file's content): keep invalid UTF-8 exact as bytes,
      // which re-encrypt as type:str again.
      const decoded = text(bytes);
      return decoded.valid ? { kind: 'string', value: decoded.text } : { kind: 'bytes', value: bytes.slice() };
    }
    case 'int': {
      const v = parseGoInt(t());
      if (v === null) throw bad('int');
      return { kind: 'int', value: v };
    }
    case 'float': {
      const v = parseGoFloat(t());
      if (v === null) throw bad('float');
      return { kind: 'float', value: v };
    }
    case 'bool': {
      const v = parseGoBool(t());
      if (v === null) throw bad('bool');
      return { kind: 'bool', value: v };
    }
    case 'time': {
      const v = canonicalRfc3339(t(), true);
      if (v === null) throw bad('time');
      return { kind: 'time', value: v };
    }
    case 'bytes':
      return { kind: 'bytes', value: bytes.slice() };
    case 'comment':
      return { kind: 'comment', text: t() };
    default:
      throw new SecretsError('SOPS_VALUE_INVALID', `unknown datatype ${JSON.stringify(type)} in an encrypted value`);
  }
}

/**
 * Whether re-encrypting `value` would produce exactly `decrypted` again: only then may its IV be reused
 * (a decrypted `+5` re-encrypts as `5`; reusing the IV for different bytes would break GCM).
 *
 * @param value - the decoded value (after any conversion, e.g. to a comment)
 * @param decrypted - the bytes that were decrypted
 * @returns the re-encoding when it is byte-identical, else null
 */
export function canonicalEncoding(value: Plaintext, decrypted: Uint8Array): EncodedPlaintext | null {
  let encoded: EncodedPlaintext;
  try {
    encoded = encodePlaintext(value);
  } catch {
    return null;
  }
  const same = encoded.bytes.length === decrypted.length && encoded.bytes.every((b, i) => b === decrypted[i]);
  return same ? encoded : null;
}

// ---- AES-256-GCM --------------------------------------------------------------------------------

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
  if (encoded.bytes.length === 0 && (encoded.type === 'str' || encoded.type === 'comment')) return '';
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
