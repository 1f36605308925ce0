/**
 * Repository discovery: one walker and one skip list for every command that looks at a whole
 * repository (check, rekey, nix sops, agenix export), and the rule sops follows for nested `.sops.yaml`
 * files: a file belongs to the nearest `.sops.yaml` at or above its directory, the one sops finds when
 * run from there (config/config.go `LookupConfigFile` searches the working directory upward).
 */
import { dirname, join } from 'node:path';
import type { RepoView } from './view.js';

/**
 * Directories never entered: version control, dependency trees and direnv's cache hold no file of the
 * repository's own. Symbolic links are never followed (nix's `result` links point into the store).
 */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['.git', '.hg', '.jj', 'node_modules', '.direnv']);

/** The name sops looks for. */
export const SOPS_CONFIG_NAME = '.sops.yaml';

/** What a walk found, every list sorted. */
export interface RepositoryFiles {
  /** Regular files. */
  readonly files: readonly string[];
  /** Symbolic links (not followed). */
  readonly symlinks: readonly string[];
  /** FIFOs, sockets, devices. */
  readonly others: readonly string[];
  /** Every `.sops.yaml` (also among `files`). */
  readonly configs: readonly string[];
}

/** The most directories a walk enters: far above a real repository, a bound on a hostile tree. */
const MAX_DIRECTORIES = 100_000;

/**
 * Walks a repository from `root`, skipping {@link SKIPPED_DIRECTORIES} and never following links.
 *
 * @param view - the file system
 * @param root - absolute path of the directory to walk
 * @returns the regular files, links and special files below it
 */
export function walkRepository(view: RepoView, root: string): RepositoryFiles {
  const files: string[] = [];
  const symlinks: string[] = [];
  const others: string[] = [];
  const pending = [root];
  let visited = 0;
  while (pending.length > 0 && visited++ < MAX_DIRECTORIES) {
    const dir = pending.pop() as string;
    for (const entry of view.list(dir)) {
      const path = join(dir, entry.name);
      if (entry.kind === 'dir') {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) pending.push(path);
      } else if (entry.kind === 'file') files.push(path);
      else if (entry.kind === 'symlink') symlinks.push(path);
      else others.push(path);
    }
  }
  const sort = (list: string[]): string[] => list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { files: sort(files), symlinks: sort(symlinks), others: sort(others), configs: files.filter((f) => f.endsWith(`/${SOPS_CONFIG_NAME}`)) };
}

/**
 * Finds, for any file, the `.sops.yaml` it belongs to: the nearest one at or above its directory (as sops
 * finds it when run from there). Lookups are remembered per directory.
 *
 * @param exists - whether a `.sops.yaml` exists at a path (a walk's `configs`, or the view)
 * @returns the resolver: file → config path, or null when none is above it
 */
export function configResolver(exists: (path: string) => boolean): (file: string) => string | null {
  const memo = new Map<string, string | null>();
  const lookup = (dir: string, depth: number): string | null => {
    const known = memo.get(dir);
    if (known !== undefined) return known;
    const candidate = join(dir, SOPS_CONFIG_NAME);
    const parent = dirname(dir);
    const found = exists(candidate) ? candidate : parent === dir || depth > 4096 ? null : lookup(parent, depth + 1);
    memo.set(dir, found);
    return found;
  };
  return (file) => lookup(dirname(file), 0);
}
