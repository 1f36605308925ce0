/**
 * bcrypt_pbkdf and the Blowfish under it, against answers we did not compute:
 * - Blowfish: Schneier's/Eric Young's published ECB test vectors (they depend on every word of π we derive);
 * - bcrypt_pbkdf: the published OpenBSD vectors (as collected in RustCrypto's bcrypt-pbkdf tests);
 * - every encrypted key ssh-keygen made: our KDF output, fed straight to node:crypto / noble (not through our
 *   decryption code), must give back the seed ssh-keygen itself recovered;
 * - the other way round: key files we encrypt with our KDF must open in the real ssh-keygen.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_BCRYPT_ROUNDS, bcryptPbkdf, decryptOpenSshPrivateKey, inspectOpenSshPrivateKey } from '../../src/ssh/index.js';
import { blowfishEncryptBlock, blowfishInitialState } from '../../src/ssh/bcrypt-pbkdf.js';
import { WireWriter } from '../../src/ssh/wire.js';
import { armor, buildKeyFile, codeOf, fixture, fixtures, hex, splitKeyFile, unarmor } from './helpers.js';

const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('Blowfish', () => {
  it('starts from the hex digits of π (published P-array and S-box words)', () => {
    const s = blowfishInitialState();
    const u = (i: number): number => (s[i] as number) >>> 0;
    expect([u(0), u(1), u(17)]).toEqual([0x243f6a88, 0x85a308d3, 0x8979fb1b]); // P[0], P[1], P[17]
    expect([u(18), u(273), u(274), u(1041)]).toEqual([0xd1310ba6, 0x6e85076a, 0x4b7a70e9, 0x3ac372e6]); // S0[0], S0[255], S1[0], S3[255]
  });

  // Eric Young's Blowfish ECB vectors (key, plaintext, ciphertext), published with Schneier's reference code.
  it.each([
    ['0000000000000000', '0000000000000000', '4ef997456198dd78'],
    ['ffffffffffffffff', 'ffffffffffffffff', '51866fd5b85ecb8a'],
    ['3000000000000000', '1000000000000001', '7d856f9a613063f2'],
    ['1111111111111111', '1111111111111111', '2466dd878b963c9d'],
    ['0123456789abcdef', '1111111111111111', '61f9c3802281b096'],
    ['fedcba9876543210', '0123456789abcdef', '0aceab0fc6a0a28d'],
    ['f0', 'fedcba9876543210', 'f9ad597c49db005e'],
    ['f0e1', 'fedcba9876543210', 'e91d21c1d961a6d6'],
  ])('key %s, plaintext %s → %s', (key, plain, cipher) => {
    expect(hex(blowfishEncryptBlock(fromHex(key), fromHex(plain)))).toBe(cipher);
  });
});

describe('bcrypt_pbkdf', () => {
  const lorem =
    'Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ' +
    'Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. ' +
    'Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. ' +
    'Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';
  // OpenBSD's bcrypt_pbkdf test vectors: 16, 32 and 64 output bytes (stride 1 and 2), NULs, long input.
  it.each([
    ['password', 'salt', 4, '5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9'],
    ['password', '\0', 4, 'c12b566235eee04c212598970a579a67'],
    ['\0', 'salt', 4, '6051be18c2f4f82cbf0efee5471b4bb9'],
    ['password\0', 'salt\0', 4, '7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050'],
    ['pass\0wor', 'sa\0l', 4, 'c2bffd9db38f6569efef4372f4de83c0'],
    ['pass\0word', 'sa\0lt', 4, '4ba4ac3925c0e8d7f0cdb6bb1684a56f'],
    ['password', 'salt', 8, 'e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec76227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d'],
    ['password', 'salt', 42, '833cf0dcf56db65608e8f0dc0ce882bd'],
    [lorem, 'salis\0', 8, '10978b07253df57f71a162eb0e8ad30a'],
  ])('%#: rounds %i', (pass, salt, rounds, expected) => {
    const out = bcryptPbkdf(text(pass), text(salt), rounds, (expected).length / 2);
    expect(hex(out)).toBe(expected);
  });

  it('interleaves long outputs: every 32-byte block feeds every stride-th byte', () => {
    // 33 bytes means stride 2: block 1 fills even positions, block 2 odd ones; 64 bytes likewise.
    const a = bcryptPbkdf(text('password'), text('salt'), 4, 64);
    const b = bcryptPbkdf(text('password'), text('salt'), 4, 33);
    for (let i = 0; i < 33; i++) expect(b[i]).toBe(a[i]);
    const c = bcryptPbkdf(text('password'), text('salt'), 4, 96); // stride 3
    expect(c.length).toBe(96);
    expect(hex(c)).not.toBe(hex(a));
  });

  it('refuses what bcrypt_pbkdf.c refuses, and absurd work, before doing any', () => {
    const salt = new Uint8Array(16);
    expect(codeOf(() => bcryptPbkdf(text('p'), salt, 0, 32))).toBe('SSH_KEY_INVALID');
    expect(codeOf(() => bcryptPbkdf(text('p'), new Uint8Array(0), 1, 32))).toBe('SSH_KEY_INVALID');
    expect(codeOf(() => bcryptPbkdf(new Uint8Array(0), salt, 1, 32))).toBe('SSH_PASSPHRASE_REQUIRED');
    expect(codeOf(() => bcryptPbkdf(text('p'), salt, 1, 0))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => bcryptPbkdf(text('p'), salt, 1, 1025))).toBe('LIMIT_EXCEEDED');
    const t = performance.now();
    expect(codeOf(() => bcryptPbkdf(text('p'), salt, MAX_BCRYPT_ROUNDS + 1, 32))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => bcryptPbkdf(text('p'), salt, 2 ** 32 - 1, 48))).toBe('LIMIT_EXCEEDED');
    expect(performance.now() - t).toBeLessThan(50);
  });

  it('a key file asking for too many rounds is refused at decryption, not at inspection', () => {
    const body = unarmor(fixture('ed25519-aes256-ctr-a1'));
    const parts = splitKeyFile(body);
    const options = new WireWriter().string(parts.salt).uint32(2 ** 31).finish();
    const pem = armor(buildKeyFile({ cipher: parts.cipher, kdf: 'bcrypt', kdfOptions: options, publics: parts.publics, secret: parts.secret }));
    expect(inspectOpenSshPrivateKey(pem).kdfRounds).toBe(2 ** 31);
    expect(codeOf(() => decryptOpenSshPrivateKey(pem, fixtures.passphrase))).toBe('LIMIT_EXCEEDED');
  });
});

/** [node:crypto name or 'chacha', key length, IV length] for each OpenSSH cipher name. */
const CIPHER_PARAMS: Record<string, [string, number, number]> = {
  'aes128-ctr': ['aes-128-ctr', 16, 16],
  'aes192-ctr': ['aes-192-ctr', 24, 16],
  'aes256-ctr': ['aes-256-ctr', 32, 16],
  'aes128-cbc': ['aes-128-cbc', 16, 16],
  'aes192-cbc': ['aes-192-cbc', 24, 16],
  'aes256-cbc': ['aes-256-cbc', 32, 16],
  '3des-cbc': ['des-ede3-cbc', 24, 8],
  'aes128-gcm@openssh.com': ['aes-128-gcm', 16, 12],
  'aes256-gcm@openssh.com': ['aes-256-gcm', 32, 12],
  'chacha20-poly1305@openssh.com': ['chacha', 64, 0],
};

