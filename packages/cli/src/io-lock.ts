/**
 * The lock every writer takes beside the real file (O_EXCL, the owner's pid inside; a dead owner's lock
 * is taken over under a guard). Part of the CLI's one I/O module (io.ts re-exports it).
 */
import { closeSync, constants, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SecretsError, readFileCapped } from '@secrets/core';
import { onInterrupt } from './cleanup.js';

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or already gone
  }
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

/** A lock holds a pid and a newline: anything longer was not written by us. */
const MAX_LOCK_BYTES = 32;

function foreignLock(lock: string, what: string): SecretsError {
  return new SecretsError('IO_WRITE', `${JSON.stringify(lock)} is not a lock secrets wrote: ${what}`, {
    hints: ['it may have been committed or planted; remove it if no secrets process is running'],
  });
}

/**
 * A lock file's text, or null when it is gone. Read with O_NOFOLLOW and capped: a lock is a small regular
 * file we created with O_EXCL, so a symbolic link (say a committed one to /dev/zero), a FIFO, a device or
 * a large file is someone else's and is refused, never followed or read to its end.
 *
 * @throws SecretsError IO_WRITE for a lock that is not one of ours
 */
function readLockText(lock: string): string | null {
  try {
    const bytes = readFileCapped(lock, MAX_LOCK_BYTES, () => foreignLock(lock, `larger than ${MAX_LOCK_BYTES} bytes`), { noFollow: true });
    const text = new TextDecoder().decode(bytes);
    // Empty: being written (create and write are two calls). Anything but a pid: not ours.
    if (text !== '' && !/^[1-9][0-9]*\n?$/.test(text)) throw foreignLock(lock, 'it does not hold a process id');
    return text;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw foreignLock(lock, 'a symbolic link');
    if (error instanceof SecretsError && error.code === 'IO_READ') throw foreignLock(lock, typeof error.details.kind === 'string' ? error.details.kind : 'not a regular file');
    if (error instanceof SecretsError) throw error;
    throw foreignLock(lock, 'it cannot be read');
  }
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
    if (lockOwner(readLockText(lock) ?? '') === owner) unlinkSync(lock);
  } catch {
    // gone meanwhile, or replaced by something the next read refuses
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
    const owner = lockOwner(readLockText(lock) ?? '');
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
  const release = onInterrupt(() => removeQuietly(lock));
  try {
    return await fn();
  } finally {
    removeQuietly(lock);
    release();
  }
}
