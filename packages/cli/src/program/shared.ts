/**
 * What the command registration modules share: the setup they register into, lazy loading of command
 * modules, and the options several commands declare (declared once here, so their help text cannot drift).
 */
import { Option } from 'commander';
import type { Context } from '../context.js';

/** What each `register…Commands` function gets from `buildProgram` in run.ts. */
export interface ProgramSetup {
  readonly ctx: Context;
  /** Hands the running command's result to `run()`. */
  readonly setResult: (p: Promise<number>) => void;
  /** Whether to build this top-level command (all of them unless one was asked for). */
  readonly wanted: (name: string) => boolean;
}

// Each command's module is loaded only when that command runs: startup is most of a small command's
// time (see docs/benchmarks.md).
type CommandFn = (ctx: Context, options: never) => Promise<number>;
/** `load()[name]`, loaded on its first call. */
export function lazy<M extends Record<K, CommandFn>, K extends keyof M & string>(load: () => Promise<M>, name: K): M[K] {
  return (async (ctx: Context, options: never) => (await load())[name](ctx, options)) as M[K];
}

/** The entries of `source` named in `keys` whose value is defined (exactOptionalPropertyTypes-friendly). */
export function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}

/** `--nix` → always, `--no-nix` → never, neither → auto (Nix only for what the static reader cannot read). */
export function nixMode(flag: boolean | undefined): 'auto' | 'never' | 'always' {
  return flag === undefined ? 'auto' : flag ? 'always' : 'never';
}

/** Argument parser of repeatable options: every value, in order. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Argument parser of numeric options. */
export function integer(value: string): number {
  return Number.parseInt(value, 10);
}

/** A help section of example command lines. */
export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** `--input-type <format>`: the sops store to read with. */
export function inputTypeOption(description = 'yaml, json, dotenv, ini or binary (default: from the file name)'): Option {
  return new Option('--input-type <format>', description);
}

/** `--output-type <format>`: the sops store to write with. */
export function outputTypeOption(description = 'format to write (default: the input type)'): Option {
  return new Option('--output-type <format>', description);
}

/** `--ignore-mac`: go on when the MAC does not match. */
export function ignoreMacOption(description = 'change the file even if its MAC does not match (the new MAC will be correct), as sops'): Option {
  return new Option('--ignore-mac', description).default(false);
}

/** `--config <file>`: the .sops.yaml to use instead of the one found. */
export function configOption(description: string): Option {
  return new Option('--config <file>', description);
}

/** `--indent <n>`: output indentation, as sops. */
export function indentOption(): Option {
  return new Option('--indent <n>', "indentation of YAML (spaces) or JSON (spaces; -1 = tab) output, as sops (default: .sops.yaml stores:, else sops' 4 / tab)").argParser(integer);
}

/** `-i, --in-place`: replace the file instead of writing to stdout. */
export function inPlaceOption(description = 'replace the file'): Option {
  return new Option('-i, --in-place', description).default(false);
}

/** `--shamir-secret-sharing-threshold <n>`: key groups needed to decrypt. */
export function shamirThresholdOption(description: string): Option {
  return new Option('--shamir-secret-sharing-threshold <n>', description).argParser(integer);
}

/** `-i, --identity <file>` (repeatable): identity files instead of discovery. */
export function identityOption(description = 'identity file (repeatable; default: discovery)'): Option {
  return new Option('-i, --identity <file>', description).argParser(collect).default([]);
}

/** `--nix`: evaluate agenix rules with nix-instantiate. */
export function nixOption(): Option {
  return new Option('--nix', 'evaluate the rules with nix-instantiate, as agenix does (default: only what the static reader cannot read)');
}

/** `--no-nix`: never run Nix for agenix rules. */
export function noNixOption(): Option {
  return new Option('--no-nix', 'never run Nix: forms that need it are an error');
}
