import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsError } from '@secrets/core';
import { replaceAllIfStill, replaceIfStill, takeOverStaleLock, withFileLock, writeBesideExclusive } from '../src/io.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-io-'));
  dirs.push(dir);
  return dir;
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('replaceAllIfStill', () => {
  it('writes the unchanged files, skips a changed and a vanished one, keeps modes, and leaves no temp or lock file', async () => {
    const dir = scratch();
    const names = ['a', 'b', 'c', 'd'];
    for (const n of names) writeFileSync(join(dir, n), `old ${n}!`, { mode: 0o640 });
    chmodSync(join(dir, 'd'), 0o600);
    writeFileSync(join(dir, 'b'), 'changed meanwhile!');
    rmSync(join(dir, 'c'));
    const results = await replaceAllIfStill(names.map((n) => ({ path: join(dir, n), expected: bytes(`old ${n}!`), next: bytes(`new ${n}!`) })));
    expect(results).toEqual([true, false, false, true]);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('new a!');
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('changed meanwhile!');
    expect(readFileSync(join(dir, 'd'), 'utf8')).toBe('new d!');
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o640);
    expect(statSync(join(dir, 'd')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['a', 'b', 'd']);
  });

  it('reports a file it cannot write as that file’s IO_WRITE error and still writes the others', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'f'), 'old!');
    const results = await replaceAllIfStill([
      { path: join(dir, 'gone', 'f'), expected: bytes('old!'), next: bytes('new!') },
      { path: join(dir, 'f'), expected: bytes('old!'), next: bytes('new!') },
    ]);
    expect(results[0]).toBeInstanceOf(SecretsError);
    expect((results[0] as SecretsError).code).toBe('IO_WRITE');
    expect((results[0] as SecretsError).message).toMatch(/no such directory/);
    expect(results[1]).toBe(true);
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('new!');
  });

  it('expected null: creates a file that is still absent, refuses one that appeared', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'appeared'), 'someone else!');
    const results = await replaceAllIfStill([
      { path: join(dir, 'new'), expected: null, next: bytes('created!') },
      { path: join(dir, 'appeared'), expected: null, next: bytes('ours!') },
    ]);
    expect(results).toEqual([true, false]);
    expect(readFileSync(join(dir, 'new'), 'utf8')).toBe('created!');
    expect(readFileSync(join(dir, 'appeared'), 'utf8')).toBe('someone else!');
    expect(readdirSync(dir).sort()).toEqual(['appeared', 'new']);
  });

  it('replaceIfStill is the one-file case', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'f'), 'old!');
    expect(await replaceIfStill(join(dir, 'f'), bytes('other!'), bytes('new!'))).toBe(false);
    expect(await replaceIfStill(join(dir, 'f'), bytes('old!'), bytes('new!'))).toBe(true);
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('new!');
    expect(readdirSync(dir)).toEqual(['f']);
  });
});

describe('withFileLock and stale locks', () => {
  /** The pid of a process that has exited. */
  const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid;

  it('takes over a lock left by a dead process', async () => {
    const dir = scratch();
    const lock = join(dir, '.f.secrets-lock');
    writeFileSync(lock, `${deadPid()}\n`);
    expect(await withFileLock(join(dir, 'f'), async () => readFileSync(lock, 'utf8'))).toBe(`${process.pid}\n`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a takeover removes only a lock still naming the dead owner (another waiter may have locked since)', () => {
    const dir = scratch();
    const lock = join(dir, '.f.secrets-lock');
    const dead = deadPid();
    writeFileSync(lock, `${process.pid}\n`); // the other waiter's live lock, created after we read the dead pid
    takeOverStaleLock(lock, dead);
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid}\n`);
    writeFileSync(lock, `${dead}\n`);
    takeOverStaleLock(lock, dead);
    expect(existsSync(lock)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('waits for a waiter mid-takeover, and clears a guard left by a killed one', async () => {
    const dir = scratch();
    const lock = join(dir, '.f.secrets-lock');
    const dead = deadPid();
    writeFileSync(lock, `${dead}\n`);
    writeFileSync(`${lock}.takeover`, '');
    takeOverStaleLock(lock, dead); // a fresh guard: someone else is taking over
    expect(readFileSync(lock, 'utf8')).toBe(`${dead}\n`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${lock}.takeover`, old, old);
    expect(await withFileLock(join(dir, 'f'), async () => 'locked!')).toBe('locked!');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('writeBesideExclusive', () => {
  it('gives every kept-aside version its own name, even within one millisecond, keeping the extension', () => {
    const dir = scratch();
    const now = new Date('2026-01-02T03:04:05.678Z');
    const first = writeBesideExclusive(join(dir, 'app.enc.yaml'), bytes('one'), 0o600, now);
    const second = writeBesideExclusive(join(dir, 'app.enc.yaml'), bytes('two'), 0o600, now);
    expect(first).toBe(join(dir, 'app.enc.secrets-20260102T030405Z.yaml'));
    expect(second).toBe(join(dir, 'app.enc.secrets-20260102T030405Z-2.yaml'));
    expect([readFileSync(first, 'utf8'), readFileSync(second, 'utf8')]).toEqual(['one', 'two']);
    expect(statSync(second).mode & 0o777).toBe(0o600);
    expect(writeBesideExclusive(join(dir, 'wifi.age'), bytes('x'), 0o600, now)).toBe(join(dir, 'wifi.secrets-20260102T030405Z.age'));
    expect(writeBesideExclusive(join(dir, '.env'), bytes('x'), 0o600, now)).toBe(join(dir, '.env.secrets-20260102T030405Z'));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
