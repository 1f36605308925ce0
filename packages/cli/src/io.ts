/**
 * File I/O for commands: whole-file reads with clear errors, and atomic writes (temp file in the same
 * directory + fsync + rename) so that a crash leaves either the old or the new file, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DEFAULT_MAX_INPUT_BYTES, SecretsError, readFileCapped } from '@secrets/core';
import type { Context } from './context.js';

/**
 * The most the CLI reads from one input (a file or stdin): the stores' own limit, 64 MiB. Everything is
 * held in memory, so a larger file is refused by its size, before it is read.
 */
export const MAX_INPUT_BYTES = DEFAULT_MAX_INPUT_BYTES;

/**
 * Resolves a user-given path (relative, absolute, `./x`, through symlinked directories) against the
 * context's cwd, to the physical path of its directory: `$PWD/x` typed in a directory reached through a
 * symlink names the same file as `x`, so it matches the same `.sops.yaml` rules and is shown the same
 * way. The last component is kept as given: a symlinked file stays a symlink (written through).
 */
export function resolvePath(ctx: Context, path: string): string {
  const absolute = resolve(ctx.cwd, path);
  const rest: string[] = [];
  for (let dir = dirname(absolute), name = basename(absolute); ; name = basename(dir), dir = dirname(dir)) {
    rest.unshift(name);
    try {
      return join(realpathSync(dir), ...rest);
    } catch {
      if (dirname(dir) === dir) return absolute; // nothing of it exists
    }
  }
}

/** The LIMIT_EXCEEDED error for an input over `max` bytes. */
export function tooLarge(shown: string, size: number | null, max: number): SecretsError {
  const what = size === null ? `more than ${max} bytes` : `${size} bytes`;
  return new SecretsError('LIMIT_EXCEEDED', `${shown} is too large: ${what}, the limit is ${max} bytes`, {
    hints: ['secrets holds files in memory; sops files, age files and keys are far smaller than this'],
    details: { limit: 'inputBytes', max },
  });
}

/**
 * Reads a whole file of at most `max` bytes. A regular file over the limit is refused from its size,
 * before anything is read; a pipe or device is read up to the limit.
 *
 * @throws the fs error (ENOENT, EISDIR, …) or SecretsError LIMIT_EXCEEDED
 */
export async function readFileLimited(path: string, shown: string, max: number = MAX_INPUT_BYTES): Promise<Uint8Array> {
  return readFileCapped(path, max, (size) => tooLarge(shown, size, max));
}

/**
 * Reads a file, or standard input for `-`, of at most `max` bytes (default {@link MAX_INPUT_BYTES}).
 *
 * @throws SecretsError FILE_NOT_FOUND / IO_READ / LIMIT_EXCEEDED
 */
export async function readInput(ctx: Context, path: string, max: number = MAX_INPUT_BYTES): Promise<Uint8Array> {
  if (path === '-') {
    const bytes = await ctx.stdin.readAll(max);
    if (bytes.length > max) throw tooLarge('standard input', null, max);
    return bytes;
  }
  try {
    return await readFileLimited(resolvePath(ctx, path), JSON.stringify(path), max);
  } catch (error) {
    if (error instanceof SecretsError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SecretsError('FILE_NOT_FOUND', `file ${JSON.stringify(path)} does not exist`);
    if (code === 'EISDIR') throw new SecretsError('IO_READ', `${JSON.stringify(path)} is a directory`);
    if (code === 'EACCES') throw new SecretsError('IO_READ', `permission denied reading ${JSON.stringify(path)}`);
    throw new SecretsError('IO_READ', `could not read ${JSON.stringify(path)}`, { cause: error });
  }
}

/** Options for {@link writeFileAtomic}. */
export interface WriteOptions {
  /** Mode for a new file. An existing file keeps its own mode. */
  readonly mode?: number;
}

/**
 * Writes `data` to a new temp file beside `target` (same filesystem, so a rename is atomic), with the
 * target's mode if it exists, else `options.mode` (default 0666 minus umask, like Go's `os.Create`).
 *
 * @returns the temp file's path and its still open descriptor, not yet synced
 */
function writeTemp(target: string, data: Uint8Array | string, options: WriteOptions): { temp: string; fd: number } {
  let mode = options.mode ?? 0o666;
  let exact = options.mode !== undefined;
  try {
    mode = statSync(target).mode & 0o7777;
    exact = true;
  } catch {
    // new file
  }
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    writeFileSync(fd, data);
    // open()'s mode is filtered by the umask; a kept or requested mode must be applied exactly.
    if (exact) fchmodSync(fd, mode);
  } catch (error) {
    closeSync(fd);
    removeQuietly(temp);
    throw error;
  }
  return { temp, fd };
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or already gone
  }
}

