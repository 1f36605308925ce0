/**
 * The exact plaintext sops encrypts for each value type (`aes/cipher.go` `Encrypt`/`Decrypt` type
 * switches); the same bytes feed the MAC (`sops.go` `ToBytes`).
 */
import { SecretsError } from '../errors.js';
import { utf8 } from '../bytes.js';
import { INT64_MAX, INT64_MIN, formatGoFloat, parseGoBool, parseGoFloat, parseGoInt } from './go-strconv.js';
import { canonicalRfc3339 } from './rfc3339.js';
import type { Comment, Scalar } from './tree.js';

/** The `type:` of an ENC value, as sops writes it. */
export type EncType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'bytes' | 'comment';

/** Anything the cipher encrypts: a non-null leaf or a comment. */
export type Plaintext = Exclude<Scalar, { kind: 'null' }> | Comment;

/** A value's plaintext bytes and the type sops records for it. */
export interface EncodedPlaintext {
  readonly type: EncType;
  readonly bytes: Uint8Array;
}

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
