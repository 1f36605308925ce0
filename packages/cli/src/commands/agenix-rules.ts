/**
 * What the `secrets agenix` commands share: finding and reading the rules file (`secrets.nix`) and its
 * `secrets.lock`, looking up a file's rule, and writing an `.age` file to a rule's keys with the lock kept
 * in step. Rule names resolve relative to the rules file (as ragenix does; agenix uses the cwd, which is
 * what ragenix#160 and agenix#149 complain about), and `./x.age` and `x.age` are the same file.
 * `secrets.lock` records what age headers cannot show (see core's recipient-state).
 */
import { dirname, join, relative, sep } from 'node:path';
import {
  MAX_CONFIG_BYTES,
  SecretsError,
  ageFileState,
  decideRulesFile,
  encryptAge,
  fileDigest,
  findRepositoryRoot,
  formatAgenixLock,
  mergeAgenixLock,
  normalizeRuleName,
  parseAgenixLock,
  parseRecipient,
  readAgenixRules,
  readConfigFile,
  recipientSetDigest,
  repositoryFileReader,
  runProcess,
  type AgeIdentity,
  type AgenixRule,
  type AgenixRules,
  type LockEntry,
} from '@secrets/core';
import type { Context } from '../context.js';
import { loadIdentities, withPlaces } from '../identities.js';
import { ensureDirectory, pathExists, readFileLimited, replaceIfStill, repoView, resolvePath } from '../io.js';
import { printNote } from '../output.js';
import { replaceIfUnchanged } from './modify.js';

/** A rules file with its lock. */
export interface Rules {
  readonly path: string;
  readonly dir: string;
  readonly rules: readonly AgenixRule[];
  /** The rules file's text (for the names of its keys). */
  readonly text: string;
  readonly lockPath: string;
  readonly lock: Map<string, LockEntry>;
  /** The lock's text as read (null: no lock yet), to write it only when it changed. */
  readonly lockText: string | null;
}

/**
 * A rules or lock file's text (readConfigFile: capped in size), or null when it does not exist. Other
 * failures are SecretsErrors: IO_READ, or LIMIT_EXCEEDED as it is.
 */
export function readRulesFile(path: string): string | null {
  try {
    return readConfigFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (error instanceof SecretsError) throw error;
    throw new SecretsError('IO_READ', `could not read ${path}`, { cause: error });
  }
}

export const exists = pathExists;
export const message = (error: unknown): string => (error instanceof SecretsError ? error.message : String(error));

/**
 * The rules file: `--rules`, `$RULES`, else the nearest `secrets.nix` in `start` or a parent directory
 * that is agenix rules (core's decideRulesFile: an ordinary NixOS module of that name is passed over).
 */
