import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editorPlan, hardeningArgs, identifyEditor } from '../src/editor-command.js';
import { runEditor } from '../src/editor.js';
import { makePrivateDir, readEdited, writePrivateFile } from '../src/io-private.js';
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
    const dir = makePrivateDir(ctx({}), false);
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
    const shm = makePrivateDir(ctx({ SECRETS_TMPDIR: '/nonexistent' }), false);
    expect(shm.path.startsWith('/dev/shm/')).toBe(true);
    shm.remove();
  });

  it('is removed when the process is killed by SIGTERM or SIGINT', () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const script = `
        import { makePrivateDir, writePrivateFile } from ${JSON.stringify(join(import.meta.dirname, '../dist/io-private.js'))};
        const dir = makePrivateDir({ env: {}, cwd: '/', homedir: '/', platform: 'linux' }, false);
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
  const bin = mkdtempSync(join(tmpdir(), 'secrets-editor-bin-'));
  const withPath = (env: Record<string, string>): Context => ctx({ PATH: `${bin}:${process.env['PATH'] ?? ''}`, ...env });
  const vim = spawnSync('sh', ['-c', 'command -v vim'], { encoding: 'utf8' }).stdout.trim();
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  const fakeNano = join(bin, 'nano');
  writeFileSync(fakeNano, '#!/bin/sh\necho " GNU nano, version 7.2"\n', { mode: 0o755 });

  it('SOPS_EDITOR wins over EDITOR, --editor over both; arguments are shell-split', () => {
    expect(editorPlan(withPath({ SOPS_EDITOR: 'code --wait', EDITOR: 'vim' })).argv).toEqual(['code', '--wait']);
    expect(editorPlan(withPath({ EDITOR: 'emacs -nw -q' })).argv).toEqual(['emacs', '-nw', '-q']);
    expect(editorPlan(withPath({ EDITOR: 'emacs' }), 'nano -x').argv).toEqual(['nano', '--ignorercfiles', '-x']);
  });

  it('vim and neovim: no swap or viminfo/shada, and the options set again after the rc files and on every buffer event', () => {
    const args = hardeningArgs('vim');
    expect(args.slice(0, 3)).toEqual(['-n', '-i', 'NONE']);
    const before = args[args.indexOf('--cmd') + 1] as string;
    const after = args[args.indexOf('-c') + 1] as string;
    expect(after).toBe(before);
    expect(after).toMatch(/^set noswapfile noundofile nobackup nowritebackup patchmode= viminfo= viminfofile=NONE \| autocmd BufNewFile,BufReadPre,.*BufWritePre.*VimLeavePre \* set noswapfile/);
    expect(hardeningArgs('nvim').join(' ')).toContain('shada= shadafile=NONE');
    expect(editorPlan(withPath({ EDITOR: '/usr/bin/nvim -p' })).argv).toEqual(['/usr/bin/nvim', ...hardeningArgs('nvim'), '-p']);
    expect(hardeningArgs('nano')).toEqual(['--ignorercfiles']);
    expect(editorPlan(withPath({ EDITOR: 'gvim' })).argv).toEqual(['gvim', '-f', ...hardeningArgs('vim')]); // stays in the foreground
  });

  it.skipIf(vim === '')('recognises vim by what it is: a link named editor, vim.basic, a vi wrapper (by --version)', () => {
    symlinkSync(realpathSync(vim), join(bin, 'editor'));
    expect(identifyEditor('editor', withPath({}).env, '/')).toBe('vim');
    expect(identifyEditor(realpathSync(vim), withPath({}).env, '/')).toBe('vim');
    writeFileSync(join(bin, 'vi'), `#!/bin/sh\nexec '${vim}' "$@"\n`);
    chmodSync(join(bin, 'vi'), 0o755);
    expect(identifyEditor('vi', withPath({}).env, '/')).toBe('vim');
    expect(editorPlan(withPath({ EDITOR: 'vi' })).argv).toEqual(['vi', ...hardeningArgs('vim')]);
  });

  it('an editor that cannot be hardened runs as it is, after a one-line warning naming what it may write', () => {
    const plan = editorPlan(withPath({ EDITOR: 'emacs -nw' }));
    expect(plan.kind).toBeNull();
    expect(plan.warning).toMatch(/^"emacs" is not an editor secrets can keep from copying the plaintext: it may write backup \(~\) and auto-save/);
    expect(plan.warning).not.toContain('\n');
    expect(editorPlan(withPath({ EDITOR: 'ed' })).warning).toContain('backup, swap, undo or history files');
    // A name that says nothing (vi) whose --version is not vim's: not hardened, and warned about.
    writeFileSync(join(bin, 'edit'), '#!/bin/sh\necho "busybox"\n', { mode: 0o755 });
    expect(editorPlan(withPath({ EDITOR: 'edit' })).kind).toBeNull();
  });

  it('asks a generic name for its --version in /, not in the directory the user is in', () => {
    // A wrapper that takes its first argument for a file would otherwise leave a file named --version there.
    const marker = join(bin, 'probed-in');
    writeFileSync(join(bin, 'ex'), `#!/bin/sh\npwd > '${marker}'\n`, { mode: 0o755 });
    expect(identifyEditor('ex', withPath({}).env, bin)).toBeNull();
    expect(readFileSync(marker, 'utf8').trim()).toBe('/');
  });

  it('falls back to vim, nano, vi on PATH, like sops', () => {
    expect(editorPlan(ctx({ PATH: bin })).argv).toEqual(['nano', '--ignorercfiles']);
    expect(() => editorPlan(ctx({ PATH: '/nonexistent' }))).toThrow(/no editor found/);
  });

  it('runs a scripted editor and reads the result; a failing editor is an error', async () => {
    const dir = makePrivateDir(ctx({}), false);
    try {
      const file = writePrivateFile(dir, 'x.yaml', new TextEncoder().encode('a: 1\n'));
      const script = join(dir.path, 'editor.sh');
      writeFileSync(script, '#!/bin/sh\necho "b: 2" >> "$1"\necho "$TMPDIR" > "$1.tmpdir"\n', { mode: 0o700 });
      await runEditor(ctx({ PATH: process.env['PATH'] ?? '' }), { argv: [script], kind: null, warning: null }, file, dir.path);
      expect(Buffer.from(await readEdited(file)).toString()).toBe('a: 1\nb: 2\n');
      expect(Buffer.from(await readEdited(`${file}.tmpdir`)).toString().trim()).toBe(dir.path); // its temp files stay private too
      await expect(runEditor(ctx({ PATH: process.env['PATH'] ?? '' }), { argv: ['false'], kind: null, warning: null }, file, dir.path)).rejects.toThrow(/exited with status 1/);
    } finally {
      dir.remove();
    }
  });
});
