/**
 * The interactive paths: rekey's one confirmation, edit's return-to-editor on a syntax error, a scanned
 * host key's fingerprint (trusted only when confirmed or given), the bare `secrets FILE`, and `--help`
 * with an example on every command.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runInProcess, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const hostPub = readFileSync(join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key.pub'), 'utf8').trim();
const env = { SOPS_AGE_KEY_FILE: adminKey, PATH: process.env['PATH'] ?? '' };

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-tty-'));
  writeFileSync(join(dir, '.sops.yaml'), `keys:\n  - &admin ${admin}\ncreation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    key_groups:\n      - age:\n          - *admin\n`);
  mkdirSync(join(dir, 'secrets'));
  return dir;
}

describe('interactive paths', () => {
  it('rekey asks once for the whole batch; "n" leaves everything unchanged', async () => {
    const dir = repo();
    for (const f of ['a', 'b']) await runInProcess(['edit', '--editor', '-', `secrets/${f}.yaml`], { cwd: dir, stdin: `${f}: 1\n` });
    await runInProcess(['hosts', 'add', 'batchn', '--age', 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl', '--no-rekey'], { cwd: dir });
    const before = readFileSync(join(dir, 'secrets/a.yaml'), 'utf8');
    const no = await runInProcess(['rekey'], { cwd: dir, env, promptAnswers: ['maybe', 'n'] });
    expect(no.status).toBe(0);
    expect(no.stdout.match(/\+\+\+ server_batchn \(age1c4ug/g)).toHaveLength(2); // one diff per file (the host by its anchor), one question
    expect(readFileSync(join(dir, 'secrets/a.yaml'), 'utf8')).toBe(before);
    const yes = await runInProcess(['rekey'], { cwd: dir, env, promptAnswers: ['y'] });
    expect(yes.status).toBe(0);
    expect(readFileSync(join(dir, 'secrets/a.yaml'), 'utf8')).not.toBe(before);
    // without a terminal and without -y: refuse instead of hanging
    await runInProcess(['hosts', 'add', 'nuc', '--age', 'age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk', '--no-rekey'], { cwd: dir });
    const ci = await runInProcess(['rekey'], { cwd: dir, env });
    expect(ci.status).toBe(1);
    expect(ci.stderr).toContain('secrets: hint: pass -y to apply without asking');
  });

  it('rekey continues past a file it cannot open and summarises it (non-zero exit)', async () => {
    const dir = repo();
    await runInProcess(['edit', '--editor', '-', 'secrets/ok.yaml'], { cwd: dir, stdin: 'a: 1\n' });
    writeFileSync(join(dir, 'plain.yaml'), 'b: 2\n');
    const foreign = await runProcess(['encrypt', '--age', 'age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk', join(dir, 'plain.yaml')]);
    expect(foreign.status).toBe(0);
    writeFileSync(join(dir, 'secrets/foreign.yaml'), foreign.stdout);
    await runInProcess(['hosts', 'add', 'batchn', '--age', 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl', '--no-rekey'], { cwd: dir });
    const r = await runInProcess(['rekey', '-y'], { cwd: dir, env });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('secrets: error: failed to rekey 1 file');
    expect(r.stderr).toMatch(/secrets: hint: secrets\/foreign\.yaml: could not decrypt the data key/);
    expect(r.stderr).toContain('secrets/ok.yaml synced with new keys');
  });

  it('edit: a syntax error returns to the editor on a terminal', async () => {
    const dir = repo();
    await runInProcess(['edit', '--editor', '-', 'secrets/x.yaml'], { cwd: dir, stdin: 'a: 1\n' });
    const counter = join(dir, 'count');
    const editor = join(dir, 'editor.sh');
    // First run writes invalid YAML, the second a valid edit.
    writeFileSync(editor, `#!/bin/sh\nif [ -f ${counter} ]; then printf 'a: 2\\n' > "$1"; else touch ${counter}; printf 'a: [\\n' > "$1"; fi\n`, { mode: 0o755 });
    const r = await runInProcess(['edit', 'secrets/x.yaml'], { cwd: dir, env: { ...env, EDITOR: editor }, promptAnswers: [''] });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/secrets: warning: could not read the edited file: .*line/);
    expect((await runInProcess(['decrypt', 'secrets/x.yaml'], { cwd: dir, env })).stdout).toBe('a: 2\n');
  });

  it('hosts add --ssh-keyscan: prints the fingerprint; trusts only a confirmed or matching key', async () => {
    const dir = repo();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ssh-keyscan'), `#!/bin/sh\necho '# batchn:22 SSH-2.0-OpenSSH_9.8'\necho 'batchn ${hostPub.split(' ').slice(0, 2).join(' ')}'\n`, { mode: 0o755 });
    const scanEnv = { ...env, PATH: `${bin}:${env.PATH}` };
    const fp = `SHA256:${createHash('sha256').update(Buffer.from(hostPub.split(' ')[1] as string, 'base64')).digest('base64').replace(/=+$/, '')}`;
    const refused = await runInProcess(['hosts', 'add', 'batchn', '--ssh-keyscan', 'batchn', '--no-rekey'], { cwd: dir, env: scanEnv, promptAnswers: ['n'] });
    expect(refused.stderr).toContain(`batchn ssh-ed25519 key fingerprint is ${fp}`);
    expect(refused.status).toBe(1);
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).not.toContain('server_batchn');
    const wrong = await runInProcess(['hosts', 'add', 'batchn', '--ssh-keyscan', 'batchn', '--fingerprint', 'SHA256:nope', '--no-rekey'], { cwd: dir, env: scanEnv });
    expect(wrong.status).toBe(1);
    const right = await runInProcess(['hosts', 'add', 'batchn', '--ssh-keyscan', 'batchn', '--fingerprint', fp, '--no-rekey'], { cwd: dir, env: scanEnv });
    expect(right.status).toBe(0);
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toContain('&server_batchn age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl');
  });

  it('a bare `secrets FILE` edits it, as `sops FILE` does; a mistyped command stays an error', async () => {
    const dir = repo();
    await runInProcess(['edit', '--editor', '-', 'secrets/x.yaml'], { cwd: dir, stdin: 'a: 1\n' });
    const r = await runInProcess(['secrets/x.yaml'], { cwd: dir, env: { ...env, EDITOR: 'true' } });
    expect(r.status).toBe(200);
    expect((await runInProcess(['dcrypt', 'secrets/x.yaml'], { cwd: dir })).status).toBe(1);
  });

  it('every command and subcommand has --help with an example', async () => {
    const top = (await runInProcess(['--help'])).stdout;
    const commands = [...top.matchAll(/^ {2}([a-z][a-z0-9-]+)(?: |$)/gm)].map((m) => m[1] as string).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThan(15);
    for (const c of commands) {
      const help = (await runInProcess([c, '--help'])).stdout;
      expect([c, help.includes('Examples:')]).toEqual([c, true]);
      for (const sub of [...help.matchAll(/^ {2}([a-z][a-z0-9-]+) /gm)].map((m) => m[1] as string).filter((s) => s !== 'help' && help.includes('Commands:'))) {
        expect([`${c} ${sub}`, (await runInProcess([c, sub, '--help'])).stdout.includes('Examples:')]).toEqual([`${c} ${sub}`, true]);
      }
    }
  });
});
