/**
 * File I/O for commands: whole-file reads with clear errors, and atomic writes (temp file in the same
 * directory + fsync + rename + fsync of the directory) so that a crash leaves either the old or the new
 * file, never a torn one, and a write reported done survives a crash.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, fsync, fsyncSync, linkSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { DEFAULT_MAX_INPUT_BYTES, SecretsError, readFileCapped, type EntryKind, type RepoView } from '@secrets/core';
import { onInterrupt } from './cleanup.js';
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

/** How an input may be read: its size limit, and whether a pipe or device is acceptable. */
export interface ReadInputOptions {
  /** The most bytes read (default {@link MAX_INPUT_BYTES}). */
  readonly max?: number;
  /**
   * Accept a FIFO or character device (`<(…)`, `/dev/stdin`): only for inputs the user names for
   * themselves (identities, recipients, plaintext, values). Files a repository provides (sops and age
   * files, configuration) must be regular files.
   */
  readonly streams?: boolean;
}

/**
 * Reads a whole file of at most `max` bytes. A regular file over the limit is refused from its size,
 * before anything is read; a FIFO or device is refused unless `streams`, then read up to the limit.
 *
 * @throws the fs error (ENOENT, EISDIR, …) or SecretsError LIMIT_EXCEEDED / IO_READ
 */
export async function readFileLimited(path: string, shown: string, options: ReadInputOptions = {}): Promise<Uint8Array> {
  const max = options.max ?? MAX_INPUT_BYTES;
  return readFileCapped(path, max, (size) => tooLarge(shown, size, max), { shown, streams: options.streams ?? false });
}

/**
 * Reads a file, or standard input for `-`, of at most `options.max` bytes (default
 * {@link MAX_INPUT_BYTES}). A FIFO or device is refused unless `options.streams`.
 *
 * @throws SecretsError FILE_NOT_FOUND / IO_READ / LIMIT_EXCEEDED
 */
export async function readInput(ctx: Context, path: string, options: ReadInputOptions = {}): Promise<Uint8Array> {
  const max = options.max ?? MAX_INPUT_BYTES;
  if (path === '-') {
    const bytes = await ctx.stdin.readAll(max);
    if (bytes.length > max) throw tooLarge('standard input', null, max);
    return bytes;
  }
  try {
    return await readFileLimited(resolvePath(ctx, path), JSON.stringify(path), options);
  } catch (error) {
    throw inputError(path, error);
  }
}

