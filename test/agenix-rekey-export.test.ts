// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * `secrets agenix rekey` on the agenix and ragenix vectors and `secrets agenix export` of a sops tree,
 * all through the real CLI process; every written file is opened by Debian's `age` with each key.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSecretsNix } from '@secrets/core';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess, SHARED } from './support/cli.js';

const ageDecrypt = (key: string, file: string): string => execFileSync('age', ['-d', '-i', key, file]).toString();
const ageFails = (key: string, file: string): boolean => {
  try {
    execFileSync('age', ['-d', '-i', key, file], { stdio: 'pipe' });
    return false;
  } catch {
    return true;
  }
};
const snapshot = (dir: string, names: readonly string[]): Map<string, string> => new Map(names.map((n) => [n, readFileSync(join(dir, n)).toString('base64')]));

describe('secrets agenix rekey', () => {
  const keys = join(SHARED, 'vectors/agenix/example_keys');
  const expected = JSON.parse(readFileSync(join(SHARED, 'vectors/expected.json'), 'utf8')) as { agenix: { files: { file: string; plaintext: string }[] } };
  const plain = (name: string): string => (expected.agenix.files.find((f) => f.file.endsWith(`/${name}`)) as { plaintext: string }).plaintext;
  const ageFiles = ['secret1.age', 'secret2.age', 'passwordfile-user1.age', '-leading-hyphen-filename.age', 'armored-secret.age'];

  it('agenix vectors: nothing changed → every file byte-identical; a changed rule rekeys only its file; failures do not stop the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-agenix-rekey-'));
    cpSync(join(SHARED, 'vectors/agenix/example'), dir, { recursive: true });
    const original = snapshot(dir, ageFiles);

    // ssh-only rules: the stanza tags prove every file current, no key needed
    const dry = await runProcess(['agenix', 'rekey', '--dry-run'], { cwd: dir });
    expect([dry.status, dry.stdout]).toEqual([0, '']);
    expect(dry.stderr).toContain('0 to rekey, 5 up to date');
    const noop = await runProcess(['agenix', 'rekey'], { cwd: dir, env: { HOME: dir } });
    expect(noop.status).toBe(0);
    expect(snapshot(dir, ageFiles)).toEqual(original);

    // give secret2 to system1 as well: only secret2 is rewritten, and system1 opens it
    const rules = readFileSync(join(dir, 'secrets.nix'), 'utf8');
    writeFileSync(join(dir, 'secrets.nix'), rules.replace('"secret2.age".publicKeys = [ user1 ];', '"secret2.age".publicKeys = [ user1 system1 ];'));
    // check (no key, no .sops.yaml needed) sees the stale file and names who cannot open it yet
    const stale = await runProcess(['check', '--json'], { cwd: dir });
    expect(stale.status).toBe(1);
    const found = JSON.parse(stale.stdout) as { findings: { file: string; kind: string }[]; agenixRecipients: { recipient: string; opens: string[]; cannot: { file: string }[] }[] };
    expect(found.findings).toEqual([expect.objectContaining({ file: 'secret2.age', kind: 'recipients-differ' })]);
    const system1 = found.agenixRecipients.find((r) => r.recipient.startsWith('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPJD'));
    expect(system1?.cannot).toEqual([{ file: 'secret2.age', reason: 'no stanza for this key yet: run secrets agenix rekey' }]);
    expect(system1?.opens).toHaveLength(3);
    const plan = await runProcess(['agenix', 'rekey', '-n'], { cwd: dir });
    expect(plan.stdout).toMatch(/^would rekey secret2\.age: ssh recipients changed \(new ssh-ed25519 [A-Za-z0-9+/]{6}\)\n$/);
    const r = await runProcess(['agenix', 'rekey', '-i', join(keys, 'user1')], { cwd: dir });
    expect(r.status).toBe(0);
    const ok = await runProcess(['check'], { cwd: dir });
    expect([ok.status, ok.stdout.split('\n').at(-2)]).toEqual([0, 'ok: 5 encrypted files match secrets.nix']);
    expect(r.stderr).toContain('rekeyed secret2.age (ssh recipients changed');
    const after = snapshot(dir, ageFiles);
    for (const f of ageFiles) if (f !== 'secret2.age') expect([f, after.get(f)]).toEqual([f, original.get(f)]);
    expect(after.get('secret2.age')).not.toEqual(original.get('secret2.age'));
    for (const who of ['user1', 'system1']) expect(ageDecrypt(join(keys, who), join(dir, 'secret2.age'))).toBe(plain('secret2.age'));

    // drop user1 from secret1 and make passwordfile armored, with only system1's key at hand: secret1 and
    // passwordfile are rekeyed; the armored file's rule changes too, but system1 cannot open it — that
    // failure is reported at the end, after the others were done (agenix#143)
    writeFileSync(
      join(dir, 'secrets.nix'),
      readFileSync(join(dir, 'secrets.nix'), 'utf8')
        .replace('"secret1.age".publicKeys = [\n    user1\n    system1\n  ];', '"secret1.age".publicKeys = [ system1 ];')
        .replace('"passwordfile-user1.age".publicKeys = [\n    user1\n    system1\n  ];', '"passwordfile-user1.age" = { publicKeys = [ user1 system1 ]; armor = true; };')
        .replace('publicKeys = [ user1 ];\n    armor = true;', 'publicKeys = [ user1 system1 ];\n    armor = true;'),
    );
    const partial = await runProcess(['agenix', 'rekey', '-i', join(keys, 'system1')], { cwd: dir });
    expect(partial.status).toBe(1);
    expect(partial.stderr).toContain('secrets: error: failed to rekey 1 file');
    expect(partial.stderr).toContain('armored-secret.age');
    expect(ageDecrypt(join(keys, 'system1'), join(dir, 'secret1.age'))).toBe(plain('secret1.age'));
    expect(ageFails(join(keys, 'user1'), join(dir, 'secret1.age'))).toBe(true);
    expect(readFileSync(join(dir, 'passwordfile-user1.age'), 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(ageDecrypt(join(keys, 'user1'), join(dir, 'passwordfile-user1.age'))).toBe(plain('passwordfile-user1.age'));
    expect(readFileSync(join(dir, 'armored-secret.age')).toString('base64')).toBe(original.get('armored-secret.age'));
    // with user1 the rest is done; a second run changes nothing
    expect((await runProcess(['agenix', 'rekey', '-i', join(keys, 'user1')], { cwd: dir })).status).toBe(0);
    expect(ageDecrypt(join(keys, 'system1'), join(dir, 'armored-secret.age'))).toBe(plain('armored-secret.age'));
    const settled = snapshot(dir, ageFiles);
    const again = await runProcess(['agenix', 'rekey', '-i', join(keys, 'user1')], { cwd: dir });
    expect(again.stderr).toContain('0 rekeyed, 5 up to date');
    expect(snapshot(dir, ageFiles)).toEqual(settled);
  });

  it('ragenix vectors (X25519 + ssh-ed25519 + ssh-rsa + grease): rekeyed once, then recorded in secrets.lock; edit round-trips', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-ragenix-'));
    cpSync(join(SHARED, 'vectors/ragenix'), dir, { recursive: true });
    const files = ['root.passwd.age', 'github-runner.token.age'];
    const plaintexts = files.map((f) => ageDecrypt(join(dir, 'keys/key.txt'), join(dir, f)));
    // X25519 stanzas are anonymous: without a record the files cannot be vouched for, so they are rekeyed
    const first = await runProcess(['agenix', 'rekey', '-i', join(dir, 'keys/id_ed25519')], { cwd: dir });
    expect(first.status).toBe(0);
    expect(first.stderr).toContain('secrets.lock has no record');
    expect(first.stderr).toContain('2 rekeyed, 0 up to date');
    const lock = JSON.parse(readFileSync(join(dir, 'secrets.lock'), 'utf8')) as { files: Record<string, unknown> };
    expect(Object.keys(lock.files).sort()).toEqual([...files].sort());
    for (const [i, f] of files.entries()) {
      for (const key of ['keys/key.txt', 'keys/id_ed25519', 'keys/id_rsa']) expect([f, key, ageDecrypt(join(dir, key), join(dir, f))]).toEqual([f, key, plaintexts[i]]);
    }
    const settled = snapshot(dir, files);
    const second = await runProcess(['agenix', 'rekey', '-i', join(dir, 'keys/id_rsa')], { cwd: dir });
    expect(second.stderr).toContain('0 rekeyed, 2 up to date');
    expect(snapshot(dir, files)).toEqual(settled);
    // a file re-encrypted behind our back (another tool) is no longer vouched for
    // (same recipients, so same stanza types and tags: only the lock's file digest can tell)
    const recipients = parseSecretsNix(readFileSync(join(dir, 'secrets.nix'), 'utf8'), 'secrets.nix')[1]?.publicKeys ?? [];
    writeFileSync(join(dir, 'recipients.txt'), `${recipients.join('\n')}\n`);
    writeFileSync(join(dir, 'github-runner.token.age'), execFileSync('age', ['-e', '-R', join(dir, 'recipients.txt')], { input: 'x!\n' }));
    const stale = await runProcess(['agenix', 'rekey', '--dry-run'], { cwd: dir });
    expect(stale.stdout).toBe('would rekey github-runner.token.age: the file changed since secrets.lock recorded its recipients\n');
    // edit with a scripted editor: every key opens the result
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, "#!/bin/sh\nprintf 'rotated!\\n' > \"$1\"\n", { mode: 0o755 });
    const edited = await runProcess(['agenix', 'edit', '-i', join(dir, 'keys/key.txt'), '--editor', editor, 'root.passwd.age'], { cwd: dir });
    expect(edited.status).toBe(0);
    for (const key of ['keys/key.txt', 'keys/id_ed25519', 'keys/id_rsa']) expect(ageDecrypt(join(dir, key), join(dir, 'root.passwd.age'))).toBe('rotated!\n');
    expect((await runProcess(['agenix', 'rekey', '--dry-run', 'root.passwd.age'], { cwd: dir })).stdout).toBe('');
    // the file re-encrypted by someone else while the editor is open: theirs stays, ours is kept aside
    const theirs = execFileSync('age', ['-e', '-R', join(dir, 'recipients.txt')], { input: 'theirs!\n' });
    writeFileSync(join(dir, 'theirs.age'), theirs);
    writeFileSync(editor, `#!/bin/sh\ncp ${join(dir, 'theirs.age')} ${join(dir, 'root.passwd.age')}\nprintf 'ours!\\n' > "$1"\n`, { mode: 0o755 });
    const raced = await runProcess(['agenix', 'edit', '-i', join(dir, 'keys/key.txt'), '--editor', editor, 'root.passwd.age'], { cwd: dir });
    expect(raced.status).toBe(3);
    expect(raced.stderr).toContain('changed on disk while it was open: not overwritten');
    expect(readFileSync(join(dir, 'root.passwd.age'))).toEqual(theirs);
    const aside = readdirSync(dir).find((f) => /^root\.passwd\.secrets-\d{8}T\d{6}Z(-\d+)?\.age$/.test(f)) as string;
    expect(ageDecrypt(join(dir, 'keys/id_ed25519'), join(dir, aside))).toBe('ours!\n');
  });
});

