/**
 * git-setup's drivers with real git repositories and the real CLI: `git merge` of branches that changed
 * different values (clean, decrypted, untouched ciphertext identical), a conflict (no plaintext in the
 * work tree, the .git dir with its objects inflated, or TMPDIR; resolved by `secrets edit` with a
 * scripted EDITOR), a merge without a key (our version kept, `git checkout -m` redoes it with one), a
 * recipients-only change and a rotation visible in `git diff`, and `.age` files in `git diff`/`git log -p`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, lstatSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptSops } from 'sops-age';
import { describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT, runProcess } from './support/cli.js';
import { peerSkipReason } from './support/peers.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const KEY = { SOPS_AGE_KEY_FILE: adminKey };

/** A fresh repository with `secrets` on PATH, a private TMPDIR for git and its drivers, git-setup done. */
async function repository(sopsYaml = `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${admin}\n`) {
  const repo = mkdtempSync(join(tmpdir(), 'secrets-merge-'));
  const bin = mkdtempSync(join(tmpdir(), 'secrets-bin-'));
  const gitTmp = mkdtempSync(join(tmpdir(), 'secrets-gittmp-'));
  writeFileSync(join(bin, 'secrets'), `#!/bin/sh\nexec ${process.execPath} ${CLI_BIN} "$@"\n`, { mode: 0o755 });
  const baseEnv = { PATH: `${bin}:${process.env['PATH']}`, HOME: repo, GIT_CONFIG_NOSYSTEM: '1', TMPDIR: gitTmp };
  const git = (args: string[], extra: Record<string, string> = {}) => spawnSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...baseEnv, ...extra } });
  const ok = (args: string[], extra: Record<string, string> = {}): string => {
    const r = git(args, extra);
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const secrets = (args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) => runProcess(args, { cwd: repo, env: { ...KEY, TMPDIR: gitTmp, ...options.env }, ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });
  ok(['init', '-q', '-b', 'main']);
  ok(['config', 'user.email', 't@example.org']);
  ok(['config', 'user.name', 't']);
  writeFileSync(join(repo, '.sops.yaml'), sopsYaml);
  mkdirSync(join(repo, 'secrets'));
  return { repo, gitTmp, git, ok, secrets };
}

type Repo = Awaited<ReturnType<typeof repository>>;

async function setUp(r: Repo, plain: string): Promise<void> {
  expect((await r.secrets(['edit', '--editor', '-', 'secrets/a.yaml'], { stdin: plain })).status).toBe(0);
  r.ok(['add', '.']);
  r.ok(['commit', '-qm', 'base']);
  expect((await r.secrets(['git-setup'])).status).toBe(0);
  r.ok(['add', '.gitattributes']);
  r.ok(['commit', '-qm', 'git-setup']);
}

async function setValue(r: Repo, key: string, value: string, message: string): Promise<void> {
  expect((await r.secrets(['set', 'secrets/a.yaml', `["${key}"]`, JSON.stringify(value)])).status).toBe(0);
  r.ok(['commit', '-qam', message]);
}

const encLine = (text: string, key: string): string => (text.split('\n').find((l) => l.startsWith(`${key}:`)) as string);

/** Every file under dir (symlinks not followed), as bytes. */
function files(dir: string): Buffer[] {
  const out: Buffer[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...files(p));
    else if (st.isFile()) out.push(readFileSync(p));
  }
  return out;
}

/** Whether a plaintext appears anywhere: work tree, .git (raw files and every object inflated), git's TMPDIR. */
function plaintextFound(r: Repo, secret: string): string[] {
  const where: string[] = [];
  if (files(r.repo).some((b) => b.includes(secret))) where.push('work tree or .git (raw)');
  const objects = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: r.repo, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  if (objects.includes(secret)) where.push('.git objects');
  if (files(r.gitTmp).some((b) => b.includes(secret))) where.push('TMPDIR');
  return where;
}

