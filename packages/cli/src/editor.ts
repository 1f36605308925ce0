/**
 * Editing plaintext safely: a private directory on a memory-backed filesystem (never a persistent disk),
 * a 0600 file, an editor with swap/undo/backup/viminfo off, and removal of everything on every exit
 * path: normal return, thrown error, and SIGINT/SIGTERM/SIGHUP.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
import { SecretsError, shellSplit } from '@secrets/core';
import type { Context } from './context.js';
import { processAlive } from './io.js';

/** Filesystem magic numbers of memory-backed filesystems (statfs f_type; linux/magic.h). */
const MEMORY_FS = new Set([0x01021994 /* TMPFS_MAGIC */, 0x858458f6 /* RAMFS_MAGIC */]);

/** Where a private directory was made, and whether it is memory-backed. */
export interface PrivateDir {
  readonly path: string;
  readonly memoryBacked: boolean;
  /** Removes the directory and everything in it; idempotent. */
  readonly remove: () => void;
}

const liveDirs = new Set<PrivateDir>();
let handlersInstalled = false;

function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      for (const dir of liveDirs) dir.remove();
      // Re-raise the default behaviour: exit with 128 + signal number, as a shell would report.
      process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const)[signal]);
    });
  }
  process.on('exit', () => {
    for (const dir of liveDirs) dir.remove();
  });
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
 * memory-backed; otherwise refuses, unless `allowDisk` (then the caller must warn loudly).
 *
 * @param places - the candidate locations, in order (tests narrow them)
 * @throws SecretsError IO_WRITE when no memory-backed location exists and `allowDisk` is false
 */
export function makePrivateDir(ctx: Context, allowDisk = false, places: readonly (string | undefined)[] = [ctx.env['SECRETS_TMPDIR'], ctx.env['XDG_RUNTIME_DIR'], '/dev/shm']): PrivateDir {
  const candidates = places.filter((p): p is string => !!p);
  let base = candidates.find((p) => isMemoryBacked(p));
  let memoryBacked = base !== undefined;
  if (!base) {
    if (!allowDisk) {
      throw new SecretsError('IO_WRITE', 'no memory-backed directory for the plaintext (tried $XDG_RUNTIME_DIR and /dev/shm)', {
        hints: ['mount a tmpfs and point SECRETS_TMPDIR at it, or pass --allow-disk-tmp to accept the risk'],
      });
    }
    base = ctx.env['TMPDIR'] || '/tmp';
    memoryBacked = false;
  }
  sweepOrphans(base);
  const path = join(base, `secrets-${process.pid}-${randomBytes(8).toString('hex')}`);
  mkdirSync(path, { mode: 0o700 });
  installSignalHandlers();
  const dir: PrivateDir = {
    path,
    memoryBacked,
    remove: () => {
      if (!liveDirs.has(dir)) return;
      liveDirs.delete(dir);
      rmSync(path, { recursive: true, force: true });
    },
  };
  liveDirs.add(dir);
  return dir;
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

/** Whether an executable of that name is on the context's PATH. */
export function onPath(env: Context['env']): (program: string) => boolean {
  return (program) =>
    (env['PATH'] ?? '').split(delimiter).some((dir) => {
      try {
        accessSync(join(dir, program), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** Extra arguments that keep vim/neovim from writing swap, undo, backup or viminfo/shada copies. */
function hardeningArgs(program: string): string[] {
  const name = basename(program);
  if (name === 'nvim') return ['-n', '-i', 'NONE', '--cmd', 'set noundofile nobackup nowritebackup shada='];
  // Not plain `vi`: it may be nvi or busybox, which reject these flags.
  if (/^(vim|gvim|mvim|view)$/.test(name)) return ['-n', '-i', 'NONE', '--cmd', 'set noundofile nobackup nowritebackup viminfo='];
  return [];
}

/**
 * The editor command line: `SOPS_EDITOR`, else `EDITOR` (split like a shell would, arguments allowed),
 * else the first of vim, nano, vi on PATH (sops' order), with vim/neovim hardening added.
 *
 * @throws SecretsError USAGE when none is set and none is found
 */
export function editorCommand(ctx: Context, onPath: (program: string) => boolean): string[] {
  const configured = ctx.env['SOPS_EDITOR'] || ctx.env['EDITOR'];
  let argv: string[];
  if (configured) argv = shellSplit(configured);
  else {
    const found = ['vim', 'nano', 'vi'].find(onPath);
    if (!found) throw new SecretsError('USAGE', 'no editor found: set SOPS_EDITOR or EDITOR', { hints: ['e.g. export EDITOR=nano'] });
    argv = [found];
  }
  const [program, ...args] = argv as [string, ...string[]];
  return [program, ...hardeningArgs(program), ...args];
}

/**
 * Runs the editor on a file with the terminal's stdio and waits for it.
 *
 * @throws SecretsError USAGE when it cannot be started or exits non-zero (sops: exit 201)
 */
export function runEditor(argv: readonly string[], file: string, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const [program, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(program, [...args, file], { stdio: 'inherit', env: env });
    child.on('error', () => reject(new SecretsError('USAGE', `could not run editor ${JSON.stringify(program)}`, { details: { editor: true } })));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new SecretsError('USAGE', `editor ${JSON.stringify(program)} exited with ${signal ? `signal ${signal}` : `status ${code}`}`, { details: { editor: true } }));
    });
  });
}

/** Reads the edited file back. */
export async function readEdited(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}
