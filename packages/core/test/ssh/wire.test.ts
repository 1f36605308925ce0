/**
 * The SSH wire reader/writer (RFC 4251 §5): round trips, every bounds check, and nothing but
 * SecretsError out of arbitrary bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import { WireReader, WireWriter, decodeBase64, wireMpint, wireString, wireUint32 } from '../../src/ssh/wire.js';
import { codeOf, errorOf, hex } from './helpers.js';

const numRuns = process.env['SLOW'] ? 2000 : 100;
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

type Op = { kind: 'uint32'; value: number } | { kind: 'string'; value: Uint8Array } | { kind: 'mpint'; value: Uint8Array } | { kind: 'name'; value: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('uint32' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({ kind: fc.constant('string' as const), value: fc.uint8Array({ maxLength: 80 }) }),
  fc.record({ kind: fc.constant('mpint' as const), value: fc.uint8Array({ maxLength: 80 }) }),
  fc.record({ kind: fc.constant('name' as const), value: fc.stringMatching(/^[!-~]{1,64}$/) }),
);

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.slice(i);
}

describe('round trips', () => {
  it('whatever the writer writes, the reader reads back, and nothing more', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
        const w = new WireWriter();
        for (const op of ops) {
          if (op.kind === 'uint32') w.uint32(op.value);
          else if (op.kind === 'string') w.string(op.value);
          else if (op.kind === 'mpint') w.mpint(op.value);
          else w.string(op.value);
        }
        const r = new WireReader(w.finish(), 'test data');
        for (const op of ops) {
          if (op.kind === 'uint32') expect(r.uint32()).toBe(op.value);
          else if (op.kind === 'string') expect(hex(r.string())).toBe(hex(op.value));
          else if (op.kind === 'mpint') expect(hex(r.mpint())).toBe(hex(stripZeros(op.value)));
          else expect(r.name()).toBe(op.value);
        }
        r.end();
      }),
      { numRuns },
    );
  });

  it('mpints are minimal and positive (RFC 4251 §5 examples)', () => {
    expect(hex(wireMpint(bytes()))).toBe('00000000');
    expect(hex(wireMpint(bytes(0, 0)))).toBe('00000000');
    expect(hex(wireMpint(bytes(0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7)))).toBe('0000000809a378f9b2e332a7');
    expect(hex(wireMpint(bytes(0x80)))).toBe('000000020080');
    expect(hex(wireMpint(bytes(0, 0, 0x7f)))).toBe('000000017f');
    // Redundant leading zeros are tolerated when reading (OpenSSH and Go accept them).
    expect(hex(new WireReader(bytes(0, 0, 0, 3, 0, 0, 5), 'x').mpint())).toBe('05');
  });

  it('writes uint32 and strings big-endian, text as UTF-8', () => {
    expect(hex(wireUint32(0xdeadbeef))).toBe('deadbeef');
    expect(hex(wireString('ssh-rsa'))).toBe('000000077373682d727361');
    expect(hex(wireString('é'))).toBe('00000002c3a9');
    expect(codeOf(() => wireUint32(-1))).toBe('INTERNAL');
    expect(codeOf(() => wireUint32(2 ** 32))).toBe('INTERNAL');
  });
});

describe('bounds checks', () => {
  it.each([
    ['uint32 with 3 bytes left', bytes(0, 0, 0), (r: WireReader) => r.uint32(), 'truncated data'],
    ['a string longer than the data', bytes(0, 0, 0, 5, 1, 2), (r: WireReader) => r.string(), 'a length field exceeds the data'],
    ['a string of length 2^32-1', bytes(0xff, 0xff, 0xff, 0xff, 1), (r: WireReader) => r.string(), 'a length field exceeds the data'],
    ['a negative mpint', bytes(0, 0, 0, 1, 0x80), (r: WireReader) => r.mpint(), 'negative integer'],
    ['an empty name', bytes(0, 0, 0, 0), (r: WireReader) => r.name(), 'bad algorithm name'],
    ['a name with a space', bytes(0, 0, 0, 3, 0x61, 0x20, 0x62), (r: WireReader) => r.name(), 'bad algorithm name'],
    ['a name with a control byte', bytes(0, 0, 0, 1, 0x0a), (r: WireReader) => r.name(), 'bad algorithm name'],
    ['a non-ASCII name', bytes(0, 0, 0, 2, 0xc3, 0xa9), (r: WireReader) => r.name(), 'bad algorithm name'],
    ['a 65-character name', new WireWriter().string('a'.repeat(65)).finish(), (r: WireReader) => r.name(), 'bad algorithm name'],
    ['raw bytes past the end', bytes(1), (r: WireReader) => r.raw(2), 'a length field exceeds the data'],
    ['a negative raw length', bytes(1), (r: WireReader) => r.raw(-1), 'a length field exceeds the data'],
    ['trailing data', bytes(1), (r: WireReader) => r.end(), 'unexpected trailing data'],
  ])('%s', (_name, data, read, reason) => {
    const e = errorOf(() => read(new WireReader(data, 'test blob')));
    expect(e.code).toBe('SSH_KEY_INVALID');
    expect(e.message).toBe(`malformed test blob: ${reason}`);
  });

  it('a 64-character name is fine; reads are views, rest() takes everything', () => {
    expect(new WireReader(new WireWriter().string('a'.repeat(64)).finish(), 'x').name()).toBe('a'.repeat(64));
    const data = bytes(0, 0, 0, 1, 7, 8, 9);
    const r = new WireReader(data, 'x');
    const s = r.string();
    data[4] = 42;
    expect(s[0]).toBe(42);
    expect(r.remaining).toBe(2);
    expect(hex(r.rest())).toBe('0809');
    r.end();
  });

  it('arbitrary bytes and arbitrary reads only ever give SecretsError', () => {
    const readArb = fc.array(fc.constantFrom('uint32', 'string', 'mpint', 'name', 'rest', 'end', 'raw3'), { maxLength: 10 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), readArb, (data, reads) => {
        const r = new WireReader(data, 'fuzz');
        try {
          for (const op of reads) {
            if (op === 'raw3') r.raw(3);
            else r[op]();
          }
        } catch (error) {
          expect(error).toBeInstanceOf(SecretsError);
          expect((error as SecretsError).code).toBe('SSH_KEY_INVALID');
        }
      }),
      { numRuns },
    );
  });
});

describe('base64 as key files and lines use it', () => {
  it('accepts padded, unpadded and non-canonical trailing bits (as Go and OpenSSH do), refuses the rest', () => {
    expect(hex(decodeBase64('AAEC') as Uint8Array)).toBe('000102');
    expect(hex(decodeBase64('AAE=') as Uint8Array)).toBe('0001');
    expect(hex(decodeBase64('AAE') as Uint8Array)).toBe('0001');
    expect(hex(decodeBase64('AAF=') as Uint8Array)).toBe('0001');
    expect(decodeBase64('')).toEqual(new Uint8Array(0));
    for (const bad of ['A', 'AAAAA', 'AA=A', 'AA-_', 'AAE==', 'A===', 'AA AA', 'AAE=\n']) expect(decodeBase64(bad)).toBeNull();
  });

  it('round-trips Buffer base64, padded and not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        const b64 = Buffer.from(data).toString('base64');
        expect(hex(decodeBase64(b64) as Uint8Array)).toBe(hex(data));
        expect(hex(decodeBase64(b64.replace(/=+$/, '')) as Uint8Array)).toBe(hex(data));
      }),
      { numRuns },
    );
  });
});
