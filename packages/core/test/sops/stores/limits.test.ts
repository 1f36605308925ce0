import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_INPUT_BYTES, FORMATS, storeFor } from '../../../src/sops/stores/store.js';
import { bytes, secretsError } from './helpers.js';

/** Asserts that fn fails with LIMIT_EXCEEDED in well under a second. */
function limitQuickly(fn: () => unknown, ms = 1000): string {
  const start = performance.now();
  const err = secretsError(fn);
  const elapsed = performance.now() - start;
  expect(err.code).toBe('LIMIT_EXCEEDED');
  expect(elapsed).toBeLessThan(ms);
  return err.message;
}

const billionLaughs = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
].join('\n');

describe('input limits', () => {
  it('stops a billion-laughs alias bomb', () => {
    expect(limitQuickly(() => storeFor('yaml').loadPlain(bytes(billionLaughs)))).toMatch(/aliases expand to more than 100000 nodes/);
  });

  it('allows moderate alias use and a configurable budget', () => {
    const small = billionLaughs.split('\n').slice(0, 3).join('\n');
    expect(() => storeFor('yaml').loadPlain(bytes(small))).not.toThrow();
    limitQuickly(() => storeFor('yaml', { maxAliasExpansion: 50 }).loadPlain(bytes(small)));
  });

  it('stops 200 levels of nesting in every structured format', () => {
    const block = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' x\n';
    limitQuickly(() => storeFor('yaml').loadPlain(bytes(block)));
    const flowYaml = 'a: ' + '['.repeat(200) + ']'.repeat(200) + '\n';
    limitQuickly(() => storeFor('yaml').loadPlain(bytes(flowYaml)));
    const seqs = 'a:\n' + Array.from({ length: 200 }, (_, i) => `${' '.repeat(2 * i + 2)}-`).join('\n') + ' x\n';
    limitQuickly(() => storeFor('yaml').loadPlain(bytes(seqs)));
    const json = '{"a":' + '['.repeat(200) + ']'.repeat(200) + '}';
    limitQuickly(() => storeFor('json').loadPlain(bytes(json)));
    limitQuickly(() => storeFor('binary').loadEncrypted(bytes(json)));
    const deepMeta = `sops_${Array.from({ length: 200 }, (_, i) => `k${i}`).join('__map_')}=x\n`;
    limitQuickly(() => storeFor('dotenv').loadEncrypted(bytes(deepMeta)));
    limitQuickly(() => storeFor('ini').loadEncrypted(bytes(`[sops]\n${deepMeta.slice(5)}`)));
  });

  it('stops a huge flow-nesting bomb before parsing it', () => {
    const bomb = '['.repeat(5_000_000);
    limitQuickly(() => storeFor('yaml').loadPlain(bytes(bomb)), 2000);
    limitQuickly(() => storeFor('json').loadPlain(bytes('{"a":' + bomb)), 2000);
  });

  it('accepts nesting up to the limit, and the limit is configurable', () => {
    const nested = (n: number): string => 'a: ' + '['.repeat(n - 1) + ']'.repeat(n - 1) + '\n';
    expect(() => storeFor('yaml').loadPlain(bytes(nested(100)))).not.toThrow();
    limitQuickly(() => storeFor('yaml').loadPlain(bytes(nested(101))));
    expect(() => storeFor('yaml', { maxDepth: 300 }).loadPlain(bytes(nested(200)))).not.toThrow();
    expect(() => storeFor('json', { maxDepth: 300 }).loadPlain(bytes('{"a":' + '['.repeat(199) + ']'.repeat(199) + '}'))).not.toThrow();
  });

  it('rejects oversize input in every format', () => {
    expect(DEFAULT_MAX_INPUT_BYTES).toBe(64 * 1024 * 1024);
    const big = new Uint8Array(1025).fill(0x61);
    for (const format of FORMATS) {
      const store = storeFor(format, { maxInputBytes: 1024 });
      expect(limitQuickly(() => store.loadPlain(big))).toMatch(/1025 bytes, more than the limit of 1024/);
      limitQuickly(() => store.loadEncrypted(big));
    }
    const huge = new Uint8Array(DEFAULT_MAX_INPUT_BYTES + 1);
    limitQuickly(() => storeFor('yaml').loadPlain(huge));
  });

  it('validates limit options', () => {
    expect(secretsError(() => storeFor('yaml', { maxDepth: 0 })).code).toBe('USAGE');
    expect(secretsError(() => storeFor('json', { maxInputBytes: -5 })).code).toBe('USAGE');
    expect(secretsError(() => storeFor('yaml', { maxAliasExpansion: 1.5 })).code).toBe('USAGE');
  });
});
