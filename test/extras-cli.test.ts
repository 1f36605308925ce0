/**
 * exec-env, exec-file, git-setup (+ textconv) and shell completion, through the real CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const env = { SOPS_AGE_KEY_FILE: adminKey };

async function encrypted(dir: string, name: string, plain: string): Promise<string> {
  const p = join(dir, name);
  writeFileSync(`${p}.plain`, plain);
  const r = await runProcess(['encrypt', '--age', admin, '--filename-override', p, `${p}.plain`]);
  writeFileSync(p, r.stdout);
  return p;
}

describe('exec-env and exec-file', () => {
  it('exec-env: top-level values as env vars (sops ValToString), exit status passed through, --pristine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-exec-'));
    const file = await encrypted(dir, 'app.yaml', 'TOKEN: abc\nPORT: 5432\nRATIO: 1.5\nWHOLE: 2.0\nON: true\n');
    const r = await runProcess(['exec-env', file, 'echo "$TOKEN $PORT $RATIO $WHOLE $ON ${HOME:-nohome}"; exit 7'], { env });
    expect(r.stdout).toBe('abc 5432 1.5 2.0 true /nonexistent-home\n');
    expect(r.status).toBe(7);
    const pristine = await runProcess(['exec-env', '--pristine', file, 'echo "${HOME:-nohome} $TOKEN"'], { env });
    expect(pristine.stdout).toBe('nohome abc\n');
    const nested = await encrypted(dir, 'nested.yaml', 'db:\n    pw: x\n');
    expect((await runProcess(['exec-env', nested, 'true'], { env })).stderr).toContain('nested value of "db"');
  });

  it('exec-file: a FIFO (or a 0600 file) in a private tmpfs dir, removed afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-exec-'));
    const file = await encrypted(dir, 'app.yaml', 'a: 1\n');
    const fifo = await runProcess(['exec-file', file, 'stat -c "%F %a" {}; cat {}; echo {} > ' + join(dir, 'path')], { env });
    expect(fifo.stdout).toBe('fifo 600\na: 1\n');
    const path = readFileSync(join(dir, 'path'), 'utf8').trim();
    expect(path.startsWith('/dev/shm/')).toBe(true);
    expect(existsSync(path)).toBe(false);
    const plain = await runProcess(['exec-file', '--no-fifo', '--output-type', 'json', '--filename', 'c.json', file, 'stat -c "%F %a" {}; cat {}'], { env });
    expect(plain.stdout).toBe('regular file 600\n{\n\t"a": 1\n}\n');
    expect((await runProcess(['exec-file', file, 'exit 4'], { env })).status).toBe(4);
  });
});

describe('git-setup', () => {
  it('git diff shows plaintext to key holders and the encrypted text to others', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'secrets-git-'));
    const bin = join(repo, '.bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'secrets'), `#!/bin/sh\nexec ${process.execPath} ${CLI_BIN} "$@"\n`, { mode: 0o755 });
    const git = (args: string[], extra: Record<string, string> = {}): string =>
      execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { PATH: `${bin}:${process.env['PATH']}`, HOME: repo, GIT_CONFIG_NOSYSTEM: '1', ...extra } });
    git(['init', '-q']);
    git(['config', 'user.email', 't@example.org']);
    git(['config', 'user.name', 't']);
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${admin}\n`);
    mkdirSync(join(repo, 'secrets'));
    await runProcess(['edit', '--editor', '-', 'secrets/a.yaml'], { cwd: repo, stdin: 'password: one\n' });
    git(['add', '.sops.yaml', 'secrets/a.yaml']);
    git(['commit', '-qm', 'one']);
    const setup = await runProcess(['git-setup'], { cwd: repo });
    expect(setup.status).toBe(0);
    expect(readFileSync(join(repo, '.gitattributes'), 'utf8')).toBe('secrets/*.yaml diff=secrets merge=secrets\n');
    await runProcess(['set', 'secrets/a.yaml', '["password"]', '"two!"'], { cwd: repo, env });
    const holder = git(['diff', '--', 'secrets/a.yaml'], env);
    expect(holder).toContain('-password: one');
    expect(holder).toContain('+password: two!');
    const other = git(['diff', '--', 'secrets/a.yaml']);
    expect(other).toContain('ENC[AES256_GCM');
    expect(other).not.toContain('two!'); // '!' is never in base64, so no chance match inside a ciphertext
  });

  it('covers a sops file not yet added to git (git-setup right after the first edit), not an ignored one', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'secrets-git-'));
    execFileSync('git', ['init', '-q'], { cwd: repo });
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: .*\\.yaml$\n    age: ${admin}\n`);
    writeFileSync(join(repo, '.gitignore'), 'scratch/\n');
    for (const dir of ['secrets', 'scratch']) {
      mkdirSync(join(repo, dir));
      await runProcess(['edit', '--editor', '-', `${dir}/a.yaml`], { cwd: repo, stdin: 'password: one\n' });
    }
    expect((await runProcess(['git-setup'], { cwd: repo })).status).toBe(0);
    expect(readFileSync(join(repo, '.gitattributes'), 'utf8')).toBe('secrets/*.yaml diff=secrets merge=secrets\n');
  });
});

describe('shell completion', () => {
  it('bash: valid, completes commands, subcommands and options', async () => {
    const script = (await runProcess(['completion', 'bash'])).stdout;
    const complete = (words: string[]): string =>
      spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _secrets; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8' }).stdout.trim();
    expect(complete(['secrets', 're'])).toBe('rekey');
    expect(complete(['secrets', 'hosts', ''])).toBe('add rm');
    expect(complete(['secrets', 'rekey', '--r'])).toBe('--rotate');
    expect(script).not.toContain('textconv');
  });
  it('zsh and fish scripts name every command', async () => {
    for (const shell of ['zsh', 'fish']) {
      const out = (await runProcess(['completion', shell])).stdout;
      for (const c of ['edit', 'rekey', 'hosts', 'check', 'ssh-to-age']) expect(out).toContain(c);
    }
    expect((await runProcess(['completion', 'tcsh'])).status).toBe(1);
  });
});

describe('a directory that cannot be made', () => {
  it('edit of a new file under a path a file is in the way of: an IO_WRITE error naming the directory, not an internal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-mkdir-'));
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - age: ${admin}\n`);
    writeFileSync(join(dir, 'blocker'), 'a file\n');
    const r = await runProcess(['edit', '--editor', '-', 'blocker/x.yaml'], { cwd: dir, stdin: 'a: 1\n' });
    expect(r.stderr).toBe(`secrets: error: could not create the directory ${JSON.stringify(join(dir, 'blocker'))}: a file is in the way\n`);
    expect(r.status).not.toBe(0);
    expect(readFileSync(join(dir, 'blocker'), 'utf8')).toBe('a file\n');
  });
});
