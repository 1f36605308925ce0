// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * decryptAge's contract: per-identity isolation, lazy passphrases, identity files, post-quantum keys,
 * and one error code per kind of failure, always explained and never leaking keys or plaintext.
 */
import { randomBytes } from 'node:crypto';
import { Encrypter, Stanza, armor, generateHybridIdentity, identityToRecipient as typageIdentityToRecipient, type Recipient } from 'age-encryption';
import { bech32 } from '@scure/base';
import { describe, expect, it } from 'vitest';
import {
  SshEd25519Recipient,
  SshRsaRecipient,
  decryptAge,
  describeIdentity,
  encryptAge,
  identityToRecipient,
  parseIdentities,
  parseRecipient,
  type AgeIdentity,
  type AgeRecipient,
  type PassphraseRequest,
} from '../../src/age/index.js';
import { SecretsError } from '../../src/errors.js';
import { toBase64 } from '../../src/bytes.js';
import type { AgeStanza } from '../../src/age/stanza.js';
import { parseSshPublicKey, type SshEd25519PublicKey } from '../../src/ssh/index.js';
import { dec, enc, failure, vectorText } from './helpers.js';

const AGE_KEYS = vectorText('sops-nix/age-keys.txt');
const AGE_RECIPIENT = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';
const USER1 = vectorText('agenix/example_keys/user1');
const USER1_PUB = vectorText('agenix/example_keys/user1.pub');
const SYSTEM1 = vectorText('agenix/example_keys/system1');
const RSA = vectorText('ragenix/keys/id_rsa');
const RSA_PUB = /ssh-rsa [A-Za-z0-9+/=]+/.exec(vectorText('ragenix/secrets.nix'))?.[0] as string;
/** ssh-to-age's passphrase-protected test key (aes256-ctr + bcrypt, passphrase "test"). */
const LOCKED = vectorText('ssh-to-age/id_ed25519_passphrase');
const LOCKED_PUB = vectorText('ssh-to-age/id_ed25519_passphrase.pub');

const ids = (text: string, origin: string): AgeIdentity[] => parseIdentities(text, origin);
const ed25519Public = (line: string): SshEd25519PublicKey => {
  const key = parseSshPublicKey(line);
  if (key.type !== 'ssh-ed25519') throw new Error(`not an ssh-ed25519 key: ${key.type}`);
  return key;
};
const secretFree = (e: SecretsError, plaintext?: string): void => {
  const all = JSON.stringify({ m: e.message, h: e.hints, d: e.details });
  expect(all).not.toMatch(/AGE-SECRET-KEY|PRIVATE KEY|b3BlbnNzaC1rZXktdjE/);
  if (plaintext) expect(all).not.toContain(plaintext);
};

/** A passphrase callback that records who was asked. */
function asker(answer: string): { asked: PassphraseRequest[]; passphrase: (r: PassphraseRequest) => Promise<string> } {
  const asked: PassphraseRequest[] = [];
  return { asked, passphrase: async (r) => (asked.push(r), answer) };
}

/** Encrypts with arbitrary typage recipients (to craft stanzas our encryptAge would never write). */
async function craft(plaintext: string, recipients: (Recipient | string)[]): Promise<Uint8Array> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return e.encrypt(enc(plaintext));
}

const stanzaOnly = (stanza: Stanza): Recipient => ({ wrapFileKey: () => [stanza] });

