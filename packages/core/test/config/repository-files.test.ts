import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRepositoryRoot, repositoryFileReader } from '../../src/config/repository-files.js';
import { runProcess } from '../../src/keys/run-process.js';

describe('files a rules file may read', () => {
  const root = mkdtempSync(join(tmpdir(), 'secrets-repo-'));
  mkdirSync(join(root, '.git'));
  mkdirSync(join(root, 'hosts/web'), { recursive: true });
  writeFileSync(join(root, 'hosts/web/key.pub'), 'ssh-ed25519 AAAA\n');
  symlinkSync('/etc/hostname', join(root, 'out'));
  symlinkSync('key.pub', join(root, 'hosts/web/in'));
  symlinkSync('/dev/zero', join(root, 'zero'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  const read = repositoryFileReader(root);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('the repository is the nearest directory with .git', () => {
    expect(findRepositoryRoot(join(root, 'hosts/web'))).toBe(root);
  });

  it('reads regular files inside, through symlinks that stay inside', () => {
    expect(read(join(root, 'hosts/web/key.pub'))).toBe('ssh-ed25519 AAAA\n');
    expect(read(join(root, 'hosts/web/in'))).toBe('ssh-ed25519 AAAA\n');
  });

  it('refuses symlinks out, devices and FIFOs (without blocking on them), and says what directories and missing files are', () => {
    expect(() => read(join(root, 'out'))).toThrow('leads outside the repository (through a symlink)');
    expect(() => read(join(root, 'zero'))).toThrow('leads outside the repository');
    expect(() => read(join(root, 'fifo'))).toThrow('is not a regular file');
    expect(() => read(join(root, 'hosts'))).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(() => read(join(root, 'nope'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('runProcess', () => {
  it('gives status and output; a missing program rejects with ENOENT; a run over its time is killed', async () => {
    const r = await runProcess(['sh', '-c', 'printf out; printf err >&2; exit 3'], { env: { PATH: '/usr/bin:/bin' }, cwd: '/', timeoutMs: 60_000, maxOutputBytes: 1024 });
    expect([r.status, new TextDecoder().decode(r.stdout), new TextDecoder().decode(r.stderr), r.killed]).toEqual([3, 'out', 'err', false]);
    await expect(runProcess(['/nonexistent/program'], { env: {}, cwd: '/', timeoutMs: 1000, maxOutputBytes: 10 })).rejects.toMatchObject({ code: 'ENOENT' });
    const slow = await runProcess(['sleep', '30'], { env: { PATH: '/usr/bin:/bin' }, cwd: '/', timeoutMs: 50, maxOutputBytes: 10 });
    expect([slow.killed, slow.status]).toEqual([true, null]);
    const loud = await runProcess(['yes'], { env: { PATH: '/usr/bin:/bin' }, cwd: '/', timeoutMs: 60_000, maxOutputBytes: 1000 });
    expect(loud.killed).toBe(true);
  });
});