function writeError(path: string, error: unknown): SecretsError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no such directory' : 'write failed';
  return new SecretsError('IO_WRITE', `could not write ${JSON.stringify(path)}: ${why}`, { cause: error });
}

/**
 * Writes a whole file atomically: temp file beside the target, fsync, then rename over the target. The
 * target's mode is kept; a new file gets `options.mode` (default 0666 minus umask, like Go's `os.Create`).
 *
 * The system calls are synchronous: a command has nothing to overlap them with, and for the small files
 * of a repository a thread-pool round trip per call costs more than the call (many files at once:
 * {@link replaceAllIfStill}).
 *
 * @throws SecretsError IO_WRITE
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  const target = resolve(path);
  let temp: string | undefined;
  try {
    const written = writeTemp(target, data, options);
    temp = written.temp;
    try {
      fsyncSync(written.fd);
    } finally {
      closeSync(written.fd);
    }
    renameSync(temp, target);
  } catch (error) {
    if (temp !== undefined) removeQuietly(temp);
    throw writeError(path, error);
  }
}

/** Writes to stdout for `-`, else atomically to a file. */
export async function writeOutput(ctx: Context, path: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  if (path === '-') {
    ctx.stdout.write(data);
    return;
  }
  await writeFileAtomic(resolvePath(ctx, path), data, options);
}

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names, or null while it is being written (or for anything else). */
function lockOwner(text: string): number | null {
  const owner = Number.parseInt(text, 10);
  return Number.isInteger(owner) && owner > 0 ? owner : null;
}

/** A takeover guard older than this was left by a waiter killed mid-takeover (which takes microseconds). */
const STALE_GUARD_MS = 2_000;

/**
 * Removes `lock`, left by the dead process `owner`, unless another waiter got there first. Two waiters
 * may both have read the dead pid: the second must not remove the lock the first has created since. So
 * the removal happens under a guard file (O_EXCL), after reading the lock again: only a lock still naming
 * the dead owner goes. A waiter that finds the guard taken just waits its turn.
 *
 * @internal exported for tests
 */
