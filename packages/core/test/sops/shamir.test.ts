import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { failure } from './tree-helpers.js';
import { describe, expect, it } from 'vitest';
import { gfInv, gfMul, shamirCombine, shamirSplit } from '../../src/sops/shamir.js';

const RUNS = process.env.SLOW ? 1000 : 50;
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

const code = (fn: () => unknown): string => failure(fn).code;

/** All subsets of {0..n-1}. */
function subsets(n: number): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 1 << n; mask++) out.push([...Array(n).keys()].filter((i) => mask & (1 << i)));
  return out;
}

describe('GF(2^8) with the AES polynomial', () => {
  it('FIPS-197 examples', () => {
    expect(gfMul(0x57, 0x83)).toBe(0xc1); // FIPS-197 §4.2
    expect(gfMul(0x57, 0x13)).toBe(0xfe); // FIPS-197 §4.2.1
    expect(gfInv(0x53)).toBe(0xca); // FIPS-197 §5.1.1
    expect(gfInv(0x03)).toBe(0xf6);
    expect(gfInv(0)).toBe(0);
  });

  it('every non-zero element times its inverse is 1; multiplication commutes', () => {
    for (let a = 1; a < 256; a++) {
      expect(gfMul(a, gfInv(a))).toBe(1);
      expect(gfMul(a, 0xb7)).toBe(gfMul(0xb7, a));
    }
  });
});

describe('Shamir (shamir/shamir.go)', () => {
  it('known answer, derived by hand: threshold 2, secret 0x42, coefficient 0x03', () => {
    // f(x) = 0x42 + 3x: f(1) = 0x42^0x03 = 0x41; f(2) = 0x42^(3·2 = 0x06) = 0x44.
    const shares = shamirSplit(new Uint8Array([0x42]), 2, 2, () => new Uint8Array([0x03]));
    expect(shares.map((s) => [...s])).toEqual([
      [0x41, 1],
      [0x44, 2],
    ]);
    expect([...shamirCombine(shares)]).toEqual([0x42]);
    expect([...shamirCombine([shares[1] as Uint8Array, shares[0] as Uint8Array])]).toEqual([0x42]);
  });

  it('known answer, derived by hand: threshold 3, secret 0x01, coefficients 1, 1', () => {
    // f(x) = 1 + x + x²: f(1) = 1^1^1 = 1; f(2) = 1^2^4 = 7; f(3) = 1^3^(3·3 = 5) = 7.
    const shares = shamirSplit(new Uint8Array([0x01]), 3, 3, () => new Uint8Array([1, 1]));
    expect(shares.map((s) => [...s])).toEqual([
      [0x01, 1],
      [0x07, 2],
      [0x07, 3],
    ]);
    expect([...shamirCombine(shares)]).toEqual([0x01]);
  });

  it('draws threshold−1 random bytes per secret byte, in order, as sops does', () => {
    const calls: number[] = [];
    shamirSplit(new Uint8Array(32), 4, 3, (n) => {
      calls.push(n);
      return random(n);
    });
    expect(calls).toEqual(Array(32).fill(2));
  });

  it('thresholds 2..5 of 5 groups: every subset of at least threshold shares recovers, smaller ones do not', () => {
    const secret = random(32);
    for (let t = 2; t <= 5; t++) {
      const shares = shamirSplit(secret, 5, t, random);
      expect(shares.map((s) => [s.length, s[32]])).toEqual([1, 2, 3, 4, 5].map((x) => [33, x]));
      for (const subset of subsets(5)) {
        if (subset.length < 2) continue;
        const combined = shamirCombine(subset.map((i) => shares[i] as Uint8Array));
        if (subset.length >= t) expect(combined).toEqual(secret);
        else expect(combined).not.toEqual(secret);
      }
    }
  });

  it('property: split then combine any threshold-sized subset is the identity', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 2, max: 10 }).chain((parts) => fc.tuple(fc.constant(parts), fc.integer({ min: 2, max: parts }), fc.shuffledSubarray([...Array(parts).keys()], { minLength: 2 }))),
        (secret, [parts, threshold, pick]) => {
          const shares = shamirSplit(secret, parts, threshold, random);
          const chosen = pick.map((i) => shares[i] as Uint8Array);
          if (chosen.length >= threshold) expect(shamirCombine(chosen)).toEqual(secret);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('parameter and share errors', () => {
    const s = new Uint8Array([1, 2]);
    expect(code(() => shamirSplit(s, 3, 1, random))).toBe('USAGE');
    expect(code(() => shamirSplit(s, 2, 3, random))).toBe('USAGE');
    expect(code(() => shamirSplit(s, 256, 2, random))).toBe('USAGE');
    expect(code(() => shamirSplit(new Uint8Array(), 2, 2, random))).toBe('USAGE');
    expect(shamirSplit(s, 255, 2, random)[254]?.[2]).toBe(255);
    const [a, b] = shamirSplit(s, 2, 2, random) as [Uint8Array, Uint8Array];
    expect(code(() => shamirCombine([a]))).toBe('SOPS_DATA_KEY_UNAVAILABLE');
    expect(code(() => shamirCombine([a, a]))).toBe('SOPS_DATA_KEY_UNAVAILABLE');
    expect(code(() => shamirCombine([a, b.slice(1)]))).toBe('SOPS_DATA_KEY_UNAVAILABLE');
    expect(code(() => shamirCombine([new Uint8Array([1]), new Uint8Array([2])]))).toBe('SOPS_DATA_KEY_UNAVAILABLE');
  });
});
