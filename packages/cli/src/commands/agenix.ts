/**
 * `secrets agenix decrypt|edit|rekey|export`: agenix's commands on `.age` files with a `secrets.nix` rules
 * file, read without Nix. Rule names resolve relative to the rules file (as ragenix does; agenix uses the
 * cwd, which is what ragenix#160 and agenix#149 complain about), and `./x.age` and `x.age` are the same
 * file. `secrets.lock` beside the rules records what age headers cannot show (see core's recipient-state).
 */
import { access, mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import {
  MAX_CONFIG_BYTES,
  SecretsError,
  ageFileState,
  decideRulesFile,
  decryptAge,
  exportRecipients,
  planAgenixRekey,
  secretsNixKeyNames,
  sopsFilesWithRules,
  encryptAge,
  equalBytes,
  fileDigest,
  findConfig,
  findKeyOnLine,
  formatAgenixLock,
  mergeAgenixLock,
  formatFromPath,
  formatSecretsNix,
  formatSshPublicKey,
  ed25519PublicKeyToAgeRecipient,
  loadConfig,
  matchCreationRule,
  normalizeRuleName,
  openSopsFile,
  parseAgenixLock,
  parseRecipient,
  parseSecretsNix,
  readAgenixRules,
  readConfigFile,
  findRepositoryRoot,
  repositoryFileReader,
  runProcess,
  type AgenixRules,
  parseTreePath,
  getAtPath,
  recipientSetDigest,
  storeFor,
  type AgeIdentity,
  type AgenixRule,
  type LockEntry,
  type MapNode,
  type SecretsNixEntry,
  type TreePath,
  type Value,
} from '@secrets/core';
import type { Context } from '../context.js';
import { editorPlan } from '../editor-command.js';
import { makePrivateDir, readEdited, runEditor, writePrivateFile } from '../editor.js';
import { gpgAccess, loadIdentities, passphrasePrompt, withPlaces } from '../identities.js';
import { readFileLimited, readInput, replaceIfStill, repoView, resolvePath, writeFileAtomic, writeOutput } from '../io.js';
import { replaceIfUnchanged } from './modify.js';
import { escapeControl, printError, printNote, printWarning } from '../output.js';

/** A rules file with its lock. */
interface Rules {
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
function readRulesFile(path: string): string | null {
  try {
    return readConfigFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (error instanceof SecretsError) throw error;
    throw new SecretsError('IO_READ', `could not read ${path}`, { cause: error });
  }
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);
const message = (error: unknown): string => (error instanceof SecretsError ? error.message : String(error));

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

async function loadRules(ctx: Context, start: string, explicit?: string, nix?: NixMode): Promise<Rules> {
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
async function saveLock(ctx: Context, state: { lockPath: string; lock: Map<string, LockEntry>; lockText: string | null }): Promise<void> {
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
function nameFor(rules: { dir: string }, ctx: Context, file: string): string {
  return normalizeRuleName(relative(rules.dir, resolvePath(ctx, file)).split(sep).join('/'));
}

/** The rule named `name` (normalized), or an error listing the rules there are. */
function ruleNamed(rules: Rules, name: string): AgenixRule {
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
function lockEntry(publicKeys: readonly string[], bytes: Uint8Array): LockEntry {
  return { recipients: recipientSetDigest(publicKeys.map((k) => parseRecipient(k))), sha256: fileDigest(bytes) };
}

/**
 * Encrypts, writes atomically unless the file changed since it was read (`target.bytes`, null when it did
 * not exist), and records the file in the lock. On a change, an edit keeps the new version aside
 * (replaceIfUnchanged); anything else fails for this file and can simply be run again.
 */
async function writeAgeFile(
  target: { readonly path: string; readonly bytes: Uint8Array | null },
  name: string,
  plaintext: Uint8Array,
  publicKeys: readonly string[],
  armor: boolean,
  lock: Map<string, LockEntry>,
  keepAside = false,
): Promise<void> {
  const bytes = await encryptAge(plaintext, publicKeys.map((k) => parseRecipient(k)), { armor });
  await mkdir(dirname(target.path), { recursive: true });
  if (!(await replaceIfUnchanged(target, bytes, { retry: !keepAside }))) throw new SecretsError('IO_WRITE', 'changed on disk meanwhile: not overwritten (run again)');
  lock.set(name, lockEntry(publicKeys, bytes));
}

/** Whether the file at `bytes` already is what its rule asks for (recipients and armor), and if not why (core's ageFileState). */
function staleness(bytes: Uint8Array, publicKeys: readonly string[], armor: boolean, name: string, lock: ReadonlyMap<string, LockEntry>): string | null {
  const state = ageFileState(bytes, publicKeys.map((k) => parseRecipient(k)), armor, lock, name);
  return state.status === 'stale' ? state.reason : null;
}

/** Identities loaded on first use: unchanged files need none. */
function lazyIdentities(ctx: Context, files: readonly string[]): () => Promise<{ identities: readonly AgeIdentity[]; wrap: (e: unknown) => unknown }> {
  let loaded: Promise<{ identities: readonly AgeIdentity[]; wrap: (e: unknown) => unknown }> | null = null;
  return () => {
    loaded ??= loadIdentities(ctx, files, '-i FILE').then(({ identities, places }) => ({ identities, wrap: (e: unknown) => withPlaces(e, places) }));
    return loaded;
  };
}

/** Runs `secrets agenix decrypt FILE` (to stdout or -o). */
export async function agenixDecrypt(ctx: Context, options: { file: string; identities: readonly string[]; output?: string }): Promise<number> {
  const bytes = await readInput(ctx, options.file);
  const { identities, places } = await loadIdentities(ctx, options.identities, '-i FILE');
  try {
    await writeOutput(ctx, options.output ?? '-', await decryptAge(bytes, identities, { passphrase: passphrasePrompt(ctx) }), { mode: 0o600 });
  } catch (error) {
    throw withPlaces(error, places);
  }
  return 0;
}

/** Runs `secrets agenix edit FILE`: decrypt (if it exists), edit on tmpfs, encrypt to the rule's keys. */
export async function agenixEdit(ctx: Context, options: { file: string; rules?: string; identities: readonly string[]; editor?: string; allowDiskTmp: boolean; nix?: NixMode }): Promise<number> {
  const { rules, rule, name } = await ruleFor(ctx, options.file, options.rules, options.nix);
  for (const k of rule.publicKeys) parseRecipient(k);
  const path = resolvePath(ctx, options.file);
  const existed = await exists(path);
  let plaintext: Uint8Array = new Uint8Array();
  let before: Uint8Array | null = null;
  if (existed) {
    const { identities, places } = await loadIdentities(ctx, options.identities, '-i FILE');
    try {
      before = await readFileLimited(path, JSON.stringify(options.file));
      plaintext = await decryptAge(before, identities, { passphrase: passphrasePrompt(ctx) });
    } catch (error) {
      throw withPlaces(error, places);
    }
  }
  // As agenix does (`[ -t 0 ] || EDITOR='cp -- /dev/stdin'`): stdin that is not a terminal is the new
  // content, whatever EDITOR says; only an explicit --editor runs an editor then.
  const fromStdin = options.editor === '-' || (options.editor === undefined && !ctx.stdin.isTTY);
  let edited: Uint8Array;
  if (fromStdin) {
    edited = await readInput(ctx, '-');
  } else {
    const plan = editorPlan(ctx, options.editor);
    const dir = makePrivateDir(ctx, options.allowDiskTmp);
    try {
      const tmp = writePrivateFile(dir, basename(options.file).replace(/\.age$/, ''), plaintext);
      await runEditor(ctx, plan, tmp, dir.path);
      edited = await readEdited(tmp);
    } finally {
      dir.remove();
    }
  }
  if (existed && equalBytes(edited, plaintext)) {
    printNote(ctx, `secrets: ${options.file} wasn't changed, skipping re-encryption`);
    return 0;
  }
  // An editor that saved nothing (or an empty pipe) is not a new secret: agenix leaves a file it did not
  // see written alone, and an empty value silently replacing a secret would be a loss.
  if (edited.length === 0) {
    if (!existed && !fromStdin) {
      printNote(ctx, `secrets: ${options.file} wasn't created (the editor saved nothing)`);
      return 0;
    }
    throw new SecretsError('SOPS_EMPTY_DOCUMENT', `the new content of ${JSON.stringify(options.file)} is empty: ${existed ? 'the file was left unchanged' : 'nothing was written'}`, {
      hints: ['to delete a secret, remove the file and its rule; without a terminal, pipe the new content'],
    });
  }
  await writeAgeFile({ path, bytes: before }, name, edited, rule.publicKeys, rule.armor, rules.lock, true);
  await saveLock(ctx, rules);
  return 0;
}

/** Options of `secrets agenix rekey`. */
export interface AgenixRekeyOptions {
  readonly files: readonly string[];
  readonly rules?: string;
  readonly identities: readonly string[];
  /** Re-encrypt every file, changed or not (agenix -r). */
  readonly force: boolean;
  /** Only say what would be rekeyed; needs no key. */
  readonly dryRun: boolean;
  readonly nix?: NixMode;
}

/**
 * Runs `secrets agenix rekey [FILE…]`: re-encrypts the files whose recipients (or armor) differ from their
 * rule, leaving the others byte-identical, and carries on past files it cannot open (agenix#143).
 *
 * @returns 0, or 1 when some file failed (all failures are listed at the end)
 */
export async function agenixRekey(ctx: Context, options: AgenixRekeyOptions): Promise<number> {
  const start = options.files[0] !== undefined ? dirname(resolvePath(ctx, options.files[0])) : ctx.cwd;
  const rules = await loadRules(ctx, start, options.rules, options.nix);
  const selected = options.files.length > 0 ? options.files.map((f) => ruleNamed(rules, nameFor(rules, ctx, f))) : [...rules.rules];
  const identities = lazyIdentities(ctx, options.identities);
  const failures: string[] = [];
  // No identity at all fails every file the same way: where we looked is said once, at the end.
  let noKey: SecretsError | null = null;
  let rekeyed = 0;
  let current = 0;
  let missing = 0;
  for (const item of planAgenixRekey(repoView(), rules.path, selected, rules.lock, { force: options.force, names: secretsNixKeyNames(rules.text) })) {
    const shown = relative(ctx.cwd, item.path) || item.path;
    const state = item.state;
    try {
      if (state.status === 'missing') {
        printNote(ctx, `secrets: does not exist, skipped: ${shown}`);
        missing++;
        continue;
      }
      if (state.status === 'unreadable') throw state.error;
      if (state.status === 'current') {
        current++;
        if (!rules.lock.has(item.name)) rules.lock.set(item.name, lockEntry(item.rule.publicKeys, state.bytes));
        continue;
      }
      if (options.dryRun) {
        ctx.stdout.write(`${escapeControl(`would rekey ${shown}: ${state.reason}`)}\n`);
        rekeyed++;
        continue;
      }
      const { identities: ids, wrap } = await identities();
      let plaintext: Uint8Array;
      try {
        plaintext = await decryptAge(state.bytes, ids, { passphrase: passphrasePrompt(ctx) });
      } catch (error) {
        throw wrap(error);
      }
      await writeAgeFile({ path: item.path, bytes: state.bytes }, item.name, plaintext, item.rule.publicKeys, item.rule.armor, rules.lock);
      printNote(ctx, `secrets: rekeyed ${shown} (${state.reason})`);
      rekeyed++;
    } catch (error) {
      if (error instanceof SecretsError && error.code === 'AGE_NO_IDENTITIES') noKey = error;
      failures.push(`${shown}: ${message(error)}`);
    }
  }
  if (!options.dryRun) await saveLock(ctx, rules);
  const summary = [`${rekeyed} ${options.dryRun ? 'to rekey' : 'rekeyed'}`, `${current} up to date`, ...(missing ? [`${missing} missing`] : []), ...(failures.length ? [`${failures.length} failed`] : [])];
  printNote(ctx, `secrets: ${summary.join(', ')}`);
  if (failures.length > 0) {
    printError(ctx, `failed to rekey ${failures.length} file${failures.length === 1 ? '' : 's'}`, [...failures, ...(noKey?.hints ?? [])]);
    return 1;
  }
  return 0;
}

/** Options of `secrets agenix export`. */
export interface AgenixExportOptions {
  readonly files: readonly string[];
  readonly out?: string;
  readonly rules?: string;
  readonly all: boolean;
  readonly keys: readonly string[];
  readonly hostKeys: readonly string[];
  readonly armor: boolean;
  readonly identities: readonly string[];
  readonly config?: string;
}

/** The first line of every secrets.nix we write: what marks it as ours to regenerate. */
const GENERATED = 'Generated by `secrets agenix export` from .sops.yaml: edit the creation rules there and export again.';

/** One secret to export: its path in the sops tree (null: the whole file) and its bytes. */
interface Leaf {
  readonly path: readonly string[] | null;
  readonly plaintext: Uint8Array;
}

/** A tree path written the way sops-nix names nested keys. */
const slashPath = (path: TreePath): string => path.map(String).join('/');

/** Leaves of a map (lists included, as sops prints them), with what `sops decrypt --extract` prints for each. */
function leavesOf(node: MapNode, path: string[], emit: (v: Value) => Uint8Array, skip: (path: string, why: string) => void, out: Leaf[]): void {
  for (const item of node.items) {
    if (item.kind !== 'entry') continue;
    const here = [...path, item.key];
    if (item.key === '' || item.key === '.' || item.key === '..' || item.key.includes('/')) skip(here.join('/'), 'the key cannot be a file name');
    else if (item.value.kind === 'map') leavesOf(item.value, here, emit, skip, out);
    else if (item.value.kind === 'null') skip(here.join('/'), 'a null value has nothing to encrypt');
    else out.push({ path: here, plaintext: emit(item.value) });
  }
}

/** ssh-to-age recipient → the SSH public key behind it, from `--host-key` files (pub, known_hosts, ssh-keyscan). */
async function hostKeys(ctx: Context, files: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of files) {
    const text = Buffer.from(await readInput(ctx, file, { streams: true })).toString('utf8');
    let found = 0;
    for (const line of text.split('\n')) {
      if (line.trimStart().startsWith('#')) continue;
      const k = findKeyOnLine(line);
      if (k.kind !== 'key' || k.key.type !== 'ssh-ed25519' || k.marker !== null) continue;
      out.set(ed25519PublicKeyToAgeRecipient(k.key), formatSshPublicKey(k.key, false));
      found++;
    }
    if (found === 0) throw new SecretsError('SSH_KEY_INVALID', `no ssh-ed25519 public key in ${file}`, { hints: ['give a .pub file, known_hosts or ssh-keyscan output'] });
  }
  return out;
}

/**
 * Runs `secrets agenix export`: one `.age` file per chosen secret of the sops files, encrypted to their
 * creation rule's recipients (an `age1…` recipient whose SSH key is known is replaced by that key, which
 * is what agenix hosts decrypt with), and a deterministic `secrets.nix` whose recipients are `let`
 * bindings named by the `.sops.yaml` anchors. Files whose plaintext and recipients did not change are
 * not rewritten.
 *
 * @returns 0, or 1 when something chosen could not be exported (each is named)
 */
export async function agenixExport(ctx: Context, options: AgenixExportOptions): Promise<number> {
  if (options.all === (options.keys.length > 0)) throw new SecretsError('USAGE', 'choose the secrets: --all for every leaf, or --key a/b (repeatable)');
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(options.config ? { explicit: options.config } : {}), ...(options.files[0] ? { target: resolvePath(ctx, options.files[0]) } : {}) });
  if (!found) throw new SecretsError('CONFIG_NOT_FOUND', 'no .sops.yaml found (searched from the working directory upward)', { hints: ['the recipients come from its creation rules'] });
  const config = await loadConfig(found);
  for (const w of config.warnings) printWarning(ctx, w);
  const files = options.files.length > 0 ? options.files.map((f) => resolvePath(ctx, f)) : sopsFilesWithRules(repoView(), dirname(found.path), found.path).map((f) => f.path);
  if (files.length === 0) throw new SecretsError('USAGE', 'no sops files to export', { hints: ['name them: secrets agenix export --all secrets/*.yaml'] });

  const out = resolvePath(ctx, options.out ?? (options.rules ? dirname(options.rules) : '.'));
  const rulesPath = resolvePath(ctx, options.rules ?? join(out, 'secrets.nix'));
  const rulesDir = dirname(rulesPath);
  const previous = readRulesFile(rulesPath);
  if (previous !== null && !previous.startsWith(`# ${GENERATED}`)) {
    throw new SecretsError('USAGE', `${relative(ctx.cwd, rulesPath)} was not written by secrets agenix export: not overwriting it`, { hints: ['pass --rules with another file name, or move the hand-written rules away'] });
  }
  const entries = new Map<string, SecretsNixEntry>((previous === null ? [] : parseSecretsNix(previous, rulesPath)).map((r) => [normalizeRuleName(r.name), { name: normalizeRuleName(r.name), publicKeys: r.publicKeys, armor: r.armor }]));
  const lockState = await readLock(rulesDir);

  // age1 → SSH key: from the config text (comments included) and --host-key; names follow.
  const native = new Map([...config.sshKeys, ...(await hostKeys(ctx, options.hostKeys))]);
  const names = new Map(config.names);
  for (const [age, ssh] of native) {
    const n = config.names.get(age);
    if (n !== undefined) names.set(ssh, n);
  }
  const identities = lazyIdentities(ctx, options.identities);
  const problems: string[] = [];
  const unconverted = new Set<string>();
  let written = 0;
  let unchanged = 0;

  for (const file of files) {
    const shownFile = relative(ctx.cwd, file) || file;
    const rule = matchCreationRule(config, file);
    const plan = exportRecipients(rule, native);
    for (const type of plan.skippedTypes) printWarning(ctx, `${shownFile}: ${type} keys are not age recipients; agenix files cannot be encrypted to them`);
    for (const r of plan.unconverted) unconverted.add(r);
    const publicKeys = [...plan.publicKeys];
    if (publicKeys.length === 0) throw new SecretsError('CONFIG_INVALID', `${shownFile}: its creation rule ${rule.index} has no age recipients`);

    const { identities: ids, wrap } = await identities();
    const format = formatFromPath(file);
    let opened;
    try {
      opened = await openSopsFile(await readFileLimited(file, JSON.stringify(shownFile)), { format, identities: ids, passphrase: passphrasePrompt(ctx), ...gpgAccess(ctx) });
    } catch (error) {
      throw wrap(error);
    }
    for (const w of opened.warnings) printWarning(ctx, `${shownFile}: ${w}`);
    const store = storeFor(format);
    const emit = (v: Value): Uint8Array => (v.kind === 'string' ? new TextEncoder().encode(v.value) : v.kind === 'map' ? store.emitPlain({ branches: [v] }) : store.emitValue(v));
    const leaves: Leaf[] = [];
    const skip = (path: string, why: string): void => {
      problems.push(`${shownFile}: ${JSON.stringify(path)}: ${why}`);
    };
    if (format === 'dotenv' || format === 'ini' || format === 'binary') {
      // sops-nix installs these whole: so does the export, as the bytes `sops decrypt` prints.
      if (options.keys.length > 0) throw new SecretsError('USAGE', `${shownFile} is a ${format} file: it is exported whole, without --key`);
      leaves.push({ path: null, plaintext: store.emitPlain(opened.document) });
    } else if (options.all) {
      const root = opened.document.branches[0];
      if (root) leavesOf(root, [], emit, skip, leaves);
    } else {
      for (const key of options.keys) {
        const path = key.startsWith('[') ? parseTreePath(key) : key.split('/');
        const value = getAtPath(opened.document, path);
        if (value.kind === 'null') skip(slashPath(path), 'a null value has nothing to encrypt');
        else leaves.push({ path: path.map(String), plaintext: emit(value) });
      }
    }

    const stem = basename(file, extname(file));
    for (const leaf of leaves) {
      const relName = leaf.path === null ? `${basename(file)}.age` : `${stem}/${leaf.path.join('/')}.age`;
      const target = join(out, ...relName.split('/'));
      const name = normalizeRuleName(relative(rulesDir, target).split(sep).join('/'));
      const armor = options.armor;
      entries.set(name, { name, publicKeys, armor });
      const before = await readInput(ctx, target).catch((error: unknown) => {
        if (error instanceof SecretsError && error.code === 'FILE_NOT_FOUND') return null;
        throw error;
      });
      if (before !== null) {
        let same = false;
        try {
          if (staleness(before, publicKeys, armor, name, lockState.lock) === null) {
            same = equalBytes(await decryptAge(before, ids, { passphrase: passphrasePrompt(ctx) }), leaf.plaintext);
          }
        } catch {
          // an unreadable old file is replaced
        }
        if (same) {
          unchanged++;
          if (!lockState.lock.has(name)) lockState.lock.set(name, lockEntry(publicKeys, before));
          continue;
        }
      }
      await writeAgeFile({ path: target, bytes: before }, name, leaf.plaintext, publicKeys, armor, lockState.lock);
      written++;
    }
  }

  if (unconverted.size > 0) {
    // Right for admins' age keys; wrong for a host, whose SSH host key cannot open an X25519 stanza.
    const labels = [...unconverted].map((age) => config.names.get(age) ?? age);
    printNote(ctx, `secrets: X25519 (age1…) recipients kept: ${labels.join(', ')}. Right for age keys; a host that decrypts with its SSH host key needs that key: --host-key FILE (secrets hosts add notes it in .sops.yaml)`);
  }
  const rulesText = formatSecretsNix([...entries.values()], names, [GENERATED, 'Each file holds what `sops decrypt --extract` prints of its sops value.']);
  if (rulesText !== previous) {
    await mkdir(rulesDir, { recursive: true });
    await writeFileAtomic(rulesPath, rulesText);
  }
  await saveLock(ctx, lockState);
  printNote(ctx, `secrets: ${written} written, ${unchanged} unchanged; rules in ${relative(ctx.cwd, rulesPath) || rulesPath}`);
  for (const p of problems) printWarning(ctx, `not exported: ${p}`);
  return problems.length === 0 ? 0 : 1;
}