describe('secrets agenix export', () => {
  const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
  const hostKey = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key');
  const list = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.age'))
      .sort();

  it('a sops tree becomes .age files each host key opens with Debian age, and a deterministic secrets.nix named by anchors', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'secrets-export-'));
    cpSync(join(REPO_ROOT, 'examples'), join(repo, 'examples'), { recursive: true });
    cpSync(join(REPO_ROOT, '.sops.yaml'), join(repo, '.sops.yaml'));
    const env = { SOPS_AGE_KEY_FILE: adminKey };
    const sopsFile = 'examples/batchn/secrets/example.yaml';
    const out = join(repo, 'agenix');

    const r = await runProcess(['agenix', 'export', '--all', '--out', 'agenix', sopsFile], { cwd: repo, env });
    expect(r.stderr).not.toContain('error');
    expect(r.status).toBe(0);
    const names = list(out);
    expect(names).toEqual(['example/example_array.age', 'example/example_booleans.age', 'example/example_key.age', 'example/example_number.age', 'example/hello.age']);
    // each file holds what `secrets decrypt --extract` prints, and both recipients open it with Debian age
    for (const name of names) {
      const key = name.slice('example/'.length, -'.age'.length);
      const extracted = (await runProcess(['decrypt', '--extract', `["${key}"]`, sopsFile], { cwd: repo, env })).stdout;
      expect([name, ageDecrypt(adminKey, join(out, name))]).toEqual([name, extracted]);
      expect([name, ageDecrypt(hostKey, join(out, name))]).toEqual([name, extracted]);
    }
    // the host is encrypted to natively (its SSH key is noted in .sops.yaml): an ssh-ed25519 stanza
    expect(readFileSync(join(out, 'example/hello.age'), 'latin1')).toMatch(/\n-> ssh-ed25519 /);
    const nix = readFileSync(join(out, 'secrets.nix'), 'utf8');
    expect(nix).toContain('let\n  admin_michael = "age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup";\n  server_batchn = "ssh-ed25519 AAAA');
    expect(nix).toContain('  "example/hello.age".publicKeys = [ admin_michael server_batchn ];\n');
    const rules = parseSecretsNix(nix, 'secrets.nix');
    expect(rules.map((x) => x.name)).toEqual(names);
    // decrypt through the rules-aware command too
    expect((await runProcess(['agenix', 'decrypt', '-i', hostKey, join(out, 'example/hello.age')])).stdout).toBe('Welcome to SOPS! Edit this file as you please!');

    // unchanged input → nothing rewritten, byte for byte (secrets.nix and lock included)
    const stamp = new Map([...names, 'secrets.nix', 'secrets.lock'].map((n) => [n, statSync(join(out, n)).mtimeMs]));
    const before = snapshot(out, [...names, 'secrets.nix', 'secrets.lock']);
    const again = await runProcess(['agenix', 'export', '--all', '--out', 'agenix', sopsFile], { cwd: repo, env });
    expect(again.stderr).toContain('0 written, 5 unchanged');
    expect(snapshot(out, [...names, 'secrets.nix', 'secrets.lock'])).toEqual(before);
    for (const [n, t] of stamp) expect([n, statSync(join(out, n)).mtimeMs]).toEqual([n, t]);

    // one value changes → only its file is rewritten
    expect((await runProcess(['set', sopsFile, '["hello"]', '"changed!"'], { cwd: repo, env })).status).toBe(0);
    const third = await runProcess(['agenix', 'export', '--all', '--out', 'agenix', sopsFile], { cwd: repo, env });
    expect(third.stderr).toContain('1 written, 4 unchanged');
    expect(ageDecrypt(hostKey, join(out, 'example/hello.age'))).toBe('changed!');
    const after = snapshot(out, names);
    for (const n of names) if (n !== 'example/hello.age') expect(after.get(n)).toBe(before.get(n));

    // a recipient change (host removed from .sops.yaml) → every file rewritten, the host shut out; the
    // rekey command agrees that all files now match their rules
    writeFileSync(join(repo, '.sops.yaml'), readFileSync(join(repo, '.sops.yaml'), 'utf8').replace('          - *server_batchn\n', ''));
    const fourth = await runProcess(['agenix', 'export', '--all', '--out', 'agenix', sopsFile], { cwd: repo, env });
    expect(fourth.stderr).toContain('5 written, 0 unchanged');
    expect(ageFails(hostKey, join(out, 'example/hello.age'))).toBe(true);
    expect(readFileSync(join(out, 'secrets.nix'), 'utf8')).not.toContain('server_batchn');
    expect((await runProcess(['agenix', 'rekey', '--dry-run'], { cwd: out })).stdout).toBe('');
  });

  it('--key, --armor, --host-key; refuses a hand-written secrets.nix', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'secrets-export-key-'));
    cpSync(join(REPO_ROOT, 'examples'), join(repo, 'examples'), { recursive: true });
    // no SSH key noted in .sops.yaml: it comes from --host-key
    writeFileSync(join(repo, '.sops.yaml'), readFileSync(join(REPO_ROOT, '.sops.yaml'), 'utf8').replace(/ # ssh-ed25519 [A-Za-z0-9+/=]+/, ''));
    const env = { SOPS_AGE_KEY_FILE: adminKey };
    const sopsFile = 'examples/batchn/secrets/example.yaml';
    const noKey = await runProcess(['agenix', 'export', '--key', 'hello', '--out', 'a', sopsFile], { cwd: repo, env });
    expect(noKey.status).toBe(0);
    expect(noKey.stderr).toContain('X25519 (age1…) recipients kept: admin_michael, server_batchn.');
    expect(ageFails(hostKey, join(repo, 'a/example/hello.age'))).toBe(true); // an X25519 stanza: not for an SSH key

    const r = await runProcess(['agenix', 'export', '--key', '["hello"]', '--armor', '--host-key', `${hostKey}.pub`, '--out', 'b', sopsFile], { cwd: repo, env });
    expect(r.status).toBe(0);
    expect(list(join(repo, 'b'))).toEqual(['example/hello.age']);
    expect(readFileSync(join(repo, 'b/example/hello.age'), 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(ageDecrypt(hostKey, join(repo, 'b/example/hello.age'))).toBe('Welcome to SOPS! Edit this file as you please!');
    expect(readFileSync(join(repo, 'b/secrets.nix'), 'utf8')).toContain('  "example/hello.age" = {\n    publicKeys = [ admin_michael server_batchn ];\n    armor = true;\n  };\n');

    writeFileSync(join(repo, 'secrets.nix'), '{ "x.age".publicKeys = [ "age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup" ]; }\n');
    const refused = await runProcess(['agenix', 'export', '--all', sopsFile], { cwd: repo, env });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('was not written by secrets agenix export: not overwriting it');
    const usage = await runProcess(['agenix', 'export', sopsFile], { cwd: repo, env });
    expect(usage.stderr).toContain('--all for every leaf, or --key a/b');
  });
});
