import { describe, expect, it } from 'vitest';
import { JsonStore } from '../../../src/sops/stores/json.js';
import type { Value } from '../../../src/sops/tree.js';
import { bool, bytes, c, doc, e, emit, float, int, load, map, nul, secretsError, seq, str, text, time } from './helpers.js';

const json = new JsonStore();
const one = (value: Value): string => emit(json, doc(map(e('k', value))));

describe('JSON loading (Go encoding/json tokens with UseNumber)', () => {
  it('types numbers: int64 range → int, everything else → float', () => {
    const d = load(json, '{"a": 1, "b": 1.0, "c": 1e2, "d": -0, "e": 9223372036854775807, "f": -9223372036854775808, "g": 9223372036854775808, "h": 0.5}');
    expect(d).toEqual(
      doc(
        map(
          e('a', int(1)),
          e('b', float(1)),
          e('c', float(100)),
          e('d', int(0)),
          e('e', int(9223372036854775807n)),
          e('f', int(-9223372036854775808n)),
          e('g', float(9223372036854775808)),
          e('h', float(0.5)),
        ),
      ),
    );
  });

  it('keeps duplicate keys as separate items, and nested structures', () => {
    expect(load(json, '{"a": 1, "a": [true, null, {"b": "x"}], "c": {}}')).toEqual(
      doc(map(e('a', int(1)), e('a', seq(bool(true), nul, map(e('b', str('x'))))), e('c', map()))),
    );
  });

  it('decodes escapes and replaces invalid UTF-8 and lone surrogates as Go does', () => {
    expect(load(json, String.raw`{"k": "\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x\udc00"}`)).toEqual(
      doc(map(e('k', str('"\\/\b\f\n\r\té\u{1F600}\ufffdx\ufffd')))),
    );
    const raw = new Uint8Array([...bytes('{"k": "'), 0xe2, 0x82, 0x41, 0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80, ...bytes('"}')]);
    expect(json.loadPlain(raw)).toEqual(doc(map(e('k', str('\ufffd\ufffdA\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd')))));
  });

  it('requires a top-level object, with sops wording', () => {
    expect(secretsError(() => load(json, '[1]')).message).toContain("SOPS only supports JSON files with a top-level object (starting with '{'), not arrays");
    expect(secretsError(() => load(json, '"x"')).message).toContain('not other types');
    expect(secretsError(() => load(json, '"x"')).hints.join()).toContain('wrap it in an object');
  });

  it.each(['', '{', '{"a":1', '{"a":01}', '{"a":1e400}', '{"a":"\\x"}', '{"a":tru}', '{,}', '{"a" 1}', '{"a":1,}', '{"a":[1,]}', '{"a":"\u0001"}', '{"a":1} x', '\ufeff{}'])(
    'rejects %j',
    (src) => {
      expect(secretsError(() => load(json, src)).code).toBe('SOPS_FORMAT_INVALID');
    },
  );
});

