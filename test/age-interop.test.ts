/**
 * Interop with Debian's `age` 1.1.1 binary, both ways: X25519, ssh-ed25519 and ssh-rsa (2048 and 3072)
 * recipients, binary and armored, several recipients per file, keys.txt files with comments and several
 * keys, protected SSH keys, passphrase-protected identity files, and the ssh-to-age route age lacks.
 * Keys are generated fresh for each run (age-keygen, ssh-keygen) in a temp dir.
 *
 * These tests FAIL (not skip) without the binaries: the project's compatibility claim rests on them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Encrypter, armor, generateHybridIdentity, identityToRecipient as typageIdentityToRecipient } from 'age-encryption';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptAge, encryptAge, parseIdentities, parseRecipient, type AgeIdentity, type AgeRecipient } from '../packages/core/src/age/index.js';
import { nativeEncrypt } from '../packages/core/src/age/native-encrypt.js';
import { SecretsError } from '../packages/core/src/errors.js';
import { decryptOpenSshPrivateKey, ed25519PrivateKeyToAgeIdentity, ed25519PublicKeyToAgeRecipient, parseSshPublicKey } from '../packages/core/src/ssh/index.js';
import { grammarViolations, runInProcess, runProcess } from './support/cli.js';
import { peerSkipReason } from './support/peers.js';

const dir = mkdtempSync(join(tmpdir(), 'secrets-age-interop-'));
const path = (name: string): string => join(dir, name);
const PASSPHRASE = 'hunter2';

const keys = {
  /** age-keygen output: `# created`, `# public key`, the key. */
  txt1: path('key1.txt'),
  txt2: path('key2.txt'),
  /** Both keys in one keys.txt, with extra comments, a blank line and CRLF. */
  both: path('keys.txt'),
  r1: '',
  r2: '',
  ed: path('id_ed25519'),
  rsa2048: path('id_rsa2048'),
  rsa3072: path('id_rsa3072'),
  edLocked: path('id_ed25519_locked'),
  rsaLocked: path('id_rsa_locked'),
};

/** Why the file is skipped (a peer program is missing), or null; under CI a missing peer fails. */
const missing = peerSkipReason(['age', 'age-keygen', 'ssh-keygen'], 'age openssh-client');
if (missing !== null) it.skip(missing, () => undefined);