describe('bcrypt_pbkdf against the keys ssh-keygen encrypted', () => {
  const encrypted = fixtures.keys.filter((k) => k.passphrase !== null && k.type === 'ssh-ed25519');

  it.each(encrypted.map((k) => [k.file, k]))('%s: our key and IV open it with a plain cipher call', (_file, k) => {
    const parts = splitKeyFile(unarmor(fixture(k.file)));
    const [algorithm, keyLength, ivLength] = CIPHER_PARAMS[parts.cipher] as [string, number, number];
    const material = bcryptPbkdf(text(k.passphrase as string), parts.salt, parts.rounds, keyLength + ivLength);
    const key = material.subarray(0, keyLength);
    const iv = material.subarray(keyLength);
    let plain: Uint8Array;
    if (algorithm === 'chacha') {
      // Payload from ChaCha20 block 1, 8-byte zero nonce (PROTOCOL.chacha20poly1305, sequence number 0).
      plain = chacha20orig(key.subarray(0, 32), new Uint8Array(8), parts.secret, undefined, 1);
    } else {
      const d = createDecipheriv(algorithm, key, iv);
      if (algorithm.endsWith('gcm')) (d as DecipherGCM).setAuthTag(parts.rest);
      d.setAutoPadding(false);
      plain = new Uint8Array(Buffer.concat([d.update(parts.secret), d.final()]));
    }
    // checkint, checkint, string "ssh-ed25519", string pub(32), string priv(64) = seed || pub
    const seedOffset = 8 + 4 + 11 + 4 + 32 + 4;
    expect(hex(plain.subarray(seedOffset, seedOffset + 32))).toBe(k.seed_hex);
  });
});

