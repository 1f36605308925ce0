/**
 * sops' ENC value text (`aes/cipher.go`): `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, parsed (a fast path
 * for what sops writes, sops' own regex for the rest) and formatted. The cryptography is in
 * `value-cipher.ts`.
 */
import { SecretsError } from '../errors.js';
import { toBase64 } from '../bytes.js';

/** The decoded parts of an ENC value. */
export interface EncValue {
  readonly data: Uint8Array;
  readonly iv: Uint8Array;
  readonly tag: Uint8Array;
  /** The `type:` text, unchecked (decryption rejects unknown types). */
  readonly type: string;
}

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
