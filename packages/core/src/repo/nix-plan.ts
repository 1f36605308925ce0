/**
 * Which sops files `nix sops` declares and under which name, as a pure function: every sops file of the
 * repository (or the named ones), each unreadable one reported and skipped, never the end of the run.
 */
import { basename, relative } from 'node:path';
import { SecretsError } from '../errors.js';
import type { SopsNixInput } from '../nix/sops-nix.js';
import { DEFAULT_MAX_INPUT_BYTES, storeFor } from '../sops/stores/store.js';
import { walkRepository } from './discover.js';
import { formatFor } from './targets.js';
import type { RepoView } from './view.js';

/** The inputs for `sopsNixDeclarations` and the files that could not be read. */
export interface SopsNixPlan {
  readonly inputs: readonly SopsNixInput[];
  readonly unreadable: readonly { readonly path: string; readonly error: SecretsError }[];
}

/**
 * The name sops-nix knows a whole-file (binary, dotenv, INI) secret by. Repositories that keep one file
 * per secret under a directory named for it (clan: `sops/secrets/NAME/secret`, and vars as
 * `vars/per-machine/HOST/GENERATOR/FILE/secret` or `vars/shared/GENERATOR/FILE/secret`) name it by the
 * directory; every other file by its own name.
 *
 * @param path - the file's path, `/`-separated
 * @returns the declaration's name
 */
export function wholeFileSecretName(path: string): string {
  const parts = path.split('/');
  const file = parts[parts.length - 1] as string;
  if (file !== 'secret' || parts.length < 2) return file;
  const vars = parts.lastIndexOf('vars');
  if (vars >= 0) {
    const rest = parts.slice(vars + 1, -1);
    if (rest[0] === 'per-machine' && rest.length === 4) return `${rest[2]}/${rest[3]}`;
    if (rest[0] === 'shared' && rest.length === 3) return `${rest[1]}/${rest[2]}`;
  }
  return parts[parts.length - 2] as string;
}

/** Options of {@link planSopsNix}. */
export interface SopsNixPlanOptions {
  /** Absolute directory walked when no files are named. */
  readonly root: string;
  /** Absolute directory the Nix paths are relative to (where the output goes). */
  readonly base: string;
  /** Named files (absolute): each unreadable one is reported. */
  readonly files?: readonly string[];
  readonly inputType?: string;
}

/**
 * Plans `nix sops`.
 *
 * @param view - the file system
 * @param options - which files, and where the Nix file goes
 * @returns the inputs in path order, and every file that could not be read (named ones, or ones that
 *   look like sops files but are broken)
 */
export function planSopsNix(view: RepoView, options: SopsNixPlanOptions): SopsNixPlan {
  const named = options.files !== undefined && options.files.length > 0;
  const files = named ? (options.files) : walkRepository(view, options.root).files;
  const inputs: SopsNixInput[] = [];
  const unreadable: { path: string; error: SecretsError }[] = [];
  for (const path of files) {
    try {
      if (!named && (basename(path) === '.sops.yaml' || view.size(path) > DEFAULT_MAX_INPUT_BYTES)) continue;
      if (view.kind(path) !== 'file') throw new SecretsError('IO_READ', 'not a regular file (links are not followed)');
      const bytes = view.read(path, DEFAULT_MAX_INPUT_BYTES);
      if (!named && Buffer.from(bytes).indexOf('sops') < 0) continue;
      const format = formatFor(path, options.inputType);
      let document;
      try {
        document = storeFor(format).loadEncrypted(bytes).document;
      } catch (error) {
        if (!named && error instanceof SecretsError && error.code === 'SOPS_METADATA_NOT_FOUND') continue;
        if (!named && !(error instanceof SecretsError)) continue;
        // A file that mentions sops but is not one (a .nix module, docs) is not reported when scanning.
        if (!named && !looksLikeSops(bytes)) continue;
        throw error;
      }
      const rel = relative(options.base, path);
      const nixPath = rel.startsWith('.') ? rel : `./${rel}`;
      inputs.push({ nixPath, format, document, name: format === 'yaml' || format === 'json' ? undefined : wholeFileSecretName(path) });
    } catch (error) {
      unreadable.push({ path, error: error instanceof SecretsError ? error : new SecretsError('IO_READ', 'cannot be read', { cause: error }) });
    }
  }
  return { inputs, unreadable };
}

/**
 * Whether a file that failed to load carries a sops metadata block the way sops writes one in each format
 * (a top-level `sops:` in YAML, `"sops": {` in JSON, `sops_mac=` in dotenv, `[sops]` in INI): then it is a
 * broken sops file worth reporting; a Nix module that merely mentions sops is not.
 */
function looksLikeSops(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes.subarray(0, 1 << 20)).toString('latin1');
  return /(^|\n)sops:[ \t]*\r?\n/.test(text) || /"sops"\s*:\s*\{/.test(text) || /(^|\n)sops_mac=/.test(text) || /(^|\n)\[sops\]/.test(text);
}