function inputError(path: string, error: unknown): SecretsError {
  if (error instanceof SecretsError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new SecretsError('FILE_NOT_FOUND', `file ${JSON.stringify(path)} does not exist`);
  if (code === 'EISDIR') return new SecretsError('IO_READ', `${JSON.stringify(path)} is a directory`);
  if (code === 'EACCES') return new SecretsError('IO_READ', `permission denied reading ${JSON.stringify(path)}`);
  return new SecretsError('IO_READ', `could not read ${JSON.stringify(path)}`, { cause: error });
}

/** Bytes per read of {@link readInputChunks}: one sealed age STREAM chunk. */
const READ_CHUNK = 64 * 1024 + 16;

/**
 * An input as chunks, for readers that stream (no size limit: memory stays at one chunk): a file read a
 * chunk at a time, synchronously (nothing to overlap it with), or standard input for `-` (whole, up to
 * {@link MAX_INPUT_BYTES}).
 *
 * @throws SecretsError FILE_NOT_FOUND / IO_READ (and LIMIT_EXCEEDED for standard input)
 */
export function readInputChunks(ctx: Context, path: string): AsyncIterable<Uint8Array> {
  if (path === '-') {
    return (async function* stdin() {
      yield await readInput(ctx, path);
    })();
  }
  // Opened now: a missing or unreadable input is reported before anything else is done.
  let fd: number;
  try {
    fd = openSync(resolvePath(ctx, path), 'r');
    if (fstatSync(fd).isDirectory()) {
      closeSync(fd);
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
  } catch (error) {
    throw inputError(path, error);
  }
  return (async function* chunks() {
    try {
      for (;;) {
        const chunk = Buffer.allocUnsafe(READ_CHUNK);
        let bytesRead: number;
        try {
          bytesRead = readSync(fd, chunk, 0, READ_CHUNK, null);
        } catch (error) {
          throw inputError(path, error);
        }
        if (bytesRead === 0) return;
        yield chunk.subarray(0, bytesRead);
      }
    } finally {
      closeSync(fd);
    }
  })();
}

/**
 * Writes chunks as they come: to stdout for `-`, else to a temp file beside the target that is fsynced
 * and renamed over it only when every chunk was written (an error midway leaves the target as it was).
 *
 * @throws the producer's error as it is; SecretsError IO_WRITE for the file
 */
export async function writeOutputStream(ctx: Context, path: string, chunks: AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<void> {
  if (path === '-') {
    for await (const chunk of chunks) ctx.stdout.write(chunk);
    return;
  }
  // Through symlinks to the real file, as every write (writeTarget); a FIFO or device is written into.
  const target = writeTarget(resolvePath(ctx, path));
  let special = false;
  try {
    special = !statSync(target).isFile();
  } catch {
    // new file
  }
  if (special) return streamInto(target, path, chunks);
  let written: { temp: string; fd: number; release: () => void };
  try {
    written = writeTemp(target, new Uint8Array(0), options);
  } catch (error) {
    throw writeError(path, error);
  }
  let open = true;
  try {
    for await (const chunk of chunks) {
      try {
        writeFileSync(written.fd, chunk);
      } catch (error) {
        throw writeError(path, error);
      }
    }
    try {
      fsyncSync(written.fd);
      closeSync(written.fd);
      open = false;
      // Renamed under the file's lock, as every write of a file we own.
      await withFileLock(target, async () => {
        renameSync(written.temp, target);
      });
      syncDirectory(dirname(target));
    } catch (error) {
      removeQuietly(written.temp);
      throw error instanceof SecretsError ? error : writeError(path, error);
    }
  } finally {
    if (open) {
      closeSync(written.fd);
      removeQuietly(written.temp);
    }
    written.release();
  }
}

/** Streams chunks into a FIFO or device (as age does with -o): it is never replaced by a file. */
async function streamInto(target: string, shown: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  let fd: number;
  try {
    fd = openSync(target, constants.O_WRONLY);
  } catch (error) {
    throw writeError(shown, error);
  }
  try {
    for await (const chunk of chunks) {
      for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset, chunk.length - offset);
    }
  } catch (error) {
    throw error instanceof SecretsError ? error : writeError(shown, error);
  } finally {
    closeSync(fd);
  }
}

/** Options for {@link writeFileAtomic}. */
export interface WriteOptions {
  /** Mode for a new file. An existing file keeps its own mode. */
  readonly mode?: number;
}

/**
 * The file a write to `path` must replace: `path` itself, or where its symlinks lead (sops and age write
 * through links, so a linked secret stays linked). A dangling link leads to the file it names, which the
 * write creates.
 */
export function writeTarget(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      if (!lstatSync(current).isSymbolicLink()) return current;
      link = readlinkSync(current);
    } catch {
      return current; // does not exist (yet): written as it is
    }
    current = resolve(dirname(current), link);
  }
  throw Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
}

/**
 * Writes `data` to a new temp file beside `target` (same filesystem, so a rename is atomic). An existing
 * target's mode, owner and group are kept (as sops' in-place write keeps them; changing the owner needs
 * root, and a group we are not in is left as the system makes it); a new file gets `options.mode`
 * (default 0666 minus umask, like Go's `os.Create`). The temp file is removed if a signal ends the run.
 *
 * @returns the temp file's path, its still open descriptor (not yet synced), and `release` to call once
 *   it is renamed or removed
 */
function writeTemp(target: string, data: Uint8Array | string, options: WriteOptions): { temp: string; fd: number; release: () => void } {
  let mode = options.mode ?? 0o666;
  let exact = options.mode !== undefined;
  let owner: { uid: number; gid: number } | null = null;
  try {
    const st = statSync(target);
    mode = st.mode & 0o7777;
    exact = true;
    owner = { uid: st.uid, gid: st.gid };
  } catch {
    // new file
  }
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  const release = onInterrupt(() => removeQuietly(temp));
  try {
    writeFileSync(fd, data);
    if (owner !== null) keepOwner(fd, owner);
    // open()'s mode is filtered by the umask; a kept or requested mode must be applied exactly (and after
    // a chown, which clears set-id bits).
    if (exact) fchmodSync(fd, mode);
  } catch (error) {
    closeSync(fd);
    removeQuietly(temp);
    release();
    throw error;
  }
  return { temp, fd, release };
}

