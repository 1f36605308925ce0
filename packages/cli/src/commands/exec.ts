/**
 * `secrets exec-env` and `secrets exec-file` (sops' commands of the same names): hand the plaintext to a
 * command without it ever touching a persistent disk — as environment variables, or through a FIFO (or a
 * 0600 file with --no-fifo) in a private tmpfs directory removed afterwards. The command's exit status is
 * passed through.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsError, storeFor, type Value } from '@secrets/core';
import type { Context } from '../context.js';
import { makePrivateDir, writePrivateFile } from '../editor.js';
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

function run(command: string, env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'inherit', env: env });
    child.on('error', () => reject(new SecretsError('USAGE', 'could not run /bin/sh')));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}

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
  const dir = makePrivateDir(ctx);
  try {
    const path = join(dir.path, name);
    const command = options.command.replaceAll('{}', `'${path.replace(/'/g, "'\\''")}'`);
    if (options.noFifo) {
      writePrivateFile(dir, name, plaintext);
      return await run(command, { ...ctx.env });
    }
    // A FIFO holds nothing at rest: the plaintext exists only in the pipe while the command reads it.
    const made = spawnSync('mkfifo', ['-m', '600', path], { env: ctx.env });
    if (made.status !== 0) throw new SecretsError('IO_WRITE', 'could not create a FIFO', { hints: ['use --no-fifo'] });
    const child = run(command, { ...ctx.env });
    const writer = createWriteStream(path);
    let done = false;
    writer.on('error', () => undefined); // the command may exit without reading (EPIPE)
    writer.on('close', () => {
      done = true;
    });
    writer.end(plaintext);
    const status = await child;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the open callback meanwhile
    if (!done) {
      // The writer's open() blocks until a reader appears; if the command never read, be that reader
      // for a moment so the open completes, then close: the plaintext is dropped, not stored.
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      await new Promise<void>((resolve) => {
        writer.on('close', () => resolve());
        writer.destroy();
        closeSync(fd);
        setTimeout(resolve, 1000).unref();
      });
    }
    return status;
  } finally {
    dir.remove();
  }
}