/** Encrypts an ed25519 key file our way (our KDF, plain cipher calls), for ssh-keygen to open. */
function encryptKeyFile(cipher: string, passphrase: string, salt: Uint8Array, rounds: number): { pem: string; publicLine: string } {
  const seed = randomBytes(32);
  const pub = ed25519.getPublicKey(seed);
  const publicBlob = new WireWriter().string('ssh-ed25519').string(pub).finish();
  const [algorithm, keyLength, ivLength] = CIPHER_PARAMS[cipher] as [string, number, number];
  const blockSize = cipher === '3des-cbc' || cipher.startsWith('chacha') ? 8 : 16;
  const check = randomBytes(4);
  const section = new WireWriter().raw(check).raw(check).string('ssh-ed25519').string(pub).string(Buffer.concat([seed, pub])).string('made-by-the-test');
  let body = section.finish();
  const padded = new Uint8Array(Math.ceil(body.length / blockSize) * blockSize);
  padded.set(body);
  for (let i = body.length, n = 1; i < padded.length; i++, n++) padded[i] = n;
  body = padded;
  const material = bcryptPbkdf(text(passphrase), salt, rounds, keyLength + ivLength);
  const key = material.subarray(0, keyLength);
  const iv = material.subarray(keyLength);
  let secret: Uint8Array;
  let tag: Uint8Array | undefined;
  if (algorithm === 'chacha') {
    const main = key.subarray(0, 32);
    secret = chacha20orig(main, new Uint8Array(8), body, undefined, 1);
    tag = poly1305(secret, chacha20orig(main, new Uint8Array(8), new Uint8Array(32), undefined, 0));
  } else {
    const c = createCipheriv(algorithm, key, iv);
    c.setAutoPadding(false);
    secret = new Uint8Array(Buffer.concat([c.update(body), c.final()]));
    if (algorithm.endsWith('gcm')) tag = new Uint8Array((c as CipherGCM).getAuthTag());
  }
  const kdfOptions = new WireWriter().string(salt).uint32(rounds).finish();
  const pem = armor(buildKeyFile({ cipher, kdf: 'bcrypt', kdfOptions, publics: [publicBlob], secret, ...(tag ? { tag } : {}) }));
  return { pem, publicLine: `ssh-ed25519 ${Buffer.from(publicBlob).toString('base64')} made-by-the-test` };
}

const hasSshKeygen = spawnSync('ssh-keygen', ['-?'], { encoding: 'utf8' }).error === undefined;

describe.skipIf(!hasSshKeygen)('key files encrypted with our bcrypt_pbkdf open in the real ssh-keygen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssh-kdf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [string, string, number, number][] = [
    ['aes256-ctr', 'pass', 16, 1],
    ['aes128-ctr', 'a much longer passphrase, well past the 72 bytes where classic bcrypt would truncate it!!', 16, 2],
    ['aes192-cbc', 'pässwörd ✓', 1, 3],
    ['3des-cbc', 'x', 33, 2],
    ['aes128-gcm@openssh.com', 'pass', 16, 1],
    ['aes256-gcm@openssh.com', 'pass', 7, 5],
    ['chacha20-poly1305@openssh.com', 'pass', 16, 2],
  ];
  it.each(cases)('%s, passphrase %j, %i-byte salt, %i rounds', (cipher, passphrase, saltLength, rounds) => {
    const { pem, publicLine } = encryptKeyFile(cipher, passphrase, randomBytes(saltLength), rounds);
    const file = join(dir, `${cipher}-${rounds}`);
    writeFileSync(file, pem, { mode: 0o600 });
    const r = spawnSync('ssh-keygen', ['-y', '-P', passphrase, '-f', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(publicLine);
    // And we read back what we wrote.
    expect(decryptOpenSshPrivateKey(pem, passphrase).comment).toBe('made-by-the-test');
  });
});
