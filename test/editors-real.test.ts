/**
 * `secrets edit` with the real vim, neovim and nano, each under an rc file that asks for every copy it
 * can make (backup, writebackup, swap, undo files, viminfo/shada, nano's backups and history, all sent
 * into HOME), driven through a terminal (tmux) as a user would. No byte of the plaintext, old or new, may
 * land anywhere but the private tmpfs directory: the scratch HOME, the repository and TMPDIR are scanned
 * after a save (while the editor still runs) and after it exits.
 *
 * Needs tmux and the editors (Debian: vim, neovim, nano, tmux); missing ones are skipped with a reason,
 * and are a failure under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT, runInProcess, runProcess } from './support/cli.js';
import { TmuxSession } from './support/tmux.js';

const OLD = 'hunter2';
const NEW = 'swordfish7';
const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];

const which = (program: string): string | null => {
  const r = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};

/** Skips (or fails under CI) when a program is missing. */
function need(...programs: string[]): string | null {
  const missing = programs.filter((p) => which(p) === null);
  if (missing.length === 0) return null;
  if (process.env['CI'] === 'true') throw new Error(`CI needs ${missing.join(', ')} (Debian packages vim, neovim, nano, tmux)`);
  return `not installed: ${missing.join(', ')}`;
}

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A scratch world: HOME with the given rc files, a repository with one secret, a TMPDIR. */
async function world(rcFiles: Record<string, string>, dirs: readonly string[]): Promise<{ root: string; home: string; repo: string; tmp: string }> {
  const root = mkdtempSync(join(tmpdir(), 'secrets-editors-'));
  roots.push(root);
  const home = join(root, 'home');
  const repo = join(root, 'repo');
  const tmp = join(root, 'tmp');
  for (const d of [home, repo, tmp, join(repo, 'secrets'), ...dirs.map((d) => join(home, d))]) mkdirSync(d, { recursive: true });
  for (const [name, text] of Object.entries(rcFiles)) {
    mkdirSync(join(home, name, '..'), { recursive: true });
    writeFileSync(join(home, name), text);
  }
  writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\n    age: ${admin}\n`);
  const made = await runInProcess(['edit', '--editor', '-', 'secrets/app.yaml'], { cwd: repo, stdin: `password: ${OLD}\n` });
  expect(made.status).toBe(0);
  return { root, home, repo, tmp };
}

/** Every regular file under `dirs` holding either plaintext value. */
function plaintextCopies(...dirs: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) {
        const text = readFileSync(path, 'latin1');
        if (text.includes(OLD) || text.includes(NEW)) found.push(path);
      }
    }
  };
  for (const d of dirs) walk(d);
  return found;
}

/** Runs `secrets edit secrets/app.yaml` in tmux with `editor`, lets `drive` type, checks for copies. */
async function editIn(w: { root: string; home: string; repo: string; tmp: string }, editor: string, drive: (t: TmuxSession) => Promise<void>): Promise<void> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: w.home,
    TMPDIR: w.tmp,
    EDITOR: editor,
    SOPS_AGE_KEY_FILE: adminKey,
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
  };
  const tmux = new TmuxSession(w.root, `'${process.execPath}' '${CLI_BIN}' edit secrets/app.yaml`, w.repo, env);
  try {
    await tmux.waitFor(OLD);
    await drive(tmux);
    const { status, screen } = await tmux.exitStatus();
    expect(status, screen).toBe(0);
  } finally {
    tmux.close();
  }
  expect(plaintextCopies(w.home, w.repo, w.tmp)).toEqual([]);
  const after = await runProcess(['decrypt', 'secrets/app.yaml'], { cwd: w.repo, env: { SOPS_AGE_KEY_FILE: adminKey } });
  expect(after.stdout).toContain(NEW);
}

// Every copy vim can make, sent to HOME, re-enabled by autocommands, and `au!` to clear ours.
const HOSTILE_VIMRC = `au!
set swapfile directory=~/.vim/swap// updatecount=1
set backup writebackup backupdir=~/.vim/backup// backupcopy=yes
set undofile undodir=~/.vim/undo//
set viminfo='100,<50,s10,h viminfofile=~/.viminfo
autocmd BufReadPost,BufEnter,VimEnter * setlocal swapfile undofile | set backup writebackup viminfofile=~/.viminfo
`;
const VIM_DIRS = ['.vim/swap', '.vim/backup', '.vim/undo'];

/** Yank (registers go to viminfo), search (history), substitute, save, scan, quit. */
async function driveVim(w: { home: string; repo: string; tmp: string }, t: TmuxSession): Promise<void> {
  t.type('yy');
  t.type(`/${OLD}`);
  t.press('Enter');
  t.type(`:%s/${OLD}/${NEW}/`);
  t.press('Enter');
  t.type(':w');
  t.press('Enter');
  await t.waitFor(/written/);
  expect(plaintextCopies(w.home, w.repo, w.tmp)).toEqual([]);
  t.type(':q');
  t.press('Enter');
}

describe('real editors under hostile rc files leave no plaintext outside tmpfs', () => {
  const vimSkip = need('tmux', 'vim');
  it.skipIf(vimSkip !== null)(`vim${vimSkip ? ` (${vimSkip})` : ''}`, async () => {
    const w = await world({ '.vimrc': HOSTILE_VIMRC }, VIM_DIRS);
    await editIn(w, 'vim', (t) => driveVim(w, t));
  });

  it.skipIf(vimSkip !== null)('vim called `editor` through a link (as /usr/bin/editor → alternatives), and as a `vi` wrapper script', async () => {
    const w = await world({ '.vimrc': HOSTILE_VIMRC }, VIM_DIRS);
    const bin = join(w.root, 'bin');
    mkdirSync(bin);
    symlinkSync(realpathSync(which('vim') as string), join(bin, 'editor'));
    await editIn(w, join(bin, 'editor'), (t) => driveVim(w, t));
    // A name that says nothing and resolves to nothing known: recognised by its --version.
    writeFileSync(join(bin, 'vi'), `#!/bin/sh\nexec '${which('vim') as string}' "$@"\n`);
    chmodSync(join(bin, 'vi'), 0o755);
    const v = await world({ '.vimrc': HOSTILE_VIMRC }, VIM_DIRS);
    await editIn(v, join(bin, 'vi'), (t) => driveVim(v, t));
  });

  const nvimSkip = need('tmux', 'nvim');
  it.skipIf(nvimSkip !== null)(`neovim${nvimSkip ? ` (${nvimSkip})` : ''}`, async () => {
    const initVim = `au!
set swapfile directory=~/nv/swap// updatecount=1
set backup writebackup backupdir=~/nv/backup//
set undofile undodir=~/nv/undo//
set shada='100,<50,s10,h shadafile=~/nv/main.shada
autocmd BufReadPost,BufEnter,VimEnter * setlocal swapfile undofile | set backup writebackup shadafile=~/nv/main.shada
`;
    const w = await world({ '.config/nvim/init.vim': initVim }, ['nv/swap', 'nv/backup', 'nv/undo']);
    await editIn(w, 'nvim', (t) => driveVim(w, t));
  });

  const nanoSkip = need('tmux', 'nano');
  it.skipIf(nanoSkip !== null)(`nano${nanoSkip ? ` (${nanoSkip})` : ''}`, async () => {
    // nano run as root reads the rc files of root's passwd home, not $HOME: so the hostile rc is also
    // named with --rcfile (which --ignorercfiles must override), and the history files (which would land
    // in the real root home) are asked for only when not root.
    const root = process.getuid?.() === 0;
    const nanorc = (home: string): string => `set backup\nset backupdir "${home}/nano-backups"\nset locking\n${root ? '' : 'set historylog\nset positionlog\n'}`;
    const w = await world({}, ['nano-backups', '.local/share/nano', '.nano']);
    for (const name of ['.nanorc', '.config/nano/nanorc']) {
      mkdirSync(join(w.home, name, '..'), { recursive: true });
      writeFileSync(join(w.home, name), nanorc(w.home));
    }
    await editIn(w, `nano --rcfile ${join(w.home, '.nanorc')}`, async (t) => {
      t.press('C-w');
      t.type(OLD);
      t.press('Enter');
      t.press('C-a');
      t.type(`note: ${NEW}`);
      t.press('Enter');
      t.press('C-s');
      await t.waitFor(/Wrote \d+ line/);
      expect(plaintextCopies(w.home, w.repo, w.tmp)).toEqual([]);
      t.press('C-x');
    });
  });
});
