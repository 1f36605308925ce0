/**
 * PGP keys through the real gpg, as a user runs the CLI: the sops-nix PGP vectors decrypt with their
 * published test keys in a scratch GNUPGHOME; files we encrypt to a fingerprint are read by gpg alone
 * (the data key unwrapped with `gpg --decrypt` opens the values); SOPS_GPG_EXEC names the program;
 * failures name the fingerprints tried and what gpg said.
 */
import { createDecipheriv } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { grammarViolations, REPO_ROOT, runProcess } from './support/cli.js';
import { ScratchGnupg } from './support/gpg.js';
import { peerSkipReason } from './support/peers.js';
import { describeShared, sharedPath } from './support/shared.js';

const skip = peerSkipReason(['gpg', 'gpgconf'], 'gnupg');
const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];

/** Opens one sops value (AES-256-GCM, AAD = the key path joined by ":" plus ":") with a data key. */
function openValue(enc: string, dataKey: Uint8Array, aad: string): string {
  const m = /^ENC\[AES256_GCM,data:([^,]*),iv:([^,]*),tag:([^,]*),type:\w+\]$/.exec(enc);
  if (!m) throw new Error(`not an ENC value: ${enc}`);
  const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(m[2] as string, 'base64'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(m[3] as string, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(m[1] as string, 'base64')), decipher.final()]).toString('utf8');
}

