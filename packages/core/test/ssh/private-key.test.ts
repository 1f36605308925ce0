/**
 * openssh-key-v1 structure (OpenSSH PROTOCOL.key): files ssh-keygen would not write, each refused with a
 * precise code, and no error ever showing the input.
 */
import { describe, expect, it } from 'vitest';
import { MAX_PRIVATE_KEY_BYTES, decryptOpenSshPrivateKey, inspectOpenSshPrivateKey } from '../../src/ssh/index.js';
import { WireWriter } from '../../src/ssh/wire.js';
import { armor, buildKeyFile, codeOf, errorOf, fixture, fixtures, shownText, splitKeyFile, unarmor, type KeyFileParts } from './helpers.js';

const plainPem = fixture('ed25519-plain');
const plain = splitKeyFile(unarmor(plainPem));
const rsaPlain = splitKeyFile(unarmor(fixture('rsa-2048-plain')));
const otherEd = splitKeyFile(unarmor(fixture('ed25519-aes256-ctr')));
const gcm = splitKeyFile(unarmor(fixture('ed25519-aes256-gcm')));

/** The unencrypted private section of ed25519-plain, split into its fields (PROTOCOL.key §3). */
function plainSection(): { check: Uint8Array; pub: Uint8Array; priv: Uint8Array; comment: Uint8Array } {
  const s = plain.secret;
  const view = new DataView(s.buffer, s.byteOffset, s.byteLength);
  let o = 8;
  const str = (): Uint8Array => {
    const n = view.getUint32(o);
    const out = s.slice(o + 4, o + 4 + n);
    o += 4 + n;
    return out;
  };
  str(); // type
  const pub = str();
  const priv = str();
  const comment = str();
  return { check: s.slice(0, 4), pub, priv, comment };
}

/** Rebuilds an unencrypted ed25519 private section with changes. */
function section(change: { check2?: Uint8Array; type?: string; pub?: Uint8Array; priv?: Uint8Array; padding?: number[] } = {}): Uint8Array {
  const p = plainSection();
  const w = new WireWriter()
    .raw(p.check)
    .raw(change.check2 ?? p.check)
    .string(change.type ?? 'ssh-ed25519')
    .string(change.pub ?? p.pub)
    .string(change.priv ?? p.priv)
    .string(p.comment);
  const body = w.finish();
  const padding = change.padding ?? Array.from({ length: (8 - (body.length % 8)) % 8 }, (_, i) => i + 1);
  return new Uint8Array([...body, ...padding]);
}

const pemOf = (parts: Partial<KeyFileParts>): string => armor(buildKeyFile({ publics: plain.publics, secret: plain.secret, ...parts }));

