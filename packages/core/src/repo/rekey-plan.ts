/**
 * The `rekey` plan (sops updatekeys for a whole repository) as a pure function: every sops file, the
 * creation rule of its nearest `.sops.yaml`, and the per-group recipient diff. Applying a plan to one
 * file (unwrap the data key, wrap it for the new groups) is the caller's: it needs identities.
 */
import { basename } from 'node:path';
import type { RecipientOrTarget } from '../sops/key-registry.js';
import { SecretsError } from '../errors.js';
import { parseSopsConfig, type SopsConfig } from '../config/schema.js';
import { loadSopsFile, type LoadedSopsFile } from '../sops/rekey.js';
import { DEFAULT_MAX_INPUT_BYTES, type Format } from '../sops/stores/store.js';
import { configResolver, walkRepository, SOPS_CONFIG_NAME } from './discover.js';
import { fileKeyGroups, formatFor, matchRule, recipientDiff, ruleKeyGroups, ruleRecipients, type RecipientDiff, type RuleMatch } from './targets.js';
import { readConfigText, type RepoView } from './view.js';

/** What rekeying one file means. */
export interface SopsRekeyItem {
  readonly path: string;
  /** The bytes it was read as (the replace must still find them). */
  readonly bytes: Uint8Array;
  readonly format: Format;
  /** The file parsed (data still encrypted), for the apply step. */
  readonly loaded: LoadedSopsFile;
  readonly match: RuleMatch;
  /** The file's key groups and the rule's, as recipient strings. */
  readonly current: readonly (readonly string[])[];
  readonly wanted: readonly (readonly string[])[];
  readonly diff: RecipientDiff;
  /** The rule's groups, parsed: what the data key is wrapped for (age recipients, PGP fingerprints). */
  readonly recipients: readonly (readonly RecipientOrTarget[])[];
  /** The Shamir threshold to keep (at most the number of groups). */
  readonly threshold: number;
}

/** A repository's rekey plan. */
export interface RekeyPlan {
  /** Files whose recipients change (or all of them with `rotate`). */
  readonly items: readonly SopsRekeyItem[];
  /** Files already encrypted to their rule's recipients. */
  readonly upToDate: readonly string[];
  /** sops files that no creation rule reaches (walks only): left alone, and said. */
  readonly unreached: readonly string[];
  /** Files that cannot be rekeyed, and why; the others are still planned. */
  readonly failures: readonly { readonly path: string; readonly error: SecretsError }[];
  /** The `.sops.yaml` files used. */
  readonly configs: readonly string[];
  readonly warnings: readonly string[];
}

/** Options of {@link planRekey}. */
export interface RekeyPlanOptions {
  /** Absolute directory walked when no files are named. */
  readonly root: string;
  /** Named files (absolute): each must be a sops file a rule reaches. */
  readonly files?: readonly string[];
  /** One `.sops.yaml` for every file, instead of the nearest one. */
  readonly config?: string;
  /** `--input-type` for named files. */
  readonly inputType?: string;
  /** Plan every file, changed or not (the data key is replaced). */
  readonly rotate?: boolean;
}

const asError = (error: unknown): SecretsError => (error instanceof SecretsError ? error : new SecretsError('IO_READ', 'cannot be read', { cause: error }));

/**
 * Plans a rekey.
 *
 * @param view - the file system
 * @param options - which files, which config
 * @returns the plan; per-file problems are in `failures`, never thrown
 * @throws SecretsError CONFIG_NOT_FOUND when no `.sops.yaml` governs any file
 */
