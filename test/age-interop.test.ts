/**
 * Interop with Debian's `age` binary, both ways, through the library and through the real CLI:
 * X25519, ssh-ed25519 and ssh-rsa recipients, binary and armored, several recipients per file.
 * Keys are generated fresh for each run (age-keygen, ssh-keygen) in a temp dir.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptAge, encryptAge, parseIdentities, parseRecipient, SecretsError } from '@secrets/core';
import { grammarViolations, runProcess } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'secrets-age-interop-'));
const path = (name: string): string => join(dir, name);
const keys = { x25519: '', x25519Recipient: '', ed: path('id_ed25519'), rsa: path('id_rsa'), edProtected: path('id_ed25519_protected') };

function requireBinary(name: string): void {
  const r = spawnSync(name, ['--version']);
  if (r.error) throw new Error(`${name} is not installed: the interop tests need Debian's age (apt-get install -y age) and ssh-keygen`);
}

beforeAll(() => {
  requireBinary('age');
  requireBinary('age-keygen');
  execFileSync('age-keygen', ['-o', path('keys.txt')], { stdio: 'ignore' });
  keys.x25519 = readFileSync(path('keys.txt'), 'utf8');
  keys.x25519Recipient = execFileSync('age-keygen', ['-y', path('keys.txt')], { encoding: 'utf8' }).trim();
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'interop', '-f', keys.ed]);
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-C', 'interop', '-f', keys.rsa]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'hunter2', '-C', 'interop', '-f', keys.edProtected]);
});

const ageDecrypt = (file: string, identity: string): Buffer => execFileSync('age', ['-d', '-i', identity, file]);
const pub = (file: string): string => readFileSync(`${file}.pub`, 'utf8').trim();

describe('files we write open with Debian age', () => {
  const payloads = { empty: new Uint8Array(0), small: new TextEncoder().encode('hello, batchn\n'), large: new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff) };
  for (const [name, payload] of Object.entries(payloads)) {
    for (const armor of [false, true]) {
      it(`${name} payload, ${armor ? 'armored' : 'binary'}, to X25519 + ssh-ed25519 + ssh-rsa: each key alone opens it`, async () => {
        const recipients = [keys.x25519Recipient, pub(keys.ed), pub(keys.rsa)].map((r) => parseRecipient(r));
        const file = path(`ours-${name}-${armor}.age`);
        writeFileSync(file, await encryptAge(payload, recipients, { armor }));
        for (const identity of [path('keys.txt'), keys.ed, keys.rsa]) expect(new Uint8Array(ageDecrypt(file, identity))).toEqual(payload);
      });
    }
  }
});

describe('files Debian age writes open with ours', () => {
  it('age -r (X25519), -R ssh-ed25519, -R ssh-rsa, binary and armored', async () => {
    writeFileSync(path('plain.txt'), 'from age\n');
    for (const armor of [[], ['-a']]) {
      for (const [flag, recipient, identityFile] of [
        ['-r', keys.x25519Recipient, path('keys.txt')],
        ['-R', `${keys.ed}.pub`, keys.ed],
        ['-R', `${keys.rsa}.pub`, keys.rsa],
      ] as const) {
        const out = path(`theirs-${flag}-${armor.length}.age`);
        execFileSync('age', ['-e', ...armor, flag, recipient, '-o', out, path('plain.txt')]);
        const plain = await decryptAge(readFileSync(out), parseIdentities(readFileSync(identityFile, 'utf8'), identityFile));
        expect(Buffer.from(plain).toString()).toBe('from age\n');
      }
    }
  });

  it('an SSH key opens a file age wrote to its ssh-to-age recipient (age itself cannot)', async () => {
    const converted = spawnSync(process.execPath, [join(import.meta.dirname, '../packages/cli/dist/main.js'), 'ssh-to-age', '-i', `${keys.ed}.pub`], { encoding: 'utf8' });
    const out = path('to-converted.age');
    execFileSync('age', ['-e', '-r', converted.stdout.trim(), '-o', out], { input: 'sops-nix style\n' });
    // Debian age with the SSH key: fails (it only knows the native ssh-ed25519 stanza)
    expect(spawnSync('age', ['-d', '-i', keys.ed, out]).status).not.toBe(0);
    const plain = await decryptAge(readFileSync(out), parseIdentities(readFileSync(keys.ed, 'utf8'), keys.ed));
    expect(Buffer.from(plain).toString()).toBe('sops-nix style\n');
  });

  it('a passphrase-protected SSH key is asked for only when its tag matches', async () => {
    const out = path('to-protected.age');
    execFileSync('age', ['-e', '-R', `${keys.edProtected}.pub`, '-o', out], { input: 'protected\n' });
    const asked: string[] = [];
    const identities = [...parseIdentities(keys.x25519, 'keys.txt'), ...parseIdentities(readFileSync(keys.edProtected, 'utf8'), 'protected key')];
    const plain = await decryptAge(readFileSync(out), identities, {
      passphrase: async (r) => {
        asked.push(r.origin);
        return 'hunter2';
      },
    });
    expect(Buffer.from(plain).toString()).toBe('protected\n');
    expect(asked).toEqual(['protected key']);

    // A file not for that key never triggers the prompt.
    const other = path('to-x25519.age');
    execFileSync('age', ['-e', '-r', keys.x25519Recipient, '-o', other], { input: 'x\n' });
    asked.length = 0;
    await decryptAge(readFileSync(other), identities, { passphrase: async (r) => (asked.push(r.origin), 'hunter2') });
    expect(asked).toEqual([]);

    // Wrong passphrase: a clear error, not "no identity matched".
    const e = await decryptAge(readFileSync(out), identities, { passphrase: async () => 'wrong' }).catch((err: unknown) => err);
    expect((e as SecretsError).code).toBe('SSH_PASSPHRASE_INCORRECT');
  });
});

describe('through the real CLI', () => {
  it('secrets age encrypt → age -d, and age -e → secrets age decrypt with discovery (SOPS_AGE_KEY_FILE)', async () => {
    writeFileSync(path('cli-plain.txt'), 'cli round trip\n');
    const enc = await runProcess(['age', 'encrypt', '-a', '-r', keys.x25519Recipient, '-R', `${keys.ed}.pub`, '-o', path('cli.age'), path('cli-plain.txt')]);
    expect(enc.stderr).toBe('');
    expect(ageDecrypt(path('cli.age'), keys.ed).toString()).toBe('cli round trip\n');
    const dec = await runProcess(['age', 'decrypt', path('cli.age')], { env: { SOPS_AGE_KEY_FILE: path('keys.txt') } });
    expect(dec.stdout).toBe('cli round trip\n');
    expect(dec.status).toBe(0);
    const viaSsh = await runProcess(['age', 'decrypt', path('cli.age')], { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys.ed } });
    expect(viaSsh.stdout).toBe('cli round trip\n');
  });

  it('no identity matched: exit 128, every place looked at, every key and why', async () => {
    execFileSync('age', ['-e', '-R', `${keys.rsa}.pub`, '-o', path('for-rsa.age')], { input: 'x' });
    const r = await runProcess(['age', 'decrypt', path('for-rsa.age')], { env: { SOPS_AGE_KEY_FILE: path('keys.txt'), SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys.ed } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("secrets: error: no identity matched any of the file's recipients");
    expect(r.stderr).toMatch(/secrets: hint: the file has stanzas: ssh-rsa \(tag [A-Za-z0-9+/]{6}\)/);
    expect(r.stderr).toContain(`SOPS_AGE_SSH_PRIVATE_KEY_FILE (${keys.ed}) (ssh-ed25519, tag`);
    expect(r.stderr).toContain(`SOPS_AGE_KEY_FILE (${path('keys.txt')}) line 3 (X25519 ${keys.x25519Recipient}): the file has no X25519 stanza`);
    expect(r.stderr).toContain('also looked in:');
    expect(r.stderr).toContain('~/.ssh/id_ed25519: no such file');
    expect(grammarViolations(r.stderr)).toEqual([]);
    expect(r.stderr).not.toContain('AGE-SECRET-KEY');
  });

  it('no identities at all: exit 128 with the places looked at', async () => {
    const r = await runProcess(['age', 'decrypt', path('for-rsa.age')], { env: { XDG_CONFIG_HOME: dir } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain('secrets: error: no age identities found');
    expect(r.stderr).toContain(`${dir}/sops/age/keys.txt: no such file`);
  });

  it('secrets identities lists what discovery finds, without secrets', async () => {
    const r = await runProcess(['identities'], { env: { SOPS_AGE_KEY_FILE: path('keys.txt'), SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys.ed } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(keys.x25519Recipient);
    expect(r.stdout).toContain(pub(keys.ed).split(' ').slice(0, 2).join(' '));
    expect(r.stdout).not.toContain('AGE-SECRET-KEY');
  });
});

describe('property: encrypt → decrypt is the identity for any payload and recipient mix', () => {
  it('in process', async () => {
    const idX = parseIdentities(keys.x25519, 'x');
    const idEd = parseIdentities(readFileSync(keys.ed, 'utf8'), 'ed');
    const idRsa = parseIdentities(readFileSync(keys.rsa, 'utf8'), 'rsa');
    const all = [
      { r: parseRecipient(keys.x25519Recipient), id: idX },
      { r: parseRecipient(pub(keys.ed)), id: idEd },
      { r: parseRecipient(pub(keys.rsa)), id: idRsa },
    ];
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 70_000 }), fc.subarray([0, 1, 2], { minLength: 1 }), fc.boolean(), async (payload, which, armor) => {
        const file = await encryptAge(payload, which.map((i) => (all[i] as (typeof all)[0]).r), { armor });
        for (const i of which) expect(await decryptAge(file, (all[i] as (typeof all)[0]).id)).toEqual(payload);
        const outsider = [0, 1, 2].find((i) => !which.includes(i));
        if (outsider !== undefined) await expect(decryptAge(file, (all[outsider] as (typeof all)[0]).id)).rejects.toMatchObject({ code: 'AGE_NO_IDENTITY_MATCHED' });
      }),
      { numRuns: process.env['SLOW'] ? 200 : 15 },
    );
  });
});
