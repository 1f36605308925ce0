/**
 * The batched AES-GCM sealer (constant-time GHASH in JavaScript, AES by one ECB pass) against
 * node:crypto's `createCipheriv` (`sealEncValue`), the reference: the same ENC text for the same IV, for
 * every AAD (ASCII or not), data size (empty, both sides of the native cut-off) and type, across batches
 * that seal part-way (more than 1 MiB of counter blocks); and what `encryptDocument` writes with it
 * opens with `decryptDocument`. Property tests, fixed seeds.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decryptDocument, encryptDocument } from '../../src/sops/engine.js';
import { GcmSealBatch } from '../../src/sops/gcm-seal.js';
import { sealEncValue } from '../../src/sops/value-cipher.js';
import type { Document } from '../../src/sops/tree.js';

const RUNS = process.env['SLOW'] ? 2000 : 200;
const key = new Uint8Array(randomBytes(32));

const valueArb = fc.record({
  aad: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('', ':', 'a:b:', 'ключ:')),
  plaintext: fc.oneof({ weight: 8, arbitrary: fc.uint8Array({ maxLength: 100 }) }, fc.uint8Array({ minLength: 4090, maxLength: 4200 })),
  iv: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  type: fc.constantFrom('str', 'int', 'float', 'bool', 'bytes', 'comment'),
});

describe('GcmSealBatch', () => {
  it('writes exactly what sealEncValue writes for the same IV (property, fixed seed)', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { minLength: 1, maxLength: 40 }), (values) => {
        const batch = new GcmSealBatch(key, { warmUp: false });
        const got: string[] = values.map(() => '');
        for (const [i, v] of values.entries()) batch.add(v.plaintext, v.type, v.aad, v.iv, (text) => (got[i] = text));
        batch.seal();
        batch.dispose();
        expect(got).toEqual(values.map((v) => sealEncValue(v.plaintext, v.type, key, v.aad, v.iv)));
      }),
      { numRuns: RUNS, seed: 23 },
    );
  });

  it('seals part-way once 1 MiB of counter blocks is queued, and the rest at seal()', () => {
    const batch = new GcmSealBatch(key, { warmUp: false });
    const got: (string | undefined)[] = [];
    const plaintext = new Uint8Array(4000).fill(7);
    const ivs = Array.from({ length: 300 }, () => new Uint8Array(randomBytes(32)));
    for (const [i, iv] of ivs.entries()) batch.add(plaintext, 'str', `k${i}:`, iv, (text) => (got[i] = text));
    expect(got.filter((t) => t !== undefined).length).toBeGreaterThan(0); // sealed part-way
    expect(got.filter((t) => t !== undefined).length).toBeLessThan(300);
    batch.seal();
    expect(got).toEqual(ivs.map((iv, i) => sealEncValue(plaintext, 'str', key, `k${i}:`, iv)));
  });

  it('encryptDocument of many values (batched after the first ones) opens with decryptDocument', () => {
    const items = Array.from({ length: 3000 }, (_, i) => ({ kind: 'entry' as const, key: `k${i}`, value: { kind: 'string' as const, value: i % 7 === 0 ? '' : `välue ${i}` } }));
    const doc: Document = { branches: [{ kind: 'map', items }] };
    const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
    const encrypted = encryptDocument(doc, { dataKey: key, rules: {}, lastmodified: '2026-12-06T07:00:00Z', random });
    const decrypted = decryptDocument(encrypted.document, { dataKey: key, metadata: { mac: encrypted.mac, lastmodified: '2026-12-06T07:00:00Z', rules: {} } });
    expect(decrypted.document).toEqual(doc);
  });
});
