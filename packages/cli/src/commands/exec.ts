/**
 * `secrets exec-env` and `secrets exec-file` (sops' commands of the same names): hand the plaintext to a
 * command without it ever touching a persistent disk — as environment variables, or through a FIFO (or a
 * 0600 file with --no-fifo) in a private tmpfs directory removed afterwards. The command's exit status is
 * passed through.
 */
import { join } from 'node:path';
import { SecretsError, storeFor, type Value } from '@secrets/core';
import { childStatus, waitForeground } from '../cleanup.js';
import type { Context } from '../context.js';
import { makePrivateDir, writePrivateFile } from '../io-private.js';
import { feedFifo, makeFifo, spawnInheriting, type ChildProcess } from '../io-process.js';
import { openForWrite } from './modify.js';

/**
 * Go's strconv.FormatFloat(v, 'G', -1, 64): shortest digits; %E form when the exponent is < -4 or >= 6
 * (Go uses precision 6 for that decision when the digits are the shortest), with a two-digit exponent.
 */
function goFloatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, expText] = Math.abs(v).toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const sign = v < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) return `${sign}${mantissa}E${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${sign}${Math.abs(v).toFixed(Math.max(0, mantissa.replace('.', '').length - 1 - exp))}`;
}

/** sops stores.ValToString for env values: bools true/false, ints decimal, floats 'G' with ".0" forced on whole numbers. */
function envValue(key: string, value: Value): string {
  switch (value.kind) {
    case 'string':
    case 'time':
      return value.value;
    case 'int':
      return value.value.toString();
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'float': {
      const g = goFloatG(value.value);
      return /^-?\d+$/.test(g) ? `${g}.0` : g;
    }
    case 'null':
      return '';
    default:
      throw new SecretsError('USAGE', `cannot use the nested value of ${JSON.stringify(key)} as an environment variable`, { hints: ['exec-env takes the top-level scalar values only; use exec-file for nested data'] });
  }
}

/**
 * Starts `/bin/sh -c command` in the foreground; the promise is its exit status (128 + signal number when
 * a signal ended it). SIGTERM and SIGHUP sent to us are passed on to it (cleanup.ts), so the status is
 * always the command's own.
 */
function start(command: string, env: Record<string, string | undefined>): { child: ChildProcess; status: Promise<number> } {
  const child = spawnInheriting('/bin/sh', ['-c', command], env);
  const status = waitForeground(child).then(childStatus, () => {
    throw new SecretsError('USAGE', 'could not run /bin/sh');
  });
  return { child, status };
}

const run = (command: string, env: Record<string, string | undefined>): Promise<number> => start(command, env).status;

/** Options of `secrets exec-env`. */
export interface ExecEnvOptions {
  readonly file: string;
  readonly command: string;
  readonly pristine: boolean;
  readonly inputType?: string;
}

/** Runs `secrets exec-env FILE COMMAND`. */
export async function execEnv(ctx: Context, options: ExecEnvOptions): Promise<number> {
  const { opened } = await openForWrite(ctx, options.file, options.inputType === undefined ? {} : { inputType: options.inputType });
  const root = opened.document.branches[0];
  const vars: Record<string, string> = {};
  for (const item of root?.items ?? []) {
    if (item.kind !== 'entry') continue;
    if (item.key.includes('=')) throw new SecretsError('USAGE', `cannot use key ${JSON.stringify(item.key)} as an environment variable: it contains "="`);
    vars[item.key] = envValue(item.key, item.value);
  }
  const base = options.pristine ? {} : { ...ctx.env };
  return run(options.command, { ...base, ...vars });
}

/** Options of `secrets exec-file`. */
export interface ExecFileOptions {
  readonly file: string;
  readonly command: string;
  readonly noFifo: boolean;
  readonly filename?: string;
  readonly outputType?: string;
  readonly inputType?: string;
}

/** Runs `secrets exec-file FILE COMMAND` (`{}` in COMMAND is the plaintext's path). */
export async function execFile(ctx: Context, options: ExecFileOptions): Promise<number> {
  const target = await openForWrite(ctx, options.file, options.inputType === undefined ? {} : { inputType: options.inputType });
  const format = options.outputType === 'yaml' || options.outputType === 'json' || options.outputType === 'dotenv' || options.outputType === 'ini' || options.outputType === 'binary' ? options.outputType : target.format;
  const plaintext = storeFor(format).emitPlain(target.opened.document);
  const name = options.filename ?? 'tmp-file';
  if (name.includes('/') || name === '..' || name === '.') throw new SecretsError('USAGE', '--filename must be a plain file name');
  const dir = makePrivateDir(ctx, null);
  try {
    const path = join(dir.path, name);
    const command = options.command.replaceAll('{}', `'${path.replace(/'/g, "'\\''")}'`);
    if (options.noFifo) {
      writePrivateFile(dir, name, plaintext);
      return await run(command, { ...ctx.env });
    }
    // A FIFO holds nothing at rest: the plaintext exists only in the pipe while the command reads it.
    if (!makeFifo(path, ctx.env)) throw new SecretsError('IO_WRITE', 'could not create a FIFO', { hints: ['use --no-fifo'] });
    const { child, status: exit } = start(command, { ...ctx.env });
    const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
    const [status] = await Promise.all([exit, feedFifo(path, plaintext, exited).catch(() => undefined)]);
    return status;
  } finally {
    dir.remove();
  }
}
