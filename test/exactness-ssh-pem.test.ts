/**
 * Issue 12 item 3: SSH private keys in PEM and PKCS#8, written at test time by the real tools (ssh-keygen
 * `-m PEM` / `-m PKCS8`, OpenSSL for Ed25519 PKCS#8, which ssh-keygen cannot write), opened by the real
 * `age` and by us: the age layer, sops identity discovery (~/.ssh/id_rsa), the CLI's -i, and ssh-to-age
 * --private-key. An encrypted PEM key carries no public key in clear; as age (cmd/age/parse.go) we read
 * it from KEY.pub and ask for the passphrase only when a stanza carries its tag.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptAge, parseIdentities } from '../packages/core/src/age/index.js';
import { discoverIdentities } from '../packages/core/src/keys/discover.js';
import { SecretsError } from '../packages/core/src/errors.js';
import { decryptOpenSshPrivateKey, ed25519PrivateKeyToAgeIdentity, formatSshPublicKey } from '../packages/core/src/ssh/index.js';
import { CLI_BIN, runInProcess, runProcess } from './support/cli.js';
import { peerSkipReason } from './support/peers.js';

/** Why the suite is skipped (a peer program is missing), or null; under CI a missing peer fails. */
const missing = peerSkipReason(['age', 'ssh-keygen', 'openssl', 'script'], 'age openssh-client openssl bsdutils');
if (missing !== null) it.skip(missing, () => undefined);
const describeTools = missing === null ? describe : describe.skip;

const PASS = 'pem-pass-1';
const dir = mkdtempSync(join(tmpdir(), 'secrets-exact-pem-'));
const at = (name: string): string => join(dir, name);
const text = (name: string): string => readFileSync(at(name), 'utf8');
const ageTo = (pubFile: string, plaintext: string): Uint8Array => new Uint8Array(execFileSync('age', ['-R', pubFile], { input: plaintext }));
const opened = async (file: Uint8Array, key: string, options: { pub?: string; pass?: string } = {}): Promise<string> => {
  const ids = parseIdentities(text(key), key, options.pub === undefined ? {} : { publicKeyLine: text(options.pub) });
  const pass = options.pass;
  return Buffer.from(await decryptAge(file, ids, pass === undefined ? {} : { passphrase: async () => pass })).toString('utf8');
};

function keygen(name: string, format: 'PEM' | 'PKCS8', passphrase = ''): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', format, '-N', passphrase, '-C', '', '-f', at(name)]);
}

/** An Ed25519 PKCS#8 key from OpenSSL, and its ssh-ed25519 public line built from OpenSSL's SPKI. */
function opensslEd25519(name: string): void {
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', at(name)]);
  const spki = execFileSync('openssl', ['pkey', '-in', at(name), '-pubout', '-outform', 'DER']);
  const x = spki.subarray(spki.length - 32);
  const u32 = (n: number): Buffer => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  const wire = Buffer.concat([u32(11), Buffer.from('ssh-ed25519'), u32(32), x]);
  writeFileSync(at(`${name}.pub`), `ssh-ed25519 ${wire.toString('base64')}\n`);
}

