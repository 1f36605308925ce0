/**
 * `check` as a pure function over a {@link RepoView}: every sops file against the creation rule of its
 * nearest `.sops.yaml`, every agenix file against its rules, no plaintext where a rule expects an
 * encrypted file, no secret key committed, no symbolic link where a secret belongs. Needs no key.
 */
import { basename, dirname, relative } from 'node:path';
import { parseRecipient, sshTag } from '../age/index.js';
import { formatSshPublicKey } from '../ssh/index.js';
import { SecretsError } from '../errors.js';
import { parseSopsConfig, type SopsConfig } from '../config/schema.js';
import { readMetadata } from '../sops/metadata-read.js';
import { type Metadata } from '../sops/metadata.js';
import { hasMergeConflict } from '../sops/merge-conflict.js';
import { formatFromPath, storeFor, DEFAULT_MAX_INPUT_BYTES } from '../sops/stores/store.js';
import { decideRulesFile, isPluginRecipient, planAgenixRekey, readAgenixLock, rulesCandidates, type RulesDecision } from './agenix.js';
import { configResolver, walkRepository, SOPS_CONFIG_NAME } from './discover.js';
import { escapeControl } from '../escape.js';
import { addSopsConfigNames, nameOf, recipientLabel, secretsNixKeyNames, type RecipientNames } from './names.js';
import { fileKeyGroups, matchRule, recipientDiff, ruleKeyGroups, type RuleMatch } from './targets.js';
import { readConfigText, type RepoView } from './view.js';

/** One finding of {@link checkRepository}. */
export interface Finding {
  /** Path relative to the report's base. */
  readonly file: string;
  readonly kind: 'not-encrypted' | 'recipients-differ' | 'secret-key' | 'unreadable' | 'no-rule' | 'symlink' | 'not-regular' | 'merge-conflict';
  readonly message: string;
}

/** What one recipient can open. */
export interface RecipientReport {
  /** The repository's name for it (anchor, binding, comment), else null. */
  readonly name: string | null;
  /** How reports show it: the name, else a short fingerprint. */
  readonly label: string;
  readonly recipient: string;
  /** Files it opens on its own. */
  readonly opens: readonly string[];
  /** Files its rule gives it but it cannot open on its own, and why. */
  readonly cannot: readonly { readonly file: string; readonly reason: string }[];
  /** A caveat for sops-nix hosts, if any. */
  readonly note?: string;
}

/** Options of {@link checkRepository}. */
export interface CheckOptions {
  /** Absolute directory walked (ignored when `files` is given). */
  readonly root: string;
  /** Absolute directory paths in the report are relative to (default `root`). */
  readonly base?: string;
  /** Check these files only (absolute paths), instead of walking. */
  readonly files?: readonly string[];
  /** One `.sops.yaml` for every file (`--config`, `SOPS_CONFIG`), instead of the nearest one. */
  readonly config?: string;
  /** Rules files named by the user (`RULES`, `--rules`). */
  readonly rules?: readonly string[];
  /** Files and directories where a secret key is expected (test fixtures). */
  readonly allowKey?: readonly string[];
}

/** The result of {@link checkRepository}. */
export interface CheckReport {
  /** The `.sops.yaml` files used, absolute. */
  readonly configs: readonly string[];
  /** The agenix rules files found, absolute. */
  readonly rulesFiles: readonly string[];
  /** sops and agenix files compared against their rules. */
  readonly checked: number;
  readonly agenixChecked: number;
  readonly findings: readonly Finding[];
  readonly recipients: readonly RecipientReport[];
  readonly agenixRecipients: readonly RecipientReport[];
  /** Config warnings, `path:line:col: message`. */
  readonly warnings: readonly string[];
}

const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]{50,}/, 'an age secret key'],
  [/-----BEGIN (OPENSSH|RSA|EC|DSA|ENCRYPTED)? ?PRIVATE KEY-----/, 'a private key'],
  [/-----BEGIN PGP PRIVATE KEY BLOCK-----/, 'a PGP private key'],
];
/** Text kept from one chunk to the next, so a key split across chunks is still seen (keys are shorter). */
const OVERLAP = 4096;
const AGE_MAGIC = 'age-encryption.org/v1';

