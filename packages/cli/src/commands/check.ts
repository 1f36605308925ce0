/**
 * `secrets check`: repository hygiene for CI, needing no private key. Every file a creation rule matches
 * must be a sops file whose recipients are exactly what `.sops.yaml` says, and no secret key may sit in
 * the tree. Non-zero exit on any finding; `--json` for machines. It also reports, per recipient (named by
 * its `.sops.yaml` anchor), which files that key opens on its own: a host missing from a file it needs is
 * sops-nix's "0 successful groups required, got 0" at activation, caught here instead.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import {
  SecretsError,
  findConfig,
  formatSshPublicKey,
  formatFromPath,
  inspectAgeHeader,
  loadConfig,
  matchCreationRule,
  normalizeRuleName,
  parseRecipient,
  parseSecretsNix,
  readConfigFile,
  readMetadata,
  recipientState,
  sshTag,
  storeFor,
  type AgeRecipient,
  type MasterKey,
  type SopsConfig,
} from '@secrets/core';
import type { Context } from '../context.js';
import { readFileLimited } from '../io.js';
import { readLock } from './agenix.js';
import { printWarning } from '../output.js';
import { absolutePath, inputFiles } from '../paths.js';

/** What one recipient can open. */
export interface RecipientReport {
  /** The `.sops.yaml` anchor naming it, else null. */
  readonly name: string | null;
  readonly recipient: string;
  /** Files it opens on its own. */
  readonly opens: readonly string[];
  /** Files its creation rule gives it but it cannot open on its own, and why. */
  readonly cannot: readonly { readonly file: string; readonly reason: string }[];
  /** A caveat for sops-nix hosts, if any. */
  readonly note?: string;
}

/** One finding. */
export interface Finding {
  readonly file: string;
  readonly kind: 'not-encrypted' | 'recipients-differ' | 'secret-key' | 'unreadable';
  readonly message: string;
}

const SKIP_DIRS = new Set(['.git', 'node_modules', '.direnv']);
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]{50,}/, 'an age secret key'],
  [/-----BEGIN (OPENSSH|RSA|EC|DSA|ENCRYPTED)? ?PRIVATE KEY-----/, 'a private key'],
  [/-----BEGIN PGP PRIVATE KEY BLOCK-----/, 'a PGP private key'],
];
const MAX_SCAN = 1 << 20;

async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isSymbolicLink()) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await visit(path);
      } else if (entry.isFile()) out.push(path);
    }
  };
  await visit(root);
  return out.sort();
}

function ruleFor(config: SopsConfig, path: string): ReturnType<typeof matchCreationRule> | null {
  try {
    return matchCreationRule(config, path);
  } catch {
    return null;
  }
}

interface Tally {
  readonly opens: string[];
  readonly cannot: { file: string; reason: string }[];
}

/** Per-recipient tallies, created on first mention and kept in that order. */
function tally(): { reports: Map<string, Tally>; report: (recipient: string) => Tally } {
  const reports = new Map<string, Tally>();
  const report = (recipient: string): Tally => {
    let r = reports.get(recipient);
    if (!r) reports.set(recipient, (r = { opens: [], cannot: [] }));
    return r;
  };
  return { reports, report };
}

