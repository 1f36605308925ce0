/**
 * Files a rules file reads from its repository (`import ./keys.nix`, `builtins.readFile ./host.pub`):
 * only regular files, only inside the repository (after symlinks are resolved), each capped in size.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { SecretsError } from '../errors.js';
import { readConfigFile } from './find.js';

/**
 * The repository a path is in: the nearest directory at or above `start` holding `.git`.
 *
 * @param start - an absolute directory
 * @returns that directory, or null when there is none
 */
export function findRepositoryRoot(start: string): string | null {
  let dir = start;
  for (let i = 0; i < 100; i++) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  return null;
}

/**
 * A reader for the Nix reader's `import` and `readFile`: refuses what resolves outside `root` (symlinks
 * included), devices, FIFOs and sockets; reads at most 16 MiB (readConfigFile).
 *
 * @param root - the repository root, absolute
 * @returns the reader: an absolute path in, its text out; throws `code` ENOENT/EISDIR like node:fs
 */
export function repositoryFileReader(root: string): (path: string) => string {
  let realRoot: string | null = null;
  return (path: string): string => {
    realRoot ??= realpathSync(root);
    const real = realpathSync(path);
    const rel = relative(realRoot, real);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new SecretsError('CONFIG_INVALID', 'leads outside the repository (through a symlink)');
    const info = statSync(real);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!info.isFile()) throw new SecretsError('CONFIG_INVALID', 'is not a regular file');
    return readConfigFile(real);
  };
}
