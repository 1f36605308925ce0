/**
 * Streamed writes (`secrets age decrypt` of a file of any size): chunks go to a temp file as they come,
 * renamed over the target by the one write path's rules (io-write.ts) once all were written. Part of the
 * CLI's one I/O module (io.ts re-exports it).
 */
import { closeSync, fsyncSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SecretsError } from '@secrets/core';
import type { Context } from './context.js';
import { removeQuietly, withFileLock } from './io-lock.js';
import { resolvePath } from './io-paths.js';
import { isSpecialFile, streamInto, syncDirectory, writeError, writeTarget, writeTemp, type WriteOptions } from './io-write.js';

/** Bytes streamed between two collections of the young generation (see {@link collectingYoung}). */
const COLLECT_EVERY = 1 << 20;

let minorGc: ((options: { type: 'minor' }) => void) | null | undefined;

/**
 * A minor (young generation) collection, where V8 allows it. A stream of chunks allocates a few buffers
 * per chunk (read, reassembled, decrypted) whose memory lives outside the JavaScript heap: V8 frees it
 * only when their small handles are collected, and the young generation fills so slowly that tens of
 * megabytes of dead chunks pile up first (100 MB through `age decrypt`: 86 MiB peak). A scavenge of a
 * young generation of dead handles costs microseconds. `gc` exists only with --expose-gc, given here
 * (the function is taken from a new context, the one kind that gets it after start-up).
 */
function collectYoung(): void {
  if (minorGc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      minorGc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
    } catch {
      minorGc = null;
    }
  }
  minorGc?.({ type: 'minor' });
}

/** The chunks as they come, the young generation collected every {@link COLLECT_EVERY} bytes once written. */
async function* collectingYoung(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let since = 0;
  for await (const chunk of chunks) {
    yield chunk;
    since += chunk.length;
    if (since >= COLLECT_EVERY) {
      since = 0;
      collectYoung();
    }
  }
}

/**
 * Writes chunks as they come: to stdout for `-`, else to a temp file beside the target that is fsynced
 * and renamed over it only when every chunk was written (an error midway leaves the target as it was).
 * Memory stays bounded by a few chunks, however long the stream.
 *
 * @throws the producer's error as it is; SecretsError IO_WRITE for the file
 */
export async function writeOutputStream(ctx: Context, path: string, stream: AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<void> {
  const chunks = collectingYoung(stream);
  if (path === '-') {
    for await (const chunk of chunks) ctx.stdout.write(chunk);
    return;
  }
  // Through symlinks to the real file, as every write (writeTarget); a FIFO or device is written into.
  const target = writeTarget(resolvePath(ctx, path));
  if (isSpecialFile(target)) return streamInto(target, path, chunks);
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