describe('the envelope', () => {
  it('round-trips through the test builder (sanity check of the helpers)', () => {
    expect(decryptOpenSshPrivateKey(pemOf({})).comment).toBe('throwaway-test-key');
  });

  it.each<[string, () => string, string, RegExp]>([
    ['two keys in one file', () => pemOf({ publics: [...plain.publics, ...plain.publics], count: 2 }), 'SSH_KEY_UNSUPPORTED', /holds 2 keys; only files with exactly one key/],
    ['no key', () => pemOf({ publics: [], count: 0 }), 'SSH_KEY_INVALID', /no key in the file/],
    ['2^32−1 keys announced', () => pemOf({ count: 0xffffffff }), 'SSH_KEY_UNSUPPORTED', /holds 4294967295 keys/],
    ['an unknown cipher', () => pemOf({ cipher: 'twofish256-cbc', kdf: 'bcrypt', kdfOptions: new WireWriter().string('salt').uint32(16).finish() }), 'SSH_CIPHER_UNSUPPORTED', /unsupported private key cipher "twofish256-cbc"/],
    ['an unknown KDF', () => pemOf({ cipher: 'aes256-ctr', kdf: 'scrypt' }), 'SSH_CIPHER_UNSUPPORTED', /unsupported private key KDF "scrypt"/],
    ['cipher none with a bcrypt KDF', () => pemOf({ kdf: 'bcrypt', kdfOptions: new WireWriter().string('salt').uint32(16).finish() }), 'SSH_KEY_INVALID', /the cipher and the KDF disagree/],
    ['a cipher with KDF none', () => pemOf({ cipher: 'aes256-ctr' }), 'SSH_KEY_INVALID', /the cipher and the KDF disagree/],
    ['KDF options for KDF none', () => pemOf({ kdfOptions: new Uint8Array(4) }), 'SSH_KEY_INVALID', /KDF options for the "none" KDF/],
    ['bcrypt options with trailing bytes', () => pemOf({ cipher: 'aes256-ctr', kdf: 'bcrypt', kdfOptions: new WireWriter().string('salt').uint32(16).uint32(0).finish() }), 'SSH_KEY_INVALID', /KDF options: unexpected trailing data/],
    ['trailing data after the private section', () => pemOf({ trailing: new Uint8Array(1) }), 'SSH_KEY_INVALID', /unexpected trailing data/],
    ['an AEAD key without its tag', () => armor(buildKeyFile({ cipher: gcm.cipher, kdf: 'bcrypt', kdfOptions: new WireWriter().string(gcm.salt).uint32(gcm.rounds).finish(), publics: gcm.publics, secret: gcm.secret })), 'SSH_KEY_INVALID', /a length field exceeds the data/],
    ['a bad magic', () => armor(new Uint8Array([...new TextEncoder().encode('openssh-key-v2\0'), ...unarmor(plainPem).subarray(15)])), 'SSH_KEY_INVALID', /missing the openssh-key-v1 magic/],
    ['invalid base64', () => plainPem.replace(/\n(.)/, '\n!$1'), 'SSH_KEY_INVALID', /invalid base64/],
    ['no END line', () => plainPem.replace('-----END OPENSSH PRIVATE KEY-----', ''), 'SSH_KEY_INVALID', /no "-----END OPENSSH PRIVATE KEY-----" line/],
    ['two key blocks', () => plainPem + plainPem, 'SSH_KEY_UNSUPPORTED', /more than one OpenSSH private key/],
    ['an empty file', () => '', 'SSH_KEY_INVALID', /not an OpenSSH private key/],
    ['over 64 KiB', () => plainPem + ' '.repeat(MAX_PRIVATE_KEY_BYTES), 'LIMIT_EXCEEDED', /larger than 65536 bytes/],
  ])('%s', (_name, make, code, message) => {
    const pem = make();
    for (const fn of [() => inspectOpenSshPrivateKey(pem), () => decryptOpenSshPrivateKey(pem)]) {
      const e = errorOf(fn);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    }
  });

  it('reports key types it cannot use in the envelope, and refuses them at decryption', () => {
    const pem = pemOf({ publics: [new WireWriter().string('ssh-foo').finish()] });
    expect(inspectOpenSshPrivateKey(pem)).toMatchObject({ keyType: 'ssh-foo', publicKey: null });
    expect(errorOf(() => decryptOpenSshPrivateKey(pem)).message).toBe('got ssh-foo key type, but only ed25519 and rsa private keys are supported');
  });

  it('tolerates what PEM readers tolerate: CRLF, indentation, text around the block', () => {
    const crlf = plainPem.replace(/\n/g, '\r\n');
    const noisy = `comment line\n${plainPem.split('\n').map((l) => `  ${l}`).join('\n')}\ntrailer\n`;
    for (const pem of [crlf, noisy]) expect(decryptOpenSshPrivateKey(pem).comment).toBe('throwaway-test-key');
  });

  it('reads a non-string as invalid, not as a TypeError', () => {
    expect(codeOf(() => inspectOpenSshPrivateKey(undefined as unknown as string))).toBe('SSH_KEY_INVALID');
    expect(codeOf(() => decryptOpenSshPrivateKey(new Uint8Array(4) as unknown as string))).toBe('SSH_KEY_INVALID');
    expect(codeOf(() => decryptOpenSshPrivateKey(plainPem, 42 as unknown as string))).toBe('USAGE');
  });
});