beforeAll(() => {
  if (missing !== null) return;
  execFileSync('age-keygen', ['-o', keys.txt1], { stdio: 'ignore' });
  execFileSync('age-keygen', ['-o', keys.txt2], { stdio: 'ignore' });
  keys.r1 = execFileSync('age-keygen', ['-y', keys.txt1], { encoding: 'utf8' }).trim();
  keys.r2 = execFileSync('age-keygen', ['-y', keys.txt2], { encoding: 'utf8' }).trim();
  const both = `# my keys\r\n${readFileSync(keys.txt1, 'utf8')}\r\n\r\n# the backup key\r\n${readFileSync(keys.txt2, 'utf8')}`;
  writeFileSync(keys.both, both.replace(/(?<!\r)\n/g, '\r\n'));
  const keygen = (file: string, type: string, bits: string[], passphrase = ''): void => {
    execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', passphrase, '-C', 'interop@test', '-f', file]);
  };
  keygen(keys.ed, 'ed25519', []);
  keygen(keys.rsa2048, 'rsa', ['-b', '2048']);
  keygen(keys.rsa3072, 'rsa', ['-b', '3072']);
  keygen(keys.edLocked, 'ed25519', [], PASSPHRASE);
  keygen(keys.rsaLocked, 'rsa', ['-b', '2048'], PASSPHRASE);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pub = (file: string): string => readFileSync(`${file}.pub`, 'utf8').trim();
const identities = (file: string, origin = file): AgeIdentity[] => parseIdentities(readFileSync(file), origin);
const ageDecrypt = (file: string, identity: string): Uint8Array => new Uint8Array(execFileSync('age', ['-d', '-i', identity, file]));
const ageEncrypt = (args: string[], input: string | Uint8Array): Uint8Array => new Uint8Array(execFileSync('age', ['-e', ...args], { input }));
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe.skipIf(missing !== null)('files we write open with Debian age', () => {
  const payloads = {
    empty: new Uint8Array(0),
    small: new TextEncoder().encode('hello, batchn\n'),
    'exactly one chunk': new Uint8Array(64 * 1024).map((_, i) => i & 0xff),
    large: new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff),
  };
  for (const [name, payload] of Object.entries(payloads)) {
    for (const armored of [false, true]) {
      it(`${name} payload, ${armored ? 'armored' : 'binary'}, to X25519 ×2 + ssh-ed25519 + ssh-rsa 2048 + 3072: each key alone opens it`, async () => {
        const recipients = [keys.r1, keys.r2, pub(keys.ed), pub(keys.rsa2048), pub(keys.rsa3072)].map((r) => parseRecipient(r));
        const file = path(`ours-${name.replace(/ /g, '-')}-${armored}.age`);
        const bytes = await encryptAge(payload, recipients, { armor: armored });
        if (armored) expect(text(bytes)).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]*\n-----END AGE ENCRYPTED FILE-----\n$/);
        writeFileSync(file, bytes);
        for (const identity of [keys.txt1, keys.txt2, keys.both, keys.ed, keys.rsa2048, keys.rsa3072]) {
          // Buffer.equals: vitest's deep equality is slow on 200 KB arrays.
          expect(Buffer.from(ageDecrypt(file, identity)).equals(payload), identity).toBe(true);
        }
      });
    }
  }

  it('the native path (X25519 and ssh-ed25519, tweak applied once per key): sops-style data keys for several keys, several files each, open with age', () => {
    const eds = [keys.ed, ...[1, 2, 3, 4].map((i) => path(`id_ed25519_native${i}`))];
    for (const file of eds.slice(1)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'native@test', '-f', file]);
    const recipients = eds.map((file) => parseRecipient(pub(file)));
    for (let round = 0; round < 3; round++) {
      for (const [i, file] of eds.entries()) {
        const dataKey = new Uint8Array(32).map((_, j) => (j * 31 + i * 7 + round) & 0xff);
        // One armored file per key, as sops stores a data key; made by the native path, not typage.
        const wrapped = nativeEncrypt(dataKey, [recipients[i] as AgeRecipient], true);
        expect(wrapped).not.toBeNull();
        writeFileSync(path('native.age'), wrapped as Uint8Array);
        expect(ageDecrypt(path('native.age'), file)).toEqual(dataKey);
      }
    }
    // All of them and both X25519 keys in one file: each key alone opens it.
    const all = nativeEncrypt(new Uint8Array([1, 2, 3]), [...recipients, parseRecipient(keys.r1), parseRecipient(keys.r2)], false);
    expect(all).not.toBeNull();
    writeFileSync(path('native-all.age'), all as Uint8Array);
    for (const identity of [...eds, keys.txt1, keys.txt2]) expect(ageDecrypt(path('native-all.age'), identity)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('a key that is not a recipient: age refuses too', async () => {
    const file = path('only-ed.age');
    writeFileSync(file, await encryptAge(new Uint8Array([1]), [parseRecipient(pub(keys.ed))]));
    expect(spawnSync('age', ['-d', '-i', keys.rsa2048, file]).status).not.toBe(0);
    expect(spawnSync('age', ['-d', '-i', keys.txt1, file]).status).not.toBe(0);
  });

  it('RSA keys under 2048 bits are refused like agessh does', async () => {
    const small = path('id_rsa1024');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '1024', '-N', '', '-f', small]);
    const e = await Promise.resolve()
      .then(() => parseRecipient(pub(small)))
      .catch((err: unknown) => err);
    expect((e as SecretsError).code).toBe('AGE_RECIPIENT_INVALID');
    expect(spawnSync('age', ['-e', '-R', `${small}.pub`], { input: 'x' }).status).not.toBe(0);
  });
});

