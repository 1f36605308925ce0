/**
 * Paths as the commands resolve them: directories physically (through symlinks), the last component as
 * given; and what a path names. Part of the CLI's one I/O module (io.ts re-exports it).
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SecretsError } from '@secrets/core';
import type { Context } from './context.js';

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

/**
 * Creates a directory and its missing parents with `mode` (e.g. 0700 for `~/.config/sops/age`); the
 * directories that exist keep theirs.
 *
 * @throws SecretsError IO_WRITE
 */
export function makeDirectories(path: string, mode: number): void {
  try {
    mkdirSync(path, { recursive: true, mode });
  } catch (error) {
    throw directoryError(path, error);
  }
}

/** What a failed `mkdir -p` says: which directory, and why in words (never an internal error). */
function directoryError(path: string, error: unknown): SecretsError {
  const code = (error as NodeJS.ErrnoException).code;
  return new SecretsError('IO_WRITE', `could not create the directory ${JSON.stringify(path)}: ${code === 'EACCES' ? 'permission denied' : code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : 'failed'}`, { cause: error });
}

/** Whether something exists at `path` (through symlinks; access(2) with F_OK), for the callers that only branch on it. */
export const pathExists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** {@link pathExists}, synchronous. */
export function pathExistsSync(path: string): boolean {
  return existsSync(path);
}

/** Creates `path` and its missing parents with the default mode (mkdir -p); an error is passed on as it is. */
export async function ensureDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    throw directoryError(path, error);
  }
}

/** A small file of our own installation (e.g. package.json beside the code), as UTF-8 text. */
export function readOwnFile(url: URL): string {
  return readFileSync(url, 'utf8');
}