describeTools('PEM and PKCS#8 SSH keys, against real age and ssh-keygen', () => {
  it('ssh-keygen -m PEM and -m PKCS8 RSA keys (unencrypted): what age opens, we open; the public key is the .pub', async () => {
    for (const format of ['PEM', 'PKCS8'] as const) {
      const name = `rsa-${format}`;
      keygen(name, format);
      expect(text(name)).toMatch(format === 'PEM' ? /^-----BEGIN RSA PRIVATE KEY-----\n/ : /^-----BEGIN PRIVATE KEY-----\n/);
      const file = ageTo(at(`${name}.pub`), `hello ${format}\n`);
      expect(execFileSync('age', ['-d', '-i', at(name)], { input: file, encoding: 'utf8' })).toBe(`hello ${format}\n`);
      expect(await opened(file, name)).toBe(`hello ${format}\n`);
      const [id] = parseIdentities(text(name), name);
      expect(id?.kind === 'ssh-rsa' && formatSshPublicKey(id.publicKey, false)).toBe(text(`${name}.pub`).trim());
    }
  });

  it('an encrypted PEM key (Proc-Type: 4,ENCRYPTED): public key from KEY.pub, passphrase asked once; age opens the same file', async () => {
    keygen('rsa-enc', 'PEM', PASS);
    expect(text('rsa-enc')).toMatch(/^Proc-Type: 4,ENCRYPTED$/m);
    const file = ageTo(at('rsa-enc.pub'), 'locked\n');
    writeFileSync(at('rsa-enc.age'), file);
    const realAge = spawnSync('script', ['-qec', `age -d -i ${at('rsa-enc')} ${at('rsa-enc.age')}`, '/dev/null'], { input: `${PASS}\n`, encoding: 'utf8' });
    expect(realAge.stdout).toContain('locked');
    let asked = 0;
    const ids = parseIdentities(text('rsa-enc'), 'rsa-enc', { publicKeyLine: text('rsa-enc.pub') });
    expect(ids[0]).toMatchObject({ kind: 'ssh-rsa', encrypted: true });
    const plain = await decryptAge(file, ids, { passphrase: async () => (asked++, PASS) });
    expect([Buffer.from(plain).toString('utf8'), asked]).toEqual(['locked\n', 1]);
    // wrong passphrase; and not asked at all for a file to another key
    await expect(opened(file, 'rsa-enc', { pub: 'rsa-enc.pub', pass: 'wrong-pass' })).rejects.toMatchObject({ code: 'AGE_DECRYPT_FAILED', message: 'incorrect passphrase for rsa-enc' });
    keygen('rsa-other', 'PEM');
    const other = ageTo(at('rsa-other.pub'), 'x');
    await expect(decryptAge(other, ids, { passphrase: async () => (asked++, PASS) })).rejects.toMatchObject({ code: 'AGE_NO_IDENTITY_MATCHED' });
    expect(asked).toBe(1);
    // without its .pub: refused with age's advice
    let e: unknown;
    try {
      parseIdentities(text('rsa-enc'), 'rsa-enc');
    } catch (error) {
      e = error;
    }
    expect(e).toBeInstanceOf(SecretsError);
    expect((e as SecretsError).message).toBe('rsa-enc: a passphrase-protected PEM key needs its public key, and no .pub file was found beside it');
  });

  it('an encrypted PKCS#8 RSA key (BEGIN ENCRYPTED PRIVATE KEY) opens too (age 1.1 refuses it: x/crypto does not read PBES2)', async () => {
    keygen('rsa-enc8', 'PKCS8', PASS);
    expect(text('rsa-enc8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const file = ageTo(at('rsa-enc8.pub'), 'pbes2\n');
    expect(await opened(file, 'rsa-enc8', { pub: 'rsa-enc8.pub', pass: PASS })).toBe('pbes2\n');
  });

  it('an Ed25519 PKCS#8 key (OpenSSL): age opens native ssh-ed25519 files with it, so do we; ssh-to-age --private-key converts it', async () => {
    opensslEd25519('ed-pkcs8');
    const file = ageTo(at('ed-pkcs8.pub'), 'ed pkcs8\n');
    expect(execFileSync('age', ['-d', '-i', at('ed-pkcs8')], { input: file, encoding: 'utf8' })).toBe('ed pkcs8\n');
    expect(await opened(file, 'ed-pkcs8')).toBe('ed pkcs8\n');
    // ssh-to-age: the identity real age derives the recipient of, and opens X25519 files with
    const r = await runProcess(['ssh-to-age', '--private-key', '-i', at('ed-pkcs8')]);
    expect(r.status).toBe(0);
    const key = decryptOpenSshPrivateKey(text('ed-pkcs8'));
    expect(key.type === 'ssh-ed25519' && ed25519PrivateKeyToAgeIdentity(key)).toBe(r.stdout.trim());
    writeFileSync(at('ed-pkcs8.agekey'), r.stdout);
    const recipient = execFileSync('age-keygen', ['-y', at('ed-pkcs8.agekey')], { encoding: 'utf8' }).trim();
    const x25519File = execFileSync('age', ['-r', recipient], { input: 'converted\n' });
    // the identity's recipient (by age-keygen -y) is the public key's ssh-to-age recipient
    expect((await runProcess(['ssh-to-age', '-i', at('ed-pkcs8.pub')])).stdout.trim()).toBe(recipient);
    expect(await opened(new Uint8Array(x25519File), 'ed-pkcs8')).toBe('converted\n');
  });

  it('ssh-to-age --private-key on an encrypted PKCS#8 Ed25519 key (openssl -aes256): the identity of its decrypted copy', async () => {
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-aes256', '-pass', `pass:${PASS}`, '-out', at('ed-enc8')]);
    execFileSync('openssl', ['pkey', '-in', at('ed-enc8'), '-passin', `pass:${PASS}`, '-out', at('ed-enc8-plain')]);
    const locked = await runProcess(['ssh-to-age', '--private-key', '-i', at('ed-enc8')], { env: { SSH_TO_AGE_PASSPHRASE: PASS } });
    const plain = await runProcess(['ssh-to-age', '--private-key', '-i', at('ed-enc8-plain')]);
    expect(locked.status).toBe(0);
    expect(locked.stdout).toBe(plain.stdout);
    const wrong = await runProcess(['ssh-to-age', '--private-key', '-i', at('ed-enc8')], { env: { SSH_TO_AGE_PASSPHRASE: 'not-it' } });
    expect(wrong.stderr).toBe('secrets: error: incorrect passphrase for private key\n');
  });

  it('discovery finds ~/.ssh/id_rsa in PEM (encrypted: with id_rsa.pub), like sops', async () => {
    const home = mkdtempSync(join(tmpdir(), 'secrets-exact-home-'));
    mkdirSync(join(home, '.ssh'));
    keygen('home-rsa', 'PEM', PASS);
    renameSync(at('home-rsa'), join(home, '.ssh/id_rsa'));
    renameSync(at('home-rsa.pub'), join(home, '.ssh/id_rsa.pub'));
    chmodSync(join(home, '.ssh/id_rsa'), 0o600);
    const found = await discoverIdentities({ env: {}, homedir: home, platform: 'linux' });
    expect(found.identities.map((i) => [i.kind, i.origin])).toEqual([['ssh-rsa', '~/.ssh/id_rsa']]);
    const file = ageTo(join(home, '.ssh/id_rsa.pub'), 'found\n');
    writeFileSync(join(home, 'f.age'), file);
    // the CLI: discovery and -i, with the passphrase typed on a terminal
    const viaI = await runInProcess(['age', 'decrypt', '-i', join(home, '.ssh/id_rsa'), join(home, 'f.age')], { promptAnswers: [PASS] });
    expect(viaI.stdout).toBe('found\n');
    const viaHome = spawnSync('script', ['-qec', `node ${CLI_BIN} age decrypt ${join(home, 'f.age')}`, '/dev/null'], { input: `${PASS}\n`, encoding: 'utf8', env: { ...process.env, HOME: home } });
    expect(viaHome.stdout).toContain('found');
  });
});