describe('the private section', () => {
  const p = plainSection();
  const otherPub = otherEd.publics[0]?.subarray(-32) as Uint8Array;
  it.each<[string, () => string, string, RegExp]>([
    ['check numbers that differ (unencrypted: corruption, not a passphrase)', () => pemOf({ secret: section({ check2: new Uint8Array(4) }) }), 'SSH_KEY_INVALID', /the check numbers differ/],
    ['a private key type unlike the public one', () => pemOf({ secret: section({ type: 'ssh-rsa' }) }), 'SSH_KEY_INVALID', /private key type differs/],
    ['a wrong ed25519 length', () => pemOf({ secret: section({ priv: p.priv.subarray(0, 63) }) }), 'SSH_KEY_INVALID', /wrong ssh-ed25519 key lengths/],
    ['a private half whose public copy differs', () => pemOf({ secret: section({ priv: new Uint8Array([...p.priv.subarray(0, 32), ...otherPub]) }) }), 'SSH_KEY_INVALID', /the private and public parts differ/],
    ['an envelope public key of another key', () => pemOf({ publics: otherEd.publics }), 'SSH_KEY_INVALID', /the private and public parts differ/],
    ['a seed that does not generate the public key', () => pemOf({ secret: section({ priv: new Uint8Array([...new Uint8Array(32).fill(7), ...p.pub]) }) }), 'SSH_KEY_INVALID', /the seed does not match the public key/],
    ['padding that is not 1, 2, 3, …', () => pemOf({ secret: section({ padding: [1, 2, 4] }) }), 'SSH_KEY_INVALID', /bad padding/],
    ['a truncated section', () => pemOf({ secret: plain.secret.subarray(0, 60) }), 'SSH_KEY_INVALID', /a length field exceeds the data|truncated/],
  ])('%s', (_name, make, code, message) => {
    const e = errorOf(() => decryptOpenSshPrivateKey(make()));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it('accepts padding of any length that counts 1, 2, 3, … (as OpenSSH and x/crypto do)', () => {
    expect(decryptOpenSshPrivateKey(pemOf({ secret: section({ padding: [] }) })).type).toBe('ssh-ed25519');
    expect(decryptOpenSshPrivateKey(pemOf({ secret: section({ padding: Array.from({ length: 20 }, (_, i) => i + 1) }) })).type).toBe('ssh-ed25519');
  });

  it('checks RSA parameters for consistency', () => {
    const s = rsaPlain.secret;
    // Swap the last two mpints (p and q): n = p·q still holds, iqmp·q ≡ 1 (mod p) no longer does.
    const view = new DataView(s.buffer, s.byteOffset, s.byteLength);
    let o = 8;
    const fields: Uint8Array[] = [];
    const str = (): Uint8Array => {
      const n = view.getUint32(o);
      const out = s.slice(o, o + 4 + n);
      o += 4 + n;
      return out;
    };
    const head = s.slice(0, 8);
    for (let i = 0; i < 8; i++) fields.push(str()); // type, n, e, d, iqmp, p, q, comment
    const rest = s.slice(o);
    const [type, n, e, d, iqmp, pp, q, comment] = fields as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const swapped = new Uint8Array([...head, ...type, ...n, ...e, ...d, ...iqmp, ...q, ...pp, ...comment, ...rest]);
    const pem = armor(buildKeyFile({ publics: rsaPlain.publics, secret: swapped }));
    expect(errorOf(() => decryptOpenSshPrivateKey(pem)).message).toMatch(/inconsistent RSA parameters/);
    const good = new Uint8Array([...head, ...type, ...n, ...e, ...d, ...iqmp, ...pp, ...q, ...comment, ...rest]);
    expect(decryptOpenSshPrivateKey(armor(buildKeyFile({ publics: rsaPlain.publics, secret: good }))).type).toBe('ssh-rsa');
  });

  it('an encrypted section that is not whole cipher blocks is invalid', () => {
    const ctr = splitKeyFile(unarmor(fixture('ed25519-aes256-ctr-a1')));
    const pem = armor(buildKeyFile({ cipher: ctr.cipher, kdf: 'bcrypt', kdfOptions: new WireWriter().string(ctr.salt).uint32(ctr.rounds).finish(), publics: ctr.publics, secret: ctr.secret.subarray(1) }));
    expect(errorOf(() => decryptOpenSshPrivateKey(pem, fixtures.passphrase)).message).toMatch(/not a whole number of cipher blocks/);
  });

  it('a tampered AEAD ciphertext reads as a wrong passphrase (the tag cannot tell them apart)', () => {
    const tampered = gcm.secret.slice();
    tampered[10] = (tampered[10] as number) ^ 1;
    const pem = armor(buildKeyFile({ cipher: gcm.cipher, kdf: 'bcrypt', kdfOptions: new WireWriter().string(gcm.salt).uint32(gcm.rounds).finish(), publics: gcm.publics, secret: tampered, tag: gcm.rest }));
    expect(codeOf(() => decryptOpenSshPrivateKey(pem, fixtures.passphrase))).toBe('SSH_PASSPHRASE_INCORRECT');
  });
});

describe('error text', () => {
  it('never contains the key file, its base64 or its secret bytes', () => {
    const secretHex = Buffer.from(plainSection().priv.subarray(0, 32)).toString('hex');
    const lines = plainPem.split('\n').filter((l) => l && !l.startsWith('-----'));
    const broken = [
      plainPem.replace(lines[2] as string, `${(lines[2] as string).slice(0, 10)}!${(lines[2] as string).slice(11)}`),
      pemOf({ secret: section({ check2: new Uint8Array(4) }) }),
      pemOf({ secret: section({ padding: [9] }) }),
      plainPem + plainPem,
      `PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: x\nPublic-Lines: 2\n${lines.join('\n')}`,
      lines.join('\n'),
    ];
    for (const pem of broken) {
      for (const fn of [() => inspectOpenSshPrivateKey(pem), () => decryptOpenSshPrivateKey(pem), () => decryptOpenSshPrivateKey(pem, 'wrong')]) {
        let shown: string;
        try {
          fn();
          continue;
        } catch (error) {
          shown = shownText(errorOf(() => { throw error; }));
        }
        for (const l of lines) for (let i = 0; i + 10 <= l.length; i += 10) expect(shown).not.toContain(l.slice(i, i + 10));
        expect(shown).not.toContain(secretHex);
      }
    }
  });
});
