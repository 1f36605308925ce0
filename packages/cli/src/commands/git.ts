/**
 * `secrets git-setup`, `secrets textconv` and `secrets merge-driver`: git shows plaintext diffs of sops
 * and age files to whoever holds a key (the encrypted text, or a summary, to everyone else), and merges
 * sops files value by value. See docs/git.md.
 */
import { basename, dirname, extname, join, relative } from 'node:path';
import {
  SecretsError,
  addSopsConfigNames,
  ageTextconvSummary,
  decryptAge,
  discoverIdentities,
  findConfig,
  formatFromPath,
  isAgeFile,
  isSecretsError,
  loadConfig,
  loadSopsFile,
  matchCreationRule,
  mergeSopsFiles,
  openSopsFile,
  readConfigFile,
  secretsNixKeyNames,
  sopsTextconvTrailer,
  storeFor,
  type RecipientNames,
} from '@secrets/core';
import type { Context } from '../context.js';
import { captureOutput } from '../io-process.js';
import { fileKeyAccess, gpgAccess } from '../identities.js';
import { readInput, resolvePath, writeFileAtomic } from '../io.js';
import { printError, printNote } from '../output.js';

const DRIVER = 'secrets';

/**
 * Recipient names from the `.sops.yaml` above the working directory and, for age files, a `secrets.nix`
 * there (git runs drivers at the repository's top).
 */
async function repositoryNames(ctx: Context, agenix: boolean): Promise<RecipientNames> {
  const names: RecipientNames = new Map();
  try {
    const found = await findConfig({ cwd: ctx.cwd, env: ctx.env });
    if (found) addSopsConfigNames(names, await loadConfig(found));
  } catch {
    // names are a nicety: a broken .sops.yaml just names nobody
  }
  if (agenix) {
    try {
      for (const [key, name] of secretsNixKeyNames(readConfigFile(join(ctx.cwd, 'secrets.nix')))) if (!names.has(key)) names.set(key, name);
    } catch {
      // no secrets.nix here (or unreadable): SSH stanzas are shown by tag
    }
  }
  return names;
}

const withNewline = (bytes: Uint8Array): Uint8Array => (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a ? bytes : new Uint8Array([...bytes, 0x0a]));

/**
 * Runs `secrets textconv FILE`. A sops file a key opens: its plaintext, then who can read it (names,
 * data key id, any unresolved merge conflict); else the file unchanged. An age file a key opens: its
 * plaintext and header summary; else a summary. Never fails (git would show an error instead of a
 * diff); never prompts.
 */
export async function textconv(ctx: Context, options: { file: string }): Promise<number> {
  const bytes = await readInput(ctx, options.file);
  let identities;
  try {
    ({ identities } = await discoverIdentities({ env: ctx.env, homedir: ctx.homedir, platform: ctx.platform }));
  } catch {
    identities = [];
  }
  if (isAgeFile(bytes)) {
    try {
      ctx.stdout.write(withNewline(await decryptAge(bytes, identities)));
      ctx.stdout.write(ageTextconvSummary(bytes, true, await repositoryNames(ctx, true)));
    } catch {
      ctx.stdout.write(ageTextconvSummary(bytes, false, await repositoryNames(ctx, true)));
    }
    return 0;
  }
  try {
    const format = formatFromPath(options.file);
    // gpg too, but never asking (git runs textconv with no one to answer)
    const opened = await openSopsFile(bytes, { format, identities, gpg: { ...gpgAccess(ctx).gpg, noPrompt: true } });
    ctx.stdout.write(withNewline(storeFor(format).emitPlain(opened.document)));
    ctx.stdout.write(sopsTextconvTrailer(opened, await repositoryNames(ctx, false)));
  } catch {
    ctx.stdout.write(bytes);
  }
  return 0;
}

/** Options of `secrets merge-driver` (git's %O %A %B %P). */
export interface MergeDriverOptions {
  readonly base: string;
  readonly ours: string;
  readonly theirs: string;
  /** The file's path in the repository (its format comes from the name). */
  readonly path: string;
  readonly now?: Date;
}

/**
 * Runs `secrets merge-driver BASE OURS THEIRS PATH`, as git's merge driver: merges in memory and
 * writes the result over OURS. Exit 0: merged cleanly. Exit 1: a conflict (OURS holds the merge with our
 * side at the conflicts and the encrypted record `secrets edit` resolves), or it could not merge at all
 * (no key, metadata both sides changed): then OURS is left as it was and git marks the file conflicted.
 */
export async function mergeDriver(ctx: Context, options: MergeDriverOptions): Promise<number> {
  const shown = JSON.stringify(options.path);
  try {
    const [base, ours, theirs] = (await Promise.all([options.base, options.ours, options.theirs].map((f) => readInput(ctx, f)))) as [Uint8Array, Uint8Array, Uint8Array];
    // A plain file under a sops file's pattern (secrets/*.yaml covers them all): git's own text merge.
    if (!isSopsFile(ours, options.path) || !isSopsFile(theirs, options.path)) return await textMerge(ctx, options);
    // Identities on first use, and gpg (a PGP key may open the file).
    const keys = fileKeyAccess(ctx, [], null);
    let result;
    try {
      result = await mergeSopsFiles({ base, ours, theirs }, { format: formatFromPath(options.path), ...keys.access, now: options.now ?? new Date() });
    } catch (error) {
      throw keys.explain(error);
    }
    await writeFileAtomic(resolvePath(ctx, options.ours), result.bytes);
    if (result.conflicts.length === 0) return 0;
    printError(ctx, `merge conflict in ${shown} at ${result.conflicts.join(', ')}: both sides changed ${result.conflicts.length === 1 ? 'this value' : 'these values'}`, [
      `the file holds our side there; their side is recorded in it, encrypted`,
      `resolve with: secrets edit ${options.path} (both sides are shown between conflict markers), then git add ${options.path}`,
    ]);
    return 1;
  } catch (error) {
    if (!isSecretsError(error)) throw error;
    printError(ctx, `could not merge ${shown}: ${error.message}`, [
      ...error.hints,
      `git keeps our version in the work tree and all three versions in the index (git checkout --ours/--theirs ${options.path})`,
      `with a key, git checkout -m ${options.path} runs the merge again`,
    ]);
    return 1;
  }
}