describe('git merge with the secrets merge driver', () => {
  it('git-setup writes the drivers and one attribute line per directory', async () => {
    const r = await repository();
    await setUp(r, 'a: one\n');
    expect(readFileSync(join(r.repo, '.gitattributes'), 'utf8')).toBe('secrets/*.yaml diff=secrets merge=secrets\n');
    expect(r.ok(['config', 'merge.secrets.driver']).trim()).toBe('secrets merge-driver %O %A %B %P');
    expect(r.ok(['config', 'diff.secrets.textconv']).trim()).toBe('secrets textconv');
  });

  it('git-setup upgrades an older diff-only line in place, keeps other lines, and is idempotent', async () => {
    const r = await repository();
    expect((await r.secrets(['edit', '--editor', '-', 'secrets/a.yaml'], { stdin: 'a: 1\n' })).status).toBe(0);
    writeFileSync(join(r.repo, '.gitattributes'), '*.png binary\nsecrets/*.yaml diff=secrets\n*.sh text eol=lf');
    r.ok(['add', '.']);
    r.ok(['commit', '-qm', 'base']);
    for (let i = 0; i < 2; i++) expect((await r.secrets(['git-setup'])).status).toBe(0);
    expect(readFileSync(join(r.repo, '.gitattributes'), 'utf8')).toBe('*.png binary\nsecrets/*.yaml diff=secrets merge=secrets\n*.sh text eol=lf\n');
  });

  it('branches that changed different values: a clean merge, decrypted as both; untouched ciphertext identical', async () => {
    const r = await repository();
    await setUp(r, 'a: one\nb: two\nc: three\n');
    const base = readFileSync(join(r.repo, 'secrets/a.yaml'), 'utf8');
    r.ok(['checkout', '-qb', 'feature']);
    await setValue(r, 'c', 'THREE!', 'feature: c');
    const feature = readFileSync(join(r.repo, 'secrets/a.yaml'), 'utf8');
    r.ok(['checkout', '-q', 'main']);
    await setValue(r, 'a', 'ONE!', 'main: a');
    const main = readFileSync(join(r.repo, 'secrets/a.yaml'), 'utf8');
    const merged = r.git(['merge', '-q', '--no-edit', 'feature'], KEY);
    expect(merged.status, merged.stderr).toBe(0);
    const text = readFileSync(join(r.repo, 'secrets/a.yaml'), 'utf8');
    expect((await r.secrets(['decrypt', 'secrets/a.yaml'])).stdout).toBe('a: ONE!\nb: two\nc: THREE!\n');
    expect(encLine(text, 'b')).toBe(encLine(base, 'b'));
    expect(encLine(text, 'a')).toBe(encLine(main, 'a'));
    expect(encLine(text, 'c')).toBe(encLine(feature, 'c'));
    expect(r.ok(['status', '--porcelain'])).toBe('');
  });

  it('a conflict: no plaintext outside tmpfs; secrets edit shows both sides and resolves it', async () => {
    const r = await repository();
    await setUp(r, 'a: one\nb: two\n');
    r.ok(['checkout', '-qb', 'feature']);
    await setValue(r, 'a', 'theirs-secret-9c2b!', 'feature: a');
    await setValue(r, 'b', 'feature-b-71d0!', 'feature: b');
    r.ok(['checkout', '-q', 'main']);
    await setValue(r, 'a', 'ours-secret-7f3a!', 'main: a');
    const merge = r.git(['merge', '--no-edit', 'feature'], KEY);
    expect(merge.status).not.toBe(0);
    expect(merge.stderr).toContain('merge conflict in "secrets/a.yaml" at ["a"]');
    expect(r.ok(['diff', '--name-only', '--diff-filter=U']).trim()).toBe('secrets/a.yaml');
    for (const secret of ['theirs-secret-9c2b!', 'ours-secret-7f3a!', 'feature-b-71d0!']) expect(plaintextFound(r, secret)).toEqual([]);
    // The file decrypts (our side, their clean change included) and says it is conflicted.
    const conflicted = await r.secrets(['decrypt', 'secrets/a.yaml']);
    expect(conflicted.stdout).toBe('a: ours-secret-7f3a!\nb: feature-b-71d0!\n');
    expect(conflicted.stderr).toContain('has an unresolved git merge conflict');
    // An independent sops implementation reads it too, skipping the extra metadata key (as Go sops does).
    const secretKey = readFileSync(adminKey, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) as string;
    expect(await decryptSops(readFileSync(join(r.repo, 'secrets/a.yaml'), 'utf8'), { secretKey, fileType: 'yaml' })).toEqual({ a: 'ours-secret-7f3a!', b: 'feature-b-71d0!' });
    expect(r.ok(['diff', 'HEAD', '--', 'secrets/a.yaml'], KEY)).toContain('+# UNRESOLVED MERGE CONFLICT');

    // check (no key needed) reports the conflict, so CI catches one committed by mistake.
    const check = await r.secrets(['check'], { env: { SOPS_AGE_KEY_FILE: '' } });
    expect(check.status).not.toBe(0);
    expect(check.stdout + check.stderr).toContain('an unresolved git merge conflict is committed in it');

    // Other writers refuse it: a new lastmodified would orphan the record.
    const set = await r.secrets(['set', 'secrets/a.yaml', '["b"]', '"x"']);
    expect([set.status, set.stderr]).toEqual([1, expect.stringContaining('resolve it first: secrets edit secrets/a.yaml')]);

    // An editor that leaves the markers: refused, file unchanged.
    const editors = mkdtempSync(join(tmpdir(), 'secrets-editors-'));
    const before = readFileSync(join(r.repo, 'secrets/a.yaml'));
    writeFileSync(join(editors, 'keep-markers'), '#!/bin/sh\necho "# touched" >> "$1"\n', { mode: 0o755 });
    const refused = await r.secrets(['edit', 'secrets/a.yaml'], { env: { EDITOR: join(editors, 'keep-markers') } });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('still has conflict markers');
    expect(readFileSync(join(r.repo, 'secrets/a.yaml'))).toEqual(before);

    // An editor that checks it sees both sides (counts only, nothing copied) and keeps theirs.
    const seen = join(editors, 'seen');
    writeFileSync(
      join(editors, 'take-theirs'),
      `#!/bin/sh\ngrep -c -e '^<<<<<<< ours$' -e 'ours-secret-7f3a!' -e '^=======$' -e 'theirs-secret-9c2b!' -e '^>>>>>>> theirs$' "$1" > ${seen}\nsed -i -e '/^<<<<<<< ours$/,/^=======$/d' -e '/^>>>>>>> theirs$/d' "$1"\n`,
      { mode: 0o755 },
    );
    const resolved = await r.secrets(['edit', 'secrets/a.yaml'], { env: { EDITOR: join(editors, 'take-theirs') } });
    expect(resolved.status, resolved.stderr).toBe(0);
    expect(readFileSync(seen, 'utf8').trim()).toBe('5');
    expect((await r.secrets(['decrypt', 'secrets/a.yaml'])).stdout).toBe('a: theirs-secret-9c2b!\nb: feature-b-71d0!\n');
    expect(readFileSync(join(r.repo, 'secrets/a.yaml'), 'utf8')).not.toContain('merge_conflict');
    r.ok(['add', 'secrets/a.yaml']);
    r.ok(['commit', '-qm', 'merged']);
    for (const secret of ['theirs-secret-9c2b!', 'ours-secret-7f3a!', 'feature-b-71d0!']) expect(plaintextFound(r, secret)).toEqual([]);
  });

  it('without a key: our version stays, git marks it conflicted; git checkout -m with a key merges', async () => {
    const r = await repository();
    await setUp(r, 'a: one\nb: two\n');
    r.ok(['checkout', '-qb', 'feature']);
    await setValue(r, 'b', 'TWO', 'feature: b');
    r.ok(['checkout', '-q', 'main']);
    await setValue(r, 'a', 'ONE', 'main: a');
    const ours = readFileSync(join(r.repo, 'secrets/a.yaml'));
    const merge = r.git(['merge', '--no-edit', 'feature']);
    expect(merge.status).not.toBe(0);
    expect(merge.stderr).toContain('could not merge "secrets/a.yaml"');
    expect(merge.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(join(r.repo, 'secrets/a.yaml'))).toEqual(ours);
    expect(r.ok(['diff', '--name-only', '--diff-filter=U']).trim()).toBe('secrets/a.yaml');
    r.ok(['checkout', '-m', '--', 'secrets/a.yaml'], KEY);
    expect((await r.secrets(['decrypt', 'secrets/a.yaml'])).stdout).toBe('a: ONE\nb: TWO\n');
  });

  it('a host added on one branch (rekey), a value changed on the other: both kept; the host opens the merge', async () => {
    const hostKey = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key');
    const host = (await runProcess(['ssh-to-age', '-i', `${hostKey}.pub`])).stdout.trim();
    const config = (extra: string) => `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${admin}${extra}\n`;
    const r = await repository(config(''));
    await setUp(r, 'a: one\nb: two\n');
    r.ok(['checkout', '-qb', 'hosts']);
    writeFileSync(join(r.repo, '.sops.yaml'), config(`,${host}`));
    expect((await r.secrets(['rekey', '-y'])).status).toBe(0);
    r.ok(['commit', '-qam', 'add batchn']);
    const rekeyed = readFileSync(join(r.repo, 'secrets/a.yaml'), 'utf8');
    r.ok(['checkout', '-q', 'main']);
    await setValue(r, 'b', 'TWO', 'main: b');
    const main = readFileSync(join(r.repo, 'secrets/a.yaml'), 'utf8');
    const merged = r.git(['merge', '-q', '--no-edit', 'hosts'], KEY);
    expect(merged.status, merged.stderr).toBe(0);
    const text = readFileSync(join(r.repo, 'secrets/a.yaml'), 'utf8');
    // sops 3.13 layout: `- enc: |` (the armored age file), then `recipient:`.
    const block = (t: string) => t.slice(t.lastIndexOf('- enc: |', t.indexOf(`recipient: ${host}`)), t.indexOf(`recipient: ${host}`));
    expect(block(rekeyed)).toContain('-----BEGIN AGE ENCRYPTED FILE-----');
    expect(block(text)).toBe(block(rekeyed));
    expect(encLine(text, 'a')).toBe(encLine(main, 'a'));
    expect(encLine(text, 'b')).toBe(encLine(main, 'b'));
    const asHost = await r.secrets(['decrypt', 'secrets/a.yaml'], { env: { SOPS_AGE_KEY_FILE: '', SOPS_AGE_SSH_PRIVATE_KEY_FILE: hostKey } });
    expect(asHost.stdout, asHost.stderr).toBe('a: one\nb: TWO\n');
  });

  it('a plain YAML file under the same pattern gets git\'s own text merge', async () => {
    const r = await repository();
    await setUp(r, 'a: one\n');
    writeFileSync(join(r.repo, 'secrets/plain.yaml'), 'x: 1\ny: 2\nz: 3\n');
    r.ok(['add', '.']);
    r.ok(['commit', '-qm', 'plain']);
    r.ok(['checkout', '-qb', 'feature']);
    writeFileSync(join(r.repo, 'secrets/plain.yaml'), 'x: 1\ny: 2\nz: 30\n');
    r.ok(['commit', '-qam', 'z']);
    r.ok(['checkout', '-q', 'main']);
    writeFileSync(join(r.repo, 'secrets/plain.yaml'), 'x: 10\ny: 2\nz: 3\n');
    r.ok(['commit', '-qam', 'x']);
    r.ok(['merge', '-q', '--no-edit', 'feature']);
    expect(readFileSync(join(r.repo, 'secrets/plain.yaml'), 'utf8')).toBe('x: 10\ny: 2\nz: 30\n');
  });
});