function keepOwner(fd: number, owner: { uid: number; gid: number }): void {
  const st = fstatSync(fd);
  if (st.uid === owner.uid && st.gid === owner.gid) return;
  try {
    fchownSync(fd, owner.uid, owner.gid);
  } catch {
    try {
      fchownSync(fd, -1, owner.gid); // not root: the group at least, when we are in it
    } catch {
      // neither: the file becomes ours, as any editor's save-by-rename makes it
    }
  }
}

/** fsync of a directory: a rename is a change of its directory, durable only once that is synced (POSIX). */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
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
 * Writes a whole file atomically, under the file's lock, whatever it holds now ({@link replaceAllIfStill}
 * without the compare): temp file beside the target, fsync, rename. Symlinks are written through; the
 * target's mode, owner and group are kept; a new file gets `options.mode` (default 0666 minus umask).
 *
 * @throws SecretsError IO_WRITE
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  const [result] = await replaceAll([{ path, expected: undefined, next: data }], options);
  if (result instanceof SecretsError) throw result;
}

/**
 * Writes to stdout for `-`; to a FIFO, device or socket (directly or through a symlink) by opening it and
 * writing, as age does with `-o` (it is never replaced by a regular file); else atomically to a file.
 */
export async function writeOutput(ctx: Context, path: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  if (path === '-') {
    ctx.stdout.write(data);
    return;
  }
  const target = resolvePath(ctx, path);
  let special = false;
  try {
    special = !statSync(target).isFile();
  } catch {
    // new file
  }
  if (!special) return writeFileAtomic(target, data, options);
  try {
    const fd = openSync(target, constants.O_WRONLY);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw writeError(path, error);
  }
}

/**
 * Gives the written `temp` the name `candidate` unless that name exists (EEXIST). Where hard links are
 * not supported, the name is taken with O_EXCL and written directly.
 */
