/**
 * Keys made by the real ssh-keygen (OpenSSH 9.2, test/vectors/ssh, see its README): every cipher it can
 * write, several KDF round counts, RSA, ECDSA, and the PEM/PKCS#8 formats we refuse. Expected values were
 * computed without our code (ssh-keygen -y / -p, Python, pyca/cryptography).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SUPPORTED_KEY_CIPHERS,
  convertPublicKeys,
  decryptOpenSshPrivateKey,
  ed25519PrivateKeyToAgeIdentity,
  ed25519PublicKeyToAgeRecipient,
  ed25519SeedToX25519Scalar,
  formatSshPublicKey,
  inspectOpenSshPrivateKey,
  parseSshPublicKey,
  sshPrivateKeyToAgeIdentity,
} from '../../src/ssh/index.js';
import { SHARED_DIR, errorOf, fixture, fixtures, hex, shownText } from './helpers.js';
import { itShared } from '../../../../test/support/shared.js';

const bareKey = (line: string): string => line.split(' ').slice(0, 2).join(' ');

describe('every fixture key', () => {
  for (const k of fixtures.keys) {
    it(`${k.file} (${k.type}, ${k.cipher}, ${k.kdf_rounds} rounds)`, () => {
      const pem = fixture(k.file);
      const envelope = inspectOpenSshPrivateKey(pem);
      expect(envelope).toMatchObject({ keyType: k.type, cipherName: k.cipher, kdfName: k.kdf, kdfRounds: k.kdf_rounds, encrypted: k.passphrase !== null });
      // The clear envelope carries the public key (no comment: that is in the private section).
      if (k.type === 'ssh-ed25519' || k.type === 'ssh-rsa') expect(envelope.publicKey && formatSshPublicKey(envelope.publicKey)).toBe(bareKey(k.public_key));
      else expect(envelope.publicKey).toBeNull();

      if (k.type !== 'ssh-ed25519' && k.type !== 'ssh-rsa') {
        const e = errorOf(() => decryptOpenSshPrivateKey(pem, k.passphrase ?? undefined));
        expect(e.code).toBe('SSH_KEY_UNSUPPORTED');
        expect(e.message).toBe(`got ${k.type} key type, but only ed25519 and rsa private keys are supported`);
        expect(errorOf(() => parseSshPublicKey(fixture(`${k.file}.pub`))).message).toBe(`got ${k.type} key type, but only ed25519 keys are supported`);
        return;
      }

      const key = decryptOpenSshPrivateKey(pem, k.passphrase ?? undefined);
      expect(key.type).toBe(k.type);
      expect(key.comment).toBe('throwaway-test-key');
      expect(formatSshPublicKey(key.publicKey)).toBe(k.public_key);
      expect(formatSshPublicKey(parseSshPublicKey(fixture(`${k.file}.pub`)))).toBe(k.public_key);
      if (key.type === 'ssh-ed25519') {
        expect(hex(key.seed)).toBe(k.seed_hex);
        expect(hex(ed25519SeedToX25519Scalar(key.seed))).toBe(k.x25519_scalar_hex_unclamped);
        expect(ed25519PrivateKeyToAgeIdentity(key)).toBe(k.age_identity);
        expect(ed25519PublicKeyToAgeRecipient(key.publicKey)).toBe(k.age_recipient);
        // The public route (the .pub file, as ssh-to-age reads it) agrees with the private one.
        expect(convertPublicKeys(fixture(`${k.file}.pub`))).toEqual({ recipients: [k.age_recipient], skipped: [] });
      } else {
        expect('bits' in key.publicKey ? key.publicKey.bits : null).toBe(k.bits);
        const n = BigInt(`0x${hex(key.n)}`);
        expect(BigInt(`0x${hex(key.p)}`) * BigInt(`0x${hex(key.q)}`)).toBe(n);
        expect(hex(key.e)).toBe('010001');
        expect(errorOf(() => sshPrivateKeyToAgeIdentity(key)).message).toBe('got ssh-rsa key type, but only ed25519 keys are supported');
        expect(convertPublicKeys(fixture(`${k.file}.pub`)).skipped).toEqual([{ line: 1, keyType: 'ssh-rsa', message: 'got ssh-rsa key type, but only ed25519 keys are supported' }]);
      }

      if (k.passphrase !== null) {
        expect(errorOf(() => decryptOpenSshPrivateKey(pem)).code).toBe('SSH_PASSPHRASE_REQUIRED');
        const wrong = errorOf(() => decryptOpenSshPrivateKey(pem, 'wrong passphrase'));
        expect([wrong.code, wrong.message]).toEqual(['SSH_PASSPHRASE_INCORRECT', 'incorrect passphrase for private key']);
        // Bytes work as well as text, and the caller's buffer is left as it was.
        const bytes = new TextEncoder().encode(k.passphrase);
        expect(decryptOpenSshPrivateKey(pem, bytes).type).toBe(k.type);
        expect(new TextDecoder().decode(bytes)).toBe(k.passphrase);
      } else {
        expect(errorOf(() => decryptOpenSshPrivateKey(pem, 'unexpected')).code).toBe('SSH_PASSPHRASE_UNEXPECTED');
      }
    });
  }

  it('cover every cipher we decrypt, and the two ssh-to-age cannot read', () => {
    const ciphers = new Set(fixtures.keys.map((k) => k.cipher));
    for (const c of SUPPORTED_KEY_CIPHERS) expect(ciphers).toContain(c);
    expect(ciphers).toContain('aes256-gcm@openssh.com');
    expect(ciphers).toContain('chacha20-poly1305@openssh.com');
    expect(new Set(fixtures.keys.map((k) => k.kdf_rounds))).toEqual(new Set([0, 1, 16, 100]));
  });
});

describe('PEM and PKCS#8 keys (read as Go x/crypto ParseRawPrivateKey reads them, for age and sops)', () => {
  it.each(fixtures.other_formats.map((f) => [f.file, f.format, f.same_key_as]))('%s (%s) is the same key as %s', (file, _format, twin) => {
    const pem = fixture(file);
    const ours = decryptOpenSshPrivateKey(pem);
    const expected = decryptOpenSshPrivateKey(fixture(twin));
    expect(formatSshPublicKey(ours.publicKey, false)).toBe(formatSshPublicKey(expected.publicKey, false));
    if (ours.type === 'ssh-ed25519' && expected.type === 'ssh-ed25519') expect(Buffer.from(ours.seed)).toEqual(Buffer.from(expected.seed));
    if (ours.type === 'ssh-rsa' && expected.type === 'ssh-rsa') {
      expect([ours.d, ours.p, ours.q, ours.iqmp].map(hex)).toEqual([expected.d, expected.p, expected.q, expected.iqmp].map(hex));
    }
    expect(inspectOpenSshPrivateKey(pem)).toMatchObject({ encrypted: false, keyType: expected.type });
    // a passphrase for an unencrypted key is refused, as for OpenSSH keys
    expect(errorOf(() => decryptOpenSshPrivateKey(pem, 'pass')).code).toBe('SSH_PASSPHRASE_UNEXPECTED');
  });

  it('a malformed PEM key is SSH_KEY_INVALID and never echoed', () => {
    const pem = fixture('rsa-2048-pem').replace(/\n[A-Za-z0-9+/]{64}\n/, '\n');
    const body = pem.split('\n').slice(1, -2).join('');
    const e = errorOf(() => decryptOpenSshPrivateKey(pem));
    expect(e.code).toBe('SSH_KEY_INVALID');
    const shown = shownText(e);
    for (let i = 0; i + 12 <= body.length; i += 12) expect(shown).not.toContain(body.slice(i, i + 12));
  });

  itShared('vectors', 'says so when given a public key or an age identity', () => {
    const pub = errorOf(() => inspectOpenSshPrivateKey(fixture('ed25519-plain.pub')));
    expect([pub.code, pub.message]).toEqual(['SSH_KEY_INVALID', 'this is an SSH public key, not a private key']);
    const age = errorOf(() => inspectOpenSshPrivateKey(readFileSync(`${SHARED_DIR}sops-nix/age-keys.txt`, 'utf8')));
    expect(age.code).toBe('SSH_KEY_INVALID');
    expect(shownText(age)).not.toContain('AGE-SECRET-KEY');
  });
});

describe('third-party keys in the shared vectors', () => {
  itShared('vectors', 'sops-nix ssh-key (RSA) matches its .pub file', () => {
    const key = decryptOpenSshPrivateKey(readFileSync(`${SHARED_DIR}sops-nix/ssh-key`, 'utf8'));
    const pub = parseSshPublicKey(readFileSync(`${SHARED_DIR}sops-nix/ssh-key.pub`, 'utf8'));
    expect(formatSshPublicKey(key.publicKey, false)).toBe(formatSshPublicKey(pub, false));
  });
  itShared('vectors', 'ragenix and agenix keys parse', () => {
    for (const path of ['ragenix/keys/id_rsa', 'ragenix/keys/id_ed25519', 'agenix/example_keys/user1', 'agenix/example_keys/system1']) {
      const pem = readFileSync(`${SHARED_DIR}${path}`, 'utf8');
      const key = decryptOpenSshPrivateKey(pem);
      expect(formatSshPublicKey(key.publicKey, false)).toBe(formatSshPublicKey(inspectOpenSshPrivateKey(pem).publicKey as never, false));
    }
    const user1 = parseSshPublicKey(readFileSync(`${SHARED_DIR}agenix/example_keys/user1.pub`, 'utf8'));
    const private1 = decryptOpenSshPrivateKey(readFileSync(`${SHARED_DIR}agenix/example_keys/user1`, 'utf8'));
    expect(formatSshPublicKey(private1.publicKey, false)).toBe(formatSshPublicKey(user1));
    expect(private1.comment).toBe('ryantm@home1');
  });
});
