/**
 * `secrets init`: the first `.sops.yaml` of a repository, naming you by the key you already decrypt with
 * (found where sops looks, or named with --age / --pubkey / --identity), or by a new age key written where
 * sops looks for it. The text is core's (config/init.ts); this is the I/O around it.
 */
import { dirname, join } from 'node:path';
import {
  DEFAULT_PATH_REGEX,
  SecretsError,
  adminKeyOf,
  ageKeyFileText,
  checkInitialConfig,
  generateX25519Identity,
  identityToRecipient,
  initialSopsConfig,
  parseRecipient,
  userConfigDir,
  type FoundAdminKey,
  type InitialKey,
} from '@secrets/core';
import type { Context } from '../context.js';
import { loadIdentities } from '../identities.js';
import { makeDirectories, pathKind, replaceIfStill, resolvePath } from '../io.js';
import { printNote } from '../output.js';
import { displayPath } from '../paths.js';
import { recipientOfSshKeyInput } from './config-edit.js';

/** Options of `secrets init`. */
export interface InitOptions {
  /** path_regex of each creation rule (positional and --path); none: {@link DEFAULT_PATH_REGEX}. */
  readonly paths: readonly string[];
  /** The admin's name (anchor `admin_NAME`); default $USER (or LOGNAME), else `me`. */
  readonly name?: string;
  readonly age?: string;
  readonly pubkey?: string;
  readonly identity?: string;
  readonly newKey: boolean;
  /** `NAME=KEY`: KEY an `age1…` recipient, an SSH public key, or a file holding one. */
  readonly hosts: readonly string[];
  /** Where to write (default ./.sops.yaml). */
  readonly config?: string;
  readonly now?: Date;
}

/** Where a new age key goes: where sops reads one (SOPS_AGE_KEY_FILE, else the user's sops/age/keys.txt). */
function newKeyPath(ctx: Context): string {
  const fromEnv = ctx.env['SOPS_AGE_KEY_FILE'];
  if (fromEnv) return resolvePath(ctx, fromEnv);
  const dir = userConfigDir({ env: ctx.env, homedir: ctx.homedir, platform: ctx.platform });
  if (dir === null) throw new SecretsError('USAGE', 'no place for a new age key: neither SOPS_AGE_KEY_FILE nor a home directory is set', { hints: ['set SOPS_AGE_KEY_FILE to the file to create'] });
  return join(dir, 'sops', 'age', 'keys.txt');
}

/** A new X25519 key, written 0600 where sops looks for it; never over an existing file. */
async function newAgeKey(ctx: Context, now: Date): Promise<FoundAdminKey> {
  const path = newKeyPath(ctx);
  const refuse = (): SecretsError =>
    new SecretsError('USAGE', `${path} already exists: a key file is never overwritten`, { hints: ['drop --new-key to use the key in it, or name another with --identity FILE'] });
  if (pathKind(ctx, path) !== 'missing') throw refuse();
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  makeDirectories(dirname(path), 0o700);
  if (!(await replaceIfStill(path, null, new TextEncoder().encode(ageKeyFileText(identity, recipient, now)), { mode: 0o600 }))) throw refuse();
  printNote(ctx, `secrets: created a new age key in ${path} (mode 0600): keep a backup of it; its public key is`);
  ctx.stdout.write(`${recipient}\n`);
  return { recipient, origin: path };
}

/** The SSH key in `text`, or in the file it names, as a recipient (ed25519: its ssh-to-age conversion). */
async function sshKeyFrom(ctx: Context, value: string, what: string): Promise<Omit<InitialKey, 'name'>> {
  const key = await recipientOfSshKeyInput(ctx, value, what, true);
  return key.note === undefined ? { recipient: key.recipient } : { recipient: key.recipient, note: key.note };
}