/**
 * Scans a file of any size, chunk by chunk, for secret key material.
 *
 * @returns the first match's line and what it is, or null
 */
export function scanForSecretKey(chunks: Iterable<Uint8Array>): { line: number; what: string } | null {
  let carry = '';
  let lineBase = 1; // line number of carry's first character
  for (const chunk of chunks) {
    const text = carry + Buffer.from(chunk).toString('latin1');
    for (const [pattern, what] of SECRET_PATTERNS) {
      const m = pattern.exec(text);
      if (m) return { line: lineBase + countLines(text, m.index), what };
    }
    const keep = Math.max(0, text.length - OVERLAP);
    lineBase += countLines(text, keep);
    carry = text.slice(keep);
  }
  return null;
}

function countLines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Per-recipient tallies, created on first mention and kept in that order. */
class Tally {
  readonly byRecipient = new Map<string, { opens: string[]; cannot: { file: string; reason: string }[] }>();
  of(recipient: string): { opens: string[]; cannot: { file: string; reason: string }[] } {
    let r = this.byRecipient.get(recipient);
    if (!r) this.byRecipient.set(recipient, (r = { opens: [], cannot: [] }));
    return r;
  }
  reports(names: RecipientNames, note?: (r: string) => string | undefined): RecipientReport[] {
    return [...this.byRecipient].map(([recipient, r]) => {
      const name = nameOf(names, recipient);
      const extra = note?.(recipient);
      return { name, label: recipientLabel(names, recipient), recipient, opens: r.opens, cannot: r.cannot, ...(extra ? { note: extra } : {}) };
    });
  }
}

/** The sops metadata of a file, null when it is not a sops file; throws when it looks like one but is broken. */
function sopsMetadataOf(path: string, bytes: Uint8Array): Metadata | null {
  if (Buffer.from(bytes).indexOf('sops') < 0) return null;
  try {
    return readMetadata(storeFor(formatFromPath(path)).loadEncrypted(bytes).metadata);
  } catch (error) {
    if (error instanceof SecretsError && error.code === 'SOPS_METADATA_NOT_FOUND') return null;
    throw error;
  }
}

const isAgeFile = (bytes: Uint8Array): boolean => {
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1').trimStart();
  return head.startsWith(AGE_MAGIC) || head.startsWith('-----BEGIN AGE ENCRYPTED FILE-----');
};

/** What the steps of one check share. */
interface CheckRun {
  readonly view: RepoView;
  readonly shown: (p: string) => string;
  readonly findings: Finding[];
  readonly names: RecipientNames;
  readonly tally: Tally;
  /** The config path a file belongs to (nearest, or the one named). */
  readonly resolve: (file: string) => string | null;
  /** Parsed configs by path; null for one that cannot be read (already a finding). */
  readonly loaded: Map<string, SopsConfig | null>;
  readonly allowed: readonly string[];
}

/** The parsed config a file belongs to, parsed once; a config that cannot be read is one finding. */
function configOf(run: CheckRun, file: string, warnings: string[]): SopsConfig | null {
  const path = run.resolve(file);
  if (path === null) return null;
  if (!run.loaded.has(path)) {
    try {
      const config = parseSopsConfig(readConfigText(run.view, path), path);
      run.loaded.set(path, config);
      warnings.push(...config.warnings);
      addSopsConfigNames(run.names, config);
    } catch (error) {
      run.loaded.set(path, null);
      run.findings.push({ file: run.shown(path), kind: 'unreadable', message: error instanceof SecretsError ? error.message : 'cannot be read' });
    }
  }
  return run.loaded.get(path) ?? null;
}

/**
 * One regular file: a sops file against its rule; plaintext where a `path_regex` expects a secret; a
 * secret key anywhere (read once when it fits, streamed when larger).
 *
 * @returns whether it was a sops file (checked)
 */
