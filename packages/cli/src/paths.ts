/**
 * Paths as users give them and as commands show them. Every command takes relative and absolute paths,
 * `./x`, and paths through symlinked directories; it works on the absolute path and reports the path
 * relative to the working directory (as sops and git do), or absolute when the file lies outside it.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { SecretsError } from '@secrets/core';
import type { Context } from './context.js';
import { fileIdentity, pathKind, resolvePath } from './io.js';

/**
 * The absolute form of a user-given path, its directories resolved physically (see io `resolvePath`):
 * what every command works on.
 */
export function absolutePath(ctx: Context, path: string): string {
  return resolvePath(ctx, path);
}

/**
 * The files a command was given, as absolute paths; each must be a regular file (a missing one is sops'
 * "file does not exist", exit 100, not an internal error halfway through).
 *
 * @throws SecretsError FILE_NOT_FOUND, IO_READ (a directory or a device)
 */
export function inputFiles(ctx: Context, files: readonly string[]): string[] {
  return checkedPaths(ctx, files, false);
}

/**
 * The paths a command was given, as absolute paths, each of which must exist and not be a directory
 * (anything else is fine: `check` reports a link or a FIFO where a secret belongs as a finding).
 *
 * @throws SecretsError FILE_NOT_FOUND, IO_READ (a directory)
 */
export function existingPaths(ctx: Context, files: readonly string[]): string[] {
  return checkedPaths(ctx, files, true);
}

/** Absolute paths of files that exist and are no directory; `other` says whether a FIFO or device will do. */
function checkedPaths(ctx: Context, files: readonly string[], other: boolean): string[] {
  return files.map((file) => {
    const kind = pathKind(ctx, file);
    if (kind === 'missing') throw new SecretsError('FILE_NOT_FOUND', `file ${JSON.stringify(file)} does not exist`);
    if (kind === 'directory') throw new SecretsError('IO_READ', `${JSON.stringify(file)} is a directory`);
    if (kind === 'other' && !other) throw new SecretsError('IO_READ', `${JSON.stringify(file)} is not a regular file`);
    return absolutePath(ctx, file);
  });
}

/**
 * How a path is shown: relative to the working directory when it lies under it (no `./`), else absolute.
 * Uses `/` on every platform, like the repository-relative paths in `.sops.yaml`.
 */
export function displayPath(ctx: Context, path: string): string {
  const abs = absolutePath(ctx, path);
  const rel = relative(ctx.cwd, abs);
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return abs;
  return rel.split(sep).join('/');
}

/**
 * Refuses an output path that names one of the inputs (the same file, through any spelling or symlink):
 * writing it would replace an identity or the file being read before anyone notices, as age refuses too
 * (age#491).
 *
 * @param output - the output path (`-` for stdout is never an input)
 * @param inputs - what the command reads: files, identity files, key files from the environment
 * @param outputOption - the command's output option as its --help spells it, named in the hint
 * @throws SecretsError USAGE naming the output
 */
export function refuseOutputIsInput(ctx: Context, output: string | undefined, inputs: readonly (string | undefined)[], outputOption: string): void {
  if (output === undefined) return;
  const target = fileIdentity(ctx, output);
  if (target === null) return;
  for (const input of inputs) {
    if (input === undefined || input === '-') continue;
    if (fileIdentity(ctx, input) === target) {
      throw new SecretsError('USAGE', `the output ${JSON.stringify(output)} is also an input (${JSON.stringify(input)}): refusing to overwrite it`, {
        hints: [`write to another file (${outputOption})`],
      });
    }
  }
}