describe('error codes', () => {
  it('no identities → AGE_NO_IDENTITIES', async () => {
    const file = await encryptAge(enc('x'), [parseRecipient(AGE_RECIPIENT)]);
    expect((await failure(decryptAge(file, []))).code).toBe('AGE_NO_IDENTITIES');
  });

  it('a header changed after encryption → AGE_FILE_INVALID (MAC), not "no match"', async () => {
    const file = Buffer.from(await encryptAge(enc('top secret'), [parseRecipient(AGE_RECIPIENT)])).toString('latin1');
    const tampered = file.replace('age-encryption.org/v1\n', 'age-encryption.org/v1\n-> extra stanza\n\n');
    const e = await failure(decryptAge(Buffer.from(tampered, 'latin1'), ids(AGE_KEYS, 'k')));
    expect(e.code).toBe('AGE_FILE_INVALID');
    expect(e.message).toBe('invalid age file: the header MAC does not match (the file was modified or is corrupted)');
    secretFree(e, 'top secret');
  });

  it('a corrupted or truncated payload → AGE_FILE_INVALID', async () => {
    const file = await encryptAge(enc('payload'), [parseRecipient(AGE_RECIPIENT)]);
    const flipped = file.slice();
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    for (const bad of [flipped, file.slice(0, -1), file.slice(0, file.length - 20)]) {
      const e = await failure(decryptAge(bad, ids(AGE_KEYS, 'k')));
      expect(e.code).toBe('AGE_FILE_INVALID');
      expect(e.message).toBe('invalid age file: the payload is truncated or corrupted');
    }
  });

  it('a scrypt (age -p) file: no match, with a hint that it takes a passphrase', async () => {
    const e = new Encrypter();
    e.setPassphrase('pw');
    e.setScryptWorkFactor(2);
    const err = await failure(decryptAge(await e.encrypt('x'), ids(AGE_KEYS, 'k')));
    expect(err.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(err.hints.at(-1)).toMatch(/encrypted with a passphrase/);
  });
});

describe('each identity is tried alone', () => {
  it('a malformed X25519 stanza does not hide an SSH key that matches (typage alone would abort)', async () => {
    const bad = stanzaOnly(new Stanza(['X25519', 'not', 'two-args'], new Uint8Array(32)));
    const file = await craft('still readable', [bad, new SshEd25519Recipient(ed25519Public(USER1_PUB))]);
    const both = [...ids(AGE_KEYS, 'keys.txt'), ...ids(USER1, 'user1')];
    expect(dec(await decryptAge(file, both))).toBe('still readable');
    // Alone, the X25519 key reports the malformed stanza as such.
    const e = await failure(decryptAge(file, ids(AGE_KEYS, 'keys.txt')));
    expect(e.code).toBe('AGE_FILE_INVALID');
    expect(e.message).toBe('invalid age file: malformed X25519 stanza');
    expect(e.hints).toContain(`  keys.txt line 3 (X25519 ${AGE_RECIPIENT}): the file has a malformed X25519 stanza`);
  });

  it('an ssh-ed25519 stanza with our tag that does not decrypt → AGE_DECRYPT_FAILED, unless another key opens the file', async () => {
    const pub = ed25519Public(USER1_PUB);
    const real = new SshEd25519Recipient(pub).wrapFileKey(new Uint8Array(16))[0] as AgeStanza;
    const forged = stanzaOnly(new Stanza(real.args, randomBytes(32)));
    const file = await craft('x', [forged, AGE_RECIPIENT]);
    const e = await failure(decryptAge(file, ids(USER1, 'user1')));
    expect(e.code).toBe('AGE_DECRYPT_FAILED');
    expect(e.message).toBe('the ssh-ed25519 stanza for user1 (tag V3XmEA) does not decrypt: the file is corrupted or was tampered with');
    expect(dec(await decryptAge(file, [...ids(USER1, 'user1'), ...ids(AGE_KEYS, 'k')]))).toBe('x');
  });

  it('ssh-ed25519 stanzas with a bad share or argument count are AGE_FILE_INVALID (agessh)', async () => {
    for (const args of [['ssh-ed25519', 'V3XmEA'], ['ssh-ed25519', 'V3XmEA', toBase64(new Uint8Array(31), false)], ['ssh-ed25519', 'AAAAAA', 'x', 'y']]) {
      const file = await craft('x', [stanzaOnly(new Stanza(args, new Uint8Array(32)))]);
      expect((await failure(decryptAge(file, ids(USER1, 'user1')))).code).toBe('AGE_FILE_INVALID');
    }
    // A low-order share (all zero) with our tag: all-zero shared secret → error.
    const zero = await craft('x', [stanzaOnly(new Stanza(['ssh-ed25519', 'V3XmEA', toBase64(new Uint8Array(32), false)], new Uint8Array(32)))]);
    expect((await failure(decryptAge(zero, ids(USER1, 'user1')))).message).toMatch(/low-order share/);
  });

  it('an ssh-rsa stanza with our tag that does not decrypt → AGE_DECRYPT_FAILED', async () => {
    const real = new SshRsaRecipient(parseSshPublicKey(RSA_PUB) as never).wrapFileKey(new Uint8Array(16))[0] as AgeStanza;
    const file = await craft('x', [stanzaOnly(new Stanza(real.args, randomBytes(384)))]);
    const e = await failure(decryptAge(file, ids(RSA, 'id_rsa')));
    expect(e.code).toBe('AGE_DECRYPT_FAILED');
    expect(e.message).toMatch(/^the ssh-rsa stanza for id_rsa \(tag 1NDNnA\) does not decrypt/);
  });
});

describe('passphrase-protected SSH keys', () => {
  const locked = (): AgeIdentity[] => ids(LOCKED, 'locked key');

  it('is asked for once, only when a stanza carries its tag, and opens the file', async () => {
    const file = await encryptAge(enc('native'), [parseRecipient(LOCKED_PUB)]);
    const a = asker('test');
    expect(dec(await decryptAge(file, [...ids(AGE_KEYS, 'k'), ...locked()], { passphrase: a.passphrase }))).toBe('native');
    expect(a.asked).toEqual([{ origin: 'locked key', reason: "a stanza of the file carries this key's tag" }]);
  });

  it('is never asked for a file with only other SSH keys\' stanzas', async () => {
    const file = await encryptAge(enc('x'), [parseRecipient(USER1_PUB)]);
    const a = asker('test');
    const e = await failure(decryptAge(file, locked(), { passphrase: a.passphrase }));
    expect(a.asked).toEqual([]);
    expect(e.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(e.hints.join('\n')).toContain('as its ssh-to-age recipient age1');
  });

  it('opens X25519 stanzas for its ssh-to-age recipient, asked for last', async () => {
    const described = await describeIdentity(locked()[0] as AgeIdentity);
    const converted = described.recipients[1] as string;
    const file = await encryptAge(enc('sops-nix style'), [parseRecipient(converted), parseRecipient(AGE_RECIPIENT)]);
    const a = asker('test');
    // The plain key comes AFTER the locked key in the list, yet opens the file without any prompt.
    expect(dec(await decryptAge(file, [...locked(), ...ids(AGE_KEYS, 'k')], { passphrase: a.passphrase }))).toBe('sops-nix style');
    expect(a.asked).toEqual([]);
    // Alone, the locked key is asked for (once) and opens it.
    expect(dec(await decryptAge(file, locked(), { passphrase: a.passphrase }))).toBe('sops-nix style');
    expect(a.asked.map((r) => r.origin)).toEqual(['locked key']);
    expect(a.asked[0]?.reason).toContain(converted);
  });

  it('wrong passphrase → AGE_DECRYPT_FAILED, asked once even though both routes apply', async () => {
    const described = await describeIdentity(locked()[0] as AgeIdentity);
    const file = await encryptAge(enc('x'), [parseRecipient(LOCKED_PUB), parseRecipient(described.recipients[1] as string)]);
    const a = asker('wrong');
    const e = await failure(decryptAge(file, locked(), { passphrase: a.passphrase }));
    expect(e.code).toBe('AGE_DECRYPT_FAILED');
    expect(e.message).toBe('incorrect passphrase for locked key');
    expect(a.asked).toHaveLength(1);
    secretFree(e);
  });

  it('the same key found in two places is unlocked once', async () => {
    const file = await encryptAge(enc('x'), [parseRecipient(AGE_RECIPIENT)]);
    const a = asker('test');
    await failure(decryptAge(file, [...ids(LOCKED, 'SOPS_AGE_SSH_PRIVATE_KEY_FILE'), ...ids(LOCKED, '~/.ssh/id_ed25519')], { passphrase: a.passphrase }));
    expect(a.asked).toHaveLength(1);
  });

  it('without a callback: SSH_PASSPHRASE_REQUIRED when it is needed, a hint when it only might be', async () => {
    const native = await encryptAge(enc('x'), [parseRecipient(LOCKED_PUB)]);
    const e = await failure(decryptAge(native, locked()));
    expect(e.code).toBe('SSH_PASSPHRASE_REQUIRED');
    expect(e.message).toBe('locked key is passphrase-protected and no passphrase can be asked for');
    const other = await encryptAge(enc('x'), [parseRecipient(AGE_RECIPIENT)]);
    const miss = await failure(decryptAge(other, locked()));
    expect(miss.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(miss.hints.join('\n')).toContain('not tried (the key is passphrase-protected and no passphrase can be asked for)');
  });

  it("a failing callback's own error is reported, and it is not called again", async () => {
    const file = await encryptAge(enc('x'), [parseRecipient(LOCKED_PUB)]);
    let calls = 0;
    const passphrase = async (): Promise<string> => {
      calls++;
      throw new SecretsError('SSH_PASSPHRASE_REQUIRED', 'a passphrase is needed but there is no terminal to ask on');
    };
    const keysFile = await identityFile(AGE_KEYS, 'pw');
    const e = await failure(decryptAge(file, [...locked(), ...ids(keysFile as never, 'keys.age')], { passphrase }));
    expect(e.code).toBe('SSH_PASSPHRASE_REQUIRED');
    expect(e.message).toBe('a passphrase is needed but there is no terminal to ask on');
    expect(calls).toBe(1);
  });
});

/** A passphrase-protected identity file (what `age -p` writes; typage's scrypt at a low work factor). */
async function identityFile(contents: string, passphrase: string, armored = false): Promise<Uint8Array | string> {
  const e = new Encrypter();
  e.setPassphrase(passphrase);
  e.setScryptWorkFactor(10); // fast; the format is the same at any work factor
  const binary = await e.encrypt(contents);
  return armored ? armor.encode(binary) : binary;
}

describe('passphrase-protected identity files', () => {
  it('armored or binary: opened last, only when needed, with its keys tried', async () => {
    const file = await encryptAge(enc('for the admin'), [parseRecipient(AGE_RECIPIENT)]);
    for (const armored of [true, false]) {
      const protectedKeys = ids((await identityFile(AGE_KEYS, 'correct horse', armored)) as never, 'keys.age');
      expect(protectedKeys.map((i) => i.kind)).toEqual(['encrypted-file']);
      const a = asker('correct horse');
      expect(dec(await decryptAge(file, protectedKeys, { passphrase: a.passphrase }))).toBe('for the admin');
      expect(a.asked.map((r) => r.origin)).toEqual(['keys.age']);
    }
  });

  it('never asked for when a plain identity opens the file', async () => {
    const file = await encryptAge(enc('x'), [parseRecipient(AGE_RECIPIENT)]);
    const a = asker('pw');
    await decryptAge(file, [...ids((await identityFile(AGE_KEYS, 'pw')) as never, 'keys.age'), ...ids(AGE_KEYS, 'plain')], { passphrase: a.passphrase });
    expect(a.asked).toEqual([]);
  });

  it('wrong passphrase → AGE_DECRYPT_FAILED; inner keys that do not match are listed by origin', async () => {
    const file = await encryptAge(enc('x'), [parseRecipient(AGE_RECIPIENT)]);
    const protectedKeys = ids((await identityFile(AGE_KEYS, 'pw')) as never, 'keys.age');
    const e = await failure(decryptAge(file, protectedKeys, { passphrase: async () => 'nope' }));
    expect(e.code).toBe('AGE_DECRYPT_FAILED');
    expect(e.message).toBe('incorrect passphrase for keys.age');
    const other = await encryptAge(enc('x'), [parseRecipient(USER1_PUB)]);
    const miss = await failure(decryptAge(other, protectedKeys, { passphrase: async () => 'pw' }));
    expect(miss.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(miss.hints).toContain("  keys.age (passphrase-protected identity file): decrypted; its identity is listed below");
    expect(miss.hints).toContain(`  keys.age (decrypted) line 3 (X25519 ${AGE_RECIPIENT}): the file has no X25519 stanza`);
  });

  it('may hold an SSH key; without a callback it is reported as not opened', async () => {
    const file = await encryptAge(enc('ssh inside'), [parseRecipient(USER1_PUB)]);
    const protectedKey = ids((await identityFile(USER1, 'pw', true)) as never, 'user1.age');
    expect(dec(await decryptAge(file, protectedKey, { passphrase: async () => 'pw' }))).toBe('ssh inside');
    const e = await failure(decryptAge(file, protectedKey));
    expect(e.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(e.hints).toContain('  user1.age (passphrase-protected identity file): not opened: no passphrase can be asked for');
  });

  it('a corrupted identity file is AGE_IDENTITY_INVALID naming it, not a problem of the file being opened', async () => {
    const file = await encryptAge(enc('x'), [parseRecipient(AGE_RECIPIENT)]);
    const e = await failure(decryptAge(file, ids('age-encryption.org/v1\n-> scrypt\n', 'keys.age'), { passphrase: async () => 'pw' }));
    expect(e.code).toBe('AGE_IDENTITY_INVALID');
    expect(e.message).toBe('keys.age: malformed encrypted identity file (the header is truncated (in a stanza body))');
  });

  it('an identity file encrypted to recipients instead of a passphrase is refused clearly', async () => {
    const file = await encryptAge(enc('x'), [parseRecipient(AGE_RECIPIENT)]);
    const notScrypt = await encryptAge(enc(AGE_KEYS), [parseRecipient(USER1_PUB)]);
    const e = await failure(decryptAge(file, ids(notScrypt as never, 'keys.age'), { passphrase: async () => 'pw' }));
    expect(e.code).toBe('AGE_IDENTITY_INVALID');
    expect(e.message).toBe('keys.age: an encrypted identity file must be encrypted with a passphrase (age -p), not to recipients');
  });
});

describe('post-quantum (in process: Debian age 1.1.1 predates it)', () => {
  it('round trip with AGE-SECRET-KEY-PQ-1, and its misses are explained', async () => {
    const secret = await generateHybridIdentity();
    const recipient = await typageIdentityToRecipient(secret);
    expect(await identityToRecipient(secret)).toBe(recipient);
    const file = await encryptAge(enc('pq'), [parseRecipient(recipient)], { armor: true });
    expect(dec(await decryptAge(file, ids(`# pq\n${secret}\n`, 'pq.txt')))).toBe('pq');
    const classic = await encryptAge(enc('x'), [parseRecipient(AGE_RECIPIENT)]);
    const e = await failure(decryptAge(classic, ids(secret, 'pq.txt')));
    expect(e.hints).toContain('  pq.txt line 1 (post-quantum): the file has no post-quantum (mlkem768x25519) stanza');
    const other = await typageIdentityToRecipient(await generateHybridIdentity());
    const pqOther = await encryptAge(enc('x'), [parseRecipient(other)]);
    expect((await failure(decryptAge(pqOther, ids(secret, 'pq.txt')))).hints).toContain("  pq.txt line 1 (post-quantum): not the recipient of the file's post-quantum stanza");
  });

  it('post-quantum and classic recipients are not mixed in one file (Go age 1.3 refuses too)', async () => {
    const pq: AgeRecipient = parseRecipient(await typageIdentityToRecipient(await generateHybridIdentity()));
    const e = await failure(encryptAge(enc('x'), [pq, parseRecipient(AGE_RECIPIENT)]));
    expect(e.code).toBe('AGE_RECIPIENT_INVALID');
  });
});

describe('diagnostics for several identities', () => {
  it('one hint per identity, in order, each with origin, kind, tag or recipient, and reason', async () => {
    const file = await encryptAge(enc('the plaintext'), [parseRecipient(USER1_PUB), parseRecipient('age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk')]);
    const tried = [...ids(AGE_KEYS, 'keys.txt'), ...ids(SYSTEM1, '~/.ssh/id_ed25519'), ...ids(RSA, '~/.ssh/id_rsa'), ...ids(bech32.encode('AGE-PLUGIN-YUBIKEY-', bech32.toWords(new Uint8Array(20)), false).toUpperCase(), 'yk.txt')];
    const e = await failure(decryptAge(file, tried));
    expect(e.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(e.hints[0]).toBe('the file has stanzas: ssh-ed25519 (tag V3XmEA), X25519');
    expect(e.hints.slice(1)).toEqual([
      'identities tried:',
      `  keys.txt line 3 (X25519 ${AGE_RECIPIENT}): not the recipient of the file's X25519 stanza`,
      expect.stringMatching(
        /^ {2}~\/\.ssh\/id_ed25519 \(ssh-ed25519, tag KLPP8w\): no ssh-ed25519 stanza with this tag \(the file's ssh-ed25519 stanza is tagged V3XmEA\); as its ssh-to-age recipient age1[a-z0-9]+: not the recipient of the file's X25519 stanza$/,
      ),
      "  ~/.ssh/id_rsa (ssh-rsa, tag 1NDNnA): the file has no ssh-rsa stanza",
      '  yk.txt line 1 (age plugin yubikey): age plugin "yubikey" cannot run: no age plugin host is set',
    ]);
    expect(e.details['identities']).toHaveLength(4);
    secretFree(e, 'the plaintext');
  });
});
