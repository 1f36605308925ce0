import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import { decryptDocument, encryptDocument } from '../../src/sops/engine.js';
import { MAC_ONLY_ENCRYPTED_INIT, MacHasher, encryptMac, macAad, verifyMac } from '../../src/sops/mac.js';
import type { CryptRules } from '../../src/sops/rules.js';
import type { Document } from '../../src/sops/tree.js';
import { decryptValue } from '../../src/sops/value-cipher.js';
import { bool, c, doc, e, failure, float, int, map, nul, seq, str, time } from './tree-helpers.js';

const KEY = new Uint8Array(32).fill(9);
const LASTMODIFIED = '2026-08-01T09:00:14Z';
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const sha512 = (...parts: (string | Uint8Array)[]): string => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex').toUpperCase();
};

/** The plaintext MAC of a tree as encryptDocument computed it. */
function macOf(d: Document, rules: CryptRules = {}): string {
  const { mac } = encryptDocument(d, { dataKey: KEY, rules, lastmodified: LASTMODIFIED, random });
  const v = decryptValue(mac, KEY, LASTMODIFIED).value;
  if (v.kind !== 'string') throw new Error('MAC is not a string');
  return v.value;
}


describe('MAC (sops.go Tree.Encrypt)', () => {
  it('known answer: a file whose only value is "bar" has MAC = upper-case SHA-512("bar")', () => {
    const mac = macOf(doc(map(e('foo', str('bar')))));
    expect(mac).toBe(sha512('bar'));
    expect(mac).toMatch(/^D82C4EB5[0-9A-F]{114}E6C181$/); // functional-tests/res/format.enc.yaml
  });

  it('plaintext encodings, in walk order across documents; unencrypted values count; comments and nulls do not', () => {
    const d = doc(
      map(c(' not hashed'), e('b_unencrypted', bool(true)), e('i', int(5)), e('f', float(1.0)), e('n', nul), e('t', time('2001-12-14T00:00:00Z'))),
      map(e('list', seq(str('x'), c(' no'), str(''))), e('empty', str(''))),
    );
    expect(macOf(d)).toBe(sha512('True', '5', '1', '2001-12-14T00:00:00Z', 'x'));
  });

  it('mac_only_encrypted: SHA-256("sops") raw first, then only encrypted values', () => {
    expect(Buffer.from(MAC_ONLY_ENCRYPTED_INIT).toString('hex')).toBe(createHash('sha256').update('sops').digest('hex'));
    expect(MAC_ONLY_ENCRYPTED_INIT.length).toBe(32);
    const d = doc(map(e('a_unencrypted', str('plain')), e('b', str('secret'))));
    expect(macOf(d, { macOnlyEncrypted: true })).toBe(sha512(MAC_ONLY_ENCRYPTED_INIT, 'secret'));
    expect(macOf(d)).toBe(sha512('plain', 'secret'));
    // With mac_only_encrypted an unencrypted value may change without breaking the MAC.
    const enc = encryptDocument(d, { dataKey: KEY, rules: { macOnlyEncrypted: true }, lastmodified: LASTMODIFIED, random });
    const root = enc.document.branches[0];
    const edited = doc({ kind: 'map', items: [e('a_unencrypted', str('changed')), ...(root?.items.slice(1) ?? [])] });
    const out = decryptDocument(edited, { dataKey: KEY, metadata: { rules: { macOnlyEncrypted: true }, lastmodified: LASTMODIFIED, mac: enc.mac } });
    expect(out.macVerified).toBe(true);
  });

  it('the MAC AAD is lastmodified re-formatted as RFC 3339', () => {
    expect(macAad('2021-09-30T19:49:41Z')).toBe('2021-09-30T19:49:41Z');
    expect(macAad('2021-09-30T19:49:41+00:00')).toBe('2021-09-30T19:49:41Z');
    expect(macAad('2021-09-30T19:49:41.123456Z')).toBe('2021-09-30T19:49:41Z');
    expect(macAad('2021-09-30T21:49:41+02:00')).toBe('2021-09-30T21:49:41+02:00');
    for (const bad of ['', '2021-09-30', '2021-09-30T19:49:41', '2021-09-30t19:49:41z', '2021-02-30T00:00:00Z']) {
      expect(failure(() => macAad(bad)).code).toBe('SOPS_METADATA_INVALID');
    }
  });
});

describe('MAC verification', () => {
  const hasher = new MacHasher(false);
  hasher.add(new TextEncoder().encode('bar'), true);
  const computed = hasher.hex();
  const stored = encryptMac(computed, KEY, LASTMODIFIED, () => random(32));

  it('accepts the right MAC', () => {
    expect(() => verifyMac(stored, computed, KEY, LASTMODIFIED)).not.toThrow();
    expect(() => verifyMac(stored, computed, KEY, '2026-08-01T09:00:14.000+00:00')).not.toThrow();
  });

  it('a missing, undecryptable or different MAC is SOPS_MAC_MISMATCH, and no hash is printed', () => {
    const other = sha512('baz');
    const cases: [string, SecretsError][] = [
      ['no MAC', failure(() => verifyMac('', computed, KEY, LASTMODIFIED))],
      ['could not be decrypted', failure(() => verifyMac(stored, computed, KEY, '2026-08-01T09:00:15Z'))],
      ['could not be decrypted', failure(() => verifyMac('garbage', computed, KEY, LASTMODIFIED))],
      ['tampered with or corrupted', failure(() => verifyMac(stored, other, KEY, LASTMODIFIED))],
    ];
    for (const [text, error] of cases) {
      expect(error.code).toBe('SOPS_MAC_MISMATCH');
      expect(error.message).toContain(text);
      expect(error.message).toMatch(/^mac mismatch: /);
      const all = [error.message, ...error.hints].join('\n');
      expect(all).not.toContain(computed);
      expect(all).not.toContain(other);
    }
  });
});