function claim(temp: string, candidate: string, data: Uint8Array, mode: number): void {
  try {
    linkSync(temp, candidate);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    const fd = openSync(candidate, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Writes `data` to a new file beside `path`, named after it with a stamp before its extension
 * (`app.yaml` → `app.secrets-20260101T120000Z.yaml`, then `…-2.yaml`, …): the extension is kept so
 * `secrets decrypt` reads it as the same format. The name is taken atomically (link(2) fails on an
 * existing name, like O_EXCL), so two runs never both claim one file.
 *
 * @returns the path written
 * @throws SecretsError IO_WRITE
 */
export function writeBesideExclusive(path: string, data: Uint8Array, mode: number, now: Date = new Date()): string {
  const target = writeTarget(path);
  const ext = extname(basename(target)) === basename(target) ? '' : extname(target);
  const stem = target.slice(0, target.length - ext.length);
  const stamp = now.toISOString().replace(/[-:]|\.\d+/g, '');
  let written: { temp: string; fd: number; release: () => void } | undefined;
  try {
    written = writeTemp(join(dirname(target), `${basename(stem)}.secrets-aside`), data, { mode });
    fsyncSync(written.fd);
    closeSync(written.fd);
    for (let n = 1; ; n++) {
      const candidate = `${stem}.secrets-${stamp}${n === 1 ? '' : `-${n}`}${ext}`;
      try {
        claim(written.temp, candidate, data, mode);
        return candidate;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 10_000) throw error;
      }
    }
  } catch (error) {
    throw writeError(path, error);
  } finally {
    if (written) {
      removeQuietly(written.temp);
      written.release();
    }
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
 * and renamed under its own lock, and each directory renamed into is synced once. A crash before a rename leaves that file's old version (and a temp
 * file holding ciphertext only).
 *
 * @param items - at most a few dozen at a time: each holds a descriptor until the fsyncs are done
 * @returns per item, in order: true written, false changed or vanished since it was read (nothing
 *   written), or the IO_WRITE error for that file
 */
export async function replaceAllIfStill(items: readonly Replacement[]): Promise<(boolean | SecretsError)[]> {
  return replaceAll(items, {});
}

/** A write for {@link replaceAll}: `expected` undefined writes whatever the file holds now. */
interface Write {
  readonly path: string;
  readonly expected: Uint8Array | null | undefined;
  readonly next: Uint8Array | string;
}

/** Whether the file at `target` still holds `expected` (null: still does not exist; undefined: anything goes). */
function stillHolds(target: string, expected: Uint8Array | null | undefined): boolean {
  if (expected === undefined) return true;
  let current: Uint8Array | null = null;
  try {
    // Never more than the expected bytes: a longer file, a FIFO or a device has changed.
    current = readFileCapped(target, expected?.length ?? 0, () => new Error('changed'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  return current === null ? expected === null : expected !== null && Buffer.compare(current, expected) === 0;
}

/**
 * The one write path: temp files written, fsynced together, then each compared and renamed under its
 * file's lock. Each path is first resolved through its symlinks ({@link writeTarget}), so the lock, the
 * compare and the rename all concern the real file and the link stays.
 */
async function replaceAll(items: readonly Write[], options: WriteOptions): Promise<(boolean | SecretsError)[]> {
  const results: (boolean | SecretsError)[] = items.map(() => false);
  const written: { i: number; target: string; temp: string; fd: number; release: () => void }[] = [];
  for (const [i, item] of items.entries()) {
    try {
      const target = writeTarget(item.path);
      written.push({ i, target, ...writeTemp(target, item.next, options) });
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
        results[w.i] = writeError((items[w.i] as Write).path, error);
        return false;
      } finally {
        closeSync(w.fd);
      }
    }),
  );
  for (const [n, { i, target, temp, release }] of written.entries()) {
    const item = items[i] as Write;
    if (synced[n]) {
      try {
        results[i] = await withFileLock(target, async () => {
          if (!stillHolds(target, item.expected)) return false;
          renameSync(temp, target);
          return true;
        });
      } catch (error) {
        results[i] = error instanceof SecretsError ? error : writeError(item.path, error);
      }
    }
    if (results[i] !== true) removeQuietly(temp);
    release();
  }
  // The renames are durable once their directories are synced: one fsync per directory per batch.
  const renamed = written.filter(({ i }) => results[i] === true);
  for (const dir of new Set(renamed.map((w) => dirname(w.target)))) {
    try {
      syncDirectory(dir);
    } catch (error) {
      for (const w of renamed) if (dirname(w.target) === dir) results[w.i] = writeError((items[w.i] as Write).path, error);
    }
  }
  return results;
}

/** Opens a regular file for reading without following a final link and without blocking on a FIFO. */
function openRegular(path: string): number {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new SecretsError('IO_READ', `${JSON.stringify(path)} is not a regular file`);
  }
  return fd;
}

const kindOf = (s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryKind => (s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'other');

/**
 * The real file system as core's {@link RepoView}: links are never followed, FIFOs and devices are never
 * read, every read is capped, and files of any size can be scanned in pieces.
 */
export function repoView(): RepoView {
  return {
    list: (dir) => readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, kind: kindOf(e) })),
    kind: (path) => {
      try {
        return kindOf(lstatSync(path));
      } catch {
        return null;
      }
    },
    size: (path) => lstatSync(path).size,
    read: (path, max) => {
      const fd = openRegular(path);
      try {
        const size = fstatSync(fd).size;
        if (size > max) throw tooLarge(JSON.stringify(path), size, max);
        const buffer = Buffer.alloc(size);
        let got = 0;
        while (got < size) {
          const n = readSync(fd, buffer, got, size - got, null);
          if (n === 0) break;
          got += n;
        }
        return new Uint8Array(buffer.buffer, buffer.byteOffset, got);
      } finally {
        closeSync(fd);
      }
    },
    *chunks(path) {
      const fd = openRegular(path);
      try {
        const buffer = Buffer.alloc(1 << 20);
        for (;;) {
          const n = readSync(fd, buffer, 0, buffer.length, null);
          if (n === 0) return;
          yield new Uint8Array(buffer.subarray(0, n));
        }
      } finally {
        closeSync(fd);
      }
    },
    linkTarget: (path) => {
      try {
        return readlinkSync(path);
      } catch {
        return null;
      }
    },
  };
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
