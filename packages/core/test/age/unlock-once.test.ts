// @needs-shared vectors: ssh-to-age's passphrase-protected test key.
/**
 * A passphrase-protected SSH key is unlocked once per identity object and passphrase callback (the CLI
 * has one per run), not once per file: bcrypt_pbkdf (the key's KDF, ~0.3 s) runs once for many
 * decryptions, and a wrong passphrase once too (counted calls, through the real implementation).
 */
import { describe, expect, it, vi } from 'vitest';
import { decryptAge, encryptAge, parseIdentities, parseRecipient, type PassphraseRequest } from '../../src/age/index.js';
import { dec, enc, failure, vectorText } from './helpers.js';

const calls = vi.hoisted(() => ({ bcrypt: 0 }));
vi.mock('../../src/ssh/bcrypt-pbkdf.js', async (original) => {
  const real = await original<typeof import('../../src/ssh/bcrypt-pbkdf.js')>();
  return {
    ...real,
    bcryptPbkdf: (...args: Parameters<typeof real.bcryptPbkdf>) => {
      calls.bcrypt++;
      return real.bcryptPbkdf(...args);
    },
  };
});

const LOCKED = vectorText('ssh-to-age/id_ed25519_passphrase');
const LOCKED_PUB = vectorText('ssh-to-age/id_ed25519_passphrase.pub');

function asker(answer: string): { asked: PassphraseRequest[]; passphrase: (r: PassphraseRequest) => Promise<string> } {
  const asked: PassphraseRequest[] = [];
  return { asked, passphrase: async (r) => (asked.push(r), answer) };
}

describe('a passphrase-protected SSH key is unlocked once', () => {
  it('many files, one identity: asked once, bcrypt once', async () => {
    const identities = parseIdentities(LOCKED, 'locked key');
    const a = asker('test');
    calls.bcrypt = 0;
    for (let i = 0; i < 5; i++) {
      const file = await encryptAge(enc(`file ${i}`), [parseRecipient(LOCKED_PUB)]);
      expect(dec(await decryptAge(file, identities, { passphrase: a.passphrase }))).toBe(`file ${i}`);
    }
    expect(calls.bcrypt).toBe(1);
    expect(a.asked).toHaveLength(1);
    // Another identity object of the same key (parsed again) is unlocked on its own.
    const file = await encryptAge(enc('again'), [parseRecipient(LOCKED_PUB)]);
    expect(dec(await decryptAge(file, parseIdentities(LOCKED, 'locked key'), { passphrase: a.passphrase }))).toBe('again');
    expect(calls.bcrypt).toBe(2);
    // Another callback is asked, and its answer checked: a wrong one fails though the key was unlocked.
    expect((await failure(decryptAge(file, identities, { passphrase: asker('wrong').passphrase }))).message).toBe('incorrect passphrase for locked key');
    expect(calls.bcrypt).toBe(3);
  });

  it('a wrong passphrase: bcrypt once for the same wrong answer, again for another answer', async () => {
    const identities = parseIdentities(LOCKED, 'locked key');
    const file = await encryptAge(enc('x'), [parseRecipient(LOCKED_PUB)]);
    calls.bcrypt = 0;
    const wrong = asker('wrong');
    for (let i = 0; i < 3; i++) expect((await failure(decryptAge(file, identities, { passphrase: wrong.passphrase }))).message).toBe('incorrect passphrase for locked key');
    expect(calls.bcrypt).toBe(1);
    expect(wrong.asked).toHaveLength(3); // each decryption asks its callback (the CLI's remembers the answer)
    expect(dec(await decryptAge(file, identities, { passphrase: asker('test').passphrase }))).toBe('x');
    expect(calls.bcrypt).toBe(2);
  });
});