async function findRules(ctx: Context, start: string, explicit?: string): Promise<string> {
  const named = explicit ?? ctx.env['RULES'];
  if (named) return resolvePath(ctx, named);
  let dir = start;
  let passed: string | null = null;
  for (let i = 0; i < 100; i++) {
    const candidate = join(dir, 'secrets.nix');
    if (await exists(candidate)) {
      const decision = decideRulesFile(repoView(), candidate, false);
      if (decision.kind !== 'not-rules') return candidate;
      passed ??= candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const hints = passed === null ? ['pass --rules FILE or set RULES'] : [`${relative(ctx.cwd, passed) || passed} is not agenix rules (no attribute set of publicKeys)`, 'pass --rules FILE or set RULES'];
  throw new SecretsError('CONFIG_NOT_FOUND', 'no agenix rules (secrets.nix) found here or above', { hints });
}

/** `secrets.lock` in a rules file's directory (empty when there is none yet). */
export async function readLock(dir: string): Promise<{ lockPath: string; lock: Map<string, LockEntry>; lockText: string | null }> {
  const lockPath = join(dir, 'secrets.lock');
  const lockText = readRulesFile(lockPath);
  return { lockPath, lock: new Map(lockText === null ? [] : parseAgenixLock(lockText, lockPath)), lockText };
}

/** When to use Nix for rules: `--nix` always, `--no-nix` never, else for the forms that need it. */
export type NixMode = 'auto' | 'never' | 'always';

/**
 * A rules file's rules (Nix or JSON): imports and readFile stay inside its repository (the nearest
 * `.git` above it, else its directory); nix-instantiate runs when the static reader needs it.
 */
export async function readRules(ctx: Context, path: string, text: string, nix: NixMode = 'auto'): Promise<AgenixRules> {
  const file = resolvePath(ctx, path);
  const root = findRepositoryRoot(dirname(file)) ?? dirname(file);
  return readAgenixRules(text, path, { file, root, readFile: repositoryFileReader(root), nix, nixOptions: { run: runProcess, env: ctx.env } });
}

export async function loadRules(ctx: Context, start: string, explicit?: string, nix?: NixMode): Promise<Rules> {
  const path = await findRules(ctx, start, explicit);
  const text = readRulesFile(path);
  if (text === null) throw new SecretsError('IO_READ', `could not read ${path}`);
  const { rules } = await readRules(ctx, path, text, nix);
  return { path, dir: dirname(path), rules, text, ...(await readLock(dirname(path))) };
}

/** The bytes of a file in a rules directory, or null when it does not exist (capped, regular files only). */
async function readIfExists(path: string, max?: number): Promise<Uint8Array | null> {
  try {
    return await readFileLimited(path, JSON.stringify(path), max === undefined ? {} : { max });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** How often a lock write is tried again when another writer got in between (each try is a few ms). */
const LOCK_WRITE_TRIES = 50;

/**
 * Writes this run's changes to `secrets.lock` when there are any; says so the first time, since it belongs
 * in git. Other `secrets agenix` runs may have written it since it was read: their entries are kept, ours
 * merged in (mergeAgenixLock), and the write goes through replaceIfStill, tried again on a race.
 */
export async function saveLock(ctx: Context, state: { lockPath: string; lock: Map<string, LockEntry>; lockText: string | null }): Promise<void> {
  if (formatAgenixLock(state.lock) === state.lockText) return;
  const original = state.lockText === null ? new Map<string, LockEntry>() : parseAgenixLock(state.lockText, state.lockPath);
  const dir = dirname(state.lockPath);
  const digestNow = async (name: string): Promise<string | null> => {
    const bytes = await readIfExists(join(dir, ...name.split('/')));
    return bytes === null ? null : fileDigest(bytes);
  };
  for (let attempt = 1; ; attempt++) {
    const bytes = await readIfExists(state.lockPath, MAX_CONFIG_BYTES);
    const currentText = bytes === null ? null : new TextDecoder().decode(bytes);
    const current = currentText === null ? new Map<string, LockEntry>() : parseAgenixLock(currentText, state.lockPath);
    const digests = new Map<string, string | null>();
    for (const [name, entry] of state.lock) {
      const before = original.get(name);
      if (before?.recipients !== entry.recipients || before.sha256 !== entry.sha256) digests.set(name, await digestNow(name));
    }
    const text = formatAgenixLock(mergeAgenixLock(current, original, state.lock, (name) => digests.get(name) ?? null));
    if (text === currentText) return;
    if (await replaceIfStill(state.lockPath, bytes, new TextEncoder().encode(text))) break;
    if (attempt >= LOCK_WRITE_TRIES) throw new SecretsError('IO_WRITE', `${JSON.stringify(state.lockPath)} kept changing while it was written: not updated`, { hints: ['run the command again'] });
  }
  if (state.lockText === null) printNote(ctx, `secrets: wrote ${relative(ctx.cwd, state.lockPath) || state.lockPath} (the recipients of each file; commit it beside the rules)`);
}

/** A file's rule name: its path relative to the rules file's directory. */
export function nameFor(rules: { dir: string }, ctx: Context, file: string): string {
  return normalizeRuleName(relative(rules.dir, resolvePath(ctx, file)).split(sep).join('/'));
}

/** The rule named `name` (normalized), or an error listing the rules there are. */
export function ruleNamed(rules: Rules, name: string): AgenixRule {
  const rule = rules.rules.find((r) => normalizeRuleName(r.name) === name);
  if (!rule) throw new SecretsError('CONFIG_NO_MATCHING_RULE', `no rule for ${JSON.stringify(name)} in ${rules.path}`, { hints: [`rules: ${rules.rules.map((r) => r.name).join(', ')}`] });
  return rule;
}

/** The rule for a file, matching names relative to the rules file's directory. */
export async function ruleFor(ctx: Context, file: string, explicit?: string, nix?: NixMode): Promise<{ rules: Rules; rule: AgenixRule; name: string }> {
  const rules = await loadRules(ctx, dirname(resolvePath(ctx, file)), explicit, nix);
  const name = nameFor(rules, ctx, file);
  const rule = ruleNamed(rules, name);
  if (rule.publicKeys.length === 0) throw new SecretsError('CONFIG_INVALID', `the rule for ${JSON.stringify(name)} has no publicKeys`);
  return { rules, rule, name };
}

/** What secrets.lock records of a file encrypted to `publicKeys`. */
export function lockEntry(publicKeys: readonly string[], bytes: Uint8Array): LockEntry {
  return { recipients: recipientSetDigest(publicKeys.map((k) => parseRecipient(k))), sha256: fileDigest(bytes) };
}

/**
 * Encrypts, writes atomically unless the file changed since it was read (`target.bytes`, null when it did
 * not exist), and records the file in the lock. On a change, an edit keeps the new version aside
 * (replaceIfUnchanged); anything else fails for this file and can simply be run again.
 */
export async function writeAgeFile(
  target: { readonly path: string; readonly bytes: Uint8Array | null },
  name: string,
  plaintext: Uint8Array,
  publicKeys: readonly string[],
  armor: boolean,
  lock: Map<string, LockEntry>,
  keepAside = false,
): Promise<void> {
  const bytes = await encryptAge(plaintext, publicKeys.map((k) => parseRecipient(k)), { armor });
  await ensureDirectory(dirname(target.path));
  if (!(await replaceIfUnchanged(target, bytes, { retry: !keepAside }))) throw new SecretsError('IO_WRITE', 'changed on disk meanwhile: not overwritten (run again)');
  lock.set(name, lockEntry(publicKeys, bytes));
}

/** Whether the file at `bytes` already is what its rule asks for (recipients and armor), and if not why (core's ageFileState). */
export function staleness(bytes: Uint8Array, publicKeys: readonly string[], armor: boolean, name: string, lock: ReadonlyMap<string, LockEntry>): string | null {
  const state = ageFileState(bytes, publicKeys.map((k) => parseRecipient(k)), armor, lock, name);
  return state.status === 'stale' ? state.reason : null;
}

/** Identities loaded on first use: unchanged files need none. */
export function lazyIdentities(ctx: Context, files: readonly string[]): () => Promise<{ identities: readonly AgeIdentity[]; wrap: (e: unknown) => unknown }> {
  let loaded: Promise<{ identities: readonly AgeIdentity[]; wrap: (e: unknown) => unknown }> | null = null;
  return () => {
    loaded ??= loadIdentities(ctx, files, '-i FILE').then(({ identities, places }) => ({ identities, wrap: (e: unknown) => withPlaces(e, places) }));
    return loaded;
  };
}
