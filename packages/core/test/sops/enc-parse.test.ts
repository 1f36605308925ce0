/**
 * The fast ENC parser (no regex) gives exactly what sops' regex path gives, or leaves the text to it:
 * property test on canonical values and on mutations of them (markers repeated, `]`, line breaks, bad or
 * odd base64, text after the `]`), fixed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEncValue, parseEncValueByRegex } from '../../src/sops/enc-value.js';

const outcome = (f: () => unknown): unknown => {
  try {
    return { ok: f() };
  } catch (error) {
    return { error: (error as Error).message };
  }
};
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });

const canonical = fc.tuple(bytes(0, 400), bytes(32, 32), bytes(16, 16), fc.constantFrom('str', 'int', 'bool', 'float', 'bytes', 'comment', 'time', 'x]y')).map(
  ([data, iv, tag, type]) => `ENC[AES256_GCM,data:${b64(data)},iv:${b64(iv)},tag:${b64(tag)},type:${type}]`,
);
const noise = fc.constantFrom(',iv:', ',tag:', ',type:', ']', '\n', '\r', '=', '==', 'A', '-', '_', ' ', 'ENC[', ',data:', '');

describe('fast ENC parsing', () => {
  it('matches the regex path on canonical values and their mutations (property, fixed seed)', () => {
    fc.assert(
      fc.property(canonical, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), noise), { maxLength: 3 }), (text, edits) => {
        let t = text;
        for (const [at, cut, insert] of edits) {
          const i = at % (t.length + 1);
          t = t.slice(0, i) + insert + t.slice(i + cut);
        }
        expect(outcome(() => parseEncValue(t))).toEqual(outcome(() => parseEncValueByRegex(t)));
      }),
      { numRuns: process.env['SLOW'] ? 20000 : 3000, seed: 4 },
    );
  });

  it('a line break inside long data is left to the regex path (which refuses it)', () => {
    const long = `ENC[AES256_GCM,data:${'QUFB'.repeat(100)}\n${'QUFB'.repeat(100)},iv:${'A'.repeat(43)}=,tag:${'A'.repeat(22)}==,type:str]`;
    expect(outcome(() => parseEncValue(long))).toEqual(outcome(() => parseEncValueByRegex(long)));
    expect(outcome(() => parseEncValue(long))).toMatchObject({ error: expect.stringContaining('format') });
  });
});
