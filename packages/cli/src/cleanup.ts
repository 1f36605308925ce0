/**
 * One place that decides what SIGINT, SIGTERM and SIGHUP do, so that no signal leaves plaintext, a temp
 * file or a stale lock behind, and none cuts the ground from under an editor that is still running:
 *
 * - With no child in the foreground: every registered cleanup runs (private dirs, temp files, our locks),
 *   then the process exits with 128 + the signal's number, as a shell reports it.
 * - While an editor or an exec'd command runs: SIGTERM and SIGHUP are passed on to it and the signal is
 *   remembered; SIGINT is left to the child, which got it from the terminal too (vim treats Ctrl+C as a
 *   key). Nothing is removed until the child has exited: the caller then sees {@link Interrupted} or the
 *   child's status, and its `finally` blocks clean up.
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

const HANDLED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type HandledSignal = (typeof HANDLED)[number];

/** The exit status a shell reports for a process ended by `signal`: 128 + its number. */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + ((constants.signals as Partial<Record<string, number>>)[signal] ?? 15);
}

/**
 * A run ended by the user or the system (Ctrl+C at a prompt, SIGTERM during an edit): a quiet exit with
 * 128 + the signal's number, after the usual cleanup on the way out.
 */
export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }

  /** 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. */
  get status(): number {
    return signalStatus(this.signal);
  }
}

const cleanups = new Set<() => void>();
let foreground: ChildProcess | null = null;
let pending: HandledSignal | null = null;
let installed = false;

function runCleanups(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // best effort: the others still run
    }
  }
}

function onSignal(signal: HandledSignal): void {
  if (foreground !== null && foreground.exitCode === null && foreground.signalCode === null) {
    if (signal !== 'SIGINT') {
      pending = signal;
      foreground.kill(signal);
    }
    return;
  }
  runCleanups();
  process.exit(signalStatus(signal));
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of HANDLED) process.on(signal, () => onSignal(signal));
  process.on('exit', runCleanups);
}

/**
 * Ends the process as `signal` would have, from anywhere (Ctrl+C read as a key at a prompt, where core
 * code between the prompt and the command might otherwise wrap it into an error): every registered
 * cleanup runs, then exit with 128 + the signal's number, quietly.
 */
export function exitInterrupted(signal: NodeJS.Signals): never {
  runCleanups();
  process.exit(signalStatus(signal));
}

/**
 * Registers `cleanup` to run if a signal ends the process (or it exits) before `unregister` is called.
 *
 * @returns unregister: call it once the thing is cleaned up (or kept) in the normal course
 */
export function onInterrupt(cleanup: () => void): () => void {
  install();
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
}

/**
 * Waits for `child`, which runs in the foreground (signals are handled as described in the module
 * comment). `code` and `signal` are the child's; `interrupted` is the SIGTERM or SIGHUP that arrived
 * meanwhile (and was passed on), if any.
 */
export function waitForeground(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; interrupted: NodeJS.Signals | null }> {
  install();
  foreground = child;
  pending = null;
  return new Promise((resolve, reject) => {
    const done = (): void => {
      if (foreground === child) foreground = null;
    };
    child.once('error', (error) => {
      done();
      reject(error);
    });
    child.once('exit', (code, signal) => {
      done();
      const interrupted = pending;
      pending = null;
      resolve({ code, signal, interrupted });
    });
  });
}

/** The status a child reported, as a shell would: its code, or 128 + the number of the signal that ended it. */
export function childStatus(result: { code: number | null; signal: NodeJS.Signals | null }): number {
  return result.code ?? (result.signal ? signalStatus(result.signal) : 1);
}