function isSopsFile(bytes: Uint8Array, path: string): boolean {
  try {
    loadSopsFile(bytes, formatFromPath(path));
    return true;
  } catch {
    return false;
  }
}

/** `git merge-file`: what git does for a file without a merge driver (exit status: conflicts or 0). */
function textMerge(ctx: Context, options: MergeDriverOptions): Promise<number> {
  return captureOutput('git', ['merge-file', '-L', 'ours', '-L', 'base', '-L', 'theirs', options.ours, options.base, options.theirs], { cwd: ctx.cwd, env: ctx.env }).then(({ error }) => (error ? 1 : 0));
}

async function git(ctx: Context, cwd: string, args: readonly string[]): Promise<string> {
  const { error, stdout } = await captureOutput('git', args, { cwd, env: ctx.env });
  if (error) throw error;
  return stdout;
}

/** The `.gitattributes` text with the wanted lines; an older `P diff=secrets` line is upgraded in place. */
function withAttributes(current: string, wanted: readonly { pattern: string; line: string }[]): string {
  const lines = current === '' ? [] : current.replace(/\n$/, '').split('\n');
  for (const { pattern, line } of wanted) {
    if (lines.includes(line)) continue;
    const older = lines.indexOf(`${pattern} diff=${DRIVER}`);
    if (older >= 0) lines[older] = line;
    else lines.push(line);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * Runs `secrets git-setup`: the diff (textconv) and merge drivers in the repository's git config, and
 * `.gitattributes` lines for the directories holding sops files (`diff=secrets merge=secrets`) and
 * `.age` files (`diff=secrets merge=binary`: git's text merge of two armored age files could "succeed"
 * line by line and leave a broken file; binary keeps ours and conflicts unless one side is unchanged).
 */
export async function gitSetup(ctx: Context, options: { config?: string }): Promise<number> {
  let top: string;
  try {
    top = (await git(ctx, ctx.cwd, ['rev-parse', '--show-toplevel'])).trim();
  } catch {
    throw new SecretsError('USAGE', 'not inside a git repository');
  }
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(options.config ? { explicit: options.config } : {}) });
  const config = found ? await loadConfig(found) : null;
  // Tracked files and new ones not yet added (git-setup right after the first `secrets edit`); ignored ones not.
  const tracked = (await git(ctx, top, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])).split('\0').filter((f) => f !== '');
  const sops = new Set<string>();
  const age = new Set<string>();
  for (const file of tracked) {
    const abs = join(top, file);
    const dir = relative(top, dirname(abs));
    const pattern = `${dir === '' ? '' : `${dir}/`}*${extname(file)}`;
    if (file.endsWith('.age')) {
      age.add(pattern);
      continue;
    }
    // The rules file itself is never encrypted, even when a broad path_regex matches its name.
    if (!config || basename(file) === '.sops.yaml') continue;
    try {
      matchCreationRule(config, abs);
    } catch {
      continue;
    }
    sops.add(pattern);
  }
  if (!config && age.size === 0) throw new SecretsError('CONFIG_NOT_FOUND', 'no .sops.yaml found (searched from the working directory upward) and no tracked .age files');
  await git(ctx, top, ['config', `diff.${DRIVER}.textconv`, 'secrets textconv']);
  await git(ctx, top, ['config', `diff.${DRIVER}.cachetextconv`, 'false']);
  await git(ctx, top, ['config', `merge.${DRIVER}.name`, 'secrets: merge sops files value by value']);
  await git(ctx, top, ['config', `merge.${DRIVER}.driver`, 'secrets merge-driver %O %A %B %P']);
  // Merging the common ancestors of a criss-cross merge: no driver, no conflict record in a virtual base.
  await git(ctx, top, ['config', `merge.${DRIVER}.recursive`, 'binary']);
  const attributes = join(top, '.gitattributes');
  // Capped, regular files only (a committed link to /dev/zero is refused); only a missing file is empty.
  let current = '';
  try {
    current = readConfigFile(attributes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error instanceof SecretsError ? error : new SecretsError('IO_READ', `could not read ${JSON.stringify(attributes)}`, { cause: error });
  }
  const wanted = [...[...sops].sort().map((p) => ({ pattern: p, line: `${p} diff=${DRIVER} merge=${DRIVER}` })), ...[...age].sort().map((p) => ({ pattern: p, line: `${p} diff=${DRIVER} merge=binary` }))];
  const next = withAttributes(current, wanted);
  if (next !== current) await writeFileAtomic(attributes, next);
  const all = [...sops, ...age].sort();
  printNote(ctx, `secrets: git diff now decrypts ${all.length === 0 ? 'nothing yet (no tracked sops or age files)' : all.join(', ')}; people without a key see the encrypted text`);
  if (sops.size > 0) printNote(ctx, `secrets: git merge now merges ${[...sops].sort().join(', ')} value by value; a conflict is resolved with secrets edit FILE`);
  return 0;
}
