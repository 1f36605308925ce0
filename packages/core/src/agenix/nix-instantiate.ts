/**
 * Rules evaluated by Nix itself, as agenix does: agenix runs
 * `nix-instantiate --json --eval --strict -E '(let rules = import $RULES; in rules."FILE".publicKeys)'`
 * (pkgs/agenix.sh). We evaluate every rule's `publicKeys` and `armor` in one run, through an injected
 * process runner (core's one I/O layer provides the real one), hardened for a hostile repository:
 *
 * - `--store dummy://`: no store and no daemon, so it works without `/nix/var` (as root or not, in CI),
 *   writes nothing, and cannot build (no import-from-derivation);
 * - `--option restrict-eval true -I .`, run in the repository's root: files outside it, `<nixpkgs>`, URLs
 *   and `getEnv` are refused (the path check is on canonical paths, so symlinks do not escape). The root
 *   is `.` and the rules file is named relative to it because Nix checks a path both as written and
 *   canonical, and takes `-I` as written: a repository reached through a symlink (`~/src` → `/data/src`)
 *   was refused its own files; `.` is made absolute from the working directory, which is canonical;
 * - `allow-unsafe-native-code-during-evaluation false` (no `builtins.exec`, whatever nix.conf says);
 * - a clean environment (no NIX_PATH, no secrets), `GC_MAXIMUM_HEAP_SIZE` capping Nix's heap, a
 *   timeout and an output cap.
 */
import { posix } from 'node:path';
import { SecretsError } from '../errors.js';

import type { ProcessResult, ProcessRunner } from '../process.js';

export type { ProcessOptions, ProcessResult, ProcessRunner } from '../process.js';

/** How Nix is run. */
export interface NixOptions {
  readonly run: ProcessRunner;
  /** The environment to take PATH, HOME and TMPDIR from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `nix-instantiate` (default) or a path to it. */
  readonly nixInstantiate?: string;
  /** Default 30 s. */
  readonly timeoutMs?: number;
  /** Nix's heap cap in bytes (default 256 MiB). */
  readonly maxHeapBytes?: number;
}

// The rules file is passed with --argstr (relative to the root, the working directory), never spliced
// into the expression. `typeOf` lets a NixOS module (a function) or anything else be told apart from
// rules; each rule keeps only what agenix reads.
const EXPRESSION = `{ rulesPath }:
let rules = import (./. + "/\${rulesPath}"); in
if builtins.isAttrs rules then {
  type = "set";
  rules = builtins.mapAttrs (name: rule:
    if builtins.isAttrs rule && rule ? publicKeys
    then { publicKeys = rule.publicKeys; armor = if rule ? armor then rule.armor else false; }
    else null) rules;
} else { type = builtins.typeOf rules; }`;

/** What Nix says a rules file is: a set of rules (each null when it has no publicKeys) or another type. */
export type NixRulesOutput = { readonly type: 'set'; readonly rules: Readonly<Record<string, unknown>> } | { readonly type: string };

/**
 * Evaluates a rules file with `nix-instantiate`.
 *
 * @param path - the rules file, absolute
 * @param root - the repository root, absolute: the only tree Nix may read
 * @param shown - how messages name the file
 * @returns the JSON Nix printed, or null when nix-instantiate is not installed
 * @throws SecretsError CONFIG_INVALID with Nix's first error line (no source excerpts), LIMIT_EXCEEDED on timeout
 */
export async function evaluateWithNix(path: string, root: string, shown: string, options: NixOptions): Promise<NixRulesOutput | null> {
  const env: Record<string, string> = { GC_MAXIMUM_HEAP_SIZE: String(options.maxHeapBytes ?? 256 * 1024 * 1024), NIX_PATH: '' };
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    const value = options.env[name];
    if (value !== undefined) env[name] = value;
  }
  const argv = [
    options.nixInstantiate ?? 'nix-instantiate',
    '--eval',
    '--strict',
    '--json',
    '--store',
    'dummy://',
    '--option',
    'restrict-eval',
    'true',
    '--option',
    'allow-unsafe-native-code-during-evaluation',
    'false',
    '--option',
    'allowed-uris',
    '',
    '-I',
    '.',
    '--argstr',
    'rulesPath',
    posix.relative(root, path),
    '-E',
    EXPRESSION,
  ];
  const timeoutMs = options.timeoutMs ?? 30_000;
  let result: ProcessResult;
  try {
    result = await options.run(argv, { env, cwd: root, timeoutMs, maxOutputBytes: 16 * 1024 * 1024 });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw new SecretsError('CONFIG_INVALID', `${shown}: could not run nix-instantiate`, { cause: error });
  }
  if (result.killed) throw new SecretsError('LIMIT_EXCEEDED', `${shown}: nix-instantiate took longer than ${timeoutMs / 1000} s or printed too much`, { details: { limit: 'nixEval' } });
  if (result.status !== 0) throw new SecretsError('CONFIG_INVALID', `${shown}: nix-instantiate could not evaluate it: ${nixErrorSummary(new TextDecoder().decode(result.stderr))}`, { details: { nixFailed: true } });
  try {
    return JSON.parse(new TextDecoder().decode(result.stdout)) as NixRulesOutput;
  } catch (error) {
    throw new SecretsError('CONFIG_INVALID', `${shown}: nix-instantiate printed no JSON`, { cause: error });
  }
}

/**
 * Nix's error without source excerpts (a hostile file could make Nix quote any file it reads): the
 * `error:` line and the `at FILE:LINE:COL` line, control characters escaped.
 */
export function nixErrorSummary(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  const error = lines.find((l) => l.startsWith('error:'))?.slice('error:'.length).trim() ?? 'unknown error';
  const at = lines.find((l) => /^at [^\s]/.test(l) && /:\d+:\d+:$/.test(l));
  const text = `${error.slice(0, 300)}${at ? ` (${at.slice(0, -1)})` : ''}`;
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
