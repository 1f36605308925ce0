/**
 * File I/O for commands: whole-file reads with clear errors, and atomic writes (temp file in the same
 * directory + fsync + rename) so that a crash leaves either the old or the new file, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SecretsError } from '@secrets/core';
import type { Context } from './context.js';

/** Resolves a user-given path against the context's cwd. */
export function resolvePath(ctx: Context, path: string): string {
  return resolve(ctx.cwd, path);
}

/**
 * Reads a file, or standard input for `-`.
 *
 * @throws SecretsError FILE_NOT_FOUND / IO_READ
 */
export async function readInput(ctx: Context, path: string): Promise<Uint8Array> {
  if (path === '-') return ctx.stdin.readAll();
  try {
    // Synchronous: a command has nothing else to do meanwhile, and it saves the thread-pool round trips.
    const data = readFileSync(resolvePath(ctx, path));
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength); // a view: no copy of a large file
  } catch (error) {
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
 * Writes a whole file atomically: temp file beside the target (same filesystem, so rename is atomic),
 * fsync, then rename over the target. The target's mode is kept; a new file gets `options.mode`
 * (default 0666 minus umask, like Go's `os.Create`).
 *
 * The system calls are synchronous: a command has nothing to overlap them with, and for the small files
 * of a repository a thread-pool round trip per call costs more than the call (rekey writes hundreds).
 *
 * @throws SecretsError IO_WRITE
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  const target = resolve(path);
  // An existing file keeps its mode; a new one gets options.mode exactly, or 0666 minus umask (os.Create).
  let mode = options.mode ?? 0o666;
  let exact = options.mode !== undefined;
  try {
    mode = statSync(target).mode & 0o7777;
    exact = true;
  } catch {
    // new file
  }
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    try {
      writeFileSync(fd, data);
      // open()'s mode is filtered by the umask; a kept or requested mode must be applied exactly.
      if (exact) fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // never created
    }
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no such directory' : 'write failed';
    throw new SecretsError('IO_WRITE', `could not write ${JSON.stringify(path)}: ${why}`, { cause: error });
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
