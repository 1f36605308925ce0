/**
 * Where writes land: `-o` onto a symlink, a FIFO or a device writes to it as age does (it is never
 * replaced by a regular file); in-place writes of sops files go through symlinks and keep the file's
 * mode, owner and group, as sops does — still under the lock and compare.
 */
import { spawn } from 'node:child_process';
import { chownSync, chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runInProcess, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const env = { SOPS_AGE_KEY_FILE: adminKey };

async function ageFile(dir: string): Promise<string> {
  writeFileSync(join(dir, 'plain.txt'), 'top secret\n');
  expect((await runInProcess(['age', 'encrypt', '-r', admin, '-o', 'x.age', 'plain.txt'], { cwd: dir })).status).toBe(0);
  return join(dir, 'x.age');
}

describe('-o onto links, FIFOs and devices', () => {
  it('writes through a symlink (the link stays) and into a device through a link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-out-'));
    await ageFile(dir);
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real/out.txt'), join(dir, 'out.txt'));
    const r = await runProcess(['age', 'decrypt', '-i', adminKey, '-o', 'out.txt', 'x.age'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(lstatSync(join(dir, 'out.txt')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real/out.txt'), 'utf8')).toBe('top secret\n');
    symlinkSync('/dev/null', join(dir, 'null'));
    expect((await runProcess(['age', 'decrypt', '-i', adminKey, '-o', 'null', 'x.age'], { cwd: dir })).status).toBe(0);
    expect(lstatSync(join(dir, 'null')).isSymbolicLink()).toBe(true);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('writes into a FIFO (it stays a FIFO, the reader gets the plaintext)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-out-'));
    await ageFile(dir);
    expect(spawnSync('mkfifo', [join(dir, 'pipe')]).status).toBe(0);
    const reader = spawn('cat', [join(dir, 'pipe')]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (d: Buffer) => chunks.push(d));
    const read = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    try {
      const r = await runProcess(['age', 'decrypt', '-i', adminKey, '-o', 'pipe', 'x.age'], { cwd: dir });
      expect(r.status).toBe(0);
      await read;
      expect(Buffer.concat(chunks).toString()).toBe('top secret\n');
      expect(lstatSync(join(dir, 'pipe')).isFIFO()).toBe(true);
    } finally {
      reader.kill();
    }
  });
});

describe('in-place writes of sops files', () => {
  it('go through a symlink and keep mode, owner and group; the lock is taken beside the real file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-through-'));
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - age: ${admin}\n`);
    mkdirSync(join(dir, 'store'));
    expect((await runInProcess(['edit', '--editor', '-', 'store/app.yaml'], { cwd: dir, stdin: 'a: 1\n' })).status).toBe(0);
    symlinkSync('store/app.yaml', join(dir, 'app.yaml'));
    chmodSync(join(dir, 'store/app.yaml'), 0o640);
    const root = process.getuid?.() === 0;
    if (root) chownSync(join(dir, 'store/app.yaml'), 1234, 2345);
    const r = await runProcess(['set', 'app.yaml', '["a"]', '2'], { cwd: dir, env });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(lstatSync(join(dir, 'app.yaml')).isSymbolicLink()).toBe(true);
    const st = statSync(join(dir, 'store/app.yaml'));
    expect(st.mode & 0o777).toBe(0o640);
    if (root) expect([st.uid, st.gid]).toEqual([1234, 2345]);
    expect((await runProcess(['decrypt', 'app.yaml'], { cwd: dir, env })).stdout).toBe('a: 2\n');
    expect(realpathSync(join(dir, 'app.yaml'))).toBe(join(realpathSync(dir), 'store/app.yaml'));
    expect([...readdirSync(dir), ...readdirSync(join(dir, 'store'))].filter((f) => /secrets-lock|\.tmp$/.test(f))).toEqual([]);
  });
});
