/**
 * The JSON reader of the JSON store: Go `encoding/json` token rules as the Decoder with `UseNumber` reads
 * them (integers that fit int64 become ints, every other number a float64; duplicate keys kept as
 * separate entries; the top level must be an object; invalid UTF-8 inside strings becomes U+FFFD), under
 * the store's depth limit.
 */

import { bufferOf } from '../../bytes.js';
import { SecretsError } from '../../errors.js';
import type { Entry, MapNode, Scalar, Value } from '../tree.js';
import { INT64_MAX, INT64_MIN } from '../go-strconv.js';
import { depthError, formatError, type ResolvedLimits } from './common.js';

/** Parses JSON bytes (already size-checked) into the top-level object, as Go's Decoder reads it. */
export class JsonParser {
  private pos = 0;
  /** The input as a Buffer, for its native latin1 decoder (ASCII runs need no UTF-8 decoding). */
  private readonly buffer: Buffer;

  constructor(
    private readonly b: Uint8Array,
    private readonly limits: ResolvedLimits,
  ) {
    this.buffer = bufferOf(b);
  }

  /** The whole input as one top-level object; anything else is a SOPS_FORMAT_INVALID error. */
  document(): MapNode {
    this.skipSpace();
    if (this.pos >= this.b.length) throw this.fail('unexpected end of JSON input');
    const c = this.b[this.pos]!;
    if (c !== 0x7b) {
      // Go reads the first token: a syntax error, or a value that is not an object
      const valueStart = c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
      if (!valueStart) throw this.fail(`invalid character ${this.quoteChar()} looking for beginning of value`);
      const what = c === 0x5b ? 'arrays' : 'other types';
      throw formatError(
        `could not unmarshal input data: SOPS only supports JSON files with a top-level object (starting with '{'), not ${what}`,
        { hints: ['to encrypt this file, wrap it in an object, e.g. {"data": [...]}'] },
      );
    }
    const map = this.object(1);
    this.skipSpace();
    // Go's token reader stops after the top-level object; we refuse trailing content instead of ignoring it.
    if (this.pos < this.b.length) throw this.fail(`invalid character ${this.quoteChar()} after top-level value`);
    return map;
  }

  private fail(message: string): SecretsError {
    return formatError(`could not unmarshal input data: ${message} (at byte ${this.pos})`);
  }

  private quoteChar(): string {
    const c = this.b[this.pos]!;
    return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `0x${c.toString(16).padStart(2, '0')}`;
  }

  private skipSpace(): void {
    while (this.pos < this.b.length) {
      const c = this.b[this.pos];
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  private expectByte(c: number, context: string): void {
    this.skipSpace();
    if (this.pos >= this.b.length) throw this.fail('unexpected end of JSON input');
    if (this.b[this.pos] !== c) throw this.fail(`invalid character ${this.quoteChar()} ${context}`);
    this.pos++;
  }

  /** Enters the container whose opening byte is at `pos`: true when `close` follows at once (it is empty). */
  private enterContainer(depth: number, close: number): boolean {
    if (depth > this.limits.maxDepth) throw depthError(this.limits);
    this.pos++; // '{' or '['
    this.skipSpace();
    if (this.b[this.pos] !== close) return false;
    this.pos++;
    return true;
  }

  /** After an item: consumes `close` (true: the container ends) or `,` (false); anything else is an error. */
  private closesAfterItem(close: number, context: string): boolean {
    this.skipSpace();
    if (this.pos >= this.b.length) throw this.fail('unexpected end of JSON input');
    const c = this.b[this.pos];
    if (c !== close && c !== 0x2c) throw this.fail(`invalid character ${this.quoteChar()} ${context}`);
    this.pos++;
    return c === close;
  }

  private object(depth: number): MapNode {
    const items: Entry[] = [];
    if (this.enterContainer(depth, 0x7d)) return { kind: 'map', items };
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.b.length) throw this.fail('unexpected end of JSON input');
      if (this.b[this.pos] !== 0x22) throw this.fail(`invalid character ${this.quoteChar()} looking for beginning of object key string`);
      const key = this.string();
      this.expectByte(0x3a, 'after object key');
      items.push({ kind: 'entry', key, value: this.value(depth) });
      if (this.closesAfterItem(0x7d, 'after object key:value pair')) return { kind: 'map', items };
    }
  }

  private array(depth: number): Value {
    const items: Value[] = [];
    if (this.enterContainer(depth, 0x5d)) return { kind: 'seq', items };
    for (;;) {
      items.push(this.value(depth));
      if (this.closesAfterItem(0x5d, 'after array element')) return { kind: 'seq', items };
    }
  }

  /** A value inside a container at nesting level `depth`. */
  private value(depth: number): Value {
    this.skipSpace();
    if (this.pos >= this.b.length) throw this.fail('unexpected end of JSON input');
    const c = this.b[this.pos]!;
    if (c === 0x7b) return this.object(depth + 1);
    if (c === 0x5b) return this.array(depth + 1);
    if (c === 0x22) return { kind: 'string', value: this.string() };
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    for (const [word, v] of LITERALS) {
      if (this.matches(word)) {
        this.pos += word.length;
        return v;
      }
    }
    throw this.fail(`invalid character ${this.quoteChar()} looking for beginning of value`);
  }

  private matches(word: string): boolean {
    for (let i = 0; i < word.length; i++) if (this.b[this.pos + i] !== word.charCodeAt(i)) return false;
    return true;
  }

