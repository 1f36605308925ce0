/**
 * The one size-capped file reader: identity files here, `.sops.yaml` in config, and every input of the CLI
 * go through it, so no file a command reads can make it hold more than its limit in memory, and no file
 * from a repository can make it hang.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import { SecretsError } from '../errors.js';

/** Options of {@link readFileCapped}. */
export interface ReadCappedOptions {
  /**
   * Accept a FIFO or character device (process substitution `<(…)`, `/dev/stdin`), read up to the limit.
   * Only for what the user names for themselves (identity and recipient files); anything a repository
   * provides must be a regular file: a committed link to `/dev/zero` never ends, one to a FIFO blocks.
   */
  readonly streams?: boolean;
  /** Refuse a symbolic link instead of following it (O_NOFOLLOW): for lock files. */
  readonly noFollow?: boolean;
  /** How messages name the file (default: the path, quoted). */
  readonly shown?: string;
}

/** What a non-regular file is, for messages. */
function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegular(shown: string, kind: string): SecretsError {
  return new SecretsError('IO_READ', `${shown} is ${kind}, not a regular file`, {
    hints: ['files from a repository must be regular files (a link to a device or FIFO is refused); use - to read standard input'],
    details: { kind },
  });
}

function readStream(fd: number, max: number, tooLarge: (size: number | null) => Error): Uint8Array {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 20, max + 1 - total));
    const bytesRead = readSync(fd, chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > max) throw tooLarge(null);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/**
 * Reads a whole regular file of at most `max` bytes; one over the limit is refused by its size before
 * anything is read. A FIFO, device or socket is refused (IO_READ) unless `options.streams`, and then read
 * up to the limit and no further.
 *
 * Without `streams` the file is opened O_NONBLOCK, so that opening a FIFO never waits for a writer before
 * it can be refused.
 * Synchronous: callers have nothing to overlap a read with, and `rekey` reads hundreds of small files,
 * for which a thread-pool round trip per call costs more than the call.
 *
 * @param path - the file
 * @param max - the most bytes accepted
 * @param tooLarge - the error to throw for a larger input (its size, when known)
 * @param options - streams allowed, O_NOFOLLOW, the name for messages
 * @returns the bytes, as a view of one buffer (no copy of a large file)
 * @throws the fs error (ENOENT, EISDIR, EACCES, ELOOP for a link under `noFollow`, …), the error
 *   `tooLarge` makes, or SecretsError IO_READ for a file that is not a regular file
 */
export function readFileCapped(path: string, max: number, tooLarge: (size: number | null) => Error, options: ReadCappedOptions = {}): Uint8Array {
  // Non-blocking unless pipes are wanted: then the open must wait for the writer, as any reader's does
  // (closing and reopening would lose a writer that came meanwhile).
  const flags = constants.O_RDONLY | (options.streams ? 0 : constants.O_NONBLOCK) | (options.noFollow ? constants.O_NOFOLLOW : 0);
  const fd = openSync(path, flags);
  try {
    const info = fstatSync(fd);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (info.isFile()) {
      if (info.size > max) throw tooLarge(info.size);
      const data = readFileSync(fd);
      if (data.length > max) throw tooLarge(null); // grew while being read
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
    if (!options.streams) throw notRegular(options.shown ?? JSON.stringify(path), kindOf(info));
    return readStream(fd, max, tooLarge);
  } finally {
    closeSync(fd);
  }
}
