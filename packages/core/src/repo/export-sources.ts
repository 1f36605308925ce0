/**
 * Which sops files `agenix export` reads, and which creation rule gives each its recipients: the rule of
 * the file's nearest `.sops.yaml` (see discover.ts), as every other repository command has it, unless one
 * `.sops.yaml` is named for all of them.
 */
import { matchCreationRule } from '../config/find.js';
import { parseSopsConfig, type CreationRule, type SopsConfig } from '../config/schema.js';
import { SecretsError } from '../errors.js';
import { configResolver } from './discover.js';
import { planRekey, type RekeyPlan } from './rekey-plan.js';
import { matchRule } from './targets.js';
import { readConfigText, type RepoView } from './view.js';

/** A sops file to export and the creation rule its recipients come from. */
export interface ExportSource {
  /** Absolute path of the sops file. */
  readonly path: string;
  /** The `.sops.yaml` the rule is from. */
  readonly config: SopsConfig;
  readonly rule: CreationRule;
}

/** Options of {@link agenixExportSources}. */
export interface ExportSourcesOptions {
  /** Absolute directory walked when no files are named. */
  readonly root: string;
  /** Named files (absolute): each must have a `.sops.yaml` rule. */
  readonly files?: readonly string[];
  /** One `.sops.yaml` for every file, instead of each file's nearest one. */
  readonly config?: string;
}

/** What {@link agenixExportSources} found. */
export interface ExportSources {
  /** In path order for a walk, in the order named otherwise. */
  readonly sources: readonly ExportSource[];
  /** Every `.sops.yaml` a source's rule is from, each once. */
  readonly configs: readonly SopsConfig[];
}

/** The rekey plan of a walk, which finds every sops file and its rule; none when no file has a config. */
function walkPlan(view: RepoView, options: ExportSourcesOptions): Pick<RekeyPlan, 'items' | 'failures'> {
  try {
    return planRekey(view, { root: options.root, rotate: true, ...(options.config !== undefined ? { config: options.config } : {}) });
  } catch (error) {
    // A walk that meets no .sops.yaml at all has nothing to export (the caller says so in its words).
    if (options.config === undefined && error instanceof SecretsError && error.code === 'CONFIG_NOT_FOUND') return { items: [], failures: [] };
    throw error;
  }
}

/**
 * The sops files to export with their creation rules: the named files, else every sops file below `root`
 * that a rule reaches (also when the rule has keys rekey cannot use: the export skips those keys itself).
 *
 * @param view - the file system
 * @param options - which files, which config
 * @throws SecretsError CONFIG_NOT_FOUND for a named file with no `.sops.yaml` above it,
 *   CONFIG_NO_MATCHING_RULE for a named file no rule reaches, CONFIG_INVALID / IO_READ /
 *   LIMIT_EXCEEDED for a `.sops.yaml` that governs a file and cannot be read
 */
export function agenixExportSources(view: RepoView, options: ExportSourcesOptions): ExportSources {
  const resolve = options.config !== undefined ? () => options.config as string : configResolver((p) => view.kind(p) === 'file');
  const parsed = new Map<string, SopsConfig>();
  const configAt = (path: string): SopsConfig => {
    let config = parsed.get(path);
    if (config === undefined) parsed.set(path, (config = parseSopsConfig(readConfigText(view, path), path)));
    return config;
  };
  const sources: ExportSource[] = [];
  if (options.files !== undefined && options.files.length > 0) {
    for (const path of options.files) {
      const at = resolve(path);
      if (at === null) throw new SecretsError('CONFIG_NOT_FOUND', `no .sops.yaml above ${path}`, { hints: ['the recipients come from its creation rules; name one with --config FILE'] });
      const config = configAt(at);
      sources.push({ path, config, rule: matchCreationRule(config, path) });
    }
  } else {
    const plan = walkPlan(view, options);
    for (const item of plan.items) {
      parsed.set(item.match.config.path, item.match.config);
      sources.push({ path: item.path, config: item.match.config, rule: item.match.rule });
    }
    for (const failure of plan.failures) {
      const at = resolve(failure.path);
      if (at === null) continue;
      // An unreadable .sops.yaml throws here: its files' recipients are unknown.
      const match = matchRule(configAt(at), failure.path);
      if (match && failure.error.code === 'CONFIG_INVALID') sources.push({ path: failure.path, config: match.config, rule: match.rule });
    }
    sources.sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  return { sources, configs: [...new Map(sources.map((s) => [s.config.path, s.config])).values()] };
}
