/**
 * agenix in a repository: which file is a rules file, and what each rule's `.age` file needs.
 *
 * A rules file is the one agenix would use: the one named by `RULES`/`--rules`, or a `secrets.nix` beside
 * `.age` files that reads as an attribute set of `publicKeys`. `secrets.nix` is also one of the most
 * common names of an ordinary NixOS module (a sops-nix module, agenix-rekey settings, a devshell): such
 * a file is not rules, and not an error.
 */
import { basename, dirname, join } from 'node:path';
import { inspectAgeHeader, isArmored, looksLikePluginRecipient, parseRecipient, sshTag, type AgeRecipient, type StanzaInfo } from '../age/index.js';
import { nameOf, shortRecipient } from './names.js';
import { parseAgenixLock, recipientState, type AgenixLock } from '../agenix/recipient-state.js';
import { normalizeRuleName, parseSecretsNix, type AgenixRule } from '../agenix/secrets-nix.js';
import { SecretsError } from '../errors.js';
import type { CreationRule } from '../config/schema.js';
import { readConfigText, type RepoView } from './view.js';

/** The decision on one candidate rules file. */
export type RulesDecision =
  | { readonly kind: 'rules'; readonly path: string; readonly rules: readonly AgenixRule[]; readonly text: string }
  | { readonly kind: 'unreadable'; readonly path: string; readonly error: SecretsError }
  | { readonly kind: 'not-rules'; readonly path: string };

const toError = (error: unknown, path: string): SecretsError => (error instanceof SecretsError ? error : new SecretsError('IO_READ', `could not read ${path}`, { cause: error }));

/**
 * Reads a candidate rules file and decides whether it is agenix rules.
 *
 * @param view - the file system
 * @param path - absolute path of the candidate
 * @param named - true when the user named it (`RULES`, `--rules`): then anything unreadable is an error
 * @returns rules; unreadable (named, or it mentions `publicKeys` but cannot be read); or not rules
 */
export function decideRulesFile(view: RepoView, path: string, named: boolean): RulesDecision {
  let text: string;
  try {
    text = readConfigText(view, path);
  } catch (error) {
    if (named) return { kind: 'unreadable', path, error: toError(error, path) };
    return { kind: 'not-rules', path };
  }
  try {
    const rules = parseSecretsNix(text, path);
    if (rules.length > 0 || named) return { kind: 'rules', path, rules, text };
    return { kind: 'not-rules', path };
  } catch (error) {
    // A module that never mentions publicKeys is not rules; one that does, beside .age files, is rules
    // this reader cannot follow: say so instead of passing its files unchecked.
    if (named || /\bpublicKeys\b/.test(text)) return { kind: 'unreadable', path, error: toError(error, path) };
    return { kind: 'not-rules', path };
  }
}

/**
 * The `secrets.nix` files of a walk that sit beside (at or above) `.age` files: the candidates for
 * {@link decideRulesFile}.
 *
 * @param files - a walk's regular files (absolute paths)
 * @returns the candidates, sorted
 */
export function rulesCandidates(files: readonly string[]): string[] {
  const ageDirs = new Set<string>();
  for (const f of files) {
    if (!f.endsWith('.age')) continue;
    for (let dir = dirname(f), i = 0; i < 64; i++, dir = dirname(dir)) {
      if (ageDirs.has(dir)) break;
      ageDirs.add(dir);
      if (dirname(dir) === dir) break;
    }
  }
  return files.filter((f) => basename(f) === 'secrets.nix' && ageDirs.has(dirname(f)));
}

/**
 * The rules file's lock (`secrets.lock` beside it), empty when there is none.
 *
 * @throws SecretsError CONFIG_INVALID for a malformed lock, IO_READ/LIMIT_EXCEEDED when unreadable
 */
export function readAgenixLock(view: RepoView, rulesPath: string): AgenixLock {
  const lockPath = join(dirname(rulesPath), 'secrets.lock');
  if (view.kind(lockPath) === null) return new Map();
  return parseAgenixLock(readConfigText(view, lockPath), lockPath);
}

/** What one rule's `.age` file needs. */
export type AgenixFileState =
  | { readonly status: 'missing' }
  | { readonly status: 'current'; readonly bytes: Uint8Array; readonly stanzas: readonly StanzaInfo[] }
  | { readonly status: 'stale'; readonly bytes: Uint8Array; readonly stanzas: readonly StanzaInfo[]; readonly reason: string; readonly certain: boolean }
  | { readonly status: 'unreadable'; readonly error: SecretsError };

/** One rule of a rekey plan. */
export interface AgenixPlanItem {
  readonly rule: AgenixRule;
  /** Normalized rule name (`x.age`, never `./x.age`). */
  readonly name: string;
  /** Absolute path of its `.age` file. */
  readonly path: string;
  readonly state: AgenixFileState;
}

/**
 * Whether a rule's file is already what the rule asks for (recipients and armor), and if not why.
 *
 * @param bytes - the `.age` file
 * @param recipients - the rule's parsed recipients
 * @param armor - the rule's `armor`
 * @param lock - the rules file's lock entry for it
 */
