/**
 * Real age files written by other tools (agenix, ragenix, sops), opened with each listed key alone.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import { decryptAge, describeIdentity, inspectAgeHeader, parseIdentities, parseRecipient, encryptAge } from '../../src/age/index.js';

const SHARED = new URL('../../../../../shared/vectors/', import.meta.url);
const read = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, SHARED)));
const text = (path: string): string => readFileSync(new URL(path, SHARED), 'utf8');
const expected = JSON.parse(text('expected.json')) as {
  agenix: { files: { file: string; recipients: string[]; plaintext: string }[]; ssh_ed25519_stanza_tags: Record<string, string> };
  ragenix: { files: { file: string; plaintext: string }[] };
};

async function open(file: Uint8Array, keyPath: string): Promise<string> {
  return Buffer.from(await decryptAge(file, parseIdentities(text(keyPath), keyPath))).toString('utf8');
}

async function failure(promise: Promise<unknown>): Promise<SecretsError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof SecretsError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('agenix vectors', () => {
  const files = readdirSync(new URL('agenix/example/', SHARED)).filter((f) => f.endsWith('.age'));
  it('every .age file is listed in expected.json', () => {
    expect(files.sort()).toEqual(expected.agenix.files.map((f) => f.file.replace('example/', '')).sort());
  });
  for (const v of expected.agenix.files) {
    for (const who of v.recipients.filter((r) => !r.startsWith('+'))) {
      it(`${v.file} opens with ${who} alone`, async () => {
        expect(await open(read(`agenix/${v.file}`), `agenix/example_keys/${who}`)).toBe(v.plaintext);
      });
    }
  }
  it('a key that is not a recipient gets the whole story: stanzas, tags, and why', async () => {
    // secret2.age is for user1 only.
    const e = await failure(open(read('agenix/example/secret2.age'), 'agenix/example_keys/system1'));
    expect(e.code).toBe('AGE_NO_IDENTITY_MATCHED');
    const hints = e.hints.join('\n');
    expect(hints).toContain(`ssh-ed25519 (tag ${expected.agenix.ssh_ed25519_stanza_tags['user1']})`);
    expect(hints).toContain(`agenix/example_keys/system1 (ssh-ed25519, tag ${expected.agenix.ssh_ed25519_stanza_tags['system1']})`);
    expect(hints).toContain("no ssh-ed25519 stanza with this key's tag");
    expect(hints).toContain('the file has no X25519 stanza');
  });
});

describe('ragenix vectors: X25519 + ssh-ed25519 + ssh-rsa + grease', () => {
  for (const v of expected.ragenix.files) {
    for (const key of ['ragenix/keys/key.txt', 'ragenix/keys/id_ed25519', 'ragenix/keys/id_rsa']) {
      it(`${v.file} opens with ${key} alone`, async () => {
        expect(await open(read(`ragenix/${v.file.replace(/^example\//, '')}`), key)).toBe(v.plaintext);
      });
    }
  }
});

describe('sops-nix data keys', () => {
  const armored = (path: string): string[] => [...text(path).matchAll(/-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/g)].map((m) => m[0].replace(/^ +/gm, ''));
  const dataKey = 'b9152942b7105527fd1fb9e2d9a1ee9bd03a7bb8edea26d311fda1a2e85056b2';

  it('secrets.yaml: the age-keys.txt identity opens its stanza', async () => {
    const [first] = armored('sops-nix/secrets.yaml');
    expect(Buffer.from(await decryptAge(new TextEncoder().encode(first), parseIdentities(text('sops-nix/age-keys.txt'), 'age-keys.txt'))).toString('hex')).toBe(dataKey);
  });

  it('secrets.yaml: the SSH key opens the X25519 stanza for its ssh-to-age recipient (sops-nix#824)', async () => {
    const [, second] = armored('sops-nix/secrets.yaml');
    const ssh = parseIdentities(text('sops-nix/ssh-ed25519-key'), 'ssh-ed25519-key');
    expect(Buffer.from(await decryptAge(new TextEncoder().encode(second), ssh)).toString('hex')).toBe(dataKey);
  });

  it('secrets-native-ssh.yaml: the SSH key opens the native ssh-ed25519 stanza (sops 3.13)', async () => {
    const [block] = armored('sops-nix/secrets-native-ssh.yaml');
    const key = await decryptAge(new TextEncoder().encode(block), parseIdentities(text('sops-nix/ssh-ed25519-key'), 'ssh-ed25519-key'));
    expect(key).toHaveLength(32);
  });
});

describe('identities and recipients', () => {
  it('keys.txt with comments, CRLF and several keys; whitespace-separated keys', () => {
    const a = text('sops-nix/age-keys.txt');
    const b = text('ragenix/keys/key.txt');
    const ids = parseIdentities(`${a}\r\n\r\n${b.replace(/\n/g, '\r\n')}`, 'mixed');
    expect(ids.map((i) => [i.kind, i.origin])).toEqual([
      ['x25519', 'mixed line 3'],
      ['x25519', 'mixed line 8'],
    ]);
    const secrets = ids.map((i) => (i.kind === 'x25519' ? i.secret : ''));
    expect(parseIdentities(secrets.join(' '), 'SOPS_AGE_KEY')).toHaveLength(2);
  });

  it('an unknown line fails naming origin and line only', () => {
    try {
      parseIdentities('# ok\nAGE-SECRET-KEY-1NOTVALIDNOTVALID SECRETISH\n', 'k.txt');
      expect.unreachable();
    } catch (e) {
      expect((e as SecretsError).message).toBe('k.txt line 2: invalid age identity (bad bech32 encoding)');
    }
    expect(() => parseIdentities('hello\n', 'k.txt')).toThrow('k.txt line 1: unknown identity type');
  });

  it('plugin identities are kept and explained, not fatal', () => {
    const ids = parseIdentities('AGE-PLUGIN-YUBIKEY-1QQQQQQ\n', 'k');
    expect(ids).toEqual([{ kind: 'unsupported', origin: 'k line 1', reason: 'age plugin identities are not supported yet' }]);
  });

  it('an SSH identity describes both recipients it opens', async () => {
    const [id] = parseIdentities(text('sops-nix/ssh-ed25519-key'), 'host key');
    const d = await describeIdentity(id as never);
    expect(d.recipients).toEqual([text('sops-nix/ssh-ed25519-key.pub').trim(), 'age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs']);
  });

  it('recipients: secrets pasted by mistake are refused without echo; plugins and junk explained', () => {
    const secret = text('sops-nix/age-keys.txt').split('\n')[2] as string;
    try {
      parseRecipient(secret);
      expect.unreachable();
    } catch (e) {
      expect((e as SecretsError).message).toBe('this looks like a secret key, not a recipient');
    }
    expect(() => parseRecipient('age1yubikey1qwerty')).toThrow(/plugin recipients are not supported yet/);
    expect(() => parseRecipient('age1notbech32')).toThrow(/invalid age recipient/);
    expect(parseRecipient(text('sops-nix/ssh-ed25519-key.pub')).kind).toBe('ssh-ed25519');
  });

  it('refuses RSA recipients under 2048 bits', async () => {
    const small = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDRjZ8w0sPV8Jm0OCn2v3C9SOhzQp3Xbo4gn6lBaXcM9SCBrSrIQAUhTJKLTzdaHx8n86exHIqgmr8V85GqLVRX9vhU3KF1TpxSBkoSs0HwtLA7wE4HbyeoEdomKfqSxm6GHntlnuSnCunXLUeRD84ydgD5h1b5ZCd1EmOGtbeLvQ==';
    const e = await failure(encryptAge(new Uint8Array(1), [parseRecipient(small)]));
    expect(e.code).toBe('AGE_RECIPIENT_INVALID');
  });

  it('lists stanzas for diagnostics, including grease', () => {
    const { stanzas } = inspectAgeHeader(read('agenix/example/passwordfile-user1.age'));
    expect(stanzas.filter((s) => s.type === 'ssh-ed25519').map((s) => s.args[0]).sort()).toEqual(['KLPP8w', 'V3XmEA']);
    expect(stanzas.length).toBeGreaterThan(2);
  });
});

describe('post-quantum identities and passphrase-protected identity files', () => {
  it('AGE-SECRET-KEY-PQ-1 identities open files for their age1pq1 recipient', async () => {
    const { generateHybridIdentity, identityToRecipient } = await import('age-encryption');
    const secret = await generateHybridIdentity();
    const recipient = await identityToRecipient(secret);
    const file = await encryptAge(new TextEncoder().encode('pq'), [parseRecipient(recipient)]);
    const ids = parseIdentities(`# post-quantum\n${secret}\n`, 'pq.txt');
    expect(ids[0]?.kind).toBe('hybrid');
    expect(Buffer.from(await decryptAge(file, ids)).toString()).toBe('pq');
    const d = await describeIdentity(ids[0] as never);
    expect(d.recipients).toEqual([recipient]);
  });

  it('a passphrase-protected identity file (armored or binary) is opened last, only when needed', async () => {
    const { Encrypter, armor } = await import('age-encryption');
    const inner = text('sops-nix/age-keys.txt');
    const e = new Encrypter();
    e.setPassphrase('correct horse');
    e.setScryptWorkFactor(10); // keep the test fast; the format is the same at any work factor
    const binary = await e.encrypt(inner);
    const armored = armor.encode(binary);
    const [block] = [...text('sops-nix/secrets.yaml').matchAll(/-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/g)].map((m) => m[0].replace(/^ +/gm, ''));
    const file = new TextEncoder().encode(block);
    for (const source of [armored, binary] as const) {
      const ids = parseIdentities(source, 'keys.age');
      expect(ids.map((i) => i.kind)).toEqual(['encrypted-file']);
      const asked: string[] = [];
      const key = await decryptAge(file, ids, { passphrase: async (r) => (asked.push(r.origin), 'correct horse') });
      expect(Buffer.from(key).toString('hex')).toBe('b9152942b7105527fd1fb9e2d9a1ee9bd03a7bb8edea26d311fda1a2e85056b2');
      expect(asked).toEqual(['keys.age']);
    }
    const wrong = await failure(decryptAge(file, parseIdentities(armored, 'keys.age'), { passphrase: async () => 'wrong' }));
    expect(wrong.code).toBe('AGE_DECRYPT_FAILED');
    expect(wrong.message).toContain('incorrect passphrase for keys.age');
    // With a plain identity that matches, the protected file is never opened.
    const never = await decryptAge(file, [...parseIdentities(text('sops-nix/age-keys.txt'), 'plain'), ...parseIdentities(armored, 'keys.age')], {
      passphrase: async () => {
        throw new Error('must not be asked');
      },
    });
    expect(never).toHaveLength(32);
  });
});
