/**
 * agenix's and ragenix's own command lines (`-e FILE`, `-d FILE`, `-r`, `-i KEY`, `RULES`, `--rules`,
 * `--editor`, stdin when not a terminal) run as `secrets agenix …` on files made by the real `age`, and
 * `secrets agenix -r` over several files protected by one passphrase-protected ssh key, through a real
 * terminal (tmux), asking for the passphrase exactly once (agenix asks once per file: agenix#4).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rewriteAgenixArgs } from '../packages/cli/src/agenix-compat.js';
import { CLI_BIN, grammarViolations, REPO_ROOT, runProcess } from './support/cli.js';
import { TmuxSession } from './support/tmux.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];

const which = (program: string): boolean => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
const missing = ['age', 'ssh-keygen', 'tmux'].filter((p) => !which(p));
if (missing.length > 0 && process.env['CI'] === 'true') throw new Error(`CI needs ${missing.join(', ')} (Debian packages age, openssh-client, tmux)`);

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function sh(program: string, args: readonly string[], input?: string): string {
  const r = spawnSync(program, args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** An ssh-ed25519 key pair made by ssh-keygen (with `passphrase`, or none); returns the public line. */
function sshKey(path: string, passphrase = ''): string {
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'test', '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/** A repository as agenix users have it: secrets.nix, an alternative rules file, files made by `age`. */
function world(): { repo: string; home: string; homePub: string } {
  const root = mkdtempSync(join(tmpdir(), 'secrets-agenix-compat-'));
  roots.push(root);
  const repo = join(root, 'repo');
  const home = join(root, 'home');
  mkdirSync(repo);
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const homePub = sshKey(join(home, '.ssh', 'id_ed25519'));
  const keys = `[ "${admin}" "${homePub}" ]`;
  writeFileSync(join(repo, 'secrets.nix'), `{\n  "secret1.age".publicKeys = ${keys};\n  "stale.age".publicKeys = ${keys};\n  "new.age".publicKeys = ${keys};\n  "-weird.age".publicKeys = ${keys};\n}\n`);
  writeFileSync(join(repo, 'alt.nix'), `{ "alt.age".publicKeys = [ "${admin}" ]; }\n`);
  sh('age', ['-r', admin, '-r', homePub, '-o', join(repo, 'secret1.age')], 'hello\n');
  copyFileSync(join(repo, 'secret1.age'), join(repo, '-weird.age'));
  // Encrypted to the admin only: its rule also names the home key, so -r must re-encrypt it.
  sh('age', ['-r', admin, '-o', join(repo, 'stale.age')], 'stale\n');
  const writer = join(root, 'writer.sh');
  writeFileSync(writer, '#!/bin/sh\nprintf "written\\n" > "$1"\n');
  chmodSync(writer, 0o755);
  return { repo, home, homePub };
}

/** One invocation: arguments after `secrets agenix`, and what must come of it. */
interface Row {
  readonly args: readonly string[];
  readonly status: number;
  readonly stdin?: string;
  readonly env?: Record<string, string>;
  /** Expected stdout. */
  readonly stdout?: string;
  /** A file whose decryption (with the home ssh key, as agenix would) must be this. */
  readonly decrypts?: readonly [string, string];
  readonly stderr?: string;
}

const ROWS: readonly Row[] = [
  { args: ['-d', 'secret1.age'], status: 0, stdout: 'hello\n' },
  { args: ['--decrypt', 'secret1.age', '-i', adminKey], status: 0, stdout: 'hello\n' },
  { args: ['-i', adminKey, '--identity', adminKey, '-d', 'secret1.age'], status: 0, stdout: 'hello\n' },
  { args: ['--decrypt=secret1.age', '--identity=IDENTITY'], status: 0, stdout: 'hello\n' },
  { args: ['-v', '-d', 'secret1.age'], status: 0, stdout: 'hello\n' },
  { args: ['-d', '-weird.age'], status: 0, stdout: 'hello\n' },
  { args: ['-e', 'new.age'], stdin: 'piped\n', status: 0, decrypts: ['new.age', 'piped\n'] },
  { args: ['--edit', 'secret1.age'], stdin: 'replaced\n', status: 0, decrypts: ['secret1.age', 'replaced\n'] },
  { args: ['-e', 'secret1.age'], stdin: 'hello\n', status: 0, decrypts: ['secret1.age', 'hello\n'], stderr: "wasn't changed" },
  { args: ['-e', 'secret1.age', '--editor', '-'], stdin: 'from stdin\n', status: 0, decrypts: ['secret1.age', 'from stdin\n'] },
  { args: ['-e', 'secret1.age', '--editor', 'WRITER'], status: 0, decrypts: ['secret1.age', 'written\n'] },
  { args: ['-e', 'alt.age'], stdin: 'alt\n', env: { RULES: 'alt.nix' }, status: 0 },
  { args: ['--rules', 'alt.nix', '-e', 'alt.age'], stdin: 'alt\n', status: 0 },
  { args: ['-e', 'alt.age'], stdin: 'alt\n', status: 1, stderr: 'alt.age' },
  { args: ['-r', '-i', adminKey], status: 0, decrypts: ['stale.age', 'stale\n'] },
  { args: ['--rekey', '--identity', adminKey], status: 0, decrypts: ['stale.age', 'stale\n'] },
  { args: ['-e'], status: 1, stderr: '-e needs a file' },
  { args: ['-e', 'new.age', '-d', 'secret1.age'], status: 1, stderr: 'cannot use -e and -d together' },
  { args: ['-i', adminKey], status: 1, stderr: 'no action given' },
  { args: ['-d', 'secret1.age', '--editor', 'vi'], status: 1, stderr: '--editor has no meaning with -d' },
  { args: ['-s'], status: 1, stderr: '-s is not supported' },
  { args: ['-x', 'secret1.age'], status: 1, stderr: 'unknown agenix option "-x"' },
];

describe.skipIf(missing.length > 0)(`agenix and ragenix command lines${missing.length > 0 ? ` (skipped: not installed: ${missing.join(', ')})` : ''}`, () => {
  it.each(ROWS.map((row) => [row.args.join(' '), row] as const))('secrets agenix %s', async (_, row) => {
    const { repo, home } = world();
    const writer = join(repo, '..', 'writer.sh');
    const args = row.args.map((a) => a.replace('WRITER', writer).replace('IDENTITY', adminKey));
    const r = await runProcess(['agenix', ...args], { cwd: repo, home, env: row.env ?? {}, ...(row.stdin === undefined ? {} : { stdin: row.stdin }) });
    expect(r.status, r.stderr).toBe(row.status);
    if (row.status !== 0) expect(grammarViolations(r.stderr)).toEqual([]);
    if (row.stdout !== undefined) expect(r.stdout).toBe(row.stdout);
    if (row.stderr !== undefined) expect(r.stderr).toContain(row.stderr);
    if (row.decrypts !== undefined) {
      const [file, want] = row.decrypts;
      expect(sh('age', ['-d', '-i', join(home, '.ssh', 'id_ed25519'), join(repo, file)])).toBe(want);
    }
  });

  it('rewrites only the dash forms: subcommands and help pass through unchanged', () => {
    for (const argv of [['agenix', 'rekey', '-i', 'k'], ['agenix', '--help'], ['agenix', '-h'], ['agenix'], ['decrypt', '-d']]) expect(rewriteAgenixArgs(argv)).toEqual(argv);
    expect(rewriteAgenixArgs(['agenix', '-i', 'k', '-e', 'x.age', '--editor', '-'])).toEqual(['agenix', 'edit', '--identity=k', '--editor=-', '--', 'x.age']);
    expect(rewriteAgenixArgs(['agenix', '-r'])).toEqual(['agenix', 'rekey']);
  });

  it('secrets agenix -r over several files under one passphrase-protected ssh key asks for it once (pty)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'secrets-agenix-pty-'));
    roots.push(root);
    const repo = join(root, 'repo');
    mkdirSync(repo);
    const pub = sshKey(join(root, 'id_ed25519'), 'correct horse');
    const names = ['a.age', 'b.age', 'c.age', 'd.age'];
    writeFileSync(join(repo, 'secrets.nix'), `{\n${names.map((n) => `  "${n}".publicKeys = [ "${pub}" "${admin}" ];`).join('\n')}\n}\n`);
    // Encrypted to the ssh key only: the rule adds the admin, so each file must be decrypted (stale).
    for (const n of names) sh('age', ['-R', join(root, 'id_ed25519.pub'), '-o', join(repo, n)], `value of ${n}\n`);
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: join(root, 'nohome'), TERM: 'xterm' };
    const tmux = new TmuxSession(root, `'${process.execPath}' '${CLI_BIN}' agenix -r -i '${join(root, 'id_ed25519')}'`, repo, env);
    try {
      await tmux.waitFor('Enter passphrase');
      tmux.type('correct horse');
      tmux.press('Enter');
      const { status, screen } = await tmux.exitStatus();
      expect(status, screen).toBe(0);
      expect(screen.match(/Enter passphrase/g)?.length, screen).toBe(1);
      expect(screen.match(/rekeyed /g)?.length, screen).toBe(names.length);
    } finally {
      tmux.close();
    }
    for (const n of names) expect(sh('age', ['-d', '-i', adminKey, join(repo, n)])).toBe(`value of ${n}\n`);
  });

  it('a wrong passphrase is asked for once too, fails every file that needs it and changes none (pty)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'secrets-agenix-pty-'));
    roots.push(root);
    const repo = join(root, 'repo');
    mkdirSync(repo);
    const pub = sshKey(join(root, 'id_ed25519'), 'correct horse');
    const names = ['a.age', 'b.age', 'c.age'];
    writeFileSync(join(repo, 'secrets.nix'), `{\n${names.map((n) => `  "${n}".publicKeys = [ "${pub}" "${admin}" ];`).join('\n')}\n}\n`);
    for (const n of names) sh('age', ['-R', join(root, 'id_ed25519.pub'), '-o', join(repo, n)], `value of ${n}\n`);
    const before = names.map((n) => readFileSync(join(repo, n)));
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: join(root, 'nohome'), TERM: 'xterm' };
    const tmux = new TmuxSession(root, `'${process.execPath}' '${CLI_BIN}' agenix -r -i '${join(root, 'id_ed25519')}'`, repo, env);
    try {
      await tmux.waitFor('Enter passphrase');
      tmux.type('wrong horse');
      tmux.press('Enter');
      const { status, screen } = await tmux.exitStatus();
      expect(status, screen).not.toBe(0);
      expect(screen.match(/Enter passphrase/g)?.length, screen).toBe(1);
      expect(screen, screen).toContain('incorrect passphrase');
    } finally {
      tmux.close();
    }
    names.forEach((n, i) => expect(readFileSync(join(repo, n))).toEqual(before[i]));
  });
});
