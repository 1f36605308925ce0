/**
 * Passphrase-encrypted age files (age/scrypt.ts) beyond the CCTV vectors: our own files round-trip, the
 * work factor is bounded both ways, and the passphrase is asked for only after the header passed.
 */
import * as cctv from 'cctv-age';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decryptAgeWithPassphrase, encryptAgeWithPassphrase, isPassphraseEncrypted, MAX_SCRYPT_WORK_FACTOR } from '../../src/age/index.js';
import { dec, enc, failure } from './helpers.js';

/** The age file of a CCTV vector (after its textual header and blank line). */
function vectorFile(name: string): Uint8Array {
  const buf = Buffer.from((cctv as unknown as Record<string, Uint8Array>)[name] as Uint8Array);
  const split = buf.indexOf('\n\n');
  const body = buf.subarray(split + 2);
  return new Uint8Array(buf.subarray(0, split).includes('compressed: zlib') ? inflateSync(body) : body);
}

describe('scrypt (age -p) files', () => {
  it('round-trip, binary and armored, at a small work factor; the header says scrypt with that factor', async () => {
    for (const armor of [false, true]) {
      const file = await encryptAgeWithPassphrase(enc('hello\n'), 'correct horse', { armor, workFactor: 10 });
      expect(isPassphraseEncrypted(file)).toBe(true);
      if (!armor) expect(Buffer.from(file).toString('latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt [A-Za-z0-9+/]{22} 10\n/);
      expect(dec(await decryptAgeWithPassphrase(file, 'correct horse'))).toBe('hello\n');
      const wrong = await failure(decryptAgeWithPassphrase(file, 'wrong'));
      expect([wrong.code, wrong.message]).toEqual(['AGE_DECRYPT_FAILED', 'incorrect passphrase']);
    }
  });

  it('refuses an empty passphrase and work factors outside 1…22 when encrypting', async () => {
    expect((await failure(encryptAgeWithPassphrase(enc('x'), ''))).code).toBe('USAGE');
    for (const workFactor of [0, MAX_SCRYPT_WORK_FACTOR + 1, 10.5]) {
      expect((await failure(encryptAgeWithPassphrase(enc('x'), 'p', { workFactor }))).code).toBe('USAGE');
    }
  });

  it('asks for the passphrase only after the header passed (a 2^23 file never prompts, nor a file to recipients)', async () => {
    let asked = 0;
    const ask = async (): Promise<string> => (asked++, 'password'); // the passphrase the scrypt vectors declare
    const tooCostly = await failure(decryptAgeWithPassphrase(vectorFile('scrypt_work_factor_23'), ask));
    expect([tooCostly.code, tooCostly.message]).toEqual(['AGE_FILE_INVALID', "invalid age file: the scrypt work factor 2^23 is above age's limit of 2^22"]);
    const notScrypt = await failure(decryptAgeWithPassphrase(vectorFile('x25519'), ask));
    expect(notScrypt.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(isPassphraseEncrypted(vectorFile('x25519'))).toBe(false);
    expect(asked).toBe(0);
    expect(dec(await decryptAgeWithPassphrase(vectorFile('scrypt'), ask)).length).toBeGreaterThan(0);
    expect(asked).toBe(1);
  });
});