describe.skipIf(skip !== null)(`PGP keys through gpg${skip ? ` (${skip})` : ''}`, () => {
  const gnupg = new ScratchGnupg();
  const work = mkdtempSync(join(tmpdir(), 'secrets-pgp-'));
  let fp = '';
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ GNUPGHOME: gnupg.home, SOPS_AGE_KEY_FILE: join(work, 'no-age-key'), ...extra });
  beforeAll(() => {
    fp = gnupg.generate('secrets test <test@example.invalid>');
  });
  afterAll(() => gnupg.dispose());

  it('encrypt --pgp: sops 3.13 layout (created_at, enc, fp); gpg alone unwraps a data key that opens the values', async () => {
    const plain = join(work, 'plain.yaml');
    writeFileSync(plain, 'db_password: hunter2\nport: 5432\n');
    const r = await runProcess(['encrypt', '--pgp', fp, plain], { env: env() });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).not.toContain('hunter2');
    const file = parse(r.stdout) as { db_password: string; sops: { pgp: { created_at: string; enc: string; fp: string }[] } };
    const [key] = file.sops.pgp;
    expect(Object.keys(key ?? {})).toEqual(['created_at', 'enc', 'fp']);
    expect(key?.fp).toBe(fp);
    expect(key?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // as sops' gpg path writes it: the armored message, surrounding whitespace trimmed
    expect(key?.enc).toMatch(/^-----BEGIN PGP MESSAGE-----\n\n[\s\S]*\n-----END PGP MESSAGE-----$/);
    const dataKey = gnupg.decrypt(key?.enc as string);
    expect(dataKey).toHaveLength(32);
    expect(openValue(file.db_password, dataKey, 'db_password:')).toBe('hunter2');
    // and back through secrets, with gpg and no age identity at all
    writeFileSync(join(work, 'enc.yaml'), r.stdout);
    const back = await runProcess(['decrypt', join(work, 'enc.yaml')], { env: env() });
    expect([back.status, back.stdout]).toEqual([0, 'db_password: hunter2\nport: 5432\n']);
    // changed in place by a PGP key holder alone (set, as edit and exec-env open files)
    const set = await runProcess(['set', join(work, 'enc.yaml'), '["port"]', '6000'], { env: env() });
    expect([set.status, set.stderr]).toEqual([0, '']);
    expect((await runProcess(['decrypt', '--extract', '["port"]', join(work, 'enc.yaml')], { env: env() })).stdout).toBe('6000\n');
    // git diff's textconv shows it decrypted too (gpg in batch mode: it may not ask for anything)
    const shown = await runProcess(['textconv', join(work, 'enc.yaml')], { env: env() });
    expect(shown.stdout).toMatch(/^db_password: hunter2\nport: 6000\n# ---- secrets textconv: not part of the file ----\n# recipient: pgp [0-9A-F]{40}\n/);
  });

  it('textconv never lets gpg ask: a key behind a passphrase leaves the file shown encrypted', async () => {
    const locked = new ScratchGnupg('secrets-gpg-locked-');
    try {
      locked.gpg(['--pinentry-mode', 'loopback', '--passphrase', 'pw', '--quick-gen-key', 'locked <locked@example.invalid>', 'future-default', 'default', 'never']);
      const plain = join(work, 'locked.yaml');
      writeFileSync(plain, 'k: v\n');
      const enc = await runProcess(['encrypt', '--pgp', locked.fingerprint('locked@example.invalid'), plain], { env: { GNUPGHOME: locked.home } });
      expect(enc.status).toBe(0);
      writeFileSync(join(work, 'locked.enc.yaml'), enc.stdout);
      const shown = await runProcess(['textconv', join(work, 'locked.enc.yaml')], { env: { GNUPGHOME: locked.home } });
      expect([shown.status, shown.stdout]).toEqual([0, enc.stdout]);
    } finally {
      locked.dispose();
    }
  });

  it('SOPS_PGP_FP is --pgp when the flag is absent; a fingerprint with spaces is one key (sops removes them)', async () => {
    const plain = join(work, 'env.json');
    writeFileSync(plain, '{"a": "b"}\n');
    const spaced = fp.replace(/(.{4})/g, '$1 ').trim();
    const r = await runProcess(['encrypt', plain], { env: env({ SOPS_PGP_FP: spaced }) });
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { sops: { pgp: { fp: string }[] } }).sops.pgp.map((k) => k.fp)).toEqual([fp]);
    // sops' own spelling: -e -p FP FILE
    const legacy = await runProcess(['-e', '-p', fp, plain], { env: env() });
    expect(legacy.status).toBe(0);
    expect((JSON.parse(legacy.stdout) as { sops: { pgp: { fp: string }[] } }).sops.pgp.map((k) => k.fp)).toEqual([fp]);
  });

  it('SOPS_GPG_EXEC names the program, as in sops', async () => {
    const log = join(work, 'gpg.log');
    const wrapper = join(work, 'my-gpg');
    writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> '${log}'\nexec gpg "$@"\n`);
    chmodSync(wrapper, 0o755);
    const plain = join(work, 'exec.yaml');
    writeFileSync(plain, 'k: v\n');
    const enc = await runProcess(['encrypt', '--pgp', fp, plain], { env: env({ SOPS_GPG_EXEC: wrapper }) });
    expect(enc.status).toBe(0);
    writeFileSync(join(work, 'exec.enc.yaml'), enc.stdout);
    const dec = await runProcess(['decrypt', join(work, 'exec.enc.yaml')], { env: env({ SOPS_GPG_EXEC: wrapper }) });
    expect([dec.status, dec.stdout]).toEqual([0, 'k: v\n']);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toEqual([`--batch --no-default-recipient --yes --encrypt -a -r ${fp} --trusted-key ${fp.slice(-16)} --no-encrypt-to`, '--decrypt']);
  });

  it('failures name the fingerprints tried and what gpg said, never a secret; exit statuses as sops', async () => {
    const plain = join(work, 'fail.yaml');
    writeFileSync(plain, 'password: hunter2\n');
    const unknown = '0123456789ABCDEF0123456789ABCDEF01234567';
    const enc = await runProcess(['encrypt', '--pgp', unknown, plain], { env: env() });
    expect(enc.status).toBe(1);
    expect(enc.stderr).toMatch(new RegExp(`^secrets: error: could not encrypt the data key to PGP key ${unknown}: gpg said: .*No public key`, 'm'));
    expect(grammarViolations(enc.stderr)).toEqual([]);
    // a file for our key, opened where gpg has no secret key: 128, the key and gpg's words
    const ok = await runProcess(['encrypt', '--pgp', fp, '--age', admin, plain], { env: env() });
    writeFileSync(join(work, 'fail.enc.yaml'), ok.stdout);
    const empty = new ScratchGnupg('secrets-gpg-empty-');
    try {
      const dec = await runProcess(['decrypt', join(work, 'fail.enc.yaml')], { env: { GNUPGHOME: empty.home, SOPS_AGE_KEY_FILE: join(work, 'none') } });
      expect(dec.status).toBe(128);
      expect(dec.stderr).toContain(`secrets: hint:   group 1: pgp ${fp}: gpg could not decrypt it: gpg:`);
      expect(dec.stderr).toMatch(/No secret key/);
      expect(dec.stderr).toContain(`secrets: hint:   group 1: age ${admin}: no age identities found`);
      expect(dec.stderr).not.toContain('hunter2');
      expect(grammarViolations(dec.stderr)).toEqual([]);
    } finally {
      empty.dispose();
    }
    // without age identities, a file with only age keys keeps its own error (exit 128)
    const ageOnly = await runProcess(['encrypt', '--age', admin, plain], { env: env() });
    writeFileSync(join(work, 'age.enc.yaml'), ageOnly.stdout);
    const noKey = await runProcess(['decrypt', join(work, 'age.enc.yaml')], { env: env() });
    expect([noKey.status, noKey.stderr.split('\n')[0]]).toEqual([128, 'secrets: error: no age identities found']);
  });
});

describeShared('vectors', 'the sops-nix PGP vectors', () => {
  const skipGpg = peerSkipReason(['gpg', 'gpgconf'], 'gnupg');
  describe.skipIf(skipGpg !== null)(`decrypt with their published test keys imported into a scratch GNUPGHOME${skipGpg ? ` (${skipGpg})` : ''}`, () => {
    const gnupg = new ScratchGnupg();
    const vectors = sharedPath('vectors', 'sops-nix');
    beforeAll(() => {
      gnupg.import(join(vectors, 'key.asc'));
      gnupg.import(join(vectors, 'ssh-key.asc'));
    });
    afterAll(() => gnupg.dispose());
    const env = (): Record<string, string> => ({ GNUPGHOME: gnupg.home, SOPS_AGE_KEY_FILE: '/nonexistent/keys.txt' });

    const expected: [string, string][] = [
      ['secrets.json', '{\n\t"test_key": "test_value"\n}'],
      ['secrets.bin', 'binary_value\n'],
      ['secrets.env', '# This is an example file.\nhello=Welcome to SOPS! Edit this file as you please!\nexample_key=example_value\nexample_multiline=foo\\nbar\\nbaz\nnever_gonna=give you up\n'],
      ['secrets.ini', '; This is an example file.\n[Welcome!]\nhello       = Welcome to SOPS! Edit this file as you please!\nexample_key = example_value\nnever_gonna = give you up\n'],
      // age and PGP keys: no age identity here, so its PGP keys open it
      ['secrets.yaml', 'test_key: test_value\na_list:\n    - e1\n    - e3\nnested:\n    test:\n        file: another value\n'],
    ];
    for (const [name, plaintext] of expected) {
      it(`${name} decrypts to its known plaintext`, async () => {
        const r = await runProcess(['decrypt', join(vectors, name)], { env: env() });
        expect([r.status, r.stderr]).toEqual([0, '']);
        expect(r.stdout.trimEnd()).toBe(plaintext.trimEnd());
      });
    }

    it('each PGP key alone opens the dotenv file (two keys, one group)', async () => {
      const only = new ScratchGnupg('secrets-gpg-one-');
      try {
        only.import(join(vectors, 'ssh-key.asc'));
        const r = await runProcess(['decrypt', '--extract', '["never_gonna"]', join(vectors, 'secrets.env')], { env: { GNUPGHOME: only.home } });
        expect([r.status, r.stdout]).toEqual([0, 'give you up']);
      } finally {
        only.dispose();
      }
    });
  });
});
