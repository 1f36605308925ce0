// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * OpenSSH key files mutated as whole text files (line and chunk edits, splices between keys), on top of
 * the byte-level fuzzing of the decoded body in packages/core/test/ssh/fuzz.test.ts: public key lines,
 * authorized_keys/known_hosts/ssh-keyscan text and private keys (plain, passphrase-protected, RSA, ECDSA,
 * PEM/PKCS#8). A private key either opens to one of the original keys (a mutation may only touch the
 * comment or the armor's whitespace, or splice in another key whole) or fails with a clean SecretsError
 * that quotes nothing of the key.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  convertPublicKeys,
  decryptOpenSshPrivateKey,
  ed25519PrivateKeyToAgeIdentity,
  findKeyOnLine,
  inspectOpenSshPrivateKey,
  parseIdentities,
  parseSshPublicKey,
  type SshPrivateKey,
} from '@secrets/core';
import { attempt, dec, enc, mutated, runs, vectorText } from './support.js';

const FIXTURES = fileURLToPath(new URL('../../packages/core/test/vectors/ssh/', import.meta.url));
const fixture = (name: string): string => readFileSync(`${FIXTURES}${name}`, 'utf8');
const PASSPHRASE = (JSON.parse(fixture('vectors.json')) as { passphrase: string }).passphrase;

/** Private keys, with the passphrase that opens them (only cheap KDF settings: 1 or 16 rounds). */
const PRIVATE: { name: string; text: string; passphrase?: string }[] = [
  { name: 'ed25519-plain', text: fixture('ed25519-plain') },
  { name: 'rsa-2048-plain', text: fixture('rsa-2048-plain') },
  { name: 'ecdsa', text: fixture('ecdsa') },
  { name: 'ed25519-aes256-ctr-a1', text: fixture('ed25519-aes256-ctr-a1'), passphrase: PASSPHRASE },
  { name: 'rsa-2048-pem', text: fixture('rsa-2048-pem') },
  { name: 'ed25519-pkcs8.pem', text: fixture('ed25519-pkcs8.pem') },
  { name: 'ssh-to-age/id_ed25519', text: vectorText('ssh-to-age/id_ed25519') },
  { name: 'ssh-to-age/id_ed25519_passphrase', text: vectorText('ssh-to-age/id_ed25519_passphrase'), passphrase: 'test' },
  { name: 'ragenix/id_rsa', text: vectorText('ragenix/keys/id_rsa') },
];
/** What each private key is: its secret parts, hex. */
const secretOf = (k: SshPrivateKey): string => Buffer.from(k.type === 'ssh-ed25519' ? k.seed : k.d).toString('hex');
const ORIGINAL = new Map(PRIVATE.map((p) => [p.name, (() => { try { return secretOf(decryptOpenSshPrivateKey(p.text, p.passphrase)); } catch { return null; } })()]));
/** Base64 lines of the private keys: never to be quoted in an error. */
const KEY_LINES = PRIVATE.flatMap((p) => p.text.split('\n').filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l)));

const PUBLIC: string[] = [
  vectorText('ssh-to-age/id_ed25519.pub'),
  vectorText('ssh-to-age/keyscan.txt'),
  vectorText('sops-nix/ssh-key.pub'),
  fixture('ecdsa.pub'),
  `command="echo hi",no-pty ${fixture('ed25519-plain.pub').trim()}\n@cert-authority *.example ${fixture('rsa-2048-plain.pub').trim()}\n|1|abc=|def= ${fixture('ed25519-plain.pub')}`,
];

describe('mutated SSH key files', () => {
  it('private keys: an original key or a clean error', () => {
    expect([...ORIGINAL.values()].filter((v) => v !== null).length).toBeGreaterThanOrEqual(6);
    fc.assert(
      fc.property(mutated(PRIVATE, (p) => enc(p.text)), ({ base, bytes }) => {
        const text = dec(bytes);
        const info = attempt(() => inspectOpenSshPrivateKey(text), KEY_LINES);
        // The KDF costs ~10 ms per round here; a mutated rounds field may ask for up to the 4096 allowed.
        const passphrase = info && info.kdfRounds <= 16 ? base.passphrase : undefined;
        const key = attempt(() => decryptOpenSshPrivateKey(text, passphrase), KEY_LINES);
        if (key) {
          // the same key (a splice with another file of the corpus may have produced that other key whole)
          expect([...ORIGINAL.values()]).toContain(secretOf(key));
          if (key.type === 'ssh-ed25519') attempt(() => ed25519PrivateKeyToAgeIdentity(key));
        }
        attempt(() => parseIdentities(text, 'mutated key'), KEY_LINES);
      }),
      { numRuns: runs(400) },
    );
  });

  it('public keys and known_hosts/keyscan text: parse or fail cleanly', () => {
    fc.assert(
      fc.property(mutated(PUBLIC, enc), ({ bytes }) => {
        const text = dec(bytes);
        attempt(() => convertPublicKeys(text));
        for (const line of text.split('\n').slice(0, 8)) {
          attempt(() => parseSshPublicKey(line));
          attempt(() => findKeyOnLine(line));
        }
      }),
      { numRuns: runs(400) },
    );
  });
});