describe.skipIf(missing !== null)('files Debian age writes open with ours', () => {
  const plain = 'from age\n';
  const cases: [string, string[], string[]][] = [
    ['-r X25519', ['-r', 'R1'], ['TXT1', 'BOTH']],
    ['-R ssh-ed25519', ['-R', 'ED.pub'], ['ED']],
    ['-R ssh-rsa 2048', ['-R', 'RSA2048.pub'], ['RSA2048']],
    ['-R ssh-rsa 3072', ['-R', 'RSA3072.pub'], ['RSA3072']],
    ['every kind at once', ['-r', 'R1', '-r', 'R2', '-R', 'ED.pub', '-R', 'RSA2048.pub', '-R', 'RSA3072.pub'], ['TXT1', 'TXT2', 'BOTH', 'ED', 'RSA2048', 'RSA3072']],
  ];
  const names = (): Record<string, string> => ({
    R1: keys.r1,
    R2: keys.r2,
    TXT1: keys.txt1,
    TXT2: keys.txt2,
    BOTH: keys.both,
    ED: keys.ed,
    RSA2048: keys.rsa2048,
    RSA3072: keys.rsa3072,
  });
  /** `NAME` or `NAME.pub` → the generated key's value or path. */
  const resolve = (s: string): string => {
    const [name, ext] = s.split('.') as [string, string | undefined];
    const value = names()[name];
    return value === undefined ? s : `${value}${ext === undefined ? '' : `.${ext}`}`;
  };
  for (const [name, args, openers] of cases) {
    for (const armored of [false, true]) {
      it(`age -e ${armored ? '-a ' : ''}${name}: each key alone opens it`, async () => {
        const file = ageEncrypt([...(armored ? ['-a'] : []), ...args.map(resolve)], plain);
        for (const key of openers.map(resolve)) expect(text(await decryptAge(file, identities(key))), key).toBe(plain);
      });
    }
  }

  it('a keys.txt with comments, CRLF and several keys opens files for either key', async () => {
    const ids = identities(keys.both, 'keys.txt');
    expect(ids.map((i) => [i.kind, i.origin])).toEqual([
      ['x25519', 'keys.txt line 4'],
      ['x25519', 'keys.txt line 10'],
    ]);
    for (const r of [keys.r1, keys.r2]) expect(text(await decryptAge(ageEncrypt(['-r', r], 'k'), ids))).toBe('k');
  });

  it('large and empty files, armored with CRLF line endings', async () => {
    const large = Buffer.alloc(300_000, 'abc');
    writeFileSync(path('large.txt'), large);
    const file = new Uint8Array(execFileSync('age', ['-e', '-a', '-R', `${keys.ed}.pub`, path('large.txt')]));
    const crlf = new TextEncoder().encode(`\r\n${text(file).replace(/\n/g, '\r\n')}  `);
    expect(Buffer.from(await decryptAge(crlf, identities(keys.ed))).equals(large)).toBe(true);
    expect(await decryptAge(ageEncrypt(['-r', keys.r1], ''), identities(keys.txt1))).toEqual(new Uint8Array(0));
  });

  it('a wrong key gets AGE_NO_IDENTITY_MATCHED listing the stanzas by type and tag', async () => {
    const file = ageEncrypt(['-r', keys.r1, '-r', keys.r2, '-R', `${keys.rsa2048}.pub`], 'x');
    const e = (await decryptAge(file, identities(keys.ed, '~/.ssh/id_ed25519')).catch((err: unknown) => err)) as SecretsError;
    expect(e.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(e.hints[0]).toMatch(/^the file has stanzas: X25519 ×2, ssh-rsa \(tag [A-Za-z0-9+/]{6}\)$/);
    expect(e.hints[2]).toMatch(
      /^ {2}~\/\.ssh\/id_ed25519 \(ssh-ed25519, tag [A-Za-z0-9+/]{6}\): the file has no ssh-ed25519 stanza; as its ssh-to-age recipient age1[a-z0-9]{58}: not the recipient of any of the file's 2 X25519 stanzas$/,
    );
  });
});

describe.skipIf(missing !== null)('ssh-to-age: an SSH key opens X25519 stanzas for its converted recipient', () => {
  it('age -r <converted> → ours with the SSH key (age itself cannot), and age agrees on the conversion', async () => {
    const converted = ed25519PublicKeyToAgeRecipient(parseSshPublicKey(pub(keys.ed)) as never);
    // Cross-check the conversion with age: the converted identity's recipient, as age-keygen -y computes it.
    const identity = ed25519PrivateKeyToAgeIdentity(decryptOpenSshPrivateKey(readFileSync(keys.ed, 'utf8')) as never);
    writeFileSync(path('converted.txt'), `${identity}\n`, { mode: 0o600 });
    expect(execFileSync('age-keygen', ['-y', path('converted.txt')], { encoding: 'utf8' }).trim()).toBe(converted);
    writeFileSync(path('converted.age'), ageEncrypt(['-r', converted], 'sops-nix style\n'));
    expect(spawnSync('age', ['-d', '-i', keys.ed, path('converted.age')]).status).not.toBe(0);
    expect(text(await decryptAge(readFileSync(path('converted.age')), identities(keys.ed)))).toBe('sops-nix style\n');
    // And files we write to the converted recipient open with age and the converted identity.
    writeFileSync(path('ours-converted.age'), await encryptAge(new TextEncoder().encode('back'), [parseRecipient(converted)]));
    expect(text(ageDecrypt(path('ours-converted.age'), path('converted.txt')))).toBe('back');
  });
});

describe.skipIf(missing !== null)('passphrase-protected keys and identity files', () => {
  it('a protected ed25519 or RSA key is asked for only when a stanza carries its tag', async () => {
    for (const locked of [keys.edLocked, keys.rsaLocked]) {
      const file = ageEncrypt(['-R', `${locked}.pub`], 'protected\n');
      const asked: string[] = [];
      const ids = [...identities(keys.txt1, 'keys.txt'), ...identities(locked, 'protected key')];
      const passphrase = async (r: { origin: string }): Promise<string> => (asked.push(r.origin), PASSPHRASE);
      expect(text(await decryptAge(file, ids, { passphrase }))).toBe('protected\n');
      expect(asked).toEqual(['protected key']);

      asked.length = 0;
      await decryptAge(ageEncrypt(['-R', `${keys.ed}.pub`], 'x'), [...ids, ...identities(keys.ed)], { passphrase });
      expect(asked).toEqual([]);

      const wrong = (await decryptAge(file, ids, { passphrase: async () => 'wrong' }).catch((err: unknown) => err)) as SecretsError;
      expect(wrong.code).toBe('AGE_DECRYPT_FAILED');
      expect(wrong.message).toBe('incorrect passphrase for protected key');
    }
  });

  it('a protected ed25519 key opens a file age wrote to its ssh-to-age recipient, asked for last', async () => {
    const converted = ed25519PublicKeyToAgeRecipient(parseSshPublicKey(pub(keys.edLocked)) as never);
    const file = ageEncrypt(['-r', converted], 'late\n');
    const asked: string[] = [];
    const plain = await decryptAge(file, identities(keys.edLocked, 'locked'), { passphrase: async (r) => (asked.push(r.reason), PASSPHRASE) });
    expect(text(plain)).toBe('late\n');
    expect(asked).toEqual([`the file has X25519 stanzas, which this key opens if they are for its ssh-to-age recipient ${converted}`]);
  });

  it('a passphrase-protected identity file (scrypt, as age -p writes) holding a keys.txt', async () => {
    // `age -p` needs a terminal, so typage's scrypt Encrypter makes the identity file.
    const e = new Encrypter();
    e.setPassphrase('correct horse');
    e.setScryptWorkFactor(12);
    const binary = await e.encrypt(readFileSync(keys.both));
    const file = ageEncrypt(['-r', keys.r2], 'via identity file\n');
    for (const source of [binary, new TextEncoder().encode(armor.encode(binary))]) {
      const ids = parseIdentities(source, 'keys.age');
      expect(ids.map((i) => i.kind)).toEqual(['encrypted-file']);
      expect(text(await decryptAge(file, ids, { passphrase: async () => 'correct horse' }))).toBe('via identity file\n');
    }
  });
});

describe.skipIf(missing !== null)('post-quantum (in process only: Debian age 1.1.1 predates ML-KEM)', () => {
  it('hybrid keys round trip; age 1.1.1 cannot read the file, as expected', async () => {
    const secret = await generateHybridIdentity();
    const file = await encryptAge(new TextEncoder().encode('pq'), [parseRecipient(await typageIdentityToRecipient(secret))]);
    expect(text(await decryptAge(file, parseIdentities(secret, 'pq')))).toBe('pq');
    writeFileSync(path('pq.age'), file);
    writeFileSync(path('pq.txt'), `${secret}\n`, { mode: 0o600 });
    expect(spawnSync('age', ['-d', '-i', path('pq.txt'), path('pq.age')]).status).not.toBe(0);
  });
});

describe.skipIf(missing !== null)('property: any payload, any mix of recipient kinds, each opened by Debian age', () => {
  it('ours → age -d with each key', async () => {
    const all: { r: () => AgeRecipient; key: string }[] = [
      { r: () => parseRecipient(keys.r1), key: keys.txt1 },
      { r: () => parseRecipient(pub(keys.ed)), key: keys.ed },
      { r: () => parseRecipient(pub(keys.rsa2048)), key: keys.rsa2048 },
      { r: () => parseRecipient(pub(keys.rsa3072)), key: keys.rsa3072 },
    ];
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.subarray([0, 1, 2, 3], { minLength: 1 }), fc.boolean(), async (payload, which, armored) => {
        const file = path('prop.age');
        writeFileSync(file, await encryptAge(payload, which.map((i) => (all[i] as (typeof all)[0]).r()), { armor: armored }));
        for (const i of which) expect(ageDecrypt(file, (all[i] as (typeof all)[0]).key)).toEqual(payload);
      }),
      { numRuns: process.env['SLOW'] ? 200 : 20 },
    );
  }, 600_000);
});

