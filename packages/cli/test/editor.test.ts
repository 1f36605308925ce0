import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editorCommand, makePrivateDir, readEdited, runEditor, writePrivateFile } from '../src/editor.js';
import type { Context } from '../src/context.js';

const ctx = (env: Record<string, string>): Context => ({
  env,
  cwd: '/',
  homedir: '/nonexistent',
  platform: 'linux',
  stdin: { isTTY: false, readAll: async () => new Uint8Array() },
  stdout: { isTTY: false, write: () => undefined },
  stderr: { isTTY: false, write: () => undefined },
  prompt: null,
});

describe('private plaintext directory', () => {
  it('is 0700 on a memory-backed filesystem, files are 0600, and remove() wipes it', () => {
    const dir = makePrivateDir(ctx({}));
    expect(dir.memoryBacked).toBe(true);
    expect(statSync(dir.path).mode & 0o777).toBe(0o700);
    const file = writePrivateFile(dir, 'example.yaml', new TextEncoder().encode('secret: 1\n'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });

  it('refuses a persistent disk unless allowed, then says it is not memory-backed', () => {
    const disk = join(import.meta.dirname, '..'); // the checkout: a real disk
    expect(() => makePrivateDir(ctx({}), false, [disk])).toThrow(/no memory-backed directory/);
    const dir = makePrivateDir(ctx({ TMPDIR: disk }), true, [disk]);
    try {
      expect(dir.memoryBacked).toBe(false);
      expect(dir.path.startsWith(disk)).toBe(true);
    } finally {
      dir.remove();
    }
    // A non-existent or disk-backed SECRETS_TMPDIR falls through to /dev/shm.
    const shm = makePrivateDir(ctx({ SECRETS_TMPDIR: '/nonexistent' }));
    expect(shm.path.startsWith('/dev/shm/')).toBe(true);
    shm.remove();
  });

  it('is removed when the process is killed by SIGTERM or SIGINT', () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const script = `
        import { makePrivateDir, writePrivateFile } from ${JSON.stringify(join(import.meta.dirname, '../dist/editor.js'))};
        const dir = makePrivateDir({ env: {}, cwd: '/', homedir: '/', platform: 'linux' });
        writePrivateFile(dir, 'plain.yaml', new TextEncoder().encode('top: secret'));
        console.log(dir.path);
        process.kill(process.pid, '${signal}');
        setTimeout(() => {}, 5000);
      `;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      const path = r.stdout.trim();
      expect(path).toMatch(/^\/dev\/shm\/secrets-/);
      expect(existsSync(path)).toBe(false);
      expect(r.status).toBe(signal === 'SIGTERM' ? 143 : 130);
    }
  });
});

describe('editor command', () => {
  const onPath = (p: string): boolean => p === 'nano';
  it('SOPS_EDITOR wins over EDITOR; arguments are shell-split', () => {
    expect(editorCommand(ctx({ SOPS_EDITOR: 'code --wait', EDITOR: 'vim' }), onPath)).toEqual(['code', '--wait']);
    expect(editorCommand(ctx({ EDITOR: "emacs -nw -q" }), onPath)).toEqual(['emacs', '-nw', '-q']);
  });
  it('vim and neovim get swap, undo, backup and viminfo/shada turned off', () => {
    expect(editorCommand(ctx({ EDITOR: 'vim' }), onPath)).toEqual(['vim', '-n', '-i', 'NONE', '--cmd', 'set noundofile nobackup nowritebackup viminfo=']);
    expect(editorCommand(ctx({ EDITOR: '/usr/bin/nvim -p' }), onPath)).toEqual(['/usr/bin/nvim', '-n', '-i', 'NONE', '--cmd', 'set noundofile nobackup nowritebackup shada=', '-p']);
  });
  it('falls back to vim, nano, vi on PATH, like sops', () => {
    expect(editorCommand(ctx({}), onPath)).toEqual(['nano']);
    expect(() => editorCommand(ctx({}), () => false)).toThrow(/no editor found/);
  });
  it('runs a scripted editor and reads the result; a failing editor is an error', async () => {
    const dir = makePrivateDir(ctx({}));
    try {
      const file = writePrivateFile(dir, 'x.yaml', new TextEncoder().encode('a: 1\n'));
      const script = join(dir.path, 'editor.sh');
      writeFileSync(script, '#!/bin/sh\necho "b: 2" >> "$1"\n', { mode: 0o700 });
      await runEditor([script], file, { PATH: process.env['PATH'] });
      expect(Buffer.from(await readEdited(file)).toString()).toBe('a: 1\nb: 2\n');
      await expect(runEditor(['false'], file, { PATH: process.env['PATH'] })).rejects.toThrow(/exited with status 1/);
    } finally {
      dir.remove();
    }
  });
});
