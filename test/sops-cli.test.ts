/**
 * `secrets decrypt | encrypt | filestatus` as a user runs them (the real CLI process), against real sops
 * files and the bundled example, with sops' exit codes; and our output read by an independent JS peer
 * (the `sops-age` npm package).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptSops } from 'sops-age';
import { describe, expect, it } from 'vitest';
import { grammarViolations, REPO_ROOT, runProcess, SHARED } from './support/cli.js';
import { itShared } from './support/shared.js';

const vectors = join(SHARED, 'vectors/sops-nix');
const example = join(REPO_ROOT, 'examples/batchn/secrets/example.yaml');
const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const hostKey = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key');
const adminRecipient = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const work = mkdtempSync(join(tmpdir(), 'secrets-sops-cli-'));
const write = (name: string, content: string): string => {
  const p = join(work, name);
  writeFileSync(p, content);
  return p;
};
const EXAMPLE_PLAIN = `hello: Welcome to SOPS! Edit this file as you please!
example_key: example_value
# Example comment
example_array:
    - example_value1
    - example_value2
example_number: 1234.56789
example_booleans:
    - true
    - false
`;

describe('secrets decrypt', () => {
  it('the bundled example opens for the admin (age key) and for the host (SSH host key only)', async () => {
    const admin = await runProcess(['decrypt', example], { env: { SOPS_AGE_KEY_FILE: adminKey } });
    expect(admin.stderr).toBe('');
    expect(admin.stdout).toBe(EXAMPLE_PLAIN);
    const host = await runProcess(['decrypt', example], { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: hostKey } });
    expect(host.stdout).toBe(EXAMPLE_PLAIN);
  });

  itShared('vectors', 'a real sops 3.7 file opens with its age key; --output-type json; --extract', async () => {
    const env = { SOPS_AGE_KEY_FILE: join(vectors, 'age-keys.txt') };
    const file = join(vectors, 'secrets.yaml');
    expect((await runProcess(['decrypt', file], { env })).stdout).toBe('test_key: test_value\na_list:\n    - e1\n    - e3\nnested:\n    test:\n        file: another value\n');
    expect(JSON.parse((await runProcess(['decrypt', '--output-type', 'json', file], { env })).stdout)).toEqual({ test_key: 'test_value', a_list: ['e1', 'e3'], nested: { test: { file: 'another value' } } });
    expect((await runProcess(['decrypt', '--extract', '["nested"]["test"]["file"]', file], { env })).stdout).toBe('another value');
    expect((await runProcess(['decrypt', '--extract', '["a_list"][1]', file], { env })).stdout).toBe('e3');
    expect((await runProcess(['decrypt', '--extract', '["nested"]', file], { env })).stdout).toBe('test:\n    file: another value\n');
  });

  itShared('vectors', 'exit codes: 100 missing file, 91 bad path, 128 no key (with the whole story), 51 tampered', async () => {
    expect((await runProcess(['decrypt', join(work, 'nope.yaml')])).status).toBe(100);
    expect((await runProcess(['decrypt', '--extract', 'bad', example], { env: { SOPS_AGE_KEY_FILE: adminKey } })).status).toBe(91);

    const noKey = await runProcess(['decrypt', example], { env: { SOPS_AGE_KEY_FILE: join(vectors, 'age-keys.txt') } });
    expect(noKey.status).toBe(128);
    expect(noKey.stdout).toBe('');
    expect(noKey.stderr).toContain("secrets: error: could not decrypt the data key with any of the file's keys");
    expect(noKey.stderr).toContain(`secrets: hint:   group 1: age ${adminRecipient}: no identity matched`);
    expect(noKey.stderr).toContain('also looked in:');
    expect(grammarViolations(noKey.stderr)).toEqual([]);

    const lines = readFileSync(example, 'utf8').split('\n');
    const tampered = write('tampered.yaml', [lines[1], lines[0], ...lines.slice(2)].join('\n'));
    const r = await runProcess(['decrypt', tampered], { env: { SOPS_AGE_KEY_FILE: adminKey } });
    expect(r.status).toBe(51);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^secrets: error: mac mismatch/m);
    const forced = await runProcess(['decrypt', '--ignore-mac', tampered], { env: { SOPS_AGE_KEY_FILE: adminKey } });
    expect(forced.status).toBe(0);
  });

  itShared('vectors', 'PGP-only files without the PGP key: exit 128 naming the PGP key and what gpg said', async () => {
    const r = await runProcess(['decrypt', join(vectors, 'secrets.json')], { env: { SOPS_AGE_KEY_FILE: adminKey, SOPS_GPG_EXEC: '/nonexistent/gpg' } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain('pgp 7FB89715AADA920D65D25E63F9BA9DEBD03F57C0: could not run "/nonexistent/gpg": SOPS_GPG_EXEC names no program');
  });
});

describe('secrets encrypt', () => {
  it('--age, then decrypt: the identity; already encrypted is 203; empty is 92', async () => {
    const plain = write('plain.yaml', 'db:\n    password: hunter2\n    port: 5432\n');
    const enc = await runProcess(['encrypt', '--age', adminRecipient, plain]);
    expect(enc.status).toBe(0);
    expect(enc.stdout).not.toContain('hunter2');
    const encrypted = write('enc.yaml', enc.stdout);
    expect((await runProcess(['decrypt', encrypted], { env: { SOPS_AGE_KEY_FILE: adminKey } })).stdout).toBe('db:\n    password: hunter2\n    port: 5432\n');
    expect((await runProcess(['encrypt', '--age', adminRecipient, encrypted])).status).toBe(203);
    expect((await runProcess(['encrypt', '--age', adminRecipient, write('empty.yaml', '')])).status).toBe(92);
    expect(JSON.parse((await runProcess(['filestatus', encrypted])).stdout)).toEqual({ encrypted: true });
    expect(JSON.parse((await runProcess(['filestatus', plain])).stdout)).toEqual({ encrypted: false });
  });

  it('follows the .sops.yaml creation rule of the file (found from the file when the cwd has none)', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'secrets-repo-'));
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: ^secrets/.*\\.json$\n    age: ${adminRecipient}\n    encrypted_regex: ^password$\n`);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(repo, 'secrets'));
    writeFileSync(join(repo, 'secrets/app.json'), '{"user": "app", "password": "s3cret"}');
    const r = await runProcess(['encrypt', '-i', join(repo, 'secrets/app.json')], { cwd: tmpdir() });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`using ${join(repo, '.sops.yaml')}`);
    const out = readFileSync(join(repo, 'secrets/app.json'), 'utf8');
    expect(out).toContain('"user": "app"'); // not selected by encrypted_regex
    expect(out).not.toContain('s3cret');
    expect(out).toContain('"encrypted_regex": "^password$"');
    const dec = await runProcess(['decrypt', join(repo, 'secrets/app.json')], { env: { SOPS_AGE_KEY_FILE: adminKey } });
    expect(JSON.parse(dec.stdout)).toEqual({ user: 'app', password: 's3cret' });
  });
});

describe('an independent implementation reads what we write (sops-age npm package)', () => {
  const secretKey = readFileSync(adminKey, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) as string;
  for (const [name, content, fileType] of [
    ['peer.yaml', 'a: 1\nb:\n    - x\n    - true\nc:\n    d: "hé"\n', 'yaml'],
    ['peer.json', '{"a": 1, "b": ["x", true], "c": {"d": "hé"}}', 'json'],
    ['peer.env', 'A=1\nB=x y\n', 'env'],
  ] as const) {
    it(`${fileType}: same values`, async () => {
      const enc = await runProcess(['encrypt', '--age', adminRecipient, write(name, content)]);
      expect(enc.status).toBe(0);
      const theirs = (await decryptSops(enc.stdout, { secretKey, fileType })) as Record<string, unknown>;
      const ours = await runProcess(['decrypt', '--output-type', 'json', '--input-type', fileType === 'env' ? 'dotenv' : fileType, write(`enc-${name}`, enc.stdout)], { env: { SOPS_AGE_KEY_FILE: adminKey } });
      expect(theirs).toEqual(JSON.parse(ours.stdout));
    });
  }
});

describe('secrets nix sops', () => {
  it('prints the declarations, flags what sops-nix cannot install (exit 1), needs no key', async () => {
    const r = await runProcess(['nix', 'sops', example], { cwd: REPO_ROOT });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('sops.secrets."hello" = { sopsFile = ./examples/batchn/secrets/example.yaml; key = "hello"; format = "yaml"; };');
    expect(r.stderr).toContain('secrets: warning: ./examples/batchn/secrets/example.yaml: "example_number": the value is a float');
  });
});
