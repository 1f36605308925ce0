/**
 * The Node runner for age plugins (the age layer's `AgePluginRunner`): finds `age-plugin-NAME` on PATH
 * and starts it with `--age-plugin=STATE_MACHINE`, its standard input and output as the IPC channel.
 *
 * C2SP age-plugin: "Paths relative to the current working directory MUST NOT be searched", so PATH is
 * searched here, absolute directories only, and the program is started by its absolute path (Node's
 * spawn would search relative and empty PATH entries too). The plugin inherits the environment it is
 * given (hardware plugins need PCSC, XDG and HOME variables), and its standard error is kept, bounded,
 * for the error message when it fails.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { AgePluginProcess, AgePluginRequest, AgePluginRunner } from '../age/index.js';
import { isValidPluginName } from '../age/index.js';
import { SecretsError } from '../errors.js';

/** Bytes of a plugin's standard error kept for messages (the end of it). */
const STDERR_KEPT = 8 * 1024;

/** How long a plugin may take to exit once its conversation is over, before it is killed. */
const EXIT_GRACE_MS = 5000;

/**
 * Finds a program in the absolute directories of a PATH.
 *
 * @param program - a bare program name
 * @param path - the PATH value
 * @returns its absolute path, or null
 */
export function findOnPath(program: string, path: string | undefined): string | null {
  if (program.includes('/') || program.includes('\\')) return null;
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, program);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Options of {@link nodeAgePluginRunner}. */
export interface NodeAgePluginRunnerOptions {
  /** The plugin's environment, PATH included (the whole of it: nothing else is inherited). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The runner that starts plugins as child processes.
 *
 * @param options - the environment (its PATH is searched)
 * @returns a runner for `setAgePluginHost` / the `plugins` option
 */
export function nodeAgePluginRunner(options: NodeAgePluginRunnerOptions): AgePluginRunner {
  return async (request: AgePluginRequest): Promise<AgePluginProcess> => {
    // Checked again here: this is where a name becomes a program.
    if (!isValidPluginName(request.plugin) || request.program !== `age-plugin-${request.plugin.toLowerCase()}`) {
      throw new SecretsError('AGE_RECIPIENT_INVALID', 'invalid age plugin name');
    }
    const file = findOnPath(request.program, options.env['PATH']);
    if (file === null) {
      throw new SecretsError('FILE_NOT_FOUND', `${request.program} was not found on PATH`, {
        hints: [`install the plugin for "${request.plugin}" keys so that ${request.program} is on PATH (age-plugin-yubikey, age-plugin-tpm, …)`],
      });
    }
    return startPlugin(file, request, options.env);
  };
}

function startPlugin(file: string, request: AgePluginRequest, env: Readonly<Record<string, string | undefined>>): Promise<AgePluginProcess> {
  const child = spawn(file, [`--age-plugin=${request.stateMachine}`], { env: { ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = Buffer.alloc(0);
  child.stderr.on('data', (d: Buffer) => {
    stderr = Buffer.concat([stderr, d]);
    if (stderr.length > STDERR_KEPT) stderr = stderr.subarray(stderr.length - STDERR_KEPT);
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // A write to a plugin that has exited fails with EPIPE; the write's promise reports it.
  child.stdin.on('error', () => undefined);
  const chunks: Buffer[] = [];
  let ended = false;
  let waiting: (() => void) | null = null;
  const wake = (): void => {
    const w = waiting;
    waiting = null;
    w?.();
  };
  child.stdout.on('data', (d: Buffer) => {
    chunks.push(d);
    child.stdout.pause(); // one chunk at a time: the client reads as it needs
    wake();
  });
  child.stdout.on('end', () => {
    ended = true;
    wake();
  });
  const proc: AgePluginProcess = {
    write: (data) =>
      new Promise((resolve, reject) => {
        if (child.stdin.destroyed || child.stdin.writableEnded) {
          reject(new Error('the plugin has exited'));
          return;
        }
        child.stdin.write(data, (error) => (error ? reject(error) : resolve()));
      }),
    async read() {
      for (;;) {
        const chunk = chunks.shift();
        if (chunk) return new Uint8Array(chunk);
        if (ended) return null;
        await new Promise<void>((resolve) => {
          waiting = resolve;
          child.stdout.resume();
        });
      }
    },
    async close() {
      child.stdin.end();
      let timer: NodeJS.Timeout | undefined;
      const status = await Promise.race([exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), EXIT_GRACE_MS)))]);
      clearTimeout(timer);
      if (status === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
      return { status: status === 'timeout' ? null : status, stderr: stderr.toString('utf8') };
    },
  };
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(proc));
    child.once('error', (error) => reject(new SecretsError('AGE_DECRYPT_FAILED', `${request.program} could not be started`, { cause: error })));
  });
}
