/**
 * The one place core starts a program for a caller (discovery's key commands keep their own runner, and
 * age plugins, which converse over standard input and output, theirs: `plugin-process.ts`):
 * argv without a shell, a given environment, a timeout (SIGKILL) and an output cap. Used to run
 * `nix-instantiate` for agenix rules and `gpg` for PGP keys; matches the `ProcessRunner` type.
 */
import { execFile } from 'node:child_process';

/** What {@link runProcess} gives back (the shape of agenix's ProcessResult). */
export interface ProcessRunResult {
  readonly status: number | null;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  readonly killed: boolean;
}

/**
 * Runs a program and collects its output.
 *
 * @param argv - program and arguments
 * @param options - environment (the whole of it: nothing is inherited), cwd, timeout, output cap, and
 *   what to write to its standard input (a pipe: never a file on disk)
 * @returns status, output, and whether it was killed (timeout or too much output)
 * @throws the spawn error (`code` ENOENT when the program is not installed)
 */
export function runProcess(
  argv: readonly string[],
  options: { readonly env: Readonly<Record<string, string>>; readonly cwd: string; readonly timeoutMs: number; readonly maxOutputBytes: number; readonly input?: Uint8Array },
): Promise<ProcessRunResult> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file as string,
      args,
      { env: { ...options.env }, cwd: options.cwd, encoding: 'buffer', maxBuffer: options.maxOutputBytes, timeout: options.timeoutMs, killSignal: 'SIGKILL' },
      (error: (Error & { code?: string | number | null }) | null, stdout: Buffer, stderr: Buffer) => {
        const code = error?.code;
        if (error && (code === 'ENOENT' || code === 'EACCES')) {
          reject(error);
          return;
        }
        const killed = child.killed || code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
        resolve({ status: killed ? null : child.exitCode, stdout: new Uint8Array(stdout), stderr: new Uint8Array(stderr), killed });
      },
    );
    // A program that exits without reading its input (EPIPE) is judged by its status, not by the pipe.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input === undefined ? undefined : Buffer.from(options.input));
  });
}
