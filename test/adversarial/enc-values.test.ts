/**
 * sops ENC strings (`ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`), mutated: parsing fails cleanly, and
 * decryption with the right key and path gives the original value or a clean SecretsError.
 *
 * One thing the format does not protect, and this test allows: `type:` is outside the AEAD, so an edit
 * that turns one valid type name into another re-reads the same authenticated bytes as another type
 * (sops behaves the same). The bytes themselves can never change.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decryptValue, encryptValue } from '../../packages/core/src/sops/value-cipher.js';
import { encodePlaintext, type Plaintext } from '../../packages/core/src/sops/plaintext-encoding.js';
import { parseEncValue } from '../../packages/core/src/sops/enc-value.js';
import { attempt, dec, enc, mutated, runs } from './support.js';

const key = new Uint8Array(randomBytes(32));
const keyTexts = [Buffer.from(key).toString('base64'), Buffer.from(key).toString('hex')];
const fresh = (): Uint8Array => new Uint8Array(randomBytes(32));

const VALUES: { aad: string; value: Plaintext }[] = [
  { aad: 'password:', value: { kind: 'string', value: 'hunter2!tok30' } },
  { aad: 'a:b:0:', value: { kind: 'string', value: 'multi\nline!tok31\n' } },
  { aad: 'port:', value: { kind: 'int', value: 5432n } },
  { aad: 'neg:', value: { kind: 'int', value: -9223372036854775808n } },
  { aad: 'ratio:', value: { kind: 'float', value: 0.25 } },
  { aad: 'on:', value: { kind: 'bool', value: true } },
  { aad: 'when:', value: { kind: 'time', value: '2024-01-02T03:04:05Z' } },
  { aad: 'data:', value: { kind: 'bytes', value: new Uint8Array([0xff, 0x00, 0x21, 0x21]) } },
  { aad: ':', value: { kind: 'comment', text: ' comment!tok32' } },
];
const CORPUS = VALUES.map((v) => ({ ...v, text: encryptValue(v.value, key, v.aad, fresh) }));
const SECRETS = ['hunter2!tok30', 'line!tok31', 'comment!tok32', ...keyTexts];

/** The authenticated bytes of a value, whatever type it was read as. */
const bytesOf = (v: Plaintext): string => Buffer.from(v.kind === 'bytes' ? v.value : encodePlaintext(v.kind === 'comment' ? { kind: 'string', value: v.text } : v).bytes).toString('hex');

describe('ENC strings', () => {
  it('mutated: parse fails cleanly; decrypt gives the same bytes or fails cleanly', () => {
    fc.assert(
      fc.property(mutated(CORPUS, (c) => enc(c.text)), ({ base, bytes }) => {
        const text = dec(bytes);
        attempt(() => parseEncValue(text), SECRETS);
        const out = attempt(() => decryptValue(text, key, base.aad), SECRETS);
        if (out && text !== '') {
          const m = /,type:([^\]]*)\]/.exec(text);
          if (m?.[1] === /,type:([^\]]*)\]/.exec(base.text)?.[1]) expect(out.value).toEqual(base.value);
          else expect(bytesOf(out.value)).toBe(bytesOf(base.value));
        }
      }),
      { numRuns: runs(600) },
    );
  });

  it('with the wrong path or key, every value fails authentication', () => {
    for (const c of CORPUS) {
      for (const [k, aad] of [[key, `${c.aad}x:`], [fresh(), c.aad]] as const) {
        let code = 'none';
        try {
          decryptValue(c.text, k, aad);
        } catch (e) {
          code = (e as { code: string }).code;
        }
        expect(code).toBe('SOPS_VALUE_INVALID');
      }
    }
  });

  it('random text after ENC[AES256_GCM, fails cleanly', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('', 'ENC[AES256_GCM,', 'ENC[AES256_GCM,data:', 'ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:'), (tail, head) => {
        attempt(() => parseEncValue(head + tail));
        attempt(() => decryptValue(head + tail, key, 'a:'));
      }),
      { numRuns: runs(300) },
    );
  });
});