describe.skipIf(missing !== null)('through the CLI', () => {
  it('the built binary: secrets age encrypt → age -d, and age -e → secrets age decrypt', async () => {
    writeFileSync(path('cli-plain.txt'), 'cli round trip\n');
    const enc = await runProcess(['age', 'encrypt', '-a', '-r', keys.r1, '-R', `${keys.ed}.pub`, '-o', path('cli.age'), path('cli-plain.txt')]);
    expect(enc.stderr).toBe('');
    expect(text(ageDecrypt(path('cli.age'), keys.ed))).toBe('cli round trip\n');
    writeFileSync(path('from-age.age'), ageEncrypt(['-R', `${keys.ed}.pub`], 'from age\n'));
    const dec = await runProcess(['age', 'decrypt', path('from-age.age')], { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys.ed } });
    expect(dec.stdout).toBe('from age\n');
    expect(dec.status).toBe(0);
  });

  it('no identity matched: exit 128, every key and why, every place looked at, no secrets', async () => {
    writeFileSync(path('for-rsa.age'), ageEncrypt(['-R', `${keys.rsa2048}.pub`], 'x'));
    const r = await runInProcess(['age', 'decrypt', path('for-rsa.age')], { env: { SOPS_AGE_KEY_FILE: keys.txt1, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys.ed } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("secrets: error: no identity matched any of the file's recipients");
    expect(r.stderr).toMatch(/secrets: hint: the file has stanzas: ssh-rsa \(tag [A-Za-z0-9+/]{6}\)\n/);
    expect(r.stderr).toContain(`SOPS_AGE_SSH_PRIVATE_KEY_FILE (${keys.ed}) (ssh-ed25519, tag`);
    expect(r.stderr).toContain(`SOPS_AGE_KEY_FILE (${keys.txt1}) line 3 (X25519 ${keys.r1}): the file has no X25519 stanza`);
    expect(r.stderr).toContain('also looked in:');
    expect(r.stderr).toContain('~/.ssh/id_ed25519: no such file');
    expect(grammarViolations(r.stderr)).toEqual([]);
    expect(r.stderr).not.toMatch(/AGE-SECRET-KEY|PRIVATE KEY/);
  });

  it('no identities at all: exit 128 with the places looked at', async () => {
    const r = await runInProcess(['age', 'decrypt', path('for-rsa.age')], { env: { XDG_CONFIG_HOME: dir } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain('secrets: error: no age identities found');
    expect(r.stderr).toContain(`${dir}/sops/age/keys.txt: no such file`);
  });

  it('secrets identities lists what discovery finds, without secrets', async () => {
    const r = await runInProcess(['identities'], { env: { SOPS_AGE_KEY_FILE: keys.both, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys.ed } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(keys.r1);
    expect(r.stdout).toContain(keys.r2);
    expect(r.stdout).toContain(pub(keys.ed).split(' ').slice(0, 2).join(' '));
    expect(r.stdout).not.toMatch(/AGE-SECRET-KEY|PRIVATE KEY/);
  });
});
