/**
 * sops' value cipher (aes/cipher.go): `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, AES-256-GCM with a
 * 32-byte IV and the value's path as AAD, and the exact text encodings sops uses for each type (which are
 * also the bytes fed to the MAC: sops.go ToBytes).
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { SecretsError } from '../errors.js';
import { fromBase64, toBase64, utf8 } from '../bytes.js';
import type { Scalar } from './tree.js';

/** The `type:` of an ENC value. */
export type EncType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'bytes' | 'comment';

/** The parts of an ENC value. */
export interface EncValue {
  readonly data: Uint8Array;
  readonly iv: Uint8Array;
  readonly tag: Uint8Array;
  readonly type: string;
}

// sops' regex: anchored at the start only, greedy groups (aes/cipher.go encre).
const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;

/** Whether a string is an ENC value (by sops' regex). */
export function isEncValue(text: string): boolean {
  return ENC_RE.test(text);
}

/**
 * Parses an ENC value.
 *
 * @throws SecretsError SOPS_VALUE_INVALID when it does not match sops' format or its base64 is bad
 */
export function parseEncValue(text: string): EncValue {
  const m = ENC_RE.exec(text);
  if (!m) throw new SecretsError('SOPS_VALUE_INVALID', 'value does not match sops\' data format');
  const data = fromBase64(m[1] as string, 'optional');
  const iv = fromBase64(m[2] as string, 'optional');
  const tag = fromBase64(m[3] as string, 'optional');
  if (!data || !iv || !tag || tag.length !== 16 || iv.length === 0) throw new SecretsError('SOPS_VALUE_INVALID', 'malformed encrypted value (base64, IV or tag)');
  return { data, iv, tag, type: m[4] as string };
}

/** Formats an ENC value (Go StdEncoding base64, padded). */
export function formatEncValue(v: EncValue): string {
  return `ENC[AES256_GCM,data:${toBase64(v.data)},iv:${toBase64(v.iv)},tag:${toBase64(v.tag)},type:${v.type}]`;
}

/**
 * Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that round-trip, never an exponent
 * (1e21 → "1000000000000000000000", 1.0 → "1"), and Go's spellings of the specials.
 */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest round-trip digits, like Go's -1 precision.
  const [mantissa, exp] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const point = Number(exp) + 1; // position of the decimal point after the first digit
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return value < 0 ? `-${out}` : out;
}

/** The plaintext bytes of a leaf, as sops encrypts and hashes them (sops.go ToBytes). */
export function scalarBytes(scalar: Exclude<Scalar, { kind: 'null' }>): Uint8Array {
  switch (scalar.kind) {
    case 'string':
      return utf8(scalar.value);
    case 'int':
      return utf8(scalar.value.toString());
    case 'float':
      return utf8(formatGoFloat(scalar.value));
    case 'bool':
      return utf8(scalar.value ? 'True' : 'False');
    case 'time':
      return utf8(scalar.value);
    case 'bytes':
      return scalar.value;
  }
}

/**
 * The `type:` sops writes for a leaf. Raw bytes are written as `str`: Go sops turns `[]byte` into a
 * string before encrypting (sops.go walkValue) and cannot read `type:bytes` back in a binary file.
 */
export function encTypeOf(scalar: Exclude<Scalar, { kind: 'null' }>): EncType {
  const map = { string: 'str', int: 'int', float: 'float', bool: 'bool', time: 'time', bytes: 'str' } as const;
  return map[scalar.kind];
}

const strictUtf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true });

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go strconv.ParseFloat for the texts sops writes and users may write. */
function parseGoFloat(text: string): number | null {
  const t = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d[\d_]*)?(\.\d*)?([eE][+-]?\d+)?$/.test(t) && /\d/.test(t)) return Number(t.replace(/_/g, ''));
  return null;
}

/**
 * Turns decrypted bytes back into a typed leaf (aes/cipher.go Decrypt's type switch).
 *
 * @throws SecretsError SOPS_VALUE_INVALID for unknown types or unparsable text
 */
export function scalarFromBytes(type: string, bytes: Uint8Array): Exclude<Scalar, { kind: 'null' }> {
  const text = (): string => Buffer.from(bytes).toString('utf8');
  switch (type) {
    case 'str':
      // A Go string may hold any bytes (a binary file's content): keep them exact instead of decoding lossily.
      try {
        return { kind: 'string', value: strictUtf8.decode(bytes) };
      } catch {
        return { kind: 'bytes', value: bytes.slice() };
      }
    case 'int': {
      const t = text();
      if (!/^[+-]?\d+$/.test(t)) throw new SecretsError('SOPS_VALUE_INVALID', 'encrypted int value is not an integer');
      const v = BigInt(t);
      if (v < INT64_MIN || v > INT64_MAX) throw new SecretsError('SOPS_VALUE_INVALID', 'encrypted int value out of range');
      return { kind: 'int', value: v };
    }
    case 'float': {
      const v = parseGoFloat(text());
      if (v === null) throw new SecretsError('SOPS_VALUE_INVALID', 'encrypted float value is not a number');
      return { kind: 'float', value: v };
    }
    case 'bool': {
      // Go strconv.ParseBool
      const t = text();
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(t)) return { kind: 'bool', value: true };
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(t)) return { kind: 'bool', value: false };
      throw new SecretsError('SOPS_VALUE_INVALID', 'encrypted bool value is not a boolean');
    }
    case 'time':
      return { kind: 'time', value: text() };
    case 'bytes':
      return { kind: 'bytes', value: bytes.slice() };
    default:
      throw new SecretsError('SOPS_VALUE_INVALID', `unknown datatype ${JSON.stringify(type)}`);
  }
}

/** AES-256-GCM decryption of an ENC value; null when authentication fails. */
export function openEncValue(v: EncValue, key: Uint8Array, aad: string): Uint8Array | null {
  try {
    const d = createDecipheriv('aes-256-gcm', key, v.iv) as DecipherGCM;
    d.setAAD(utf8(aad));
    d.setAuthTag(v.tag);
    return new Uint8Array(Buffer.concat([d.update(v.data), d.final()]));
  } catch {
    return null;
  }
}

/**
 * AES-256-GCM encryption to an ENC value.
 *
 * @param plaintext - the bytes (see {@link scalarBytes})
 * @param type - the `type:` to record
 * @param key - the 32-byte data key
 * @param aad - the path AAD (`a:b:`) or, for the MAC, `lastmodified`
 * @param iv - the 32-byte IV; a fresh random one when omitted. Reusing an IV is only ever done for the
 *   same plaintext under the same key and AAD, to keep ciphertext stable across edits (sops' stash).
 */
export function sealEncValue(plaintext: Uint8Array, type: string, key: Uint8Array, aad: string, iv: Uint8Array = randomBytes(32)): string {
  const c = createCipheriv('aes-256-gcm', key, iv) as CipherGCM;
  c.setAAD(utf8(aad));
  const data = new Uint8Array(Buffer.concat([c.update(plaintext), c.final()]));
  return formatEncValue({ data, iv, tag: new Uint8Array(c.getAuthTag()), type });
}