function checkFile(run: CheckRun, path: string, config: SopsConfig | null): boolean {
  const { view, shown, findings } = run;
  const match: RuleMatch | null = config ? matchRule(config, path) : null;
  let metadata: Metadata | null = null;
  let ageFile = false;
  let bytes: Uint8Array | null = null;
  try {
    const size = view.size(path);
    if (size <= DEFAULT_MAX_INPUT_BYTES) {
      bytes = view.read(path, DEFAULT_MAX_INPUT_BYTES);
      ageFile = isAgeFile(bytes);
      metadata = ageFile ? null : sopsMetadataOf(path, bytes);
    } else if (match?.explicit) {
      findings.push({ file: shown(path), kind: 'unreadable', message: `${size} bytes: larger than any sops file this tool reads (${DEFAULT_MAX_INPUT_BYTES} bytes)` });
    }
  } catch (error) {
    if (match?.explicit) findings.push({ file: shown(path), kind: 'unreadable', message: `cannot be read as a sops file: ${error instanceof SecretsError ? error.message : 'unknown error'}` });
  }
  if (metadata) {
    if (hasMergeConflict(metadata)) findings.push({ file: shown(path), kind: 'merge-conflict', message: 'an unresolved git merge conflict is committed in it: run secrets edit on it to resolve' });
    const configPath = basename(path) === SOPS_CONFIG_NAME ? null : run.resolve(path);
    // Under a .sops.yaml that cannot be read (already a finding), no rule can be judged.
    if (!match && configPath !== null && run.loaded.get(configPath) === null) return true;
    if (!match) findings.push({ file: shown(path), kind: 'no-rule', message: config ? `a sops file no creation rule of ${shown(config.path)} reaches: it cannot be rekeyed` : 'a sops file with no .sops.yaml above it: no rule says who may open it' });
    else compareSops(shown(path), shown(match.config.path), metadata, match, run.names, run.tally, findings);
    return true;
  }
  if (match?.explicit && !ageFile) findings.push({ file: shown(path), kind: 'not-encrypted', message: 'a creation rule matches it, but it is not encrypted' });
  if (ageFile || run.allowed.some((a) => path === a || path.startsWith(`${a}/`))) return false;
  const hit = scanForSecretKey(bytes !== null ? [bytes] : view.chunks(path));
  if (hit) findings.push({ file: shown(path), kind: 'secret-key', message: `line ${hit.line} holds ${hit.what}` });
  return false;
}

/** The agenix rules files: the named ones, else every `secrets.nix` beside `.age` files that reads as rules. */
function agenixRules(run: CheckRun, named: readonly string[] | undefined, candidates: readonly string[]): RulesDecision[] {
  const decisions: RulesDecision[] = (named ?? []).map((p) => decideRulesFile(run.view, p, true));
  if (!named?.length) for (const p of rulesCandidates(candidates)) decisions.push(decideRulesFile(run.view, p, false));
  for (const d of decisions) if (d.kind === 'unreadable') run.findings.push({ file: run.shown(d.path), kind: 'unreadable', message: `agenix rules that cannot be read: ${d.error.message}` });
  return decisions;
}

/**
 * What the walk found besides regular files, and agenix files without a rule: a link or special file
 * where a secret belongs (a `path_regex` names it, or it is an agenix file) is a finding; an `.age`
 * file below a rules file that no rule names cannot be rekeyed.
 */
function checkLinksAndAgeFiles(run: CheckRun, walked: { files: readonly string[]; special: readonly string[] }, decisions: readonly RulesDecision[], warnings: string[]): void {
  const rulesPaths = decisions.filter((d) => d.kind === 'rules').map((d) => d.path);
  const ageTargets = new Set<string>();
  for (const d of decisions) if (d.kind === 'rules') for (const r of d.rules) ageTargets.add(`${dirname(d.path)}/${r.name.replace(/^\.\//, '')}`);
  const ownerOf = (path: string): string | undefined => rulesPaths.filter((r) => path.startsWith(`${dirname(r)}/`)).sort((a, b) => b.length - a.length)[0];
  for (const path of walked.special) {
    const config = configOf(run, path, warnings);
    const secretPath = (config !== null && matchRule(config, path)?.explicit === true) || ageTargets.has(path) || (path.endsWith('.age') && ownerOf(path) !== undefined);
    if (secretPath) run.findings.push(linkFinding(run.view, run.shown(path), path, run.view.kind(path)));
  }
  for (const path of walked.files) {
    if (!path.endsWith('.age') || ageTargets.has(path)) continue;
    const owner = ownerOf(path);
    if (owner !== undefined) run.findings.push({ file: run.shown(path), kind: 'no-rule', message: `an .age file no rule of ${run.shown(owner)} names: agenix cannot rekey it` });
  }
}

