/**
 * argv → command → exit status. Parsing and dispatch only: each command lives in `commands/` as a plain
 * async function over an explicit {@link Context} and a typed options object; its options, help text and
 * action are registered by `program/*-commands.ts`, one module per command group.
 */
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { isSecretsError, setAgePluginHost } from '@secrets/core';
import { agePluginHost } from './age-plugins.js';
import { Interrupted } from './cleanup.js';
import type { Context } from './context.js';
import { exitStatusFor, EXIT } from './exit-codes.js';
import { pathExistsSync, readOwnFile } from './io-paths.js';
import { printError, printWarning } from './output.js';
import { rewriteAgenixArgs } from './agenix-compat.js';
import { rewriteSopsArgs } from './sops-compat.js';
import { registerAgenixCommands } from './program/agenix-commands.js';
import { registerRepoCommands } from './program/repo-commands.js';
import { examples, type ProgramSetup } from './program/shared.js';
import { registerSopsCommands } from './program/sops-commands.js';
import { registerToolsCommands } from './program/tools-commands.js';

/** Set by the bundler (scripts/bundle.mjs) to package.json's version; undefined in src/ and dist/. */
declare const SECRETS_CLI_VERSION: string | undefined;

/**
 * The CLI version: from this package's package.json (works from src/ and dist/), or as the bundle has it
 * written in, which spares every command reading it (and loading what `new URL` needs).
 */
export function cliVersion(): string {
  if (typeof SECRETS_CLI_VERSION === 'string') return SECRETS_CLI_VERSION;
  const pkg = JSON.parse(readOwnFile(new URL('../package.json', import.meta.url))) as { version: string };
  return pkg.version;
}

/**
 * ssh-to-age is a Go program: its flags are single-dash words (`-private-key`), and Go's flag package also
 * accepts them with two dashes. Rewrite them to our spelling so both work.
 */
function normalizeSshToAgeArgs(args: readonly string[]): string[] {
  const map: Record<string, string> = {
    'private-key': '--private-key',
    stdinpass: '--stdinpass',
    version: '--version',
    i: '-i',
    o: '-o',
    h: '--help',
    help: '--help',
  };
  return args.map((arg) => {
    const m = /^--?([a-z-]+)(=.*)?$/.exec(arg);
    if (!m) return arg;
    const name = m[1] as string;
    const canonical = map[name];
    if (canonical === undefined) return arg;
    return m[2] ? `${canonical}${m[2]}` : canonical;
  });
}

/** commander's error text in our grammar: `secrets: error: …`, its suggestion as `secrets: hint: did you mean …`. */
function commanderErrorText(s: string): string {
  const text = s.replace(/\n\(Did you mean (.*)\?\)\n?$/, '\nsecrets: hint: did you mean $1?\n');
  return `secrets: ${text.startsWith('error: ') ? text : `error: ${text}`}`;
}

/** The top-level commands, for dispatch without building all of them. */
const COMMANDS: ReadonlySet<string> = new Set(['ssh-to-age', 'decrypt', 'encrypt', 'edit', 'set', 'unset', 'rotate', 'rekey', 'hosts', 'users', 'check', 'exec-env', 'exec-file', 'git-setup', 'textconv', 'merge-driver', 'completion', 'agenix', 'nix', 'filestatus', 'identities', 'age', 'groups', 'init']);

/**
 * The command tree; with `only`, just that top-level command (building all ~25 commands with their help
 * texts is a measurable part of a small command's run time).
 */
function buildProgram(ctx: Context, setResult: (p: Promise<number>) => void, only?: string): Command {
  const wanted = (name: string): boolean => only === undefined || only === name;
  const program = new Command('secrets');
  program
    .description('encrypted secrets for NixOS configuration repositories: sops, age, agenix and ssh-to-age in one tool')
    .version(cliVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      // commander's own errors ("error: unknown option …") in our grammar
      outputError: (s, write) => write(commanderErrorText(s)),
    })
    .addHelpText(
      'after',
      examples([
        'secrets edit secrets/batchn.yaml                           # open, change, save: re-encrypted on exit',
        'secrets hosts add batchn --ssh-keyscan batchn.example.org  # a new host: .sops.yaml, then rekey',
        'secrets rekey                                              # after editing .sops.yaml by hand',
        'secrets check                                              # in CI: every file matches its rule',
        'secrets ssh-to-age -i /etc/ssh/ssh_host_ed25519_key.pub    # a host key as an age recipient',
        '',
        'Set up once: secrets init (a first .sops.yaml naming you by your key), secrets git-setup (plaintext',
        'git diffs for key holders, value-by-value merges), and shell completion:',
        '  bash: source <(secrets completion bash)   zsh: source <(secrets completion zsh)',
        '  fish: secrets completion fish > ~/.config/fish/completions/secrets.fish',
        '',
        "sops' command lines work as written: secrets -d FILE, -e [-i] FILE, -r -i FILE, --set '[\"a\"] 1' FILE,",
        'updatekeys -y FILE…, and FILE alone to edit or create it. Under the name sops (a symlink) it is sops.',
      ]),
    );

  const setup: ProgramSetup = { ctx, setResult, wanted };
  registerToolsCommands(program, setup);
  registerSopsCommands(program, setup);
  registerRepoCommands(program, setup);
  registerAgenixCommands(program, setup);
  if (only === undefined) groupCommands(program);
  return program;
}