  private number(): Scalar {
    const start = this.pos;
    const b = this.b;
    const digit = (i: number): boolean => b[i] !== undefined && b[i] >= 0x30 && b[i] <= 0x39;
    let i = this.pos;
    if (b[i] === 0x2d) i++;
    if (b[i] === 0x30) i++;
    else if (digit(i)) while (digit(i)) i++;
    else {
      this.pos = i;
      throw this.fail('invalid character in numeric literal');
    }
    if (b[i] === 0x2e) {
      i++;
      if (!digit(i)) {
        this.pos = i;
        throw this.fail('invalid character after decimal point in numeric literal');
      }
      while (digit(i)) i++;
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (!digit(i)) {
        this.pos = i;
        throw this.fail('invalid character in exponent of numeric literal');
      }
      while (digit(i)) i++;
    }
    this.pos = i;
    const text = asciiString(b, start, i);
    // json.Number.Int64 (strconv.ParseInt(s, 10, 64)), else Float64
    // int64 has at most 19 digits (JSON has no leading zeros); BigInt() of a huge text is superlinear.
    if (text.length <= 20 && /^-?[0-9]+$/.test(text)) {
      const v = BigInt(text);
      if (v >= INT64_MIN && v <= INT64_MAX) return { kind: 'int', value: v };
    }
    const f = Number(text);
    if (!Number.isFinite(f)) throw formatError(`could not unmarshal input data: strconv.ParseFloat: a number at byte ${start} is out of range`);
    return { kind: 'float', value: f };
  }

  /** A string token, decoded as Go does (invalid UTF-8 and unpaired surrogate escapes become U+FFFD). */
  private string(): string {
    const b = this.b;
    this.pos++; // '"'
    let out = '';
    let run = this.pos;
    let high = 0; // the bytes of the current run or'ed: below 0x80, the run is ASCII
    const flush = (end: number): void => {
      if (end > run) out += high < 0x80 ? this.buffer.toString('latin1', run, end) : decodeGoUtf8(b.subarray(run, end));
      high = 0;
    };
    for (;;) {
      // Plain bytes first, in a tight loop over locals (`high` lives in flush's closure).
      let i = this.pos;
      let bits = 0;
      for (let d = b[i]; d !== undefined && d >= 0x20 && d !== 0x22 && d !== 0x5c; d = b[++i]) bits |= d;
      high |= bits;
      this.pos = i;
      if (this.pos >= b.length) throw this.fail('unexpected end of JSON input');
      const c = b[this.pos]!;
      if (c === 0x22) {
        flush(this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) throw this.fail(`invalid character ${this.quoteChar()} in string literal`);
      if (c !== 0x5c) {
        high |= c;
        this.pos++;
        continue;
      }
      flush(this.pos);
      const e = b[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const hi = this.hex4();
          if (hi >= 0xd800 && hi <= 0xdfff) {
            // utf16.DecodeRune of a pair, else U+FFFD for the first escape only
            if (hi <= 0xdbff && b[this.pos] === 0x5c && b[this.pos + 1] === 0x75) {
              const save = this.pos;
              this.pos += 2;
              const lo = this.hex4();
              if (lo >= 0xdc00 && lo <= 0xdfff) {
                out += String.fromCharCode(hi, lo);
                break;
              }
              this.pos = save;
            }
            out += '\ufffd';
          } else {
            out += String.fromCharCode(hi);
          }
          break;
        }
        default:
          this.pos -= 1;
          throw this.fail('invalid character in string escape code');
      }
      run = this.pos;
    }
  }

  private hex4(): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.b[this.pos + k];
      const d = c === undefined ? -1 : c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) {
        this.pos += k;
        throw this.fail('invalid character in \\u hexadecimal character escape');
      }
      v = v * 16 + d;
    }
    this.pos += 4;
    return v;
  }
}

const LITERALS: readonly [string, Scalar][] = [
  ['true', { kind: 'bool', value: true }],
  ['false', { kind: 'bool', value: false }],
  ['null', { kind: 'null' }],
];

/**
 * UTF-8 decoding with Go's replacement rule (`utf8.DecodeRune`): each byte that does not start a valid,
 * shortest-form sequence for a scalar value becomes one U+FFFD.
 */
function decodeGoUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // fall through to the byte-by-byte decoder
  }
  let out = '';
  let i = 0;
  let asciiStart = 0;
  while (i < bytes.length) {
    if (bytes[i]! < 0x80) {
      i++;
      continue;
    }
    out += asciiString(bytes, asciiStart, i);
    const [cp, size] = decodeRune(bytes, i);
    out += cp === null ? '\ufffd' : String.fromCodePoint(cp);
    i += size;
    asciiStart = i;
  }
  return out + asciiString(bytes, asciiStart, i);
}

const strictUtf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes known to be ASCII as a string, in chunks (spreading a huge array would overflow the stack). */
function asciiString(bytes: Uint8Array, from: number, to: number): string {
  let out = '';
  for (let k = from; k < to; k += 8192) out += String.fromCharCode(...bytes.subarray(k, Math.min(to, k + 8192)));
  return out;
}

function decodeRune(b: Uint8Array, i: number): [number | null, number] {
  const c0 = b[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => b[i + k] !== undefined && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c0 >= 0xc2 && c0 <= 0xdf) return cont(1) ? [((c0 & 0x1f) << 6) | (b[i + 1]! & 0x3f), 2] : [null, 1];
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const lo = c0 === 0xe0 ? 0xa0 : 0x80;
    const hi = c0 === 0xed ? 0x9f : 0xbf;
    if (cont(1, lo, hi) && cont(2)) return [((c0 & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f), 3];
    return [null, 1];
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const lo = c0 === 0xf0 ? 0x90 : 0x80;
    const hi = c0 === 0xf4 ? 0x8f : 0xbf;
    if (cont(1, lo, hi) && cont(2) && cont(3)) {
      return [((c0 & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f), 4];
    }
    return [null, 1];
  }
  return [null, 1];
}
