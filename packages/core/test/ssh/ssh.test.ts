/**
 * The ssh layer against ground truth: ssh-to-age's vectors (../shared) and keys made by the real
 * ssh-keygen (test/vectors/ssh), every cipher ssh-keygen can write.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import {
  bcryptPbkdf,
  convertPublicKeys,
  decryptOpenSshPrivateKey,
  ed25519PrivateKeyToAgeIdentity,
  ed25519PublicKeyToAgeRecipient,
  formatSshPublicKey,
  inspectOpenSshPrivateKey,
  parseSshPublicKey,
} from '../../src/ssh/index.js';
import { blowfishInitialState } from '../../src/ssh/bcrypt-pbkdf.js';

const FIXTURES = new URL('../vectors/ssh/', import.meta.url);
const SHARED = new URL('../../../../../shared/vectors/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

interface FixtureKey {
  file: string;
  type: string;
  cipher: string;
  passphrase: string | null;
  public_key: string;
  age_identity?: string;
  age_recipient?: string;
}
const fixtures = JSON.parse(fixture('vectors.json')) as { keys: FixtureKey[]; pkcs8: string; ecdsa_public: string };
const sshToAge = JSON.parse(readFileSync(new URL('ssh-to-age/vectors.json', SHARED), 'utf8')) as {
  private_key_vectors: { input: string; passphrase: string | null; expected_age_secret_key: string; matching_age_public_key: string }[];
  public_key_vectors: { input: string; expected_output: string }[];
  cross_repo_vectors: { input: string; expected_age_secret_key: string; expected_age_public_key: string; public_input?: string }[];
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SecretsError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('Blowfish constants derived from π', () => {
  it('match the published P-array and S-box corners', () => {
    const s = blowfishInitialState();
    expect(s[0]).toBe(0x243f6a88); // P[0]
    expect(s[17]).toBe(0x8979fb1b); // P[17]
    expect(s[18]).toBe(0xd1310ba6); // S0[0]
    expect(s[273]).toBe(0x6e85076a); // S0[255]
    expect(s[274]).toBe(0x4b7a70e9); // S1[0]
    expect(s[1041]).toBe(0x3ac372e6); // S3[255]
  });
});

describe('private keys made by ssh-keygen, every cipher', () => {
  for (const k of fixtures.keys) {
    it(`${k.file} (${k.cipher})`, () => {
      const pem = fixture(k.file);
      const envelope = inspectOpenSshPrivateKey(pem);
      expect(envelope.cipherName).toBe(k.cipher);
      expect(envelope.encrypted).toBe(k.passphrase !== null);
      expect(envelope.publicKey && formatSshPublicKey(envelope.publicKey, false)).toBe(k.public_key.split(' ').slice(0, 2).join(' '));
      const key = decryptOpenSshPrivateKey(pem, k.passphrase ?? undefined);
      expect(key.type).toBe(k.type);
      expect(formatSshPublicKey(key.publicKey)).toBe(k.public_key);
      if (key.type === 'ssh-ed25519') {
        expect(ed25519PrivateKeyToAgeIdentity(key)).toBe(k.age_identity);
        expect(ed25519PublicKeyToAgeRecipient(key.publicKey)).toBe(k.age_recipient);
        expect(convertPublicKeys(k.public_key).recipients).toEqual([k.age_recipient]);
      }
      if (k.passphrase !== null) {
        expect(codeOf(() => decryptOpenSshPrivateKey(pem))).toBe('SSH_PASSPHRASE_REQUIRED');
        expect(codeOf(() => decryptOpenSshPrivateKey(pem, 'wrong passphrase'))).toBe('SSH_PASSPHRASE_INCORRECT');
      } else {
        expect(codeOf(() => decryptOpenSshPrivateKey(pem, 'unexpected'))).toBe('SSH_PASSPHRASE_UNEXPECTED');
      }
    });
  }

  it('covers the ciphers ssh-to-age cannot read', () => {
    expect(fixtures.keys.map((k) => k.cipher)).toEqual(expect.arrayContaining(['aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes256-cbc', 'aes256-ctr']));
  });

  it('refuses PKCS#8, PEM and public keys with a hint, never echoing the input', () => {
    const pem = fixture(fixtures.pkcs8);
    try {
      decryptOpenSshPrivateKey(pem);
      expect.unreachable();
    } catch (e) {
      const err = e as SecretsError;
      expect(err.code).toBe('SSH_KEY_UNSUPPORTED');
      expect(err.hints.join(' ')).toContain('ssh-keygen -p');
      expect(`${err.message}${err.hints.join('')}`).not.toContain(pem.split('\n')[1]?.slice(0, 12));
    }
    expect(codeOf(() => inspectOpenSshPrivateKey(fixture('ed25519-plain.pub')))).toBe('SSH_KEY_INVALID');
    expect(codeOf(() => inspectOpenSshPrivateKey('garbage'))).toBe('SSH_KEY_INVALID');
  });
});

describe('ssh-to-age vectors (exact strings)', () => {
  for (const [i, v] of sshToAge.private_key_vectors.entries()) {
    it(`private key vector ${i}`, () => {
      const key = decryptOpenSshPrivateKey(v.input, v.passphrase ?? undefined);
      if (key.type !== 'ssh-ed25519') throw new Error('expected ed25519');
      expect(ed25519PrivateKeyToAgeIdentity(key)).toBe(v.expected_age_secret_key);
      expect(ed25519PublicKeyToAgeRecipient(key.publicKey)).toBe(v.matching_age_public_key);
    });
  }
  for (const [i, v] of sshToAge.public_key_vectors.entries()) {
    it(`public key vector ${i}`, () => {
      expect(convertPublicKeys(v.input).recipients.map((r) => `${r}\n`).join('')).toBe(v.expected_output);
    });
  }
  for (const [i, v] of sshToAge.cross_repo_vectors.entries()) {
    it(`cross-repo vector ${i}`, () => {
      const key = decryptOpenSshPrivateKey(v.input);
      if (key.type !== 'ssh-ed25519') throw new Error('expected ed25519');
      expect(ed25519PrivateKeyToAgeIdentity(key)).toBe(v.expected_age_secret_key);
      expect(ed25519PublicKeyToAgeRecipient(key.publicKey)).toBe(v.expected_age_public_key);
      // Not every entry carries its .pub line; when it does, the public route must agree.
      if (v.public_input) expect(convertPublicKeys(v.public_input).recipients).toEqual([v.expected_age_public_key]);
    });
  }
});

describe('public key lines', () => {
  const ed = fixture('ed25519-plain.pub').trim();
  const [type, blob] = ed.split(' ') as [string, string];
  const recipient = (fixtures.keys.find((k) => k.file === 'ed25519-plain') as FixtureKey).age_recipient;

  it.each([
    ['bare', `${type} ${blob}`],
    ['with comment', `${type} ${blob} some comment with spaces`],
    ['authorized_keys options', `no-pty,from="10.0.0.1" ${type} ${blob} c`],
    ['options with spaces in quotes', `command="echo a b",no-pty ${type} ${blob}`],
    ['known_hosts', `host1,host2 ${type} ${blob}`],
    ['known_hosts marker', `@cert-authority *.example ${type} ${blob}`],
    ['hashed known_hosts', `|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ${type} ${blob}`],
    ['leading whitespace and CRLF', `   ${type} ${blob}\r`],
  ])('%s', (_name, line) => {
    expect(convertPublicKeys(line).recipients).toEqual([recipient]);
  });

  it('skips other key types with the ssh-to-age note, fails on junk by line number only', () => {
    const ecdsa = fixture(fixtures.ecdsa_public).trim();
    const rsa = fixture('rsa-2048-plain.pub').trim();
    expect(convertPublicKeys(`# c\n\n${rsa}\n${ecdsa}\n${ed}\n`)).toEqual({
      recipients: [recipient],
      skipped: [
        { line: 3, keyType: 'ssh-rsa', message: 'got ssh-rsa key type, but only ed25519 keys are supported' },
        { line: 4, keyType: 'ecdsa-sha2-nistp256', message: 'got ecdsa-sha2-nistp256 key type, but only ed25519 keys are supported' },
      ],
    });
    try {
      convertPublicKeys(`${ed}\nnot a key TOPSECRET\n`);
      expect.unreachable();
    } catch (e) {
      expect((e as SecretsError).message).toBe('line 2 holds no SSH public key');
    }
  });

  it('rejects a blob whose inner type disagrees, and an off-curve ed25519 point', () => {
    const rsaBlob = fixture('rsa-2048-plain.pub').split(' ')[1] as string;
    expect(codeOf(() => parseSshPublicKey(`ssh-ed25519 ${rsaBlob}`))).toBe('SSH_KEY_INVALID');
    const bad = Buffer.from(blob, 'base64');
    bad.fill(0xff, bad.length - 32);
    expect(codeOf(() => convertPublicKeys(`ssh-ed25519 ${bad.toString('base64')}`))).toBe('SSH_KEY_INVALID');
  });

  it('parses RSA public keys with their size', () => {
    const key = parseSshPublicKey(fixture('rsa-2048-plain.pub'));
    expect(key.type === 'ssh-rsa' && key.bits).toBe(2048);
    expect(formatSshPublicKey(key)).toBe(fixture('rsa-2048-plain.pub').trim());
  });
});

describe('hostile input only ever gives SecretsError', () => {
  const plain = fixture('ed25519-plain');
  const body = Buffer.from(plain.split('\n').slice(1, -2).join(''), 'base64');
  const numRuns = process.env['SLOW'] ? 3000 : 200;
  const onlySecretsErrors = (fn: () => unknown): void => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(SecretsError);
    }
  };
  it('a flipped byte in a private key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: body.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, xor) => {
        const mutated = Buffer.from(body);
        mutated[index] = (mutated[index] as number) ^ xor;
        onlySecretsErrors(() => decryptOpenSshPrivateKey(`-----BEGIN OPENSSH PRIVATE KEY-----\n${mutated.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`));
      }),
      { numRuns },
    );
  });
  it('arbitrary public key text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => onlySecretsErrors(() => convertPublicKeys(text))), { numRuns });
  });
  it('arbitrary key blobs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => onlySecretsErrors(() => parseSshPublicKey(`ssh-ed25519 ${Buffer.from(bytes).toString('base64')}`))),
      { numRuns },
    );
  });
});

describe('bcrypt_pbkdf', () => {
  it('is deterministic, spreads output, and rejects absurd parameters', () => {
    const a = bcryptPbkdf(new TextEncoder().encode('pw'), new Uint8Array(16), 2, 48);
    expect(a).toEqual(bcryptPbkdf(new TextEncoder().encode('pw'), new Uint8Array(16), 2, 48));
    expect(a).not.toEqual(bcryptPbkdf(new TextEncoder().encode('pw'), new Uint8Array(16), 3, 48));
    expect(codeOf(() => bcryptPbkdf(new Uint8Array(1), new Uint8Array(16), 1 << 20, 32))).toBe('LIMIT_EXCEEDED');
  });
});