describe('git diff through textconv', () => {
  it('a recipients-only change (rekey adding a host) and a rotation show a diff, by .sops.yaml name', async () => {
    const host = (await runProcess(['ssh-to-age', '-i', join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key.pub')])).stdout.trim();
    const config = (hosts: string) => `keys:\n  - &admin_michael ${admin}\n  - &server_batchn ${host}\ncreation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    key_groups:\n      - age:\n          - *admin_michael\n${hosts}`;
    const r = await repository(config(''));
    await setUp(r, 'a: one\n');
    writeFileSync(join(r.repo, '.sops.yaml'), config('          - *server_batchn\n'));
    expect((await r.secrets(['rekey', '-y'])).status).toBe(0);
    const added = r.ok(['diff', '--', 'secrets/a.yaml'], KEY);
    expect(added).toMatch(/^\+# recipient: server_batchn \(age1/m);
    expect(added).not.toMatch(/^[+-]a: /m);
    r.ok(['commit', '-qam', 'add host']);
    expect((await r.secrets(['rekey', '-y', '--rotate'])).status).toBe(0);
    const rotated = r.ok(['diff', '--', 'secrets/a.yaml'], KEY);
    expect(rotated).toMatch(/^-# data key id: [0-9a-f]{12}$/m);
    expect(rotated).toMatch(/^\+# data key id: [0-9a-f]{12}$/m);
    expect(rotated).not.toMatch(/^[+-]# recipient/m);
  });

  const ageSkip = peerSkipReason(['age'], 'age');
  it.skipIf(ageSkip !== null)(`.age files: plaintext in git diff and git log -p; a summary without a key${ageSkip ? ` (${ageSkip})` : ''}`, async () => {
    const r = await repository();
    const hostPub = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key.pub');
    const hostKey = readFileSync(hostPub, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    writeFileSync(join(r.repo, 'secrets.nix'), `let\n  batchn = "${hostKey}";\nin {\n  "secrets/token.age".publicKeys = [ batchn ];\n}\n`);
    const write = (text: string) => execFileSync('age', ['-r', admin, '-R', hostPub, '-o', join(r.repo, 'secrets/token.age')], { input: text });
    write('token-one\n');
    r.ok(['add', '.']);
    r.ok(['commit', '-qm', 'age']);
    expect((await r.secrets(['git-setup'])).status).toBe(0);
    expect(readFileSync(join(r.repo, '.gitattributes'), 'utf8')).toBe('secrets/*.age diff=secrets merge=binary\n');
    r.ok(['add', '.gitattributes']);
    r.ok(['commit', '-qm', 'setup']);
    write('token-two\n');
    const diff = r.ok(['diff', '--', 'secrets/token.age'], KEY);
    expect(diff).toContain('-token-one');
    expect(diff).toContain('+token-two');
    r.ok(['commit', '-qam', 'two']);
    const log = r.ok(['log', '-p', '--', 'secrets/token.age'], KEY);
    expect(log).toContain('+token-two');
    expect(log).toContain('+token-one');
    expect(log).toContain('# age recipients: X25519, ssh-ed25519');
    expect(log).toContain('# ssh recipients: batchn');
    const other = r.ok(['log', '-p', '-1', '--', 'secrets/token.age']);
    expect(other).toContain('age-encrypted file, not decrypted: no identity here opens it');
    expect(other).toMatch(/^\+sha256: [0-9a-f]{64}$/m);
    expect(other).toContain('ssh recipients: batchn');
    expect(other).not.toContain('token-');
  });
});
