/**
 * Signals, through the real CLI: during an edit the editor is ended (or left to handle Ctrl+C) before the
 * private directory goes; outside an edit, SIGINT/SIGTERM remove temp files and our locks; exec-file
 * always ends with its command's status; Ctrl+C at a prompt is a quiet exit 130.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI_BIN, REPO_ROOT, runInProcess, runProcess } from './support/cli.js';
import { TmuxSession } from './support/tmux.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const env = { SOPS_AGE_KEY_FILE: adminKey };

async function repo(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-signals-'));
  writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\n    age: ${admin}\n`);
  mkdirSync(join(dir, 'secrets'));
  expect((await runInProcess(['edit', '--editor', '-', 'secrets/app.yaml'], { cwd: dir, stdin: 'a: 1\n' })).status).toBe(0);
  return dir;
}

const script = (dir: string, name: string, body: string): string => {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
};

const wait = async (until: () => boolean): Promise<void> => {
  for (let i = 0; i < 400 && !until(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!until()) throw new Error('never happened');
};

describe('signals', () => {
  it.each([
    ['TERM', 143],
    ['HUP', 129],
  ])('SIG%s during an edit is passed on to the editor, whose file still exists until it has exited', async (signal, status) => {
    const dir = await repo();
    const shm = mkdtempSync(join('/dev/shm', 'secrets-signal-test-'));
    onTestFinished(() => rmSync(shm, { recursive: true, force: true }));
    const mark = join(dir, 'mark');
    // $PPID is secrets: the editor asks for the signal itself, then sees what is left when it arrives.
    const editor = script(dir, 'editor.sh', `f="$1"\ntrap 'if [ -f "$f" ]; then echo present > ${mark}; else echo gone > ${mark}; fi; exit 0' ${signal}\nkill -${signal} $PPID\ni=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done\necho never > ${mark}`);
    const before = readFileSync(join(dir, 'secrets/app.yaml'));
    const r = await runProcess(['edit', 'secrets/app.yaml'], { cwd: dir, env: { ...env, EDITOR: editor, SECRETS_TMPDIR: shm } });
    expect(r.status).toBe(status);
    expect(r.stderr).not.toContain('error');
    expect(readFileSync(mark, 'utf8').trim()).toBe('present');
    expect(readdirSync(shm)).toEqual([]); // removed once the editor had exited
    expect(readFileSync(join(dir, 'secrets/app.yaml'))).toEqual(before);
  });

  it('SIGINT during an edit is the editor\'s (Ctrl+C reaches both): the edit carries on and is saved', async () => {
    const dir = await repo();
    const editor = script(dir, 'editor.sh', `kill -INT $PPID\nsleep 0.3\nprintf 'a: 2\\n' > "$1"`);
    const r = await runProcess(['edit', 'secrets/app.yaml'], { cwd: dir, env: { ...env, EDITOR: editor } });
    expect(r.status).toBe(0);
    expect((await runProcess(['decrypt', 'secrets/app.yaml'], { cwd: dir, env })).stdout).toBe('a: 2\n');
  });

  it('SIGTERM while waiting for another writer\'s lock removes our temp file (the other lock stays)', async () => {
    const dir = await repo();
    const lock = join(dir, 'secrets/.app.yaml.secrets-lock');
    writeFileSync(lock, `${process.pid}\n`); // a live owner: this test
    const child = spawn(process.execPath, [CLI_BIN, 'set', 'secrets/app.yaml', '["b"]', '"x"'], { cwd: dir, env: { PATH: process.env['PATH'], HOME: '/nonexistent', ...env }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const temps = (): string[] => readdirSync(join(dir, 'secrets')).filter((f) => f.endsWith('.tmp'));
    await wait(() => temps().length === 1);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(temps()).toEqual([]);
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('SIGINT while holding a lock removes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-signals-'));
    const code = `
      import { withFileLock } from ${JSON.stringify(join(REPO_ROOT, 'packages/cli/dist/io.js'))};
      await withFileLock(${JSON.stringify(join(dir, 'f'))}, async () => {
        process.kill(process.pid, 'SIGINT');
        await new Promise((r) => setTimeout(r, 5000));
      });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(r.status).toBe(130);
    expect(existsSync(join(dir, '.f.secrets-lock'))).toBe(false);
  });

  it('exec-file ends with its command\'s status: a command that never opens the FIFO, and one that handles a SIGTERM passed on', async () => {
    const dir = await repo();
    const runs = await Promise.all(Array.from({ length: 12 }, () => runProcess(['exec-file', 'secrets/app.yaml', 'exit 4'], { cwd: dir, env })));
    expect(runs.map((r) => r.status)).toEqual(runs.map(() => 4));
    const trapped = await runProcess(['exec-file', 'secrets/app.yaml', 'trap "exit 7" TERM; kill -TERM $PPID; i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; exit 9'], { cwd: dir, env });
    expect(trapped.status).toBe(7);
    const read = await runProcess(['exec-file', 'secrets/app.yaml', 'cat {}; exit 5'], { cwd: dir, env });
    expect([read.status, read.stdout]).toEqual([5, 'a: 1\n']);
  });

  const tmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;
  it.skipIf(!tmux && process.env['CI'] !== 'true')('Ctrl+C at a prompt is a quiet exit 130', async () => {
    const dir = await repo();
    await runInProcess(['hosts', 'add', 'batchn', '--age', 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl', '--no-rekey'], { cwd: dir });
    const scratch = mkdtempSync(join(tmpdir(), 'secrets-tmux-'));
    const session = new TmuxSession(scratch, `'${process.execPath}' '${CLI_BIN}' rekey`, dir, { PATH: process.env['PATH'] ?? '', HOME: scratch, ...env, TERM: 'xterm' });
    try {
      await session.waitFor('?');
      session.press('C-c');
      const { status, screen } = await session.exitStatus();
      expect(status, screen).toBe(130);
      expect(screen).not.toContain('error');
    } finally {
      session.close();
    }
  });

  it.skipIf(!tmux && process.env['CI'] !== 'true')('Ctrl+C at a passphrase prompt (inside decryption) is a quiet exit 130 too', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'secrets-tmux-'));
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', join(scratch, 'id')]).status).toBe(0);
    const recipient = readFileSync(join(scratch, 'id.pub'), 'utf8').trim();
    expect((await runInProcess(['age', 'encrypt', '-r', recipient, '-o', join(scratch, 'x.age')], { stdin: 'x' })).status).toBe(0);
    const session = new TmuxSession(scratch, `'${process.execPath}' '${CLI_BIN}' age decrypt -i id x.age`, scratch, { PATH: process.env['PATH'] ?? '', HOME: scratch, TERM: 'xterm' });
    try {
      await session.waitFor('passphrase');
      session.press('C-c');
      const { status, screen } = await session.exitStatus();
      expect(status, screen).toBe(130);
      expect(screen).not.toContain('error');
    } finally {
      session.close();
    }
  });
});