export function takeOverStaleLock(lock: string, owner: number): void {
  const guard = `${lock}.takeover`;
  try {
    closeSync(openSync(guard, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
  } catch {
    try {
      if (Date.now() - statSync(guard).mtimeMs > STALE_GUARD_MS) unlinkSync(guard);
    } catch {
      // released meanwhile
    }
    return;
  }
  try {
    if (lockOwner(readFileSync(lock, 'utf8')) === owner) unlinkSync(lock);
  } catch {
    // gone meanwhile
  } finally {
    removeQuietly(guard);
  }
}

/**
 * Runs `fn` holding an exclusive lock on `path`: a `.NAME.secrets-lock` file beside it, created with
 * O_EXCL and holding our pid. Every writer of ours takes it around its read-compare-write, so two
 * concurrent writers cannot both pass the "unchanged since read" check. A lock whose process is gone
 * (killed with SIGKILL) is taken over; a live one is waited for, then refused.
 *
 * @param path - the file to be written
 * @param fn - the critical section
 * @param waitMs - how long to wait for another live writer
 * @throws SecretsError IO_WRITE when the lock stays held by a live process
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, waitMs = 15_000): Promise<T> {
  const target = resolve(path);
  const lock = join(dirname(target), `.${basename(target)}.secrets-lock`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new SecretsError('IO_WRITE', `could not lock ${JSON.stringify(path)}: ${code === 'EACCES' ? 'permission denied' : 'lock failed'}`, { cause: error });
    }
    let text = '';
    try {
      text = readFileSync(lock, 'utf8');
    } catch {
      // released meanwhile
    }
    const owner = lockOwner(text);
    if (owner !== null && !processAlive(owner)) {
      // Its writer died without unlocking (SIGKILL, power loss): a rename either happened or not, so the
      // file itself is whole; the stale lock is all that is left.
      takeOverStaleLock(lock, owner);
      continue;
    }
    if (Date.now() > deadline) {
      throw new SecretsError('IO_WRITE', `${JSON.stringify(path)} is being written by another secrets process${owner !== null ? ` (pid ${owner})` : ''}`, {
        hints: [`try again when it is done; if no such process runs, remove ${lock}`],
      });
    }
    await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 60)));
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // already gone
    }
  }
}

/** One file for {@link replaceAllIfStill}: where, the bytes it was read as, and its new bytes. */
export interface Replacement {
  readonly path: string;
  /** What the file held when it was read; null: it did not exist (and must still not). */
  readonly expected: Uint8Array | null;
  readonly next: Uint8Array;
}

/**
 * Replaces `path` with `next` only if it still holds `expected`, the bytes it was read as. The compare and
 * the rename happen under {@link withFileLock}, so a concurrent writer cannot slip in between.
 *
 * @param expected - the bytes it was read as, or null for a file that did not exist and must still not
 * @returns false, having written nothing, when the file changed, vanished or appeared since it was read
 * @throws SecretsError IO_WRITE
 */
export async function replaceIfStill(path: string, expected: Uint8Array | null, next: Uint8Array): Promise<boolean> {
  const [result] = await replaceAllIfStill([{ path, expected, next }]);
  if (result instanceof SecretsError) throw result;
  return result === true;
}

function fsyncAsync(fd: number): Promise<void> {
  return new Promise((done, fail) => fsync(fd, (error) => (error ? fail(error) : done())));
}

/**
 * {@link replaceIfStill} for many files, durable at the cost of about one fsync instead of one per file
 * (rekey writes hundreds): every new version is written to its temp file first, all of them are fsynced
 * at once on the thread pool, where the filesystem commits them together, then each file is compared
 * and renamed under its own lock. A crash before a rename leaves that file's old version (and a temp
 * file holding ciphertext only).
 *
 * @param items - at most a few dozen at a time: each holds a descriptor until the fsyncs are done
 * @returns per item, in order: true written, false changed or vanished since it was read (nothing
 *   written), or the IO_WRITE error for that file
 */
export async function replaceAllIfStill(items: readonly Replacement[]): Promise<(boolean | SecretsError)[]> {
  const results: (boolean | SecretsError)[] = items.map(() => false);
  const written: { i: number; target: string; temp: string; fd: number }[] = [];
  for (const [i, item] of items.entries()) {
    const target = resolve(item.path);
    try {
      written.push({ i, target, ...writeTemp(target, item.next, {}) });
    } catch (error) {
      results[i] = writeError(item.path, error);
    }
  }
  const synced = await Promise.all(
    written.map(async (w) => {
      try {
        await fsyncAsync(w.fd);
        return true;
      } catch (error) {
        results[w.i] = writeError((items[w.i] as Replacement).path, error);
        return false;
      } finally {
        closeSync(w.fd);
      }
    }),
  );
  for (const [n, { i, target, temp }] of written.entries()) {
    const item = items[i] as Replacement;
    if (synced[n]) {
      try {
        results[i] = await withFileLock(item.path, async () => {
          let current: Buffer | null = null;
          try {
            current = readFileSync(target);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
          }
          if (current === null ? item.expected !== null : item.expected === null || Buffer.compare(current, item.expected) !== 0) return false;
          renameSync(temp, target);
          return true;
        });
      } catch (error) {
        results[i] = error instanceof SecretsError ? error : writeError(item.path, error);
      }
    }
    if (results[i] !== true) removeQuietly(temp);
  }
  return results;
}

/**
 * The identity of the file a path names (device and inode, through symlinks), or null when it does not
 * exist or is `-`: two paths name the same file exactly when their identities are equal.
 */
export function fileIdentity(ctx: Context, path: string): string | null {
  if (path === '-') return null;
  try {
    const st = statSync(resolvePath(ctx, path));
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/** What a path names (through symlinks): a regular file, a directory, nothing, or something else. */
export function pathKind(ctx: Context, path: string): 'file' | 'directory' | 'missing' | 'other' {
  try {
    const st = statSync(resolvePath(ctx, path));
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}