/** Findings without repeats: a link where an agenix file belongs is seen by the walk and by its rule. */
function uniqueFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.kind}\u0000${f.file}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Checks a repository (or some of its files).
 *
 * @param view - the file system
 * @param options - where, which files, which config and rules
 * @returns findings and per-recipient reports; nothing is thrown for a file, only for the whole run
 */
export function checkRepository(view: RepoView, options: CheckOptions): CheckReport {
  const base = options.base ?? options.root;
  // Named directories are walked like the root; named files are taken as they are (a link is a finding).
  const walks = (options.files ? options.files.filter((f) => view.kind(f) === 'dir') : [options.root]).map((d) => walkRepository(view, d));
  const walkedFiles = walks.flatMap((w) => w.files);
  const special = walks.flatMap((w) => [...w.symlinks, ...w.others]);
  const named = options.files?.filter((f) => view.kind(f) !== 'dir') ?? [];
  const files = [...named, ...walkedFiles];
  const run: CheckRun = {
    view,
    shown: (p) => escapeControl(relative(base, p) || p),
    findings: [],
    names: new Map(),
    tally: new Tally(),
    resolve: options.config !== undefined ? () => options.config as string : configResolver((p) => view.kind(p) === 'file'),
    loaded: new Map(),
    allowed: options.allowKey ?? [],
  };
  const warnings: string[] = [];
  for (const file of files) configOf(run, file, warnings);
  for (const config of run.loaded.values()) for (const rule of config?.creationRules ?? []) for (const r of ruleKeyGroups(rule).flat()) run.tally.of(r);
  const decisions = agenixRules(run, options.rules, [...files, ...special]);

  let checked = 0;
  for (const path of files) {
    const kind = named.includes(path) ? view.kind(path) : 'file';
    if (kind !== 'file') run.findings.push(linkFinding(view, run.shown(path), path, kind));
    else if (checkFile(run, path, basename(path) === SOPS_CONFIG_NAME ? null : configOf(run, path, warnings))) checked++;
  }
  checkLinksAndAgeFiles(run, { files: walkedFiles, special }, decisions, warnings);
  const agenix = checkAgenix(view, decisions, run.names, run.shown, run.findings);
  const sshNote = (r: string): string | undefined =>
    // sops-nix#824: sops-nix converts host keys to X25519 identities; a native ssh stanza needs more.
    r.startsWith('ssh-') ? 'a native SSH recipient: sops-nix opens it only with sops.environment.SOPS_AGE_SSH_PRIVATE_KEY_FILE set; hosts usually get the ssh-to-age age1… form' : undefined;
  return {
    configs: [...run.loaded.keys()],
    rulesFiles: decisions.filter((d) => d.kind !== 'not-rules').map((d) => d.path),
    checked: checked + agenix.checked,
    agenixChecked: agenix.checked,
    findings: uniqueFindings(run.findings),
    recipients: run.tally.reports(run.names, sshNote),
    agenixRecipients: agenix.recipients,
    warnings,
  };
}

function linkFinding(view: RepoView, name: string, path: string, kind: string | null): Finding {
  if (kind === 'symlink') {
    const target = view.linkTarget?.(path) ?? null;
    return { file: name, kind: 'symlink', message: `a symbolic link${target === null ? '' : ` to ${JSON.stringify(escapeControl(target))}`} where a secret belongs: check does not follow links; commit the file itself` };
  }
  return { file: name, kind: 'not-regular', message: kind === null ? 'does not exist' : 'not a regular file (a FIFO, socket or device)' };
}

