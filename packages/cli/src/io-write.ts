/**
 * The one write path: temp file beside the target, fsync, compare and rename under the file's lock, fsync
 * of the directory; through symlinks, into FIFOs and devices, keeping owner, group and mode. Part of the
 * CLI's one I/O module (io.ts re-exports it).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, fsync, fsyncSync, linkSync, lstatSync, openSync, readlinkSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { SecretsError, readFileCapped } from '@secrets/core';
import { onInterrupt } from './cleanup.js';
import type { Context } from './context.js';
import { removeQuietly, withFileLock } from './io-lock.js';
import { resolvePath } from './io-paths.js';

/** Streams chunks into a FIFO or device (as age does with -o): it is never replaced by a file. */
export async function streamInto(target: string, shown: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
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
export function writeTemp(target: string, data: Uint8Array | string, options: WriteOptions): { temp: string; fd: number; release: () => void } {
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
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeError(path: string, error: unknown): SecretsError {
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
  if (!isSpecialFile(target)) return writeFileAtomic(target, data, options);
  return streamInto(target, path, [typeof data === 'string' ? Buffer.from(data) : data]);
}

/** Whether `target` exists and is no regular file (a FIFO, device or socket, through links): written into. */
export function isSpecialFile(target: string): boolean {
  try {
    return !statSync(target).isFile();
  } catch {
    return false; // a new file
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
 * @param options - the mode of a new file (an existing one keeps its own)
 * @returns false, having written nothing, when the file changed, vanished or appeared since it was read
 * @throws SecretsError IO_WRITE
 */
export async function replaceIfStill(path: string, expected: Uint8Array | null, next: Uint8Array, options: WriteOptions = {}): Promise<boolean> {
  const [result] = await replaceAll([{ path, expected, next }], options);
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
