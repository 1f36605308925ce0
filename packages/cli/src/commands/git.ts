/**
 * `secrets git-setup` and `secrets textconv`: `git diff` shows plaintext diffs of sops files to whoever
 * holds a key, and the encrypted text to everyone else (textconv falls back to the file as it is).
 */
import { execFile } from 'node:child_process';
import { dirname, extname, join, relative } from 'node:path';
import { SecretsError, discoverIdentities, findConfig, formatFromPath, loadConfig, matchCreationRule, openSopsFile, readConfigFile, storeFor } from '@secrets/core';
import type { Context } from '../context.js';
import { gpgAccess } from '../identities.js';
import { readInput, writeFileAtomic } from '../io.js';
import { printNote } from '../output.js';

const DRIVER = 'secrets';

/**
 * Runs `secrets textconv FILE`: the decrypted file when a key opens it, else the file unchanged. Never
 * fails (git would show an error instead of a diff); never prompts.
 */
export async function textconv(ctx: Context, options: { file: string }): Promise<number> {
  const bytes = await readInput(ctx, options.file);
  try {
    const format = formatFromPath(options.file);
    const { identities } = await discoverIdentities({ env: ctx.env, homedir: ctx.homedir, platform: ctx.platform });
    // gpg too, but never asking (git runs textconv with no one to answer)
    const opened = await openSopsFile(bytes, { format, identities, gpg: { ...gpgAccess(ctx).gpg, noPrompt: true } });
    ctx.stdout.write(storeFor(format).emitPlain(opened.document));
  } catch {
    ctx.stdout.write(bytes);
  }
  return 0;
}

function git(ctx: Context, cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: ctx.env }, (error: Error | null, stdout: string) => (error ? reject(error) : resolve(stdout)));
  });
}

/**
 * Runs `secrets git-setup`: sets the diff driver in the repository's git config and adds
 * `.gitattributes` lines (`<dir>/*<ext> diff=secrets`) for the directories holding sops files.
 */
export async function gitSetup(ctx: Context, options: { config?: string }): Promise<number> {
  let top: string;
  try {
    top = (await git(ctx, ctx.cwd, ['rev-parse', '--show-toplevel'])).trim();
  } catch {
    throw new SecretsError('USAGE', 'not inside a git repository');
  }
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(options.config ? { explicit: options.config } : {}) });
  if (!found) throw new SecretsError('CONFIG_NOT_FOUND', 'no .sops.yaml found (searched from the working directory upward)');
  const config = await loadConfig(found);
  const tracked = (await git(ctx, top, ['ls-files', '-z'])).split('\0').filter((f) => f !== '');
  const patterns = new Set<string>();
  for (const file of tracked) {
    const abs = join(top, file);
    try {
      matchCreationRule(config, abs);
    } catch {
      continue;
    }
    const dir = relative(top, dirname(abs));
    patterns.add(`${dir === '' ? '' : `${dir}/`}*${extname(file)}`);
  }
  await git(ctx, top, ['config', `diff.${DRIVER}.textconv`, 'secrets textconv']);
  await git(ctx, top, ['config', `diff.${DRIVER}.cachetextconv`, 'false']);
  const attributes = join(top, '.gitattributes');
  // Capped, regular files only (a committed link to /dev/zero is refused); only a missing file is empty.
  let current = '';
  try {
    current = readConfigFile(attributes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error instanceof SecretsError ? error : new SecretsError('IO_READ', `could not read ${JSON.stringify(attributes)}`, { cause: error });
  }
  const lines = [...patterns].sort().map((p) => `${p} diff=${DRIVER}`).filter((l) => !current.split('\n').includes(l));
  if (lines.length > 0) await writeFileAtomic(attributes, `${current}${current === '' || current.endsWith('\n') ? '' : '\n'}${lines.join('\n')}\n`);
  printNote(ctx, `secrets: git diff now decrypts ${patterns.size === 0 ? 'nothing yet (no tracked sops files)' : [...patterns].sort().join(', ')}; people without a key see the encrypted text`);
  return 0;
}
