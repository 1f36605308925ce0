/**
 * The private directory plaintext lives in while it is edited or handed to a command: on a memory-backed
 * filesystem (never a persistent disk), 0700, its files 0600, removed on every exit path (and, when a
 * session was killed, by the next one). Part of the CLI's one I/O module.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SecretsError } from '@secrets/core';
import { onInterrupt } from './cleanup.js';
import type { Context } from './context.js';
import { processAlive } from './io-lock.js';

/** Filesystem magic numbers of memory-backed filesystems (statfs f_type; linux/magic.h). */
const MEMORY_FS = new Set([0x01021994 /* TMPFS_MAGIC */, 0x858458f6 /* RAMFS_MAGIC */]);

/** Where a private directory was made, and whether it is memory-backed. */
export interface PrivateDir {
  readonly path: string;
  readonly memoryBacked: boolean;
  /** Removes the directory and everything in it; idempotent. */
  readonly remove: () => void;
}

function isMemoryBacked(path: string): boolean {
  try {
    return MEMORY_FS.has(statfsSync(path).type);
  } catch {
    return false;
  }
}

/**
 * Makes a private (0700) directory for plaintext: under `$XDG_RUNTIME_DIR` or `/dev/shm` when they are
 * memory-backed; otherwise refuses, unless `allowDisk` (then the caller must warn loudly); null when the
 * command has no `--allow-disk-tmp` (its hint then does not offer one).
 *
 * @param places - the candidate locations, in order (tests narrow them)
 * @throws SecretsError IO_WRITE when no memory-backed location exists and `allowDisk` is false
 */
export function makePrivateDir(ctx: Context, allowDisk: boolean | null, places: readonly (string | undefined)[] = [ctx.env['SECRETS_TMPDIR'], ctx.env['XDG_RUNTIME_DIR'], '/dev/shm']): PrivateDir {
  const candidates = places.filter((p): p is string => !!p);
  let base = candidates.find((p) => isMemoryBacked(p));
  let memoryBacked = base !== undefined;
  if (!base) {
    if (allowDisk !== true) {
      throw new SecretsError('IO_WRITE', 'no memory-backed directory for the plaintext (tried $XDG_RUNTIME_DIR and /dev/shm)', {
        // null: the command has no --allow-disk-tmp, so the hint must not offer it.
        hints: [allowDisk === null ? 'mount a tmpfs and point SECRETS_TMPDIR at it' : 'mount a tmpfs and point SECRETS_TMPDIR at it, or pass --allow-disk-tmp to accept the risk'],
      });
    }
    base = ctx.env['TMPDIR'] || '/tmp';
    memoryBacked = false;
  }
  sweepOrphans(base);
  const path = join(base, `secrets-${process.pid}-${randomBytes(8).toString('hex')}`);
  mkdirSync(path, { mode: 0o700 });
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    rmSync(path, { recursive: true, force: true });
  };
  const unregister = onInterrupt(remove);
  return {
    path,
    memoryBacked,
    remove: () => {
      unregister();
      remove();
    },
  };
}

/**
 * Removes private dirs left by sessions that were killed (SIGKILL cannot be trapped): ours by name and
 * owner, whose process no longer exists. Their plaintext never left the tmpfs; this keeps it from lingering
 * there until reboot.
 */
function sweepOrphans(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const m = /^secrets-(\d+)-[0-9a-f]{16}$/.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      const st = lstatSync(join(base, name));
      if (st.isDirectory() && (uid === undefined || st.uid === uid)) rmSync(join(base, name), { recursive: true, force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/** Writes a new 0600 file (refusing to follow or reuse an existing path). */
export function writePrivateFile(dir: PrivateDir, name: string, data: Uint8Array): string {
  const path = join(dir.path, basename(name));
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Reads the edited file back. */
export async function readEdited(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}