/** The top-level help's sections, daily work first; commands are listed in this order. */
const COMMAND_GROUPS: readonly (readonly [string, readonly string[]])[] = [
  ['Daily workflow:', ['edit', 'hosts', 'users', 'rekey', 'check']],
  ['Values and files:', ['decrypt', 'encrypt', 'set', 'unset', 'rotate', 'exec-env', 'exec-file', 'filestatus']],
  ['Setup:', ['init', 'git-setup', 'completion', 'identities']],
  ['Other formats and tools:', ['agenix', 'nix', 'age', 'ssh-to-age']],
];

/** Sorts the top-level commands into {@link COMMAND_GROUPS} (help, docs/cli.md and the man page follow). */
function groupCommands(program: Command): void {
  const order = COMMAND_GROUPS.flatMap(([, names]) => names);
  const rank = (c: Command): number => {
    const i = order.indexOf(c.name());
    return i === -1 ? order.length : i;
  };
  for (const [heading, names] of COMMAND_GROUPS) for (const c of program.commands) if (names.includes(c.name())) c.helpGroup(heading);
  (program.commands as Command[]).sort((a, b) => rank(a) - rank(b));
  // `help [command]` goes with the setup commands, not in a section of its own.
  program.commandsGroup('Setup:').helpCommand(true);
}

/** How the program was invoked. */
export interface RunOptions {
  /** Invoked under the name `sops` (a symlink): a bare missing FILE is always a file to create, as sops. */
  readonly asSops?: boolean;
}

/**
 * Runs the CLI with `argv` (without the node and script entries) in `ctx`.
 *
 * @returns the process exit status; every user error has been printed in the CLI grammar
 */
export async function run(argv: readonly string[], ctx: Context, options: RunOptions = {}): Promise<number> {
  let result: Promise<number> = Promise.resolve(EXIT.ok);
  let args = argv[0] === 'ssh-to-age' ? ['ssh-to-age', ...normalizeSshToAgeArgs(argv.slice(1))] : [...argv];
  // Plugin recipients and identities (age1NAME1…, AGE-PLUGIN-NAME-1…) reach the age layer from every
  // command, through sops and agenix code that has no options for them: one host per run.
  setAgePluginHost(agePluginHost(ctx));
  try {
    const rewritten = rewriteSopsArgs(args, { exists: (p) => pathExistsSync(resolve(ctx.cwd, p)), commands: COMMANDS, asSops: options.asSops === true });
    args = rewriteAgenixArgs(rewritten.args);
    for (const warning of rewritten.warnings) printWarning(ctx, warning);
    // Completion and unknown commands (suggestions) need the whole tree.
    const only = args[0] !== undefined && COMMANDS.has(args[0]) && args[0] !== 'completion' ? args[0] : undefined;
    const program = buildProgram(
      ctx,
      (p) => {
        result = p;
      },
      only,
    );
    if (args.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.generic;
    }
    await program.parseAsync(args, { from: 'user' });
    return await result;
  } catch (error) {
    return handleError(ctx, error);
  }
}

function handleError(ctx: Context, error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" only to commander; anything else was already printed.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
    return error.exitCode === 0 ? EXIT.ok : EXIT.generic;
  }
  // Ctrl+C at a prompt, or a signal during an edit: the user's own doing, so a quiet 128 + signal number.
  if (error instanceof Interrupted) return error.status;
  if (isSecretsError(error)) {
    printError(ctx, error.message, error.hints);
    return exitStatusFor(error);
  }
  const message = error instanceof Error ? error.message : String(error);
  printError(ctx, `internal error: ${message.toLowerCase()}`, ['this is a bug in secrets; please report it with the command you ran']);
  if (ctx.env['SECRETS_DEBUG'] && error instanceof Error && error.stack) ctx.stderr.write(`${error.stack}\n`);
  return EXIT.generic;
}