/** One sops file against its rule: the recipient diff, and who opens it on their own. */
function compareSops(name: string, configName: string, metadata: Metadata, match: RuleMatch, names: RecipientNames, tally: Tally, findings: Finding[]): void {
  const have = fileKeyGroups(metadata.keyGroups);
  const want = ruleKeyGroups(match.rule);
  // Alone, a key opens a file when it sits in as many groups as the Shamir threshold asks for (sops).
  const needed = have.length <= 1 ? 1 : metadata.shamirThreshold > 0 ? metadata.shamirThreshold : have.length;
  const groupsWith = (r: string): number => have.filter((g) => g.includes(r)).length;
  const present = new Set(have.flat());
  for (const r of present) if (groupsWith(r) >= needed) tally.of(r).opens.push(name);
  for (const r of new Set(want.flat())) {
    if (!present.has(r)) tally.of(r).cannot.push({ file: name, reason: 'not among its recipients yet: run secrets rekey' });
    else if (groupsWith(r) < needed) tally.of(r).cannot.push({ file: name, reason: `needs ${needed} of ${have.length} key groups; this key is in ${groupsWith(r)}` });
  }
  const diff = recipientDiff(have, want);
  if (!diff.changed) return;
  const label = (r: string): string => recipientLabel(names, r);
  const added = diff.groups.flatMap((g) => g.added).map(label);
  const removed = diff.groups.flatMap((g) => g.removed).map(label);
  const groups = have.length !== want.length ? `; ${have.length} key group${have.length === 1 ? '' : 's'} where the rule has ${want.length}` : '';
  findings.push({
    file: name,
    kind: 'recipients-differ',
    message: `recipients differ from creation rule ${match.rule.index} of ${configName}${added.length ? `; missing: ${added.join(', ')}` : ''}${removed.length ? `; not in .sops.yaml: ${removed.join(', ')}` : ''}${groups} (run secrets rekey)`,
  });
}

/** Every existing `.age` file of each rules file against its rule, and which recipient opens which. */
function checkAgenix(view: RepoView, decisions: readonly RulesDecision[], names: RecipientNames, shown: (p: string) => string, findings: Finding[]): { checked: number; recipients: RecipientReport[] } {
  const tally = new Tally();
  let checked = 0;
  for (const d of decisions) {
    if (d.kind !== 'rules') continue;
    for (const [k, v] of secretsNixKeyNames(d.text)) if (!names.has(k)) names.set(k, v);
    let lock;
    try {
      lock = readAgenixLock(view, d.path);
    } catch (error) {
      findings.push({ file: shown(d.path), kind: 'unreadable', message: error instanceof SecretsError ? error.message : 'secrets.lock cannot be read' });
      continue;
    }
    for (const item of planAgenixRekey(view, d.path, d.rules, lock, { names })) {
      const file = shown(item.path);
      const state = item.state;
      if (state.status === 'missing') continue; // not created yet: agenix builds without it until it is declared
      if (state.status === 'unreadable') {
        findings.push({ file, kind: state.error.message.startsWith('a symbolic link') ? 'symlink' : 'unreadable', message: state.error.message });
        continue;
      }
      checked++;
      if (state.status === 'stale' && state.certain) findings.push({ file, kind: 'recipients-differ', message: `recipients differ from its rule in ${shown(d.path)}: ${state.reason} (run secrets agenix rekey)` });
      for (const key of item.rule.publicKeys) {
        if (isPluginRecipient(key)) {
          // Its stanzas name no key: the lock vouches for it, as for an X25519 recipient.
          const entry = tally.of(key);
          if (state.status === 'current') entry.opens.push(file);
          else entry.cannot.push({ file, reason: state.certain ? `${state.reason}: run secrets agenix rekey` : 'cannot tell: age plugin stanzas do not name their key, and secrets.lock has no valid record (one secrets agenix rekey writes it)' });
          continue;
        }
        const r = parseRecipient(key);
        const entry = tally.of(r.kind === 'ssh-ed25519' || r.kind === 'ssh-rsa' ? formatSshPublicKey(r.key, false) : r.text);
        if (r.kind === 'ssh-ed25519' || r.kind === 'ssh-rsa') {
          if (state.stanzas.some((st) => st.type === r.kind && st.args[0] === sshTag(r.key.wire))) entry.opens.push(file);
          else entry.cannot.push({ file, reason: 'no stanza for this key yet: run secrets agenix rekey' });
        } else if (state.status === 'current') entry.opens.push(file);
        else entry.cannot.push({ file, reason: state.certain ? `${state.reason}: run secrets agenix rekey` : 'cannot tell: X25519 stanzas are anonymous and secrets.lock has no valid record (one secrets agenix rekey writes it)' });
      }
    }
  }
  return { checked, recipients: tally.reports(names) };
}