export function planRekey(view: RepoView, options: RekeyPlanOptions): RekeyPlan {
  const named = options.files !== undefined && options.files.length > 0;
  const files = named ? (options.files) : walkRepository(view, options.root).files.filter((f) => basename(f) !== SOPS_CONFIG_NAME);
  const resolve = options.config !== undefined ? () => options.config as string : configResolver((p) => view.kind(p) === 'file');
  const configs = new Map<string, SopsConfig | SecretsError>();
  const warnings: string[] = [];
  const configFor = (path: string): SopsConfig | SecretsError | null => {
    const at = resolve(path);
    if (at === null) return null;
    if (!configs.has(at)) {
      try {
        const config = parseSopsConfig(readConfigText(view, at), at);
        warnings.push(...config.warnings);
        configs.set(at, config);
      } catch (error) {
        configs.set(at, asError(error));
      }
    }
    return configs.get(at) ?? null;
  };
  if (options.config !== undefined) {
    // One named config for every file: if it cannot be read, nothing can be planned.
    const forced = configFor(options.config);
    if (forced instanceof SecretsError) throw forced;
  }
  const items: SopsRekeyItem[] = [];
  const upToDate: string[] = [];
  const unreached: string[] = [];
  const failures: { path: string; error: SecretsError }[] = [];
  // Per rule, not per file: a repository's hundreds of files share a few rules, and parsing an SSH
  // recipient is not free.
  const ruleGroups = new Map<RuleMatch['rule'], { wanted: string[][]; recipients?: RecipientOrTarget[][] }>();
  const groupsOf = (match: RuleMatch): { wanted: string[][]; recipients?: RecipientOrTarget[][] } => {
    let found = ruleGroups.get(match.rule);
    if (found === undefined) ruleGroups.set(match.rule, (found = { wanted: ruleKeyGroups(match.rule) }));
    return found;
  };
  for (const path of files) {
    try {
      const config = configFor(path);
      if (config instanceof SecretsError) throw config;
      const match = config ? matchRule(config, path) : null;
      if (!named && match === null && view.size(path) > DEFAULT_MAX_INPUT_BYTES) continue;
      if (view.kind(path) !== 'file') {
        if (named) throw new SecretsError('IO_READ', 'not a regular file (links are not followed)');
        continue;
      }
      const bytes = view.read(path, DEFAULT_MAX_INPUT_BYTES);
      const format = formatFor(path, named ? options.inputType : undefined);
      let loaded: LoadedSopsFile | null;
      try {
        // Parsed once: the apply step reuses it (data untouched, only the sops block is rewritten).
        loaded = Buffer.from(bytes).indexOf('sops') < 0 ? null : loadSopsFile(bytes, format);
      } catch (error) {
        if (!(error instanceof SecretsError && error.code === 'SOPS_METADATA_NOT_FOUND') && (named || match?.explicit)) throw error;
        loaded = null;
      }
      if (loaded === null) {
        if (named) throw new SecretsError('SOPS_METADATA_NOT_FOUND', 'not a sops file');
        continue;
      }
      const metadata = loaded.metadata;
      if (match === null) {
        if (named) throw new SecretsError('CONFIG_NO_MATCHING_RULE', config ? `no creation rule in ${config.path} reaches it` : 'no .sops.yaml above it');
        unreached.push(path);
        continue;
      }
      const current = fileKeyGroups(metadata.keyGroups);
      const rule = groupsOf(match);
      const wanted = rule.wanted;
      const diff = recipientDiff(current, wanted);
      if (!diff.changed && !options.rotate) {
        upToDate.push(path);
        continue;
      }
      const recipients = (rule.recipients ??= ruleRecipients(match.rule, match.config.path));
      items.push({ path, bytes, format, loaded, match, current, wanted, diff, recipients, threshold: Math.min(metadata.shamirThreshold, wanted.length) });
    } catch (error) {
      failures.push({ path, error: asError(error) });
    }
  }
  const used = [...configs.keys()];
  if (used.length === 0 && options.config === undefined) {
    throw new SecretsError('CONFIG_NOT_FOUND', 'config file not found', { hints: ['rekey needs a .sops.yaml with creation_rules (searched from each file upward)'] });
  }
  return { items, upToDate, unreached, failures, configs: used, warnings };
}