export function ageFileState(bytes: Uint8Array, recipients: readonly AgeRecipient[], armor: boolean, lock: AgenixLock, name: string): AgenixFileState {
  const stanzas = inspectAgeHeader(bytes).stanzas;
  const state = recipientState(stanzas, recipients, bytes, lock.get(name));
  if (!state.current) return { status: 'stale', bytes, stanzas, reason: state.reason, certain: state.certain };
  if (isArmored(bytes) !== armor) return { status: 'stale', bytes, stanzas, reason: armor ? 'the rule asks for armor' : 'the rule no longer asks for armor', certain: true };
  return { status: 'current', bytes, stanzas };
}

/**
 * The agenix rekey plan: for each rule (or the named ones), whether its file is missing, current, stale
 * (and why) or unreadable. Needs no key; a rule whose keys cannot be parsed (a malformed recipient)
 * is unreadable for that file only.
 *
 * @param view - the file system
 * @param rulesPath - the rules file
 * @param rules - its rules
 * @param lock - its lock ({@link readAgenixLock})
 * @param options - `force`: every existing file is stale (agenix -r)
 */
export function planAgenixRekey(view: RepoView, rulesPath: string, rules: readonly AgenixRule[], lock: AgenixLock, options: { readonly force?: boolean; readonly names?: ReadonlyMap<string, string> } = {}): AgenixPlanItem[] {
  const dir = dirname(rulesPath);
  const known = new Set([...rules.flatMap((r) => r.publicKeys), ...(options.names?.keys() ?? [])]);
  return rules.map((rule) => {
    const name = normalizeRuleName(rule.name);
    const path = join(dir, name);
    const state = fileState(view, path, rule, lock, name, options.force === true);
    return { rule, name, path, state: state.status === 'stale' && options.names ? { ...state, reason: nameTags(state.reason, known, options.names) } : state };
  });
}

/**
 * Replaces the `ssh-ed25519 TAG` an age header shows (a 4-byte hash of the key) with the key's name,
 * for every key the rules know: every ed25519 key starts alike, a tag names nothing to a reader.
 */
function nameTags(reason: string, keys: Iterable<string>, names: ReadonlyMap<string, string>): string {
  let out = reason;
  for (const key of keys) {
    if (!key.startsWith('ssh-')) continue;
    let tag: string;
    try {
      const r = parseRecipient(key);
      if (r.kind !== 'ssh-ed25519' && r.kind !== 'ssh-rsa') continue;
      tag = `${r.kind} ${sshTag(r.key.wire)}`;
    } catch {
      continue;
    }
    const label = nameOf(names, key) ?? shortRecipient(key);
    out = out.split(tag).join(label);
  }
  return out;
}

function fileState(view: RepoView, path: string, rule: AgenixRule, lock: AgenixLock, name: string, force: boolean): AgenixFileState {
  const kind = view.kind(path);
  if (kind === null) return { status: 'missing' };
  try {
    if (kind !== 'file') throw new SecretsError('IO_READ', kind === 'symlink' ? 'a symbolic link where the secret belongs: not followed' : 'not a regular file');
    if (rule.publicKeys.length === 0) throw new SecretsError('CONFIG_INVALID', 'its rule has no publicKeys');
    const bytes = view.read(path, 64 * 1024 * 1024);
    // An age plugin recipient (age1yubikey1…) cannot be told from the header: like an X25519 one, only
    // secrets.lock vouches for it (recipientState).
    const recipients = rule.publicKeys.map((k) => parseRecipient(k));
    const state = ageFileState(bytes, recipients, rule.armor, lock, name);
    if (force && state.status === 'current') return { status: 'stale', bytes, stanzas: state.stanzas, reason: 'forced', certain: true };
    return state;
  } catch (error) {
    return { status: 'unreadable', error: toError(error, path) };
  }
}

/** An age plugin recipient: `age1NAME1…` (sops and age count more than one "1"; bech32 data has none). */
export function isPluginRecipient(key: string): boolean {
  return looksLikePluginRecipient(key.trim());
}

/** What an agenix export encrypts one sops file's secrets to. */
export interface ExportRecipients {
  /** The rule's age recipients, each `age1…` whose SSH key is known replaced by that key. */
  readonly publicKeys: readonly string[];
  /** Key types of the rule that are not age recipients (agenix files cannot be encrypted to them). */
  readonly skippedTypes: readonly string[];
  /** X25519 recipients kept as they are (right for admins; a host opening with its SSH key needs that key). */
  readonly unconverted: readonly string[];
}

/**
 * The agenix export plan for one creation rule: agenix hosts decrypt with their SSH host key itself,
 * which cannot open the X25519 stanza of its ssh-to-age conversion, so a known SSH key replaces its
 * `age1…` form.
 *
 * @param rule - the sops file's creation rule
 * @param native - ssh-to-age recipient → the SSH public key it was converted from
 */
export function exportRecipients(rule: CreationRule, native: ReadonlyMap<string, string>): ExportRecipients {
  const publicKeys: string[] = [];
  const skippedTypes: string[] = [];
  const unconverted: string[] = [];
  for (const key of rule.keyGroups.flat()) {
    if (key.type !== 'age') {
      if (!skippedTypes.includes(key.type)) skippedTypes.push(key.type);
      continue;
    }
    const recipient = native.get(key.recipient) ?? key.recipient;
    if (recipient === key.recipient && /^age1[02-9ac-hj-np-z]+$/.test(recipient)) unconverted.push(recipient);
    if (!publicKeys.includes(recipient)) publicKeys.push(recipient);
  }
  return { publicKeys, skippedTypes, unconverted };
}
