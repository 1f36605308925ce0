/**
 * The shape of a program run, shared by every layer that needs one (nix-instantiate for agenix rules,
 * gpg for PGP keys). Only the types live here: the real runner is `runProcess` in `keys/`, core's one
 * module that starts programs, and a deploy tool may pass its own.
 */

/** What a process run gives back. */
export interface ProcessResult {
  /** Exit status, or null when killed by a signal (timeout). */
  readonly status: number | null;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  /** True when the run was stopped for taking too long or printing too much. */
  readonly killed: boolean;
}

/** Options of one process run. */
export interface ProcessOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** Written to the program's standard input, which is then closed (default: nothing). */
  readonly input?: Uint8Array;
}

/**
 * Runs a program (argv, no shell). Rejects with an error whose `code` is `ENOENT` when the program is
 * not installed. `runProcess` from `@secrets/core` is the real one.
 */
export type ProcessRunner = (argv: readonly string[], options: ProcessOptions) => Promise<ProcessResult>;
