/**
 * Running the CLI in tests: in-process with a fake context (fast, for many cases), or as a real process
 * of the installed command `packages/cli/bin/secrets.js`, which runs the bundle (what users run).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run, type Context } from '../../packages/cli/src/index.js';
import { SHARED_ROOT } from './shared.js';

/** Repository root (…/main) and the shared folder beside it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED = `${SHARED_ROOT}/`;
export const CLI_BIN = fileURLToPath(new URL('../../packages/cli/bin/secrets.js', import.meta.url));

/** What a CLI run produced. */
export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Uint8Array;
}

/** Options for a test run. */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  readonly stdin?: string | Uint8Array;
  readonly stdinIsTTY?: boolean;
  readonly home?: string;
  /** Answers to terminal prompts, in order; absent = no terminal. */
  readonly promptAnswers?: string[];
  /** runProcess: the script to run instead of the CLI's bin (e.g. a symlink named `sops` to it). */
  readonly bin?: string;
}

/** Runs the CLI in-process with a fake context. The env is exactly `options.env` (no process env). */
export async function runInProcess(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const out: Uint8Array[] = [];
  const err: string[] = [];
  const stdin = typeof options.stdin === 'string' ? new TextEncoder().encode(options.stdin) : (options.stdin ?? new Uint8Array());
  const answers = options.promptAnswers ? [...options.promptAnswers] : null;
  const ctx: Context = {
    env: { HOME: options.home ?? '/nonexistent-home', ...options.env },
    cwd: options.cwd ?? REPO_ROOT,
    homedir: options.home ?? '/nonexistent-home',
    platform: 'linux',
    stdin: { isTTY: options.stdinIsTTY ?? false, readAll: async () => stdin },
    stdout: { isTTY: false, write: (c) => void out.push(typeof c === 'string' ? new TextEncoder().encode(c) : c) },
    stderr: { isTTY: false, write: (c) => void err.push(typeof c === 'string' ? c : new TextDecoder().decode(c)) },
    prompt: answers
      ? async () => {
          const a = answers.shift();
          if (a === undefined) throw new Error('unexpected prompt');
          return a;
        }
      : null,
  };
  const status = await run(args, ctx);
  const stdoutBytes = Buffer.concat(out);
  return { status, stdout: stdoutBytes.toString('utf8'), stderr: err.join(''), stdoutBytes: new Uint8Array(stdoutBytes) };
}

/**
 * Runs the built CLI as a real process. The env is a minimal clean one plus `options.env`, with HOME set
 * to `options.home` (default: a path that does not exist) so the developer's own keys never leak in.
 */
export function runProcess(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: options.home ?? '/nonexistent-home' };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.bin ?? CLI_BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ status: code ?? -1, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes: new Uint8Array(stdoutBytes) });
    });
    // A command that does not read its input may exit before we write it: EPIPE then is no failure (the
    // exit status and output tell what happened), and unhandled it would crash the test run.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Asserts the CLI error grammar on every stderr line that is an error/warning/hint. */
export function grammarViolations(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('secrets: '))
    .filter((l) => !/^secrets: (error|warning|hint): [^A-Z].*[^.]$/.test(l));
}
