/**
 * The bcrypt rounds cap (MAX_BCRYPT_ROUNDS = 512): what real keys use opens, a key asking for more is
 * refused before any work. The keys ssh-keygen makes at the cap and just above it take ~13 s each to make
 * and to open, so those run under SLOW=1 only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_BCRYPT_ROUNDS, decryptOpenSshPrivateKey, inspectOpenSshPrivateKey } from '../../src/ssh/index.js';
import { WireWriter } from '../../src/ssh/wire.js';
import { armor, buildKeyFile, codeOf, fixture, fixtures, splitKeyFile, unarmor } from './helpers.js';

/** The fixture key with its rounds field rewritten (the key no longer opens, but the cap comes first). */
function withRounds(rounds: number): string {
  const parts = splitKeyFile(unarmor(fixture('ed25519-aes256-ctr-a1')));
  const options = new WireWriter().string(parts.salt).uint32(rounds).finish();
  return armor(buildKeyFile({ cipher: parts.cipher, kdf: 'bcrypt', kdfOptions: options, publics: parts.publics, secret: parts.secret }));
}

describe('bcrypt rounds cap', () => {
  it('is above what guides advise (16 default, -a 100, -a 256) and refuses one more round before any work', () => {
    expect(MAX_BCRYPT_ROUNDS).toBeGreaterThanOrEqual(256);
    const pem = withRounds(MAX_BCRYPT_ROUNDS + 1);
    expect(inspectOpenSshPrivateKey(pem).kdfRounds).toBe(513);
    // Without the cap this runs 513 rounds (13 s or more) and then fails as a wrong passphrase.
    expect(codeOf(() => decryptOpenSshPrivateKey(pem, fixtures.passphrase))).toBe('LIMIT_EXCEEDED');
  });

  it('a real -a 100 key opens', () => {
    expect(inspectOpenSshPrivateKey(fixture('ed25519-chacha20-poly1305-a100')).kdfRounds).toBe(100);
    expect(() => decryptOpenSshPrivateKey(fixture('ed25519-chacha20-poly1305-a100'), fixtures.passphrase)).not.toThrow();
  });
});

describe.runIf(process.env['SLOW'])('bcrypt rounds cap with keys ssh-keygen made (SLOW)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-bcrypt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keygen = (rounds: number): string => {
    const file = join(dir, `k${rounds}`);
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-a', String(rounds), '-N', 'pass phrase', '-f', file]).status).toBe(0);
    return readFileSync(file, 'utf8');
  };

  it(`-a ${MAX_BCRYPT_ROUNDS} opens, -a ${MAX_BCRYPT_ROUNDS + 1} is refused`, () => {
    expect(() => decryptOpenSshPrivateKey(keygen(MAX_BCRYPT_ROUNDS), 'pass phrase')).not.toThrow();
    expect(codeOf(() => decryptOpenSshPrivateKey(keygen(MAX_BCRYPT_ROUNDS + 1), 'pass phrase'))).toBe('LIMIT_EXCEEDED');
  }, 120_000);
});
