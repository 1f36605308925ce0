/**
 * The one size-capped file reader: identity files here, `.sops.yaml` in config, and every input of the CLI
 * go through it, so no file a command reads can make it hold more than its limit in memory.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';

/**
 * Reads a whole file of at most `max` bytes. A regular file over the limit is refused by its size before
 * anything is read; a pipe or device is read up to the limit and no further.
 *
 * Synchronous: callers have nothing to overlap a read with, and `rekey` reads hundreds of small files,
 * for which a thread-pool round trip per call costs more than the call.
 *
 * @param path - the file
 * @param max - the most bytes accepted
 * @param tooLarge - the error to throw for a larger input (its size, when known)
 * @returns the bytes, as a view of one buffer (no copy of a large file)
 * @throws the fs error (ENOENT, EISDIR, EACCES, …) or the error `tooLarge` makes
 */
export function readFileCapped(path: string, max: number, tooLarge: (size: number | null) => Error): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const info = fstatSync(fd);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (info.isFile() && info.size > max) throw tooLarge(info.size);
    if (info.isFile()) {
      const data = readFileSync(fd);
      if (data.length > max) throw tooLarge(null); // grew while being read
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
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
  } finally {
    closeSync(fd);
  }
}
