/**
 * Finding `.sops.yaml` and picking the creation rule for a file.
 *
 * Discovery is sops' (config/config.go `LookupConfigFile`): `--config`, else `SOPS_CONFIG`, else the
 * working directory and its parents, up to 100 levels. Beyond sops: when the target file lies outside that
 * config's tree, the file's own directory and its parents are searched too (sops#242, #1222: encrypting
 * from a parent directory finds no config) and the result says which config was used and why.
 */
import { access } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SecretsError } from '../errors.js';
import { readFileCapped } from '../keys/read-file.js';
import { parseSopsConfig, redactSecretKeys, type CreationRule, type SopsConfig } from './schema.js';

/** How a config was found. */
export type ConfigSource = 'flag' | 'env' | 'cwd' | 'file';

/** A config file and how it was found. */
export interface FoundConfig {
  readonly path: string;
  readonly source: ConfigSource;
  /** Set when the file's own tree was searched because the cwd's config does not cover it. */
  readonly note?: string;
}

/** Disk access for discovery; defaults to the real filesystem. */
export interface ConfigFs {
  readonly exists: (path: string) => Promise<boolean>;
  readonly readFile: (path: string) => Promise<string>;
}

/**
 * The largest configuration file read (`.sops.yaml`; the CLI uses it for `secrets.nix` and `secrets.lock`
 * too): 16 MiB, thousands of times a real one, so a runaway or hostile file is refused by its size.
 */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * Reads a configuration file of at most {@link MAX_CONFIG_BYTES} as UTF-8. It must be a regular file (or
 * a link to one): a repository's link to a device or FIFO is refused, never read.
 *
 * @throws the fs error, SecretsError LIMIT_EXCEEDED, or IO_READ for a FIFO or device
 */
export function readConfigFile(path: string): string {
  const bytes = readFileCapped(path, MAX_CONFIG_BYTES, (size) =>
    new SecretsError('LIMIT_EXCEEDED', `${path} is ${size === null ? 'larger than the limit' : `${size} bytes`}: configuration files are read up to ${MAX_CONFIG_BYTES} bytes`, { details: { limit: 'configBytes', max: MAX_CONFIG_BYTES } }),
  );
  return new TextDecoder().decode(bytes);
}

const realFs: ConfigFs = {
  exists: (p) => access(p).then(() => true, () => false),
  readFile: async (p) => readConfigFile(p),
};

/** Options for {@link findConfig}. */
export interface FindConfigOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--config PATH`. */
  readonly explicit?: string;
  /** The file being worked on, to search its tree when the cwd's config does not cover it. */
  readonly target?: string;
  readonly fs?: ConfigFs;
  /** Receives warnings such as an ignored `.sops.yml`. */
  readonly warn?: (message: string) => void;
}

const MAX_LEVELS = 100;

async function searchUp(start: string, fs: ConfigFs, warn?: (m: string) => void): Promise<string | null> {
  let dir = resolve(start);
  for (let i = 0; i < MAX_LEVELS; i++) {
    const candidate = join(dir, '.sops.yaml');
    if (await fs.exists(candidate)) return candidate;
    const yml = join(dir, '.sops.yml');
    if (warn && (await fs.exists(yml))) warn(`ignoring ${yml}: the config file must be called ".sops.yaml"`);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

function covers(configPath: string, target: string): boolean {
  const rel = relative(dirname(configPath), target);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * Locates the `.sops.yaml` to use.
 *
 * @returns the config, or null when there is none
 * @throws SecretsError CONFIG_NOT_FOUND when `--config`/`SOPS_CONFIG` names a missing file
 */
export async function findConfig(options: FindConfigOptions): Promise<FoundConfig | null> {
  const fs = options.fs ?? realFs;
  const named = options.explicit ?? options.env['SOPS_CONFIG'];
  if (named !== undefined && named !== '') {
    const path = resolve(options.cwd, named);
    if (!(await fs.exists(path))) {
      throw new SecretsError('CONFIG_NOT_FOUND', `config file ${JSON.stringify(named)} does not exist`, {
        hints: [options.explicit !== undefined ? 'check the --config path' : 'check SOPS_CONFIG'],
      });
    }
    return { path, source: options.explicit !== undefined ? 'flag' : 'env' };
  }
  const fromCwd = await searchUp(options.cwd, fs, options.warn);
  if (options.target === undefined) return fromCwd ? { path: fromCwd, source: 'cwd' } : null;
  const target = resolve(options.cwd, options.target);
  if (fromCwd && covers(fromCwd, target)) return { path: fromCwd, source: 'cwd' };
  const fromFile = await searchUp(dirname(target), fs, options.warn);
  if (fromFile && fromFile !== fromCwd) {
    return {
      path: fromFile,
      source: 'file',
      note: fromCwd
        ? `using ${fromFile}: the file lies outside ${dirname(fromCwd)}, which ${fromCwd} serves`
        : `using ${fromFile}, found above the file (none above the working directory)`,
    };
  }
  return fromCwd ? { path: fromCwd, source: 'cwd' } : null;
}

/**
 * Reads and parses a found config.
 *
 * @throws SecretsError CONFIG_INVALID / IO_READ
 */
export async function loadConfig(found: FoundConfig, fs: ConfigFs = realFs): Promise<SopsConfig> {
  let text: string;
  try {
    text = await fs.readFile(found.path);
  } catch (error) {
    if (error instanceof SecretsError) throw error;
    throw new SecretsError('IO_READ', `could not read ${found.path}`, { cause: error });
  }
  return parseSopsConfig(text, found.path);
}

/**
 * The path sops matches `path_regex` against: relative to the config's directory with `/` separators, or
 * the absolute path for a file outside that tree (config/config.go `parseCreationRuleForFile`).
 */
export function pathForRules(configPath: string, file: string): string {
  const abs = resolve(file);
  const prefix = dirname(resolve(configPath)) + sep;
  const rel = abs.startsWith(prefix) ? abs.slice(prefix.length) : abs;
  return rel.split(sep).join('/');
}

/**
 * Picks the creation rule for a file: the first whose `path_regex` matches (unanchored, RE2) or that has
 * none.
 *
 * @param config - the parsed config
 * @param file - the file's path (absolute, or relative to the cwd already resolved by the caller)
 * @returns the rule
 * @throws SecretsError CONFIG_NO_MATCHING_RULE listing the rules tried against the relative path
 */
export function matchCreationRule(config: SopsConfig, file: string): CreationRule {
  const path = pathForRules(config.path, file);
  for (const rule of config.creationRules) {
    if (rule.regex === null || rule.regex.test(path)) return rule;
  }
  const tried = config.creationRules.map((r) => `creation_rules[${r.index}] (line ${r.position.line}): path_regex ${redactSecretKeys(JSON.stringify(r.pathRegex))}`);
  throw new SecretsError('CONFIG_NO_MATCHING_RULE', `no creation rule in ${config.path} matches ${JSON.stringify(path)}`, {
    hints:
      tried.length > 0
        ? [`path_regex is matched against ${JSON.stringify(path)}, relative to the config's directory; rules tried:`, ...tried.map((t) => `  ${t}`)]
        : ['the config has no creation_rules'],
  });
}
