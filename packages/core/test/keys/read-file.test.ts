import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import { readFileCapped } from '../../src/keys/read-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-read-'));
  dirs.push(dir);
  return dir;
}

function fifo(dir: string): string {
  const path = join(dir, 'pipe');
  expect(spawnSync('mkfifo', [path]).status).toBe(0);
  return path;
}

const tooLarge = (size: number | null): Error => new SecretsError('LIMIT_EXCEEDED', `too large (${size ?? 'stream'})`);

function refusal(read: () => unknown): SecretsError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretsError);
    return error as SecretsError;
  }
  throw new Error('expected a refusal');
}

describe('readFileCapped', () => {
  it('reads a regular file, and a link to one; refuses a larger one by its size', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'f'), 'hello');
    symlinkSync('f', join(dir, 'link'));
    expect(new TextDecoder().decode(readFileCapped(join(dir, 'f'), 5, tooLarge))).toBe('hello');
    expect(new TextDecoder().decode(readFileCapped(join(dir, 'link'), 5, tooLarge))).toBe('hello');
    expect(refusal(() => readFileCapped(join(dir, 'f'), 4, tooLarge)).message).toBe('too large (5)');
  });

  it('refuses a FIFO without waiting for a writer (no writer ever comes here)', () => {
    const error = refusal(() => readFileCapped(fifo(scratch()), 1 << 20, tooLarge));
    expect(error.code).toBe('IO_READ');
    expect(error.message).toMatch(/is a FIFO, not a regular file$/);
  });

  it('refuses /dev/zero and a link to it (a committed link would otherwise be read forever)', () => {
    const dir = scratch();
    symlinkSync('/dev/zero', join(dir, 'secrets.yaml'));
    for (const path of ['/dev/zero', join(dir, 'secrets.yaml')]) {
      const error = refusal(() => readFileCapped(path, 1 << 20, tooLarge, { shown: '"x"' }));
      expect(error.code).toBe('IO_READ');
      expect(error.message).toBe('"x" is a character device, not a regular file');
    }
  });

  it('with streams: reads a FIFO from its writer, and /dev/zero only up to the limit', async () => {
    const dir = scratch();
    const path = fifo(dir);
    const writer = spawn('sh', ['-c', `printf 'AGE-SECRET-KEY-1' > '${path}'`]);
    const closed = new Promise((done) => writer.on('close', done));
    expect(new TextDecoder().decode(readFileCapped(path, 100, tooLarge, { streams: true }))).toBe('AGE-SECRET-KEY-1');
    await closed;
    expect(refusal(() => readFileCapped('/dev/zero', 1000, tooLarge, { streams: true })).message).toBe('too large (stream)');
  });

  it('with noFollow: a symbolic link is refused (ELOOP), never followed', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'target'), '123\n');
    symlinkSync('target', join(dir, 'lock'));
    expect(() => readFileCapped(join(dir, 'lock'), 32, tooLarge, { noFollow: true })).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });
});
