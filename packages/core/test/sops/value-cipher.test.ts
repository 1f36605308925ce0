import { randomBytes } from 'node:crypto';
import { failure } from './tree-helpers.js';
import { describe, expect, it } from 'vitest';
import { canonicalEncoding, decodePlaintext, encodePlaintext, type Plaintext } from '../../src/sops/plaintext-encoding.js';
import { decryptValue, encryptValue, sealEncValue } from '../../src/sops/value-cipher.js';
import { formatEncValue, isEncValue, parseEncValue } from '../../src/sops/enc-value.js';
import { formatGoFloat, parseGoBool, parseGoFloat, parseGoInt } from '../../src/sops/go-strconv.js';

const KEY = new Uint8Array(32).map((_, i) => i);
const IV = new Uint8Array(32).fill(7);
const fixedIv = (): Uint8Array => IV.slice();
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

const code = (fn: () => unknown): string => failure(fn).code;

describe('ENC format (aes/cipher.go)', () => {
  const sample = 'ENC[AES256_GCM,data:2mP+IAdczoEr0g==,iv:voX4IQemcgt0O97oLExy5r2V85nn687cIyWmHNDhUag=,tag:R97qy4fKneU7D9UFhXNvgA==,type:str]';

  it('parses and formats back', () => {
    const v = parseEncValue(sample);
    expect([v.data.length, v.iv.length, v.tag.length, v.type]).toEqual([10, 32, 16, 'str']);
    expect(formatEncValue(v)).toBe(sample);
  });

  it('follows sops regex: anchored at the start only, greedy, `.` excludes only \\n', () => {
    expect(isEncValue(`${sample} trailing`)).toBe(true);
    expect(isEncValue(` ${sample}`)).toBe(false);
    expect(parseEncValue(`${sample}]`).type).toBe('str]'); // greedy: the last `]` closes it
    expect(isEncValue(sample.replace('type:str', 'type:s\rtr'))).toBe(true); // \r is not a line end for Go
    expect(isEncValue(sample.replace('type:str', 'type:s\ntr'))).toBe(false);
    expect(isEncValue('ENC[AES256_GCM,data:,iv:a,tag:b,type:str]')).toBe(false); // (.+) needs a character
  });

  it('Go StdEncoding: padding required, line breaks ignored, non-canonical trailing bits accepted', () => {
    expect(code(() => parseEncValue(sample.replace('data:2mP+IAdczoEr0g==', 'data:2mP+IAdczoEr0g')))).toBe('SOPS_VALUE_INVALID');
    expect(code(() => parseEncValue(sample.replace('data:2mP+IAdczoEr0g==', 'data:2mP+IAdc*oEr0g==')))).toBe('SOPS_VALUE_INVALID');
    expect(parseEncValue(sample.replace('data:2mP+IAdczoEr0g==', 'data:2mP+IAdczoEr0h==')).data.length).toBe(10);
    expect(parseEncValue(sample.replace('tag:R97q', 'tag:R9\r7q')).tag.length).toBe(16);
  });

  it('never puts the value into an error message', () => {
    try {
      parseEncValue('hunter2');
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});

describe('Go number and bool texts', () => {
  it('FormatFloat(v, f, -1, 64)', () => {
    const table: [number, string][] = [
      [1.0, '1'],
      [0.1, '0.1'],
      [1e21, '1000000000000000000000'],
      [1e-7, '0.0000001'],
      [123456789.123, '123456789.123'],
      [-0, '-0'],
      [0, '0'],
      [NaN, 'NaN'],
      [Infinity, '+Inf'],
      [-Infinity, '-Inf'],
      [5e-324, `0.${'0'.repeat(323)}5`],
      [1.7976931348623157e308, `17976931348623157${'0'.repeat(292)}`],
      [-2.5, '-2.5'],
      [1234.56789, '1234.56789'],
      [100, '100'],
    ];
    for (const [v, s] of table) expect([v, formatGoFloat(v)]).toEqual([v, s]);
  });

  it('ParseFloat accepts what Go accepts, rejects what it rejects', () => {
    const ok: [string, number][] = [
      ['1', 1],
      ['-0.5', -0.5],
      ['.5', 0.5],
      ['5.', 5],
      ['1e3', 1000],
      ['1E-2', 0.01],
      ['1_000.5', 1000.5],
      ['0x1p-2', 0.25],
      ['0x1.8p1', 3],
      ['+Inf', Infinity],
      ['-infinity', -Infinity],
      ['1e-400', 0],
    ];
    for (const [s, v] of ok) expect([s, parseGoFloat(s)]).toEqual([s, v]);
    expect(parseGoFloat('nan')).toBeNaN();
    for (const s of ['', '1e', '_1', '1_', '1__0', '0x1', '1e400', '+nan', 'inf.', ' 1', '1.2.3', 'infin']) expect([s, parseGoFloat(s)]).toEqual([s, null]);
  });

  it('Atoi (int64) and ParseBool', () => {
    expect(parseGoInt('+5')).toBe(5n);
    expect(parseGoInt('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(parseGoInt('9223372036854775808')).toBeNull();
    expect(parseGoInt('1_0')).toBeNull();
    expect(parseGoInt('0x10')).toBeNull();
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseGoBool(t)).toBe(true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseGoBool(f)).toBe(false);
    expect(parseGoBool('yes')).toBeNull();
  });
});

describe('plaintext encodings (Encrypt / ToBytes)', () => {
  it('per type', () => {
    const table: [Plaintext, string, string][] = [
      [{ kind: 'string', value: 'héllo' }, 'str', 'héllo'],
      [{ kind: 'int', value: -42n }, 'int', '-42'],
      [{ kind: 'float', value: 1.0 }, 'float', '1'],
      [{ kind: 'bool', value: true }, 'bool', 'True'],
      [{ kind: 'bool', value: false }, 'bool', 'False'],
      [{ kind: 'time', value: '2001-12-14T00:00:00Z' }, 'time', '2001-12-14T00:00:00Z'],
      [{ kind: 'time', value: '2001-12-14T21:59:43.100+00:00' }, 'time', '2001-12-14T21:59:43.1Z'],
      [{ kind: 'time', value: '2001-12-14T21:59:43-05:00' }, 'time', '2001-12-14T21:59:43-05:00'],
      [{ kind: 'comment', text: ' a comment' }, 'comment', ' a comment'],
      [{ kind: 'bytes', value: new Uint8Array([0xff, 0x41]) }, 'str', '\ufffdA'],
    ];
    for (const [value, type, bytes] of table) {
      const enc = encodePlaintext(value);
      expect([value.kind, enc.type, text(enc.bytes)]).toEqual([value.kind, type, bytes]);
    }
    expect(code(() => encodePlaintext({ kind: 'int', value: 2n ** 63n }))).toBe('SOPS_VALUE_INVALID');
    expect(code(() => encodePlaintext({ kind: 'time', value: 'yesterday' }))).toBe('SOPS_VALUE_INVALID');
  });

  it('decoding per type, Go parsers, unknown types refused', () => {
    const b = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(decodePlaintext('int', b('+7'))).toEqual({ kind: 'int', value: 7n });
    expect(decodePlaintext('float', b('1e21'))).toEqual({ kind: 'float', value: 1e21 });
    expect(decodePlaintext('bool', b('t'))).toEqual({ kind: 'bool', value: true });
    expect(decodePlaintext('time', b('2001-12-14T00:00:00.000Z'))).toEqual({ kind: 'time', value: '2001-12-14T00:00:00Z' });
    expect(decodePlaintext('comment', b('x'))).toEqual({ kind: 'comment', text: 'x' });
    expect(decodePlaintext('bytes', b('x'))).toEqual({ kind: 'bytes', value: b('x') });
    // Invalid UTF-8 in a str stays exact, as bytes.
    expect(decodePlaintext('str', new Uint8Array([0xff]))).toEqual({ kind: 'bytes', value: new Uint8Array([0xff]) });
    for (const [type, s] of [
      ['int', '1.5'],
      ['float', 'x'],
      ['bool', 'yes'],
      ['time', '2001-13-01T00:00:00Z'],
      ['blob', 'x'],
    ]) {
      expect(code(() => decodePlaintext(type as string, b(s as string)))).toBe('SOPS_VALUE_INVALID');
    }
  });

  it('canonical re-encoding: only byte-identical plaintexts may reuse an IV', () => {
    const b = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(canonicalEncoding({ kind: 'int', value: 5n }, b('5'))?.type).toBe('int');
    expect(canonicalEncoding({ kind: 'int', value: 5n }, b('+5'))).toBeNull();
    expect(canonicalEncoding({ kind: 'bool', value: true }, b('true'))).toBeNull();
    expect(canonicalEncoding({ kind: 'float', value: 1 }, b('1.0'))).toBeNull();
  });
});

describe('AES-256-GCM with 32-byte IVs', () => {
  it('round-trips every type, ciphertext as long as the plaintext', () => {
    const values: Plaintext[] = [
      { kind: 'string', value: 'secret' },
      { kind: 'int', value: 123n },
      { kind: 'float', value: 0.25 },
      { kind: 'bool', value: false },
      { kind: 'time', value: '2026-08-01T09:00:14Z' },
      { kind: 'comment', text: 'note' },
    ];
    for (const v of values) {
      const enc = encryptValue(v, KEY, 'a:b:', fixedIv);
      const parsed = parseEncValue(enc);
      expect(parsed.iv).toEqual(IV);
      expect(parsed.data.length).toBe(encodePlaintext(v).bytes.length);
      expect(decryptValue(enc, KEY, 'a:b:').value).toEqual(v);
    }
  });

  it('empty strings and comments are never encrypted; "" decrypts to ""', () => {
    expect(encryptValue({ kind: 'string', value: '' }, KEY, 'a:', fixedIv)).toBe('');
    expect(encryptValue({ kind: 'comment', text: '' }, KEY, 'a:', fixedIv)).toBe('');
    expect(encryptValue({ kind: 'bytes', value: new Uint8Array() }, KEY, 'a:', fixedIv)).toBe('');
    expect(decryptValue('', KEY, 'a:').value).toEqual({ kind: 'string', value: '' });
  });

  it('same key, AAD, plaintext and IV give the same text; the IV source sees AAD, type and bytes', () => {
    const seen: string[] = [];
    const source = (aad: string, type: string, bytes: Uint8Array): Uint8Array => {
      seen.push(`${aad}|${type}|${text(bytes)}`);
      return IV.slice();
    };
    expect(encryptValue({ kind: 'int', value: 5n }, KEY, 'x:', source)).toBe(encryptValue({ kind: 'int', value: 5n }, KEY, 'x:', source));
    expect(seen).toEqual(['x:|int|5', 'x:|int|5']);
  });

  it('a tampered value, another AAD or another key fails authentication', () => {
    const enc = encryptValue({ kind: 'string', value: 'secret' }, KEY, 'a:', () => new Uint8Array(randomBytes(32)));
    const parsed = parseEncValue(enc);
    const flipped = formatEncValue({ ...parsed, data: parsed.data.map((x, i) => (i === 0 ? x ^ 1 : x)) });
    expect(code(() => decryptValue(flipped, KEY, 'a:'))).toBe('SOPS_VALUE_INVALID');
    expect(code(() => decryptValue(enc, KEY, 'b:'))).toBe('SOPS_VALUE_INVALID');
    expect(code(() => decryptValue(enc, new Uint8Array(32), 'a:'))).toBe('SOPS_VALUE_INVALID');
    // The `type:` is not authenticated (as in sops), but changing it changes how the bytes are read.
    expect(code(() => decryptValue(formatEncValue({ ...parsed, type: 'int' }), KEY, 'a:'))).toBe('SOPS_VALUE_INVALID');
  });

  it('like Go, only data‖tag matters: the split point between data and tag may move', () => {
    const enc = parseEncValue(sealEncValue(new TextEncoder().encode('abcdef'), 'str', KEY, 'k:', IV));
    const joined = new Uint8Array([...enc.data, ...enc.tag]);
    const moved = formatEncValue({ ...enc, data: joined.slice(0, 2), tag: joined.slice(2) });
    expect(decryptValue(moved, KEY, 'k:').value).toEqual({ kind: 'string', value: 'abcdef' });
  });

  it('refuses IVs and keys of the wrong length when encrypting', () => {
    expect(code(() => encryptValue({ kind: 'string', value: 'x' }, KEY, 'a:', () => new Uint8Array(12)))).toBe('INTERNAL');
    expect(code(() => encryptValue({ kind: 'string', value: 'x' }, new Uint8Array(16), 'a:', fixedIv))).toBe('INTERNAL');
  });
});
