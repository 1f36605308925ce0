/**
 * `secrets edit | set | unset | rotate` through the real CLI in a temp repository, with scripted editors:
 * new files from the creation rule, unchanged edits (exit 200), stable ciphertext for unchanged values,
 * stdin mode, a file changed on disk while the editor is open, and where the plaintext lived.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const hostKey = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key');
const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim();

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-edit-'));
  writeFileSync(join(dir, '.sops.yaml'), `keys:\n  - &admin ${admin}\ncreation_rules:\n  - path_regex: secrets/[^/]+\\.yaml$\n    key_groups:\n      - age:\n          - *admin\n`);
  mkdirSync(join(dir, 'secrets'));
  return dir;
}

/** A shell script editor: it records the path it was given, then runs `body` on "$1". */
function editor(dir: string, body: string): string {
  const path = join(dir, `editor-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, `#!/bin/sh\necho "$1" >> ${join(dir, 'editor.log')}\nls -l "$1" >> ${join(dir, 'editor.log')}\n${body}\n`, { mode: 0o755 });
  return path;
}

describe('secrets edit', () => {
  it('creates a new file from the creation rule, then edits keep unchanged ciphertext', async () => {
    const dir = repo();
    const env = { SOPS_AGE_KEY_FILE: adminKey };
    const write = editor(dir, `printf 'db:\\n    password: hunter2\\n    user: app\\n' > "$1"`);
    const created = await runProcess(['edit', 'secrets/app.yaml'], { cwd: dir, env: { ...env, EDITOR: write } });
    // A script is not an editor we can harden: one warning line, nothing else.
    expect(created.stderr).toMatch(/^secrets: warning: "editor-\w+\.sh" is not an editor secrets can keep from copying the plaintext: .*\n$/);
    expect(created.status).toBe(0);
    const first = readFileSync(join(dir, 'secrets/app.yaml'), 'utf8');
    expect(first).not.toContain('hunter2');
    expect((await runProcess(['decrypt', 'secrets/app.yaml'], { cwd: dir, env })).stdout).toBe('db:\n    password: hunter2\n    user: app\n');

    // The plaintext lived on tmpfs, 0600, and is gone.
    const log = readFileSync(join(dir, 'editor.log'), 'utf8').split('\n');
    expect(log[0]).toMatch(/^\/dev\/shm\/secrets-[0-9]+-[0-9a-f]{16}\/app\.yaml$/);
    expect(log[1]).toMatch(/^-rw-------/);
    expect(existsSync(log[0] as string)).toBe(false);

    // Unchanged → exit 200, file untouched.
    const noop = await runProcess(['edit', 'secrets/app.yaml'], { cwd: dir, env: { ...env, EDITOR: 'true' } });
    expect(noop.status).toBe(200);
    expect(noop.stderr).toContain('file has not changed');
    expect(readFileSync(join(dir, 'secrets/app.yaml'), 'utf8')).toBe(first);

    // One value changed → only its line differs (plus the metadata).
    const change = editor(dir, `sed -i 's/user: app/user: admin/' "$1"`);
    expect((await runProcess(['edit', 'secrets/app.yaml'], { cwd: dir, env: { ...env, EDITOR: change } })).status).toBe(0);
    const second = readFileSync(join(dir, 'secrets/app.yaml'), 'utf8');
    const [a, b] = [first.split('\n'), second.split('\n')];
    expect(b[0]).toBe(a[0]);
    expect(b[1]).toBe(a[1]); // password kept its exact ciphertext
    expect(b[2]).not.toBe(a[2]); // user changed
    expect((await runProcess(['decrypt', '--extract', '["db"]["user"]', 'secrets/app.yaml'], { cwd: dir, env })).stdout).toBe('admin');
  });

  it('--editor - reads the new plaintext from stdin (scripts, CI): no temporary file at all', async () => {
    const dir = repo();
    const r = await runProcess(['edit', '--editor', '-', 'secrets/ci.yaml'], { cwd: dir, stdin: 'token: abc\n' });
    expect(r.status).toBe(0);
    expect((await runProcess(['decrypt', 'secrets/ci.yaml'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: adminKey } })).stdout).toBe('token: abc\n');
  });

  it('a file changed on disk while the editor was open is not overwritten, and the edit is kept (encrypted)', async () => {
    const dir = repo();
    const env = { SOPS_AGE_KEY_FILE: adminKey };
    await runProcess(['edit', '--editor', '-', 'secrets/race.yaml'], { cwd: dir, stdin: 'a: 1\n' });
    const other = readFileSync(join(dir, 'secrets/race.yaml'), 'utf8').replace('version:', 'version:') + '\n';
    const racing = editor(dir, `printf '%s' '${other.replace(/'/g, "'\\''")}' > ${join(dir, 'secrets/race.yaml')}\nprintf 'a: 2\\n' > "$1"`);
    const r = await runProcess(['edit', 'secrets/race.yaml'], { cwd: dir, env: { ...env, EDITOR: racing } });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('changed on disk while it was open: not overwritten');
    expect(readFileSync(join(dir, 'secrets/race.yaml'), 'utf8')).toBe(other);
    // Named race.secrets-<time>.yaml: the extension is kept, so decrypt reads it without --input-type.
    const aside = readdirSync(join(dir, 'secrets')).find((f) => /^race\.secrets-\d{8}T\d{6}Z(-\d+)?\.yaml$/.test(f)) as string;
    expect(r.stderr).toContain(`your version, encrypted, is in ${join(dir, 'secrets', aside)}`);
    expect(statSync(join(dir, 'secrets', aside)).mode & 0o777).toBe(0o600);
    expect((await runProcess(['decrypt', join('secrets', aside)], { cwd: dir, env })).stdout).toBe('a: 2\n');
  });

  it('invalid syntax without a terminal is an error saying where; nothing is written', async () => {
    const dir = repo();
    await runProcess(['edit', '--editor', '-', 'secrets/x.yaml'], { cwd: dir, stdin: 'a: 1\n' });
    const before = readFileSync(join(dir, 'secrets/x.yaml'), 'utf8');
    const broken = editor(dir, `printf 'a: [1\\n' > "$1"`);
    const r = await runProcess(['edit', 'secrets/x.yaml'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: adminKey, EDITOR: broken } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^secrets: error: .*line/m);
    expect(readFileSync(join(dir, 'secrets/x.yaml'), 'utf8')).toBe(before);
  });

  it('an empty result (empty stdin without an editor, or everything deleted) never replaces an existing file', async () => {
    const dir = repo();
    const env = { SOPS_AGE_KEY_FILE: adminKey };
    await runProcess(['edit', '--editor', '-', 'secrets/keep.yaml'], { cwd: dir, stdin: 'a: 1\n' });
    const before = readFileSync(join(dir, 'secrets/keep.yaml'), 'utf8');
    const piped = await runProcess(['secrets/keep.yaml'], { cwd: dir, env, stdin: '' });
    expect([piped.status, piped.stderr.split('\n')[0]]).toEqual([92, 'secrets: error: the edited file is empty: the encrypted file was left unchanged']);
    const emptied = await runProcess(['edit', 'secrets/keep.yaml'], { cwd: dir, env: { ...env, EDITOR: editor(dir, ': > "$1"') } });
    expect(emptied.status).toBe(92);
    expect(readFileSync(join(dir, 'secrets/keep.yaml'), 'utf8')).toBe(before);
  });
});

