/**
 * The batched AES-GCM opener (constant-time GHASH in JavaScript, AES by one ECB pass) against
 * node:crypto's `createDecipheriv` (`openEncValue`), the reference: same plaintexts, same refusals, for
 * every IV length, AAD (ASCII or not), data size (both sides of the native cut-off), tag length, and for
 * tampered values and texts that are not as sops writes them. Property tests, fixed seeds.
 */
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GcmBatch } from '../../src/sops/gcm-batch.js';
import { formatEncValue, parseEncValue } from '../../src/sops/enc-value.js';
import { openEncValue } from '../../src/sops/value-cipher.js';

const RUNS = process.env['SLOW'] ? 2000 : 200;

interface Sealed {
  readonly text: string;
  readonly aad: string;
}

/** An ENC text sealed by node:crypto, then possibly tampered with. */
const sealedArb = (key: Uint8Array): fc.Arbitrary<Sealed> =>
  fc
    .record({
      ivLength: fc.constantFrom(32, 32, 12, 1, 16, 33, 64),
      aad: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('', ':', 'a:b:', 'ключ:')),
      plaintext: fc.oneof({ weight: 8, arbitrary: fc.uint8Array({ maxLength: 100 }) }, fc.uint8Array({ minLength: 4090, maxLength: 4200 }), fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => new Uint8Array(Buffer.from(s)))),
      seed: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      tamper: fc.constantFrom('none', 'none', 'none', 'data', 'iv', 'tag', 'aad', 'split', 'short-tag'),
      at: fc.nat(),
    })
    .map(({ ivLength, aad, plaintext, seed, tamper, at }) => {
      const iv = seed.subarray(0, ivLength);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(aad));
      let data: Uint8Array = cipher.update(plaintext);
      cipher.final();
      let tag: Uint8Array = cipher.getAuthTag();
      let ivOut: Uint8Array = Uint8Array.from(iv);
      const flip = (b: Uint8Array): Uint8Array => {
        const out = Uint8Array.from(b);
        if (out.length > 0) out[at % out.length]! ^= 1 << at % 8;
        return out;
      };
      if (tamper === 'data') data = flip(data);
      if (tamper === 'iv') ivOut = flip(ivOut);
      if (tamper === 'tag') tag = flip(tag);
      // Go opens data‖tag: moving the split point changes nothing
      if (tamper === 'split' && data.length > 0) [data, tag] = [data.subarray(0, data.length - 1), Uint8Array.of(data[data.length - 1]!, ...tag)];
      if (tamper === 'short-tag') [data, tag] = [Uint8Array.of(...data, ...tag.subarray(0, 4)), tag.subarray(4)];
      return { text: formatEncValue({ data, iv: ivOut, tag, type: 'str' }), aad: tamper === 'aad' ? `${aad}x` : aad };
    });

/** What the reference gives: the plaintext, null when it does not authenticate, or the parse error. */
function reference(key: Uint8Array, { text, aad }: Sealed): unknown {
  try {
    const plaintext = openEncValue(parseEncValue(text), key, aad);
    return plaintext === null ? null : Buffer.from(plaintext).toString('hex');
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The batch's answers for the same values, queued together. */
function batched(batch: GcmBatch, values: readonly Sealed[]): unknown[] {
  const jobs = values.map(({ text, aad }) => {
    try {
      return batch.add(text, aad);
    } catch (error) {
      return { error: (error as Error).message };
    }
  });
  batch.open();
  const out = jobs.map((job) => {
    if (typeof job !== 'number') return job;
    if (!batch.authentic(job)) return null;
    const plaintext = batch.plaintext(job);
    const hex = Buffer.from(plaintext).toString('hex');
    const ascii = batch.asciiText(job);
    // the text fast path: only for ASCII plaintexts, and then the same bytes
    if (ascii !== undefined && (!plaintext.every((b) => b < 0x80) || Buffer.from(ascii, 'latin1').toString('hex') !== hex)) return 'ascii text differs';
    return hex;
  });
  batch.clear();
  return out;
}

describe('batched AES-GCM opening', () => {
  it('opens exactly what createDecipheriv opens, refuses what it refuses (property, fixed seed)', () => {
    const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(keyArb.chain((key) => fc.tuple(fc.constant(key), fc.array(sealedArb(key), { minLength: 1, maxLength: 12 }), fc.array(sealedArb(key), { maxLength: 4 }))), ([key, first, second]) => {
        const batch = new GcmBatch(key, { warmUp: false });
        expect(batched(batch, first)).toEqual(first.map((v) => reference(key, v)));
        // the same batch again after clear()
        expect(batched(batch, second)).toEqual(second.map((v) => reference(key, v)));
        batch.dispose();
      }),
      { numRuns: RUNS, seed: 17 },
    );
  });

  it('texts that are not as sops writes them are parsed as sops parses them (mutations, fixed seed)', () => {
    const key = new Uint8Array(32).fill(7);
    const noise = fc.constantFrom(',iv:', ',tag:', ',type:', ']', '\n', '\r', '=', '==', 'A', '-', ' ', 'ENC[', '');
    fc.assert(
      fc.property(sealedArb(key), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), noise), { maxLength: 3 }), (sealed, edits) => {
        let text = sealed.text;
        for (const [at, cut, insert] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(i + cut);
        }
        const value = { text, aad: sealed.aad };
        expect(batched(new GcmBatch(key, { warmUp: false }), [value])).toEqual([reference(key, value)]);
      }),
      { numRuns: RUNS * 5, seed: 18 },
    );
  });

  it('many values in one batch, the arenas growing on the way', () => {
    const key = new Uint8Array(32).map((_, i) => i * 7);
    const values: Sealed[] = [];
    for (let i = 0; i < 3000; i++) {
      const iv = new Uint8Array(32).fill(i & 0xff).map((b, k) => b ^ k ^ (i >> 8));
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const aad = `service_${i}:key_${i % 10}:`;
      cipher.setAAD(Buffer.from(aad));
      const data = cipher.update(`value ${i} ${'x'.repeat(i % 300)}`);
      cipher.final();
      values.push({ text: formatEncValue({ data, iv, tag: cipher.getAuthTag(), type: 'str' }), aad });
    }
    expect(batched(new GcmBatch(key, { warmUp: false }), values)).toEqual(values.map((v) => reference(key, v)));
  });

  it('with the warm-up, the first values open natively, with the same results', () => {
    const key = new Uint8Array(32).fill(9);
    const values: Sealed[] = [];
    fc.assert(fc.property(fc.array(sealedArb(key), { minLength: 40, maxLength: 40 }), (v) => void values.push(...v)), { numRuns: 1, seed: 19 });
    expect(batched(new GcmBatch(key), values)).toEqual(values.map((v) => reference(key, v)));
  });

  it('refuses a data key of the wrong length', () => {
    expect(() => new GcmBatch(new Uint8Array(16))).toThrow(/data key must be 32 bytes/);
  });
});