describe('JSON emission (sops encodeTree + json.Indent)', () => {
  it('indents with a tab by default, N spaces, or newlines only for 0, and ends with a newline', () => {
    const d = doc(map(e('a', map(e('b', seq(int(1), int(2))))), e('c', map()), e('d', seq())));
    expect(emit(json, d)).toBe('{\n\t"a": {\n\t\t"b": [\n\t\t\t1,\n\t\t\t2\n\t\t]\n\t},\n\t"c": {},\n\t"d": []\n}\n');
    expect(emit(new JsonStore({ indent: 2 }), d)).toBe('{\n  "a": {\n    "b": [\n      1,\n      2\n    ]\n  },\n  "c": {},\n  "d": []\n}\n');
    expect(emit(new JsonStore({ indent: 0 }), d)).toBe('{\n"a": {\n"b": [\n1,\n2\n]\n},\n"c": {},\n"d": []\n}\n');
    expect(emit(json, doc(map()))).toBe('{}\n');
    expect(secretsError(() => new JsonStore({ indent: -2 })).code).toBe('USAGE');
  });

  it('drops comments and writes only the first document', () => {
    expect(emit(json, doc(map(c(' x'), e('a', seq(c(' y'), int(1)))), map(e('b', int(2)))))).toBe('{\n\t"a": [\n\t\t1\n\t]\n}\n');
    expect(secretsError(() => emit(json, doc())).code).toBe('SOPS_EMPTY_DOCUMENT');
  });

  const strings: [string, string][] = [
    ['plain', '"plain"'],
    ['<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['a/b', '"a/b"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['\u0000\u0001\u001f', '"\\u0000\\u0001\\u001f"'],
    ['\b\f\n\r\t', '"\\b\\f\\n\\r\\t"'],
    ['\u007f', '"\u007f"'],
    ['é日本\u{1F600}', '"é日本\u{1F600}"'],
    ['"\\', '"\\"\\\\"'],
  ];
  it.each(strings)('string %j → %s', (value, expected) => {
    expect(one(str(value))).toBe(`{\n\t"k": ${expected}\n}\n`);
    expect(load(json, one(str(value)))).toEqual(doc(map(e('k', str(value)))));
  });

  const floats: [number, string][] = [
    [1, '1'],
    [1.5, '1.5'],
    [-0, '-0'],
    [100, '100'],
    [1e6, '1000000'],
    [1e20, '100000000000000000000'],
    [1e21, '1e+21'],
    [1.5e300, '1.5e+300'],
    [0.000001, '0.000001'],
    [1e-7, '1e-7'],
    [1.5e-7, '1.5e-7'],
    [1e-10, '1e-10'],
    [5e-324, '5e-324'],
    [9223372036854775808, '9223372036854776000'],
    [0.1, '0.1'],
  ];
  it.each(floats)('float %d → %s', (value, expected) => {
    expect(one(float(value))).toBe(`{\n\t"k": ${expected}\n}\n`);
  });

  it('writes other scalars as json.Marshal does and refuses NaN/Inf', () => {
    expect(one(int(-9223372036854775808n))).toContain('"k": -9223372036854775808');
    expect(one(bool(false))).toContain('"k": false');
    expect(one(nul)).toContain('"k": null');
    expect(one(time('2001-12-14T21:59:43.1-05:00'))).toContain('"k": "2001-12-14T21:59:43.1-05:00"');
    expect(one({ kind: 'bytes', value: bytes('hi') })).toContain('"k": "aGk="');
    expect(secretsError(() => one(float(NaN))).message).toBe('json: unsupported value: NaN');
    expect(secretsError(() => one(float(-Infinity))).message).toBe('json: unsupported value: -Inf');
  });

  it('escapes keys too', () => {
    expect(emit(json, doc(map(e('<k>', int(1)))))).toBe('{\n\t"\\u003ck\\u003e": 1\n}\n');
  });

  it('emitValue writes indented JSON without a trailing newline', () => {
    expect(text(json.emitValue(str('x')))).toBe('"x"');
    expect(text(json.emitValue(seq(int(1), map(e('a', nul)))))).toBe('[\n\t1,\n\t{\n\t\t"a": null\n\t}\n]');
  });
});

describe('JSON metadata', () => {
  it('puts "sops" last and takes it out again', () => {
    const md = map(e('kms', nul), e('version', str('3.13.2')));
    const out = text(json.emitEncrypted(doc(map(e('a', str('b')))), md));
    expect(out).toBe('{\n\t"a": "b",\n\t"sops": {\n\t\t"kms": null,\n\t\t"version": "3.13.2"\n\t}\n}\n');
    expect(json.loadEncrypted(bytes(out))).toEqual({ document: doc(map(e('a', str('b')))), metadata: md });
  });

  it('rejects missing, duplicate and reserved sops keys', () => {
    expect(secretsError(() => json.loadEncrypted(bytes('{"a": 1}'))).code).toBe('SOPS_METADATA_NOT_FOUND');
    expect(secretsError(() => json.loadEncrypted(bytes('{"sops": {}, "sops": {}}'))).code).toBe('SOPS_METADATA_INVALID');
    expect(secretsError(() => json.loadEncrypted(bytes('{"sops": "x"}'))).code).toBe('SOPS_METADATA_INVALID');
    expect(secretsError(() => json.emitEncrypted(doc(map(e('sops', int(1)))), map())).code).toBe('SOPS_VALUE_INVALID');
  });
});