describe('secrets set, unset, rotate', () => {
  it('set (JSON values), unset, and rotate with --add-age/--rm-age', async () => {
    const dir = repo();
    const env = { SOPS_AGE_KEY_FILE: adminKey };
    await runProcess(['edit', '--editor', '-', 'secrets/s.yaml'], { cwd: dir, stdin: 'keep: me\n' });
    const keepLine = readFileSync(join(dir, 'secrets/s.yaml'), 'utf8').split('\n')[0];
    expect((await runProcess(['set', 'secrets/s.yaml', '["db"]["port"]', '5432'], { cwd: dir, env })).status).toBe(0);
    expect((await runProcess(['set', 'secrets/s.yaml', '["db"]["pw"]', '"hunter2"'], { cwd: dir, env })).status).toBe(0);
    expect((await runProcess(['set', 'secrets/s.yaml', '["x"]', 'not json'], { cwd: dir, env })).status).toBe(7);
    expect(readFileSync(join(dir, 'secrets/s.yaml'), 'utf8').split('\n')[0]).toBe(keepLine);
    expect((await runProcess(['decrypt', 'secrets/s.yaml'], { cwd: dir, env })).stdout).toBe('keep: me\ndb:\n    port: 5432\n    pw: hunter2\n');
    expect((await runProcess(['unset', 'secrets/s.yaml', '["db"]["pw"]'], { cwd: dir, env })).status).toBe(0);
    expect((await runProcess(['unset', 'secrets/s.yaml', '["db"]["pw"]'], { cwd: dir, env })).status).toBe(1);
    expect((await runProcess(['unset', '--idempotent', 'secrets/s.yaml', '["db"]["pw"]'], { cwd: dir, env })).status).toBe(0);

    // rotate: add the host, drop nobody; then drop the admin: the admin can no longer open it.
    expect((await runProcess(['rotate', '-i', '--add-age', hostPub, 'secrets/s.yaml'], { cwd: dir, env })).status).toBe(0);
    const asHost = { SOPS_AGE_SSH_PRIVATE_KEY_FILE: hostKey };
    expect((await runProcess(['decrypt', 'secrets/s.yaml'], { cwd: dir, env: asHost })).stdout).toBe('keep: me\ndb:\n    port: 5432\n');
    expect((await runProcess(['rotate', '-i', '--rm-age', admin, 'secrets/s.yaml'], { cwd: dir, env })).status).toBe(0);
    expect((await runProcess(['decrypt', 'secrets/s.yaml'], { cwd: dir, env })).status).toBe(128);
    expect((await runProcess(['decrypt', 'secrets/s.yaml'], { cwd: dir, env: asHost })).status).toBe(0);
  });
});