/** Runs `secrets check`. */
export async function check(ctx: Context, options: { files: readonly string[]; json: boolean; allowKey: readonly string[]; config?: string }): Promise<number> {
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(options.config ? { explicit: options.config } : {}) });
  // An agenix-only repository has no .sops.yaml: its secrets.nix files are checked alone.
  const config: SopsConfig = found ? await loadConfig(found) : { path: '', creationRules: [], stores: {}, warnings: [], names: new Map(), sshKeys: new Map() };
  for (const w of config.warnings) printWarning(ctx, w);
  const root = found ? dirname(found.path) : ctx.cwd;
  const all = options.files.length > 0 ? inputFiles(ctx, options.files) : await walk(root);
  const rulesFiles = all.filter((p) => basename(p) === 'secrets.nix');
  if (!found && rulesFiles.length === 0) throw new SecretsError('CONFIG_NOT_FOUND', 'no .sops.yaml (searched from the working directory upward) and no secrets.nix below it');
  const allowed = options.allowKey.map((a) => absolutePath(ctx, a));
  const findings: Finding[] = [];
  const { reports, report } = tally();
  for (const rule of config.creationRules) for (const k of rule.keyGroups.flat()) if (k.type === 'age') report(k.recipient);
  let checked = 0;
  for (const path of all) {
    const name = relative(ctx.cwd, path) || path;
    if ((await stat(path)).size > MAX_SCAN) continue;
    const bytes = new Uint8Array(await readFile(path));
    const rule = path === found?.path ? null : ruleFor(config, path);
    let metadata = null;
    try {
      metadata = readMetadata(storeFor(formatFromPath(path)).loadEncrypted(bytes).metadata);
    } catch (error) {
      if (rule) {
        const notSops = error instanceof SecretsError && error.code === 'SOPS_METADATA_NOT_FOUND';
        findings.push({ file: name, kind: notSops ? 'not-encrypted' : 'unreadable', message: notSops ? 'a creation rule matches it, but it is not encrypted' : `cannot be read as a sops file: ${error instanceof SecretsError ? error.message : 'unknown error'}` });
      }
    }
    if (rule && metadata) {
      checked++;
      // Alone, a key opens a file when it sits in as many groups as the Shamir threshold asks for (sops).
      const groups = metadata.keyGroups;
      const needed = groups.length <= 1 ? 1 : metadata.shamirThreshold > 0 ? metadata.shamirThreshold : groups.length;
      const ageIn = (g: readonly MasterKey[], r: string): boolean => g.some((k) => k.type === 'age' && k.recipient === r);
      const present = new Set(groups.flat().flatMap((k) => (k.type === 'age' ? [k.recipient] : [])));
      for (const r of present) {
        const count = groups.filter((g) => ageIn(g, r)).length;
        if (count >= needed) report(r).opens.push(name);
      }
      for (const r of new Set(rule.keyGroups.flat().flatMap((k) => (k.type === 'age' ? [k.recipient] : [])))) {
        if (!present.has(r)) report(r).cannot.push({ file: name, reason: 'not among its recipients yet: run secrets rekey' });
        else if (groups.filter((g) => ageIn(g, r)).length < needed) report(r).cannot.push({ file: name, reason: `needs ${needed} of ${groups.length} key groups; this key is in ${groups.filter((g) => ageIn(g, r)).length}` });
      }
      const want = rule.keyGroups.map((g) => g.map((k) => (k.type === 'age' ? k.recipient : `${k.type}:${k.value}`)).sort());
      const have = metadata.keyGroups.map((g) => g.map((k) => (k.type === 'age' ? k.recipient : `${k.type}:${k.label}`)).sort());
      if (JSON.stringify(want) !== JSON.stringify(have)) {
        const added = want.flat().filter((r) => !have.flat().includes(r));
        const removed = have.flat().filter((r) => !want.flat().includes(r));
        findings.push({
          file: name,
          kind: 'recipients-differ',
          message: `recipients differ from creation rule ${rule.index}${added.length ? `; missing: ${added.join(', ')}` : ''}${removed.length ? `; not in .sops.yaml: ${removed.join(', ')}` : ''} (run secrets rekey)`,
        });
      }
    }
    if (!metadata && !allowed.some((a) => path === a || path.startsWith(`${a}/`))) {
      const text = Buffer.from(bytes).toString('latin1');
      for (const [pattern, what] of SECRET_PATTERNS) {
        const m = pattern.exec(text);
        if (m) {
          const line = text.slice(0, m.index).split('\n').length;
          findings.push({ file: name, kind: 'secret-key', message: `line ${line} holds ${what}` });
          break;
        }
      }
    }
  }
  const agenix = await checkAgenix(ctx, rulesFiles, config, findings);
  checked += agenix.checked;
  const recipients: RecipientReport[] = [...reports].map(([recipient, r]) => ({
    name: config.names.get(recipient) ?? null,
    recipient,
    opens: r.opens,
    cannot: r.cannot,
    // sops-nix#824: sops-nix converts host keys to X25519 identities; a native ssh stanza needs more.
    ...(recipient.startsWith('ssh-') ? { note: 'a native SSH recipient: sops-nix opens it only with sops.environment.SOPS_AGE_SSH_PRIVATE_KEY_FILE set; hosts usually get the ssh-to-age age1… form' } : {}),
  }));
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify({ config: found?.path ?? null, checked, findings, recipients, agenixRules: rulesFiles, agenixRecipients: agenix.recipients }, null, 2)}\n`);
  } else {
    const print = (title: string, list: readonly RecipientReport[]): void => {
      if (list.length === 0) return;
      ctx.stdout.write(`${title}:\n`);
      for (const r of list) {
        const label = r.name ?? (r.recipient.length > 24 ? `${r.recipient.slice(0, 20)}…` : r.recipient);
        const total = r.opens.length + r.cannot.length;
        ctx.stdout.write(`  ${label}: opens ${r.opens.length} of ${total} file${total === 1 ? '' : 's'}${r.note ? ` (${r.note})` : ''}\n`);
        for (const c of r.cannot) ctx.stdout.write(`    cannot open ${c.file}: ${c.reason}\n`);
      }
    };
    if (checked - agenix.checked > 0) print('recipients', recipients);
    print('agenix recipients', agenix.recipients);
    for (const f of findings) ctx.stdout.write(`${f.file}: ${f.message}\n`);
    const against = [...(found ? [relative(ctx.cwd, found.path) || found.path] : []), ...rulesFiles.map((p) => relative(ctx.cwd, p) || p)].join(', ');
    ctx.stdout.write(findings.length === 0 ? `ok: ${checked} encrypted file${checked === 1 ? '' : 's'} match ${against}\n` : `${findings.length} problem${findings.length === 1 ? '' : 's'} found\n`);
  }
  return findings.length === 0 ? 0 : 1;
}

/**
 * agenix: every existing `.age` file of each secrets.nix against its rule (stanza tags, and secrets.lock
 * for anonymous X25519 stanzas), and which recipient opens which file. Needs no key.
 */
async function checkAgenix(ctx: Context, rulesFiles: readonly string[], config: SopsConfig, findings: Finding[]): Promise<{ checked: number; recipients: RecipientReport[] }> {
  const { reports, report } = tally();
  // An SSH key noted in .sops.yaml carries the name of the age1… line it was converted to.
  const names = new Map(config.names);
  for (const [age, ssh] of config.sshKeys) if (config.names.has(age)) names.set(ssh, config.names.get(age) as string);
  const fail = (file: string, error: unknown): void => void findings.push({ file: relative(ctx.cwd, file) || file, kind: 'unreadable', message: error instanceof SecretsError ? error.message : 'unknown error' });
  let checked = 0;
  for (const rulesPath of rulesFiles) {
    let rules;
    let lock;
    try {
      rules = parseSecretsNix(readConfigFile(rulesPath), rulesPath);
      ({ lock } = await readLock(dirname(rulesPath)));
    } catch (error) {
      fail(rulesPath, error);
      continue;
    }
    for (const rule of rules) {
      const name = normalizeRuleName(rule.name);
      const file = join(dirname(rulesPath), name);
      const shown = relative(ctx.cwd, file) || file;
      const bytes = await readFileLimited(file, JSON.stringify(shown)).catch(() => null);
      if (bytes === null) continue; // not created yet: agenix builds without it until it is declared
      let recipients: AgeRecipient[];
      let stanzas;
      try {
        recipients = rule.publicKeys.map((k) => parseRecipient(k));
        stanzas = inspectAgeHeader(bytes).stanzas;
      } catch (error) {
        fail(file, error);
        continue;
      }
      checked++;
      const state = recipientState(stanzas, recipients, bytes, lock.get(name));
      if (!state.current && state.certain) findings.push({ file: shown, kind: 'recipients-differ', message: `recipients differ from its rule in ${relative(ctx.cwd, rulesPath) || rulesPath}: ${state.reason} (run secrets agenix rekey)` });
      for (const r of recipients) {
        const entry = report(r.kind === 'ssh-ed25519' || r.kind === 'ssh-rsa' ? formatSshPublicKey(r.key, false) : r.text);
        if (r.kind === 'ssh-ed25519' || r.kind === 'ssh-rsa') {
          if (stanzas.some((st) => st.type === r.kind && st.args[0] === sshTag(r.key.wire))) entry.opens.push(shown);
          else entry.cannot.push({ file: shown, reason: 'no stanza for this key yet: run secrets agenix rekey' });
        } else if (state.current) entry.opens.push(shown);
        else entry.cannot.push({ file: shown, reason: state.certain ? `${state.reason}: run secrets agenix rekey` : 'cannot tell: X25519 stanzas are anonymous and secrets.lock has no valid record (one secrets agenix rekey writes it)' });
      }
    }
  }
  const recipients = [...reports].map(([recipient, r]) => ({ name: names.get(recipient) ?? null, recipient, opens: r.opens, cannot: r.cannot }));
  return { checked, recipients };
}
