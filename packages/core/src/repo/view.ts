/**
 * The file-system view the repository layer works over. The layer itself never touches the disk: the
 * CLI passes a view over the real files (its io module), a deploy tool or a test passes its own (for
 * example {@link memoryView} over files it already holds). Paths are absolute, `/`-separated.
 */
import { SecretsError } from '../errors.js';
import { MAX_CONFIG_BYTES } from '../config/find.js';

/** What a directory entry is, seen without following links (lstat). */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

/** One directory entry. */
export interface RepoEntry {
  readonly name: string;
  readonly kind: EntryKind;
}

/** Read-only access to a repository's files. */
export interface RepoView {
  /** The entries of a directory (no `.`/`..`), in any order. */
  list(dir: string): readonly RepoEntry[];
  /** What a path is without following a final link, or null when it does not exist. */
  kind(path: string): EntryKind | null;
  /** A regular file's size in bytes. */
  size(path: string): number;
  /**
   * A regular file's bytes, refusing more than `max`.
   *
   * @throws SecretsError LIMIT_EXCEEDED over `max`; IO_READ when it is not a regular file
   */
  read(path: string, max: number): Uint8Array;
  /** A regular file's bytes in order, in pieces, for scanning a file of any size without holding it. */
  chunks(path: string): Iterable<Uint8Array>;
  /** Where a symbolic link points (its text), for messages; null when unknown. */
  linkTarget?(path: string): string | null;
}

/** One file of a {@link memoryView}: bytes, or a symbolic link's target. */
export type MemoryEntry = Uint8Array | { readonly link: string };

/**
 * A view over files held in memory (tests, tools that already hold a checkout). Directories are
 * implied by the paths.
 *
 * @param files - absolute path → bytes, or `{ link }` for a symbolic link
 * @returns the view
 */
export function memoryView(files: ReadonlyMap<string, MemoryEntry>): RepoView {
  const dirs = new Map<string, Map<string, 'file' | 'dir' | 'symlink'>>();
  const entry = (dir: string): Map<string, 'file' | 'dir' | 'symlink'> => {
    let d = dirs.get(dir);
    if (!d) dirs.set(dir, (d = new Map<string, 'file' | 'dir' | 'symlink'>()));
    return d;
  };
  for (const [path, content] of files) {
    const parts = path.split('/').filter((p) => p !== '');
    for (let i = 0; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      const last = i === parts.length - 1;
      entry(dir).set(parts[i] as string, last ? (content instanceof Uint8Array ? 'file' : 'symlink') : 'dir');
    }
  }
  const fileAt = (path: string): Uint8Array => {
    const content = files.get(path);
    if (!(content instanceof Uint8Array)) throw new SecretsError('IO_READ', `${JSON.stringify(path)} is not a regular file`);
    return content;
  };
  return {
    list: (dir) => [...(dirs.get(dir.replace(/(.)\/$/, '$1')) ?? [])].map(([name, kind]) => ({ name, kind })),
    kind: (path) => {
      const content = files.get(path);
      if (content !== undefined) return content instanceof Uint8Array ? 'file' : 'symlink';
      return dirs.has(path) ? 'dir' : null;
    },
    size: (path) => fileAt(path).length,
    read: (path, max) => {
      const bytes = fileAt(path);
      if (bytes.length > max) throw new SecretsError('LIMIT_EXCEEDED', `${JSON.stringify(path)} is ${bytes.length} bytes, the limit is ${max} bytes`, { details: { limit: 'inputBytes', max } });
      return bytes;
    },
    chunks: (path) => [fileAt(path)],
    linkTarget: (path) => {
      const content = files.get(path);
      return content !== undefined && !(content instanceof Uint8Array) ? content.link : null;
    },
  };
}

/**
 * A configuration file's text (`.sops.yaml`, `secrets.nix`, `secrets.lock`), refused over
 * {@link MAX_CONFIG_BYTES} by its size, before it is read.
 *
 * @throws SecretsError LIMIT_EXCEEDED, IO_READ
 */
export function readConfigText(view: RepoView, path: string): string {
  const size = view.kind(path) === 'file' ? view.size(path) : 0;
  if (size > MAX_CONFIG_BYTES) {
    throw new SecretsError('LIMIT_EXCEEDED', `${path} is ${size} bytes: configuration files are read up to ${MAX_CONFIG_BYTES} bytes`, { details: { limit: 'configBytes', max: MAX_CONFIG_BYTES } });
  }
  return new TextDecoder().decode(view.read(path, MAX_CONFIG_BYTES));
}
