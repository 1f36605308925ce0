/**
 * sops' command-line forms, rewritten into ours before commander parses them, so sops users' muscle
 * memory, scripts and CI jobs keep working (and, under the name `sops`, the program behaves as sops).
 *
 * sops 3.13 (cmd/sops/main.go) keeps its pre-subcommand "legacy" form: `sops [flags] FILE`, where the
 * mode is one of `-e/--encrypt`, `-d/--decrypt`, `-r/--rotate`, `--set 'PATH VALUE'`, and no mode means
 * edit. `updatekeys` is our `rekey` of the named files; `groups add/delete` are ours too. `--pgp` (and
 * rotate's `--add-pgp`/`--rm-pgp`) pass through; flags for key services other than age and PGP are
 * refused with a clear error; `--verbose` is accepted (we have no extra
 * logging); `--indent N` is passed to decrypt and encrypt, and ignored with a warning elsewhere.
 */
import { SecretsError } from '@secrets/core';

/** The result of rewriting: our argv, and warnings to print before running it. */
export interface SopsRewrite {
  readonly args: string[];
  readonly warnings: string[];
}

/** How the rewrite sees the world: whether a path exists, and whether we run as `sops`. */
export interface SopsRewriteEnv {
  readonly exists: (path: string) => boolean;
  readonly commands: ReadonlySet<string>;
  readonly asSops: boolean;
}

/** sops' key-service flags: each takes a value, none has meaning without that service. */
const KEY_SERVICE_FLAGS: Readonly<Record<string, string>> = {
  '--kms': 'AWS KMS',
  '-k': 'AWS KMS',
  '--aws-profile': 'AWS KMS',
  '--gcp-kms': 'GCP KMS',
  '--azure-kv': 'Azure Key Vault',
  '--hc-vault-transit': 'HashiCorp Vault',
  '--keyservice': 'a sops key service',
};

/** Legacy flags that take a value (so that value is not mistaken for the FILE). */
const VALUE_FLAGS: ReadonlySet<string> = new Set([
  '--extract', '--input-type', '--output-type', '--output', '--age', '-a', '--config', '--filename-override',
  '--unencrypted-suffix', '--encrypted-suffix', '--unencrypted-regex', '--encrypted-regex',
  '--unencrypted-comment-regex', '--encrypted-comment-regex', '--shamir-secret-sharing-threshold',
  '--add-age', '--rm-age', '--set', '--indent', '--pgp', '-p', '--add-pgp', '--rm-pgp',
]);

/** Commands where sops' shared flags (`--verbose`, `--indent`, key services) are stripped or refused. */
const SOPS_COMMANDS: ReadonlySet<string> = new Set(['decrypt', 'encrypt', 'edit', 'rotate', 'set', 'unset', 'rekey', 'filestatus', 'exec-env', 'exec-file', 'groups']);

type Mode = 'decrypt' | 'encrypt' | 'rotate' | 'set';
const MODE_FLAGS: Readonly<Record<string, Mode>> = { '-d': 'decrypt', '--decrypt': 'decrypt', '-e': 'encrypt', '--encrypt': 'encrypt', '-r': 'rotate', '--rotate': 'rotate' };

function usage(message: string, hints: string[]): SecretsError {
  return new SecretsError('USAGE', message, { hints });
}

/** The flag name of `--name=value` or `--name`. */
const flagName = (arg: string): string => (arg.startsWith('--') && arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg);

/** What {@link flagsBeforeSeparator} does with one argument. */
type FlagAction = 'keep' | 'drop' | 'drop-with-value';

/**
 * The arguments with each one before a `--` kept or dropped as `decide` says (`drop-with-value` also
 * drops the next argument unless the flag is written `--name=value`); from `--` on, all are kept.
 */
function flagsBeforeSeparator(args: readonly string[], decide: (arg: string) => FlagAction): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const action = decide(arg);
    if (action === 'keep') out.push(arg);
    else if (action === 'drop-with-value' && !arg.includes('=')) i++;
  }
  return out;
}

/**
 * Removes `--verbose`; refuses key-service flags. Only flags before a `--` are looked at.
 *
 * @throws SecretsError USAGE for a key-service flag
 */
function stripSharedFlags(args: readonly string[]): string[] {
  return flagsBeforeSeparator(args, (arg) => {
    const name = flagName(arg);
    const service = KEY_SERVICE_FLAGS[name];
    if (service !== undefined) {
      throw usage(`${name} is not supported: secrets encrypts to age and PGP keys only (no ${service})`, [
        'use --age age1… (or an ssh-ed25519 / ssh-rsa public key) or --pgp FINGERPRINT, or age:/pgp: keys in .sops.yaml; see docs/migrating.md',
      ]);
    }
    return name === '--verbose' ? 'drop' : 'keep';
  });
}

/** Commands that take `--indent` (the output store's indentation, as sops' global flag). */
const INDENT_COMMANDS: ReadonlySet<string> = new Set(['decrypt', 'encrypt']);