/** The admin's key: from an option, else discovery, else a new age key. */
async function adminKey(ctx: Context, options: InitOptions, now: Date): Promise<FoundAdminKey> {
  const given = [options.age, options.pubkey, options.identity, options.newKey ? true : undefined].filter((s) => s !== undefined);
  if (given.length > 1) throw new SecretsError('USAGE', 'give at most one of --age, --pubkey, --identity, --new-key');
  if (options.age !== undefined) return { recipient: parseRecipient(options.age).text, origin: '--age' };
  if (options.pubkey !== undefined) return { ...(await sshKeyFrom(ctx, options.pubkey, JSON.stringify(options.pubkey))), origin: options.pubkey };
  if (options.newKey) return newAgeKey(ctx, now);
  if (options.identity !== undefined) {
    const found = await adminKeyOf((await loadIdentities(ctx, [options.identity], '--identity')).identities);
    if (found === null) throw new SecretsError('AGE_IDENTITY_INVALID', `${options.identity} holds no key with a recipient of its own`, { hints: ['name an age key file or an SSH private key, or pass --age age1…'] });
    return found;
  }
  let found: FoundAdminKey | null = null;
  try {
    found = await adminKeyOf((await loadIdentities(ctx, [], null)).identities);
  } catch (error) {
    if (!(error instanceof SecretsError) || error.code !== 'AGE_NO_IDENTITIES') throw error;
  }
  if (found !== null) return found;
  printNote(ctx, 'secrets: no age or SSH key found where sops looks (see: secrets identities)');
  return newAgeKey(ctx, now);
}

/** `NAME=KEY` of --host. */
async function hostKey(ctx: Context, spec: string): Promise<InitialKey> {
  const at = spec.indexOf('=');
  if (at <= 0 || at === spec.length - 1) throw new SecretsError('USAGE', `--host takes NAME=KEY, got ${JSON.stringify(spec)}`, { hints: ['e.g. --host batchn=age1… or --host batchn=hosts/batchn/ssh_host_ed25519_key.pub'] });
  const name = spec.slice(0, at);
  const value = spec.slice(at + 1);
  if (value.startsWith('age1')) return { name, recipient: parseRecipient(value).text };
  return { name, ...(await sshKeyFrom(ctx, value, `the key of host ${JSON.stringify(name)}`)) };
}

/** A name for the anchor from $USER (or LOGNAME): its letters, digits, `-` and `_`. */
function defaultName(ctx: Context): string {
  const user = (ctx.env['USER'] || ctx.env['LOGNAME'] || '').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return user !== '' ? user : 'me';
}

/**
 * Runs `secrets init`.
 *
 * @returns 0 when `.sops.yaml` was written
 */
export async function init(ctx: Context, options: InitOptions): Promise<number> {
  const target = resolvePath(ctx, options.config ?? '.sops.yaml');
  const shown = displayPath(ctx, target);
  const exists = (): SecretsError =>
    new SecretsError('USAGE', `${shown} already exists: not overwritten`, {
      hints: ['add a person: secrets users add NAME --age age1… (or --pubkey FILE)', 'add a host: secrets hosts add NAME --ssh-keyscan HOST (or --pubkey FILE, --age age1…)'],
    });
  if (pathKind(ctx, target) !== 'missing') throw exists();
  const hosts = await Promise.all(options.hosts.map((h) => hostKey(ctx, h)));
  const paths = options.paths.length > 0 ? options.paths : [DEFAULT_PATH_REGEX];
  // Everything that can be refused is checked before a new key is written.
  checkInitialConfig({ ...(options.name === undefined ? {} : { name: options.name }), hostNames: hosts.map((h) => h.name), pathRegexes: paths });
  const now = options.now ?? new Date();
  const key = await adminKey(ctx, options, now);
  const name = options.name ?? defaultName(ctx);
  const text = initialSopsConfig({ admin: { name, recipient: key.recipient, ...(key.note === undefined ? {} : { note: key.note }) }, pathRegexes: paths, hosts });
  if (!(await replaceIfStill(target, null, new TextEncoder().encode(text)))) throw exists();
  const who = [`admin_${name}`, ...hosts.map((h) => `server_${h.name}`)].join(', ');
  printNote(ctx, `secrets: wrote ${shown}: ${who} ${hosts.length > 0 ? 'read' : 'reads'} the files matching ${paths.join(' or ')} (your key: ${key.recipient}, from ${key.origin})`);
  printNote(ctx, 'secrets: next: secrets edit secrets/example.yaml; secrets hosts add NAME --ssh-keyscan HOST; secrets git-setup');
  return 0;
}
