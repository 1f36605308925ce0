/**
 * Other programs, as the commands run them: git, ssh-keyscan, the editor, `/bin/sh -c` for exec-env and
 * exec-file, mkfifo, and the FIFO that feeds exec-file's command. Part of the CLI's one I/O module: the
 * only CLI code (with context.ts and cleanup.ts) that starts processes. Environments always come from the
 * caller (the Context's env), never from process.env.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, openSync, realpathSync } from 'node:fs';
import { Socket } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';

/** A started child process. */
export type { ChildProcess };

/** An environment handed to a child: the Context's env, possibly extended. */
export type ChildEnv = Record<string, string | undefined>;

/** Starts `program` with the terminal's stdio (inherited) and exactly `env`. */
export function spawnInheriting(program: string, args: readonly string[], env: ChildEnv): ChildProcess {
  return spawn(program, args, { stdio: 'inherit', env: env });
}

/** What {@link captureOutput} saw: the failure (non-zero exit, signal, not found, timeout) or null, and the output. */
export interface CapturedOutput {
  readonly error: NodeJS.ErrnoException | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `program` without a shell and collects its output as UTF-8 text (child_process.execFile); never rejects. */
export function captureOutput(program: string, args: readonly string[], options: { env: ChildEnv; cwd?: string; timeout?: number; maxBuffer?: number }): Promise<CapturedOutput> {
  return new Promise((resolve) => {
    execFile(program, args, options, (error, stdout, stderr) => resolve({ error: error as NodeJS.ErrnoException | null, stdout, stderr }));
  });
}

/** Where `program` is: itself when it has a slash, else the first executable of that name on PATH. */
export function findProgram(program: string, env: ChildEnv, cwd: string): string | null {
  if (program.includes('/')) return isAbsolute(program) ? program : join(cwd, program);
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The path with every symlink resolved, or null when it cannot be resolved. */
export function realPathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/**
 * The first line `program --version` prints (stdin and stderr ignored, 5 s, 64 KiB at most), or '' when it
 * cannot run. It runs in `/`, not the user's directory: a wrapper script that takes its first argument for
 * a file name must not leave a file named `--version` there.
 */
export function versionLine(path: string, env: ChildEnv): string {
  const r = spawnSync(path, ['--version'], { cwd: '/', env: env, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000, maxBuffer: 64 * 1024 });
  return (r.error ? '' : r.stdout.toString('utf8')).trimStart().split('\n')[0] ?? '';
}

/** Makes a 0600 FIFO at `path` with mkfifo(1); whether it was made. */
export function makeFifo(path: string, env: ChildEnv): boolean {
  return spawnSync('mkfifo', ['-m', '600', path], { env: env }).status === 0;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Feeds `data` into the FIFO at `path` for as long as the command runs. The FIFO is opened non-blocking,
 * retried while no reader has opened it yet (ENXIO), so no thread ever sits in a blocking open(2): a
 * command that exits without reading (or never opens the FIFO) just ends the feeding.
 */
export async function feedFifo(path: string, data: Uint8Array, exited: () => boolean): Promise<void> {
  let fd: number | null = null;
  while (fd === null) {
    if (exited()) return;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
      await pause(10);
    }
  }
  // A non-blocking pipe as a stream: libuv waits for room in the pipe instead of a thread blocking.
  const pipe = new Socket({ fd, readable: false, writable: true });
  await new Promise<void>((resolve) => {
    pipe.on('error', () => resolve()); // EPIPE: the command stopped reading
    pipe.on('close', () => resolve());
    pipe.end(data);
    const watch = setInterval(() => {
      if (exited()) pipe.destroy();
    }, 50);
    pipe.on('close', () => clearInterval(watch));
  });
}