/** Drops `--indent N` (with a warning) from commands that do not take it; others keep it. */
function dropIndent(args: string[], warnings: string[]): string[] {
  if (INDENT_COMMANDS.has(args[0] ?? '')) return args;
  return flagsBeforeSeparator(args, (arg) => {
    if (flagName(arg) !== '--indent') return 'keep';
    warnings.push(`--indent is ignored by ${args[0] ?? 'this command'}: only decrypt and encrypt take it (a .sops.yaml stores: setting applies everywhere)`);
    return 'drop-with-value';
  });
}

/**
 * Splits sops' `--set` argument, `'["a"]["b"] VALUE'`, at the whitespace after the last `]` of the path
 * (sops: the path is a sequence of `[...]` groups; keys are quoted and may hold spaces or brackets).
 *
 * @throws SecretsError SOPS_SET_VALUE_INVALID when there is no path or no value (sops: exit 7)
 */
export function splitSetArgument(arg: string): { path: string; value: string } {
  let i = 0;
  while (arg[i] === '[') {
    i++;
    let quote: string | null = null;
    for (; i < arg.length; i++) {
      const c = arg[i];
      if (quote !== null) {
        if (c === '\\') i++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === ']') break;
    }
    if (i >= arg.length) break;
    i++;
  }
  const path = arg.slice(0, i);
  const value = arg.slice(i).trimStart();
  if (path === '' || value === '' || !/^\s/.test(arg.slice(i))) {
    throw new SecretsError('SOPS_SET_VALUE_INVALID', 'invalid --set format: expected a path and a JSON value separated by a space', {
      hints: ['e.g. --set \'["db"]["password"] "hunter2"\', or: secrets set FILE \'["db"]["password"]\' \'"hunter2"\''],
    });
  }
  return { path, value };
}

/**
 * sops' legacy form `sops [flags] FILE` → one of our commands.
 *
 * @throws SecretsError USAGE (several modes, no file), SOPS_SET_VALUE_INVALID
 */
function rewriteLegacy(args: readonly string[]): string[] {
  const modes: string[] = [];
  let mode: Mode | 'edit' = 'edit';
  let set: { path: string; value: string } | null = null;
  let inPlace = false;
  let showMasterKeys = false;
  const files: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const name = flagName(arg);
    const m = MODE_FLAGS[arg];
    if (m !== undefined) {
      modes.push(arg);
      mode = m;
    } else if (name === '--set') {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
      if (value === undefined) throw usage('--set needs an argument', ['e.g. --set \'["db"]["password"] "hunter2"\' FILE']);
      modes.push('--set');
      mode = 'set';
      set = splitSetArgument(value);
    } else if (arg === '-i' || arg === '--in-place') inPlace = true;
    else if (arg === '-s' || arg === '--show-master-keys') showMasterKeys = true;
    else if (arg.startsWith('-') && arg !== '-') {
      rest.push(arg);
      if (VALUE_FLAGS.has(arg) && i + 1 < args.length) rest.push(args[++i] as string);
    } else files.push(arg);
  }
  if (modes.length > 1) {
    throw new SecretsError('SOPS_RULES_CONFLICT', `cannot use ${modes.join(' and ')} together`, { hints: ['give one of -e, -d, -r, --set (none edits the file)'] });
  }
  if (files.length !== 1) throw usage(files.length === 0 ? 'no file specified' : `one file expected, got ${files.length}`, ['e.g. secrets -d secrets.yaml, or secrets --help']);
  const file = files[0] as string;
  // sops' -s only means something when editing; the other modes ignore it, as sops does.
  if (showMasterKeys && mode === 'edit') rest.push('--show-master-keys');
  if (mode === 'set' && set !== null) return ['set', ...rest, file, set.path, set.value];
  const inPlaceFlag = inPlace && mode !== 'edit' ? ['--in-place'] : [];
  return [mode, ...inPlaceFlag, ...rest, file];
}

/**
 * Rewrites sops' command-line forms into ours; anything else is returned unchanged.
 *
 * @throws SecretsError USAGE for a key-service flag or a malformed legacy form
 */
export function rewriteSopsArgs(argv: readonly string[], env: SopsRewriteEnv): SopsRewrite {
  const warnings: string[] = [];
  const args = rewriteForm(argv, env);
  return { args: SOPS_COMMANDS.has(args[0] ?? '') ? dropIndent(args, warnings) : args, warnings };
}

function rewriteForm(argv: readonly string[], env: SopsRewriteEnv): string[] {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === '--version' || first === '-V' || first === 'help') return [...argv];
  if (first === 'updatekeys') return ['rekey', ...stripSharedFlags(argv.slice(1))];
  if (SOPS_COMMANDS.has(first)) return [first, ...stripSharedFlags(argv.slice(1))];
  if (first.startsWith('-')) return rewriteLegacy(stripSharedFlags(argv));
  if (env.commands.has(first)) return [...argv];
  // `sops FILE` edits FILE, creating it when missing. As `secrets`, a missing name is a file only when it
  // looks like one (a dot or a slash): a mistyped command stays an error with a "did you mean".
  if (env.asSops || env.exists(first) || /[./]/.test(first)) return ['edit', ...stripSharedFlags(argv)];
  return [...argv];
}
