/**
 * argv → command → exit status. Parsing and dispatch only: each command lives in `commands/` as a plain
 * async function over an explicit {@link Context} and a typed options object.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { isSecretsError, setAgePluginHost } from '@secrets/core';
import { agePluginHost } from './age-plugins.js';
import { Interrupted } from './cleanup.js';
import type { Context } from './context.js';
import { exitStatusFor, EXIT } from './exit-codes.js';
import { printError, printWarning } from './output.js';
import { rewriteAgenixArgs } from './agenix-compat.js';
import { rewriteSopsArgs } from './sops-compat.js';

// Each command's module is loaded only when that command runs: startup is most of a small command's
// time (see docs/benchmarks.md).
type CommandFn = (ctx: Context, options: never) => Promise<number>;
function lazy<M extends Record<K, CommandFn>, K extends keyof M & string>(load: () => Promise<M>, name: K): M[K] {
  return (async (ctx: Context, options: never) => (await load())[name](ctx, options)) as M[K];
}
const ageDecrypt = lazy(() => import('./commands/age.js'), 'ageDecrypt');
const ageEncrypt = lazy(() => import('./commands/age.js'), 'ageEncrypt');
const identities = lazy(() => import('./commands/identities.js'), 'identities');
const decrypt = lazy(() => import('./commands/decrypt.js'), 'decrypt');
const encrypt = lazy(() => import('./commands/sops.js'), 'encrypt');
const filestatus = lazy(() => import('./commands/sops.js'), 'filestatus');
const edit = lazy(() => import('./commands/edit.js'), 'edit');
const rekey = lazy(() => import('./commands/rekey.js'), 'rekey');
const hostsAdd = lazy(() => import('./commands/hosts.js'), 'hostsAdd');
const hostsRm = lazy(() => import('./commands/hosts.js'), 'hostsRm');
const usersAdd = lazy(() => import('./commands/users.js'), 'usersAdd');
const usersRm = lazy(() => import('./commands/users.js'), 'usersRm');
const check = lazy(() => import('./commands/check.js'), 'check');
const execEnv = lazy(() => import('./commands/exec.js'), 'execEnv');
const execFile = lazy(() => import('./commands/exec.js'), 'execFile');
const gitSetup = lazy(() => import('./commands/git.js'), 'gitSetup');
const textconv = lazy(() => import('./commands/git.js'), 'textconv');
const mergeDriver = lazy(() => import('./commands/git.js'), 'mergeDriver');
const agenixDecrypt = lazy(() => import('./commands/agenix.js'), 'agenixDecrypt');
const agenixEdit = lazy(() => import('./commands/agenix.js'), 'agenixEdit');
const agenixRekey = lazy(() => import('./commands/agenix.js'), 'agenixRekey');
const agenixExport = lazy(() => import('./commands/agenix.js'), 'agenixExport');
const nixSops = lazy(() => import('./commands/nix.js'), 'nixSops');
const rotate = lazy(() => import('./commands/modify.js'), 'rotate');
const setValue = lazy(() => import('./commands/modify.js'), 'setValue');
const unsetValue = lazy(() => import('./commands/modify.js'), 'unsetValue');
const groupsAdd = lazy(() => import('./commands/groups.js'), 'groupsAdd');
const groupsDelete = lazy(() => import('./commands/groups.js'), 'groupsDelete');
const sshToAge = lazy(() => import('./commands/ssh-to-age.js'), 'sshToAge');
const init = lazy(() => import('./commands/init.js'), 'init');

/** The CLI version, read from this package's package.json (works from src/ and dist/). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
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

/** The entries of `source` named in `keys` whose value is defined (exactOptionalPropertyTypes-friendly). */
function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}

/** `--nix` → always, `--no-nix` → never, neither → auto (Nix only for what the static reader cannot read). */
function nixMode(flag: boolean | undefined): 'auto' | 'never' | 'always' {
  return flag === undefined ? 'auto' : flag ? 'always' : 'never';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
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

  if (wanted('ssh-to-age')) {
    program
      .command('ssh-to-age')
      .description('convert ssh-ed25519 keys to age recipients or identities, exactly as ssh-to-age does')
      .option('-i, --input <file>', 'input file: a public key, authorized_keys, known_hosts, ssh-keyscan output or (with --private-key) an OpenSSH private key; - for stdin', '-')
      .option('-o, --output <file>', 'output file, - for stdout; private keys are written mode 0600', '-')
      .option('--private-key', 'convert a private key to an AGE-SECRET-KEY-1 identity', false)
      .addOption(new Option('--stdinpass', 'read the private key passphrase from stdin (needs -i FILE)').default(false))
      .addHelpText(
        'after',
        examples([
          'secrets ssh-to-age -i ~/.ssh/id_ed25519.pub',
          'ssh-keyscan batchn | secrets ssh-to-age',
          'SSH_TO_AGE_PASSPHRASE=… secrets ssh-to-age --private-key -i ~/.ssh/id_ed25519',
          '',
          "ssh-to-age's own spelling works too: -i, -o, -private-key, -stdinpass.",
          'The passphrase comes from SSH_TO_AGE_PASSPHRASE, --stdinpass, or a prompt on the terminal.',
        ]),
      )
      .action((opts: { input: string; output: string; privateKey: boolean; stdinpass: boolean }) => {
        setResult(sshToAge(ctx, { input: opts.input, output: opts.output, privateKey: opts.privateKey, stdinPass: opts.stdinpass }));
      });
  }

  if (wanted('decrypt')) {
    program
      .command('decrypt')
      .description('decrypt a sops file (YAML, JSON, dotenv, INI, binary) to stdout; the MAC is verified first')
      .argument('<file>', 'the encrypted file, - for stdin (needs --input-type)')
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .option('--output-type <format>', 'format to write (default: the input type)')
      .option('--extract <path>', 'only this value, e.g. \'["app"]["db"][0]\'; strings are written raw')
      .option('--ignore-mac', 'decrypt even if the MAC does not match (the file may have been tampered with)', false)
      .option('--filename-override <path>', 'pick the format as if the file were at this path (for stdin too), as sops')
      .option('--output <file>', 'write here (mode 0600) instead of stdout; never one of the inputs (the file, an identity file)')
      .option('-i, --in-place', 'replace the encrypted file with its plaintext, as sops decrypt -i', false)
      .option('--indent <n>', 'indentation of YAML (spaces) or JSON (spaces; -1 = tab) output, as sops (default: .sops.yaml stores:, else sops\' 4 / tab)', (v: string) => Number.parseInt(v, 10))
      .option('--identity <file>', 'use this identity file instead of discovery (repeatable)', collect, [])
      .addHelpText(
        'after',
        examples([
          'secrets decrypt batchn/secrets/example.yaml',
          'secrets decrypt --extract \'["hello"]\' batchn/secrets/example.yaml',
          'SOPS_AGE_SSH_PRIVATE_KEY_FILE=/etc/ssh/ssh_host_ed25519_key secrets decrypt --output-type json secrets.yaml',
        ]),
      )
      .action((file: string, opts: { inputType?: string; outputType?: string; extract?: string; ignoreMac: boolean; filenameOverride?: string; output?: string; identity: string[]; inPlace: boolean; indent?: number }) => {
        setResult(decrypt(ctx, { file, ignoreMac: opts.ignoreMac, identities: opts.identity, inPlace: opts.inPlace, ...pick(opts, ['inputType', 'outputType', 'extract', 'output', 'indent', 'filenameOverride']) }));
      });
  }

  if (wanted('encrypt')) {
    program
      .command('encrypt')
      .description('encrypt a plaintext file for the recipients of its .sops.yaml creation rule, or --age')
      .argument('<file>', 'the plaintext file')
      .option('-a, --age <recipients>', 'comma-separated age1… / ssh-ed25519 / ssh-rsa recipients (repeatable); replaces .sops.yaml keys', collect, [])
      .option('-p, --pgp <fingerprints>', 'comma-separated PGP fingerprints (repeatable; default $SOPS_PGP_FP), encrypted to with gpg; replaces .sops.yaml keys', collect, [])
      .option('-i, --in-place', 'replace the file instead of writing to stdout', false)
      .option('--output <file>', 'write here instead of stdout')
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .option('--output-type <format>', 'format to write (default: the input type)')
      .option('--config <file>', 'the .sops.yaml to use (default: searched upward, also from the file)')
      .option('--filename-override <path>', 'pick the format and creation rule as if the file were at this path')
      .option('--unencrypted-suffix <suffix>', 'keys ending with this stay plaintext (default _unencrypted)')
      .option('--encrypted-suffix <suffix>', 'only keys ending with this are encrypted')
      .option('--unencrypted-regex <re>', 'keys matching this stay plaintext')
      .option('--encrypted-regex <re>', 'only keys matching this are encrypted')
      .option('--unencrypted-comment-regex <re>', 'values after a comment matching this stay plaintext')
      .option('--encrypted-comment-regex <re>', 'only values after a comment matching this are encrypted')
      .option('--mac-only-encrypted', 'only encrypted values go into the MAC', false)
      .option('--indent <n>', 'indentation of YAML (spaces) or JSON (spaces; -1 = tab) output, as sops (default: .sops.yaml stores:, else sops\' 4 / tab)', (v: string) => Number.parseInt(v, 10))
      .option('--shamir-secret-sharing-threshold <n>', 'key groups needed to decrypt', (v: string) => Number.parseInt(v, 10))
      .addHelpText(
        'after',
        examples([
          'secrets encrypt -i batchn/secrets/example.yaml          # recipients from .sops.yaml',
          'secrets encrypt --age age1…,"ssh-ed25519 AAAA…" secrets.json > secrets.enc.json',
        ]),
      )
      .action((file: string, opts: Record<string, unknown>) => {
        const rules = {
          ...pick(opts as Record<string, string | undefined>, ['unencryptedSuffix', 'encryptedSuffix', 'unencryptedRegex', 'encryptedRegex', 'unencryptedCommentRegex', 'encryptedCommentRegex']),
          ...(opts['macOnlyEncrypted'] ? { macOnlyEncrypted: true } : {}),
        };
        setResult(
          encrypt(ctx, {
            file,
            age: opts['age'] as string[],
            pgp: opts['pgp'] as string[],
            inPlace: opts['inPlace'] === true,
            rules,
            ...pick(opts as Record<string, string | undefined>, ['inputType', 'outputType', 'output', 'config', 'filenameOverride']),
            ...(typeof opts['shamirSecretSharingThreshold'] === 'number' ? { shamirThreshold: opts['shamirSecretSharingThreshold'] } : {}),
            ...(typeof opts['indent'] === 'number' ? { indent: opts['indent'] } : {}),
          }),
        );
      });
  }

  if (wanted('edit')) {
    program
      .command('edit')
      .description('edit an encrypted file in $SOPS_EDITOR/$EDITOR (plaintext only on tmpfs); a missing file is created from its .sops.yaml rule')
      .argument('<file>', 'the file')
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .option('--ignore-mac', 'open even if the MAC does not match (the new MAC will be correct)', false)
      .option('--editor <command>', 'editor to run; - reads the new plaintext from stdin (scripts, CI)')
      .option('--allow-disk-tmp', 'allow the plaintext on a persistent disk when no tmpfs exists (a warning is printed)', false)
      .option('--config <file>', 'the .sops.yaml to use for a new file')
      .option('-a, --age <recipients>', 'for a new file: comma-separated recipients (repeatable; default $SOPS_AGE_RECIPIENTS), replacing .sops.yaml keys as sops does', collect, [])
      .option('-s, --show-master-keys', 'show the sops metadata block (recipients, wrapped data keys, mac) in the editor too, read-only: edits to it are ignored', false)
      .option('-p, --pgp <fingerprints>', 'for a new file: comma-separated PGP fingerprints (repeatable; default $SOPS_PGP_FP), replacing .sops.yaml keys', collect, [])
      .addHelpText(
        'after',
        examples([
          'secrets edit batchn/secrets/example.yaml',
          'EDITOR="code --wait" secrets edit secrets.yaml',
          'printf \'db_password: hunter2\\n\' | secrets edit --editor - batchn/secrets/new.yaml',
          '',
          'Exit status 200 when nothing changed (as sops). vim and neovim (also as vi, editor, vim.basic…) run',
          'without swap, undo, backup or viminfo/shada files whatever the vimrc says; nano without its nanorc',
          '(no backups, no history); any other editor after a warning naming what it may write.',
          'SIGTERM/SIGHUP during an edit reach the editor first; nothing is written (exit 143/129).',
          'With -s the buffer is the file as sops writes it, values in plaintext: the sops block is there to read;',
          'changes to it are ignored with a warning (recipients come from .sops.yaml: secrets rekey).',
          'After a git merge conflict (secrets git-setup): both sides between <<<<<<< ours / =======',
          '/ >>>>>>> theirs; the file is saved only once no marker line is left, then git add it.',
        ]),
      )
      .action((file: string, opts: { inputType?: string; ignoreMac: boolean; editor?: string; allowDiskTmp: boolean; config?: string; age: string[]; pgp: string[]; showMasterKeys: boolean }) => {
        setResult(edit(ctx, { file, ignoreMac: opts.ignoreMac, allowDiskTmp: opts.allowDiskTmp, age: opts.age, pgp: opts.pgp, showMasterKeys: opts.showMasterKeys, ...pick(opts, ['inputType', 'editor', 'config']) }));
      });
  }

  if (wanted('set')) {
    program
      .command('set')
      .description('set one value of an encrypted file (VALUE is JSON); unchanged values keep their ciphertext')
      .argument('<file>', 'the file')
      .argument('<path>', 'where, e.g. \'["db"]["password"]\'')
      .argument('[value]', 'a JSON value, e.g. \'"hunter2"\' or 5432 or \'{"a": 1}\'')
      .option('--value-stdin', 'read the JSON value from stdin', false)
      .option('--value-file', 'VALUE is the path of a file holding the JSON value', false)
      .option('--idempotent', 'do not write when the value is already set', false)
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .option('--output-type <format>', 'format the file is written back in (default: the input type), as sops set')
      .option('--ignore-mac', 'change the file even if its MAC does not match (the new MAC will be correct), as sops', false)
      .addHelpText('after', examples(['secrets set secrets.yaml \'["db"]["password"]\' \'"hunter2"\'', 'printf \'"s3cret"\' | secrets set --value-stdin secrets.yaml \'["token"]\'']))
      .action((file: string, path: string, value: string | undefined, opts: { valueStdin: boolean; valueFile: boolean; idempotent: boolean; inputType?: string; outputType?: string; ignoreMac: boolean }) => {
        setResult(
          setValue(ctx, { file, path, valueStdin: opts.valueStdin, valueFile: opts.valueFile, idempotent: opts.idempotent, ignoreMac: opts.ignoreMac, ...(value === undefined ? {} : { value }), ...pick(opts, ['inputType', 'outputType']) }),
        );
      });
  }

  if (wanted('unset')) {
    program
      .command('unset')
      .description('remove one value of an encrypted file')
      .argument('<file>', 'the file')
      .argument('<path>', 'what, e.g. \'["db"]["password"]\'')
      .option('--idempotent', 'succeed quietly when it is not there', false)
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .option('--ignore-mac', 'change the file even if its MAC does not match (the new MAC will be correct), as sops', false)
      .addHelpText('after', examples(['secrets unset secrets.yaml \'["old_token"]\'']))
      .action((file: string, path: string, opts: { idempotent: boolean; inputType?: string; ignoreMac: boolean }) => {
        setResult(unsetValue(ctx, { file, path, idempotent: opts.idempotent, ignoreMac: opts.ignoreMac, ...pick(opts, ['inputType']) }));
      });
  }

  if (wanted('rotate')) {
    program
      .command('rotate')
      .description('re-encrypt with a new data key (needed after removing a recipient); output to stdout unless -i')
      .argument('<file>', 'the file')
      .option('-i, --in-place', 'replace the file', false)
      .option('--output <file>', 'write here instead of stdout')
      .option('--add-age <recipients>', 'comma-separated recipients to add to the first key group (repeatable)', collect, [])
      .option('--rm-age <recipients>', 'comma-separated recipients to remove from every key group (repeatable)', collect, [])
      .option('--add-pgp <fingerprints>', 'comma-separated PGP fingerprints to add to the first key group (repeatable)', collect, [])
      .option('--rm-pgp <fingerprints>', 'comma-separated PGP fingerprints to remove from every key group (repeatable)', collect, [])
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .addHelpText('after', examples(['secrets rotate -i batchn/secrets/example.yaml', 'secrets rotate -i --rm-age age1old… secrets.yaml']))
      .action((file: string, opts: { inPlace: boolean; output?: string; addAge: string[]; rmAge: string[]; addPgp: string[]; rmPgp: string[]; inputType?: string }) => {
        setResult(rotate(ctx, { file, inPlace: opts.inPlace, addAge: opts.addAge, rmAge: opts.rmAge, addPgp: opts.addPgp, rmPgp: opts.rmPgp, ...pick(opts, ['output', 'inputType']) }));
      });
  }

  if (wanted('groups')) {
    const threshold = (v: string): number => Number.parseInt(v, 10);
    const groups = program
      .command('groups')
      .description('add or delete a key group of one file (sops groups); the same data key is re-wrapped')
      .addHelpText('after', examples(['secrets groups add --file secrets.yaml --age age1…,age1… -i', 'secrets groups delete --file secrets.yaml 1 -i']));
    groups
      .command('add')
      .description('add a key group holding these recipients; output to stdout unless -i')
      .requiredOption('-f, --file <file>', 'the encrypted file')
      .option('-a, --age <recipients>', 'comma-separated age1… / ssh-ed25519 / ssh-rsa recipients of the new group (repeatable)', collect, [])
      .option('--pgp <fingerprints>', 'comma-separated PGP fingerprints of the new group (repeatable)', collect, [])
      .option('--shamir-secret-sharing-threshold <n>', 'key groups needed to decrypt (default: the file\'s, or every group)', threshold)
      .option('-i, --in-place', 'replace the file', false)
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .addHelpText(
        'after',
        examples([
          'secrets groups add --file secrets.yaml --age age1…,age1… -i',
          'secrets groups add -f secrets.yaml --age age1… --shamir-secret-sharing-threshold 2 -i',
          '',
          'The data key stays the same and is wrapped for every group; values, mac and lastmodified are kept.',
        ]),
      )
      .action((opts: { file: string; age: string[]; pgp: string[]; shamirSecretSharingThreshold?: number; inPlace: boolean; inputType?: string }) => {
        const shamir = opts.shamirSecretSharingThreshold === undefined ? {} : { shamirThreshold: opts.shamirSecretSharingThreshold };
        setResult(groupsAdd(ctx, { file: opts.file, age: opts.age, pgp: opts.pgp, inPlace: opts.inPlace, ...shamir, ...pick(opts, ['inputType']) }));
      });
    groups
      .command('delete')
      .description('delete the key group at INDEX (0-based, as sops); output to stdout unless -i')
      .argument('<index>', 'the group\'s index, 0 for the first')
      .requiredOption('-f, --file <file>', 'the encrypted file')
      .option('--shamir-secret-sharing-threshold <n>', 'key groups needed to decrypt (default: the file\'s)', threshold)
      .option('-i, --in-place', 'replace the file', false)
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .addHelpText('after', examples(['secrets groups delete --file secrets.yaml 1 -i', 'secrets groups delete -f secrets.yaml --shamir-secret-sharing-threshold 1 1 > out.yaml']))
      .action((index: string, opts: { file: string; shamirSecretSharingThreshold?: number; inPlace: boolean; inputType?: string }) => {
        const shamir = opts.shamirSecretSharingThreshold === undefined ? {} : { shamirThreshold: opts.shamirSecretSharingThreshold };
        setResult(groupsDelete(ctx, { file: opts.file, index, inPlace: opts.inPlace, ...shamir, ...pick(opts, ['inputType']) }));
      });
  }

  if (wanted('rekey')) {
    program
      .command('rekey')
      .description('sops updatekeys for the whole repository: re-wrap each file\'s data key for the recipients .sops.yaml names')
      .argument('[files...]', 'files to rekey (default: every sops file under the config\'s directory, or the working directory, each against the rule of its nearest .sops.yaml)')
      .option('-y, --yes', 'apply without asking', false)
      .option('--rotate', 'also replace each file\'s data key (needed after removing a recipient)', false)
      .option('--config <file>', 'one .sops.yaml for every file (default: each file\'s nearest .sops.yaml, as sops finds it from there)')
      .option('--input-type <format>', 'the format of the named files (default: from each file name), as sops updatekeys')
      .option('--json', 'print the plan as JSON and change nothing; with -y, apply it and print each file\'s result (rekeyed, up to date, failed with its reason, unreached)', false)
      .option('-n, --dry-run', 'show the plan and change nothing; needs no key (any key kind: age, plugin, PGP…)', false)
      .addHelpText(
        'after',
        examples([
          'secrets rekey --json          # the plan for scripts: each file, its recipients added and removed',
          'secrets rekey                 # after adding a host to .sops.yaml: shows the diff, asks once',
          'secrets rekey -y --rotate     # after removing someone: new data keys',
          '',
          'Values, MAC and lastmodified are untouched (without --rotate): git diffs show only the sops block,',
          'and in it only the recipients added or removed (the entries of those who stay are kept as they are).',
          'Files that cannot be opened are reported at the end; the others are still rekeyed.',
        ]),
      )
      .action((files: string[], opts: { yes: boolean; rotate: boolean; json: boolean; dryRun: boolean; config?: string; inputType?: string }) => {
        setResult(rekey(ctx, { files, yes: opts.yes, rotate: opts.rotate, json: opts.json, dryRun: opts.dryRun, ...pick(opts, ['config', 'inputType']) }));
      });
  }

  if (wanted('hosts')) {
    const hosts = program
      .command('hosts')
      .description('add or remove a host\'s key in .sops.yaml, then rekey')
      .addHelpText('after', examples(['secrets hosts add batchn --ssh-keyscan batchn.example.org', 'secrets hosts rm batchn --rotate -y']));
    hosts
      .command('add')
      .description('add a host: its SSH host key (scanned, from a file) or age key, under keys: and in creation rules')
      .argument('<name>', 'host name; the key gets the anchor &server_<name> (or &<name> where the file names keys so)')
      .option('--ssh-keyscan <host>', 'scan the host\'s ed25519 key: HOST, HOST:PORT or [HOST]:PORT (its fingerprint must be confirmed)')
      .option('--port <port>', 'the SSH port for --ssh-keyscan')
      .option('--pubkey <file-or-key>', 'the host\'s SSH public key: its ssh_host_ed25519_key.pub file, or the key line itself')
      .option('--age <recipient>', 'an age1… recipient')
      .option('--fingerprint <SHA256:…>', 'the expected fingerprint of the scanned key (no prompt)')
      .option('--rule <n>', 'the creation rule (0-based) the host joins', (v: string) => Number.parseInt(v, 10))
      .option('--path <file>', 'join every creation rule matching this path')
      .option('-y, --yes', 'rekey without asking', false)
      .option('--no-rekey', 'only edit .sops.yaml')
      .option('--config <file>', 'the .sops.yaml to edit')
      .addHelpText(
        'after',
        examples([
          'secrets hosts add batchn --ssh-keyscan batchn.example.org',
          'secrets hosts add batchn --ssh-keyscan batchn.example.org:2222 --fingerprint SHA256:… -y',
          'secrets hosts add batchn --pubkey hosts/batchn/ssh_host_ed25519_key.pub --path secrets/batchn.yaml -y',
          '',
          'Only the lines that change are written: one under keys: (in a `- &hosts:` group when the file has one)',
          'and one per rule, in the file\'s own style; comments and everything else stay byte for byte. A key',
          'already there is reported as "already present". Parallel runs do not lose each other\'s edits.',
        ]),
      )
      .action((name: string, opts: { sshKeyscan?: string; port?: string; pubkey?: string; age?: string; fingerprint?: string; rule?: number; path?: string; yes: boolean; rekey: boolean; config?: string }) => {
        setResult(hostsAdd(ctx, { name, yes: opts.yes, rekey: opts.rekey, ...pick(opts, ['sshKeyscan', 'port', 'pubkey', 'age', 'fingerprint', 'rule', 'path', 'config']) }));
      });
    hosts
      .command('rm')
      .description('remove a host from .sops.yaml (its key and its place in every rule), then rekey')
      .argument('<name>', 'host name')
      .option('-y, --yes', 'rekey without asking', false)
      .option('--rotate', 'rekey with new data keys, so the removed key opens nothing written from now on', false)
      .option('--no-rekey', 'only edit .sops.yaml')
      .option('--config <file>', 'the .sops.yaml to edit')
      .addHelpText('after', examples(['secrets hosts rm batchn --rotate -y', 'secrets hosts rm batchn --no-rekey && secrets rekey --rotate -y']))
      .action((name: string, opts: { yes: boolean; rekey: boolean; rotate: boolean; config?: string }) => {
        setResult(hostsRm(ctx, { name, yes: opts.yes, rekey: opts.rekey, rotate: opts.rotate, ...pick(opts, ['config']) }));
      });
  }

  if (wanted('users')) {
    const users = program
      .command('users')
      .description('add or remove an admin\'s key in .sops.yaml, then rekey')
      .addHelpText('after', examples(['secrets users add alice --age age1…', 'secrets users rm alice --rotate -y']));
    users
      .command('add')
      .description('add an admin (a person who edits the secrets): an age key or SSH public key, under keys: and in creation rules')
      .argument('<name>', 'user name; the key gets the anchor &admin_<name> (or &<name> where the file names keys so)')
      .option('--age <recipient>', 'an age1… recipient (age-keygen -y key.txt prints it)')
      .option('--pubkey <file-or-key>', 'an SSH public key, its .pub file or the key line itself: ssh-ed25519 (converted with ssh-to-age) or ssh-rsa (used as is)')
      .option('--rule <n>', 'the creation rule (0-based) the admin joins', (v: string) => Number.parseInt(v, 10))
      .option('--path <file>', 'join every creation rule matching this path')
      .option('-y, --yes', 'rekey without asking', false)
      .option('--no-rekey', 'only edit .sops.yaml')
      .option('--config <file>', 'the .sops.yaml to edit')
      .addHelpText(
        'after',
        examples([
          'secrets users add alice --age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
          'secrets users add alice --pubkey ~/.ssh/id_ed25519.pub --path secrets/shared.yaml -y',
          '',
          'Only the lines that change are written, as for hosts add (a `- &users:` group takes the key when the',
          'file has one). The new admin opens the files once someone who can already open them rekeys.',
        ]),
      )
      .action((name: string, opts: { pubkey?: string; age?: string; rule?: number; path?: string; yes: boolean; rekey: boolean; config?: string }) => {
        setResult(usersAdd(ctx, { name, yes: opts.yes, rekey: opts.rekey, ...pick(opts, ['pubkey', 'age', 'rule', 'path', 'config']) }));
      });
    users
      .command('rm')
      .description('remove an admin from .sops.yaml (the key and its place in every rule), then rekey')
      .argument('<name>', 'user name')
      .option('-y, --yes', 'rekey without asking', false)
      .option('--rotate', 'rekey with new data keys, so the removed key opens nothing written from now on', false)
      .option('--no-rekey', 'only edit .sops.yaml')
      .option('--config <file>', 'the .sops.yaml to edit')
      .addHelpText('after', examples(['secrets users rm alice --rotate -y']))
      .action((name: string, opts: { yes: boolean; rekey: boolean; rotate: boolean; config?: string }) => {
        setResult(usersRm(ctx, { name, yes: opts.yes, rekey: opts.rekey, rotate: opts.rotate, ...pick(opts, ['config']) }));
      });
  }

  if (wanted('check')) {
    program
      .command('check')
      .description('CI check, no private key needed: every sops file against the rule of its nearest .sops.yaml, every agenix file against its rules, no plaintext where a rule expects a secret, no secret key, link or unresolved git merge conflict committed')
      .argument('[files...]', 'files to check (default: every file under the config\'s directory, or the working directory)')
      .option('--json', 'machine-readable output', false)
      .option('--allow-key <path>', 'a file or directory allowed to hold secret keys, e.g. test fixtures (repeatable)', collect, [])
      .option('--config <file>', 'one .sops.yaml for every file (default: each file\'s nearest .sops.yaml, as sops finds it from there)')
      .option('--rules <file>', 'the agenix rules file (default: $RULES, else each secrets.nix beside .age files that holds publicKeys rules)')
      .addHelpText(
        'after',
        [
          '',
          'Findings: a sops file no creation rule reaches (it cannot be rekeyed); recipients that differ from the',
          'rule (named by .sops.yaml anchors and secrets.nix bindings); a plaintext file a rule\'s path_regex names',
          '(a rule without path_regex governs sops files but does not demand that every file be one); a secret key',
          'anywhere, in a file of any size; a symbolic link or special file where a secret belongs.',
          examples(['secrets check', 'secrets check --json > report.json']),
        ].join('\n'),
      )
      .action((files: string[], opts: { json: boolean; allowKey: string[]; config?: string; rules?: string }) => {
        setResult(check(ctx, { files, json: opts.json, allowKey: opts.allowKey, ...pick(opts, ['config', 'rules']) }));
      });
  }

  if (wanted('exec-env')) {
    program
      .command('exec-env')
      .description('run a command with the file\'s top-level values as environment variables (nothing written to disk)')
      .argument('<file>', 'the encrypted file')
      .argument('<command>', 'run with /bin/sh -c; its exit status is passed through')
      .option('--pristine', 'do not inherit the current environment', false)
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .addHelpText('after', examples(['secrets exec-env secrets.env \'./deploy.sh\'', 'secrets exec-env --pristine app.yaml \'env | sort\'']))
      .action((file: string, command: string, opts: { pristine: boolean; inputType?: string }) => {
        setResult(execEnv(ctx, { file, command, pristine: opts.pristine, ...pick(opts, ['inputType']) }));
      });
  }

  if (wanted('exec-file')) {
    program
      .command('exec-file')
      .description('run a command with the plaintext as a file: a FIFO in a private tmpfs directory ({} is its path)')
      .argument('<file>', 'the encrypted file')
      .argument('<command>', 'run with /bin/sh -c; {} is replaced by the plaintext\'s path')
      .option('--no-fifo', 'a 0600 regular file instead of a FIFO (for programs that seek), still on tmpfs')
      .option('--filename <name>', 'name of the plaintext file (default tmp-file)')
      .option('--output-type <format>', 'format of the plaintext (default: the input type)')
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .addHelpText(
        'after',
        examples([
          'secrets exec-file app.yaml \'myapp --config {}\'',
          'secrets exec-file --no-fifo --output-type json app.yaml \'jq .db {}\'',
          '',
          'The exit status is the command\'s; SIGTERM and SIGHUP are passed on to it.',
        ]),
      )
      .action((file: string, command: string, opts: { fifo: boolean; filename?: string; outputType?: string; inputType?: string }) => {
        setResult(execFile(ctx, { file, command, noFifo: !opts.fifo, ...pick(opts, ['filename', 'outputType', 'inputType']) }));
      });
  }

  if (wanted('git-setup')) {
    program
      .command('git-setup')
      .description('make git diff show sops and age files decrypted to key holders, and git merge merge sops files value by value')
      .option('--config <file>', 'the .sops.yaml to use')
      .addHelpText(
        'after',
        examples([
          'secrets git-setup && git diff HEAD~1 -- batchn/secrets/',
          'git merge feature              # sops files merge value by value, re-encrypted with their data key',
          'secrets edit secrets/app.yaml  # after a conflict: both sides between conflict markers',
          '',
          'Writes .gitattributes lines (commit them): DIR/*.EXT diff=secrets merge=secrets for the',
          'directories holding sops files, DIR/*.age diff=secrets merge=binary for age files; and to the repository\'s',
          'git config (each clone runs it once) the drivers `secrets textconv FILE` and',
          '`secrets merge-driver %O %A %B %P`, so `secrets` must be on PATH.',
          '',
          'git diff: the plaintext, then who can read the file (recipients by .sops.yaml name, a data key id',
          'that changes on rotate), so a rekey-only commit shows a diff too. Without a key: the encrypted',
          'text (sops) or a one-line summary (age).',
          'git merge: values neither side changed keep their exact ciphertext; recipients added or removed on',
          'either side are merged. A value both sides changed is a conflict: the file keeps our side plus',
          'their side encrypted in it (never plaintext on disk); secrets edit FILE shows both and will not',
          'save until the markers are gone. Without a key, our version stays and git marks it conflicted.',
          'See docs/git.md.',
        ]),
      )
      .action((opts: { config?: string }) => {
        setResult(gitSetup(ctx, pick(opts, ['config'])));
      });
  }

  if (wanted('textconv')) {
    program
      .command('textconv', { hidden: true })
      .description('print a sops or age file decrypted if a key opens it, else as it is (for git diff)')
      .argument('<file>', 'the file')
      .action((file: string) => {
        setResult(textconv(ctx, { file }));
      });
  }

  if (wanted('merge-driver')) {
    program
      .command('merge-driver', { hidden: true })
      .description('merge three versions of a sops file value by value (git merge driver: %O %A %B %P)')
      .argument('<base>', 'the common ancestor (%O)')
      .argument('<ours>', 'our version, overwritten with the result (%A)')
      .argument('<theirs>', 'their version (%B)')
      .argument('<path>', 'the file\'s path in the repository (%P)')
      .action((base: string, ours: string, theirs: string, path: string) => {
        setResult(mergeDriver(ctx, { base, ours, theirs, path }));
      });
  }

  if (wanted('completion')) {
    program
      .command('completion')
      .description('print a shell completion script')
      .argument('<shell>', 'bash, zsh or fish')
      .addHelpText('after', examples(['source <(secrets completion bash)          # in ~/.bashrc', 'source <(secrets completion zsh)           # in ~/.zshrc, after compinit', 'secrets completion fish > ~/.config/fish/completions/secrets.fish']))
      .action((shell: string) => {
        setResult(
          (async () => {
            ctx.stdout.write((await import('./completion.js')).completionScript(program, shell));
            return 0;
          })(),
        );
      });
  }

  if (wanted('agenix')) {
    const agenix = program
      .command('agenix')
      .description('agenix\'s commands on .age files with a secrets.nix rules file (read without Nix; nix-instantiate for what needs it)')
      .addHelpText(
        'after',
        examples([
          'secrets agenix edit secrets/wifi.age',
          'secrets agenix decrypt -i ~/.ssh/id_ed25519 secrets/wifi.age',
          'secrets agenix rekey',
          'secrets agenix export --all --out secrets/agenix secrets/example.yaml',
          '',
          "agenix's and ragenix's own forms work too: -e|--edit FILE is edit, -d|--decrypt FILE is decrypt,",
          '-r|--rekey is rekey (files already encrypted to their rule stay byte-identical; rekey -f re-encrypts',
          'every file, as agenix -r does); -i|--identity KEY (repeatable), --rules FILE or $RULES, --editor CMD',
          '(- reads stdin) or $EDITOR, stdin that is not a terminal as the new content of -e; -v is accepted.',
          'e.g. secrets agenix -e secret1.age; printf x | secrets agenix -e secret1.age; secrets agenix -r -i KEY',
          'A passphrase-protected key is asked for once per run, however many files it opens.',
        ]),
      );
    agenix
      .command('decrypt')
      .description('decrypt an .age file to stdout')
      .argument('<file>', 'the .age file')
      .option('-i, --identity <file>', 'identity file (repeatable; default: discovery, ~/.ssh keys included)', collect, [])
      .option('-o, --output <file>', 'write here (mode 0600) instead of stdout')
      .addHelpText('after', examples(['secrets agenix decrypt secret1.age', 'secrets agenix decrypt -i /etc/ssh/ssh_host_ed25519_key secret1.age']))
      .action((file: string, opts: { identity: string[]; output?: string }) => {
        setResult(agenixDecrypt(ctx, { file, identities: opts.identity, ...pick(opts, ['output']) }));
      });
    agenix
      .command('edit')
      .description('edit an .age file; it is encrypted to the publicKeys of its secrets.nix rule (armored if armor = true)')
      .argument('<file>', 'the .age file (./x.age and x.age are the same, relative to the rules file)')
      .option('--rules <file>', 'the rules file, Nix or JSON (default: $RULES, else the nearest secrets.nix next to the file or above that holds publicKeys rules)')
      .option('--nix', 'evaluate the rules with nix-instantiate, as agenix does (default: only what the static reader cannot read)')
      .option('--no-nix', 'never run Nix: forms that need it are an error')
      .option('-i, --identity <file>', 'identity file (repeatable; default: discovery)', collect, [])
      .option('--editor <command>', 'editor; - reads the new plaintext from stdin')
      .option('--allow-disk-tmp', 'allow the plaintext on a persistent disk when no tmpfs exists', false)
      .addHelpText(
        'after',
        examples([
          'secrets agenix edit secret1.age',
          'printf hunter2 | secrets agenix edit passwordfile.age',
          '',
          'As agenix: stdin that is not a terminal is the new content, whatever EDITOR says (--editor runs one).',
          'An editor that saved nothing creates no file; empty content never replaces a secret.',
        ]),
      )
      .action((file: string, opts: { rules?: string; nix?: boolean; identity: string[]; editor?: string; allowDiskTmp: boolean }) => {
        setResult(agenixEdit(ctx, { file, identities: opts.identity, allowDiskTmp: opts.allowDiskTmp, nix: nixMode(opts.nix), ...pick(opts, ['rules', 'editor']) }));
      });
    agenix
      .command('rekey')
      .description('re-encrypt the .age files whose recipients (or armor) differ from their rule; others stay byte-identical')
      .argument('[files...]', 'only these files (default: every rule of the rules file)')
      .option('--rules <file>', 'the rules file, Nix or JSON (default: $RULES, else the nearest secrets.nix here or above that holds publicKeys rules)')
      .option('--nix', 'evaluate the rules with nix-instantiate, as agenix does (default: only what the static reader cannot read)')
      .option('--no-nix', 'never run Nix: forms that need it are an error')
      .option('-i, --identity <file>', 'identity file (repeatable; default: discovery)', collect, [])
      .option('-f, --force', 're-encrypt every file, changed or not (as agenix -r does)', false)
      .option('-n, --dry-run', 'list what would be rekeyed and why; needs no key', false)
      .addHelpText('after', examples(['secrets agenix rekey', 'secrets agenix rekey --dry-run', 'secrets agenix rekey --rules rules.json --dry-run', 'secrets agenix rekey -i ~/.ssh/id_ed25519 secrets/wifi.age']))
      .action((files: string[], opts: { rules?: string; nix?: boolean; identity: string[]; force: boolean; dryRun: boolean }) => {
        setResult(agenixRekey(ctx, { files, identities: opts.identity, force: opts.force, dryRun: opts.dryRun, nix: nixMode(opts.nix), ...pick(opts, ['rules']) }));
      });
    agenix
      .command('export')
      .description('write sops secrets as agenix .age files, encrypted to their .sops.yaml recipients, and a matching secrets.nix')
      .argument('[files...]', 'sops files (default: every sops file a .sops.yaml rule matches)')
      .option('--all', 'export every leaf (dotenv, INI and binary files are exported whole)', false)
      .option('--key <path>', 'export this leaf: a/b or ["a"]["b"] (repeatable)', collect, [])
      .option('--out <dir>', 'where the .age files go (default: the rules file\'s directory, else .)')
      .option('--rules <file>', 'the secrets.nix to write (default: DIR/secrets.nix)')
      .option('--host-key <file>', 'SSH public keys (.pub, known_hosts, ssh-keyscan output) to encrypt to natively in place of their age1 conversions (repeatable)', collect, [])
      .option('--armor', 'write ASCII-armored files (and armor = true in the rules)', false)
      .option('-i, --identity <file>', 'identity file (repeatable; default: discovery)', collect, [])
      .option('--config <file>', 'the .sops.yaml to use')
      .addHelpText('after', examples(['secrets agenix export --all --out secrets/agenix secrets/example.yaml', 'secrets agenix export --key myservice/my_subdir/my_secret --host-key hosts/batchn/ssh_host_ed25519_key.pub secrets/example.yaml']))
      .action((files: string[], opts: { all: boolean; key: string[]; out?: string; rules?: string; hostKey: string[]; armor: boolean; identity: string[]; config?: string }) => {
        setResult(agenixExport(ctx, { files, all: opts.all, keys: opts.key, hostKeys: opts.hostKey, armor: opts.armor, identities: opts.identity, ...pick(opts, ['out', 'rules', 'config']) }));
      });
  }

  if (wanted('nix')) {
    const nix = program
      .command('nix')
      .description('Nix outputs for deploy tools')
      .addHelpText('after', examples(['secrets nix sops --out nix/secrets.nix']));
    nix
      .command('sops')
      .description('sops-nix declarations for every installable secret; what sops-nix cannot install, and every file that cannot be read, is reported (exit 1) and the rest still declared')
      .argument('[files...]', 'sops files (default: every sops file below the .sops.yaml\'s directory, or the working directory)')
      .option('--out <file>', 'write the Nix fragment here; sopsFile paths are relative to it')
      .option('--config <file>', 'the .sops.yaml whose directory is scanned')
      .option('--json', 'print the declarations, the problems and the unreadable files as JSON on stdout (--out still gets the Nix text)', false)
      .addHelpText(
        'after',
        [
          '',
          'Whole-file secrets (binary, dotenv, INI) are named by their file name, or by their directory where that is',
          'how the repository names them (clan: sops/secrets/NAME/secret; vars/…/GENERATOR/FILE/secret → GENERATOR/FILE).',
          'A key name that several files give (one file per host) is declared once; the others are noted as comments.',
          examples(['secrets nix sops batchn/secrets/example.yaml', 'secrets nix sops --out hosts/batchn/secrets.nix', 'secrets nix sops --json | jq \'.problems\'']),
        ].join('\n'),
      )
      .action((files: string[], opts: { out?: string; config?: string; json: boolean }) => {
        setResult(nixSops(ctx, { files, json: opts.json, ...pick(opts, ['out', 'config']) }));
      });
  }

  if (wanted('filestatus')) {
    program
      .command('filestatus')
      .description('print {"encrypted":true} or {"encrypted":false} for a file, like sops')
      .argument('<file>', 'the file')
      .option('--input-type <format>', 'yaml, json, dotenv, ini or binary (default: from the file name)')
      .addHelpText('after', examples(['secrets filestatus batchn/secrets/example.yaml']))
      .action((file: string, opts: { inputType?: string }) => {
        setResult(filestatus(ctx, { file, ...pick(opts, ['inputType']) }));
      });
  }

  if (wanted('identities')) {
    program
      .command('identities')
      .description('list the age identities decryption would use, and every place looked at (sops order)')
      .option('--json', 'machine-readable output', false)
      .addHelpText(
        'after',
        examples([
          'secrets identities',
          'SOPS_AGE_SSH_PRIVATE_KEY_FILE=/etc/ssh/ssh_host_ed25519_key secrets identities --json',
          '',
          'Secret keys are never printed: only where each identity came from and which recipients it opens.',
        ]),
      )
      .action((opts: { json: boolean }) => {
        setResult(identities(ctx, { json: opts.json }));
      });
  }

  if (wanted('age')) {
    const age = program
      .command('age')
      .description('encrypt and decrypt age files (X25519, ssh-ed25519, ssh-rsa, post-quantum, age plugin recipients)')
      .addHelpText('after', examples(['secrets age encrypt -a -R ~/.ssh/id_ed25519.pub -o x.age x.txt', 'secrets age decrypt -i ~/.ssh/id_ed25519 x.age']));
    age
      .command('encrypt')
      .description('encrypt a file to age recipients')
      .argument('[file]', 'input file, - for stdin', '-')
      .option('-r, --recipient <recipient>', 'an age1…, age1pq1…, plugin (age1NAME1…), ssh-ed25519 or ssh-rsa recipient (repeatable)', collect, [])
      .option('-R, --recipients-file <file>', 'a file with one recipient per line (repeatable)', collect, [])
      .option('-p, --passphrase', 'encrypt with a passphrase asked for on the terminal (scrypt, as age -p)', false)
      .option('-a, --armor', 'write PEM-armored output', false)
      .option('-o, --output <file>', 'output file, - for stdout', '-')
      .addHelpText(
        'after',
        examples([
          'secrets age encrypt -r age1… -R /etc/ssh/ssh_host_ed25519_key.pub -o secret.age secret.txt',
          'echo hello | secrets age encrypt -a -r "$(cat ~/.ssh/id_ed25519.pub)"',
          'secrets age encrypt -p -o backup.age keys.txt',
          '',
          'The output may not be one of the inputs. A recipients file (-R) holds one recipient per line, # comments',
          'and empty lines allowed, no indentation (as in age). A plugin recipient (age1yubikey1…) runs',
          'age-plugin-NAME from PATH, as age does (see docs/keys.md).',
        ]),
      )
      .action((file: string, opts: { recipient: string[]; recipientsFile: string[]; armor: boolean; output: string; passphrase: boolean }) => {
        setResult(
          ageEncrypt(ctx, { input: file, output: opts.output, recipients: opts.recipient, recipientFiles: opts.recipientsFile, armor: opts.armor, passphrase: opts.passphrase }),
        );
      });
    age
      .command('decrypt')
      .description('decrypt an age file (armored or binary) with -i identities, or the identities sops would find')
      .argument('[file]', 'input file, - for stdin', '-')
      .option('-i, --identity <file>', 'identity file: keys.txt (AGE-SECRET-KEY-1… or plugin AGE-PLUGIN-NAME-1… lines), an OpenSSH private key, or a passphrase-protected identity file (repeatable)', collect, [])
      .option('-o, --output <file>', 'output file (written 0600), - for stdout', '-')
      .addHelpText(
        'after',
        examples([
          'secrets age decrypt -i ~/.ssh/id_ed25519 secrets/wifi.age',
          'SOPS_AGE_KEY_FILE=~/keys.txt secrets age decrypt secret.age',
          '',
          'Without -i, identities are looked for where sops looks (see docs/keys.md). An SSH key also opens',
          'files encrypted to its ssh-to-age recipient. A passphrase-encrypted file (age -p) asks for its',
          'passphrase on the terminal (never echoed; scrypt work factor up to 2^22, as age) and takes no -i.',
          'A plugin identity (AGE-PLUGIN-YUBIKEY-1…) runs age-plugin-NAME from PATH after the other identities;',
          'its questions (a PIN, a confirmation) are asked on the terminal.',
          'The output may not be one of the inputs, and standard input (-) can be read only once.',
          'Binary files are decrypted as a stream, with no size limit: each 64 KiB chunk is written once it',
          'authenticates (a corrupted file fails at its first bad chunk; -o FILE is only replaced on success).',
        ]),
      )
      .action((file: string, opts: { identity: string[]; output: string }) => {
        setResult(ageDecrypt(ctx, { input: file, output: opts.output, identities: opts.identity }));
      });
  }

  if (wanted('init')) {
    program
      .command('init')
      .description('write a first .sops.yaml naming you by your age or SSH key (or a new age key), with a creation rule for the paths given')
      .argument('[path-regex...]', 'path_regex of a creation rule (one rule each; default: secrets/[^/]+\\.(yaml|json|env|ini)$, the sops-nix README\'s)')
      .option('--path <regex>', 'path_regex of a creation rule, as the positional form (repeatable)', collect, [])
      .option('--name <name>', 'your name: the key\'s anchor is &admin_<name> (default: $USER)')
      .option('--age <recipient>', 'your age1… recipient, instead of the key found where sops looks')
      .option('--pubkey <file-or-key>', 'your SSH public key (ssh-ed25519: its ssh-to-age recipient; ssh-rsa as is)')
      .option('-i, --identity <file>', 'your key file (keys.txt or an SSH private key), instead of discovery')
      .option('--new-key', 'make a new age key, written 0600 to $SOPS_AGE_KEY_FILE or ~/.config/sops/age/keys.txt (never over an existing file)', false)
      .option('--host <name=key>', 'also a host: NAME=age1…, NAME=FILE.pub or NAME="ssh-ed25519 AAAA…" (repeatable)', collect, [])
      .option('--config <file>', 'where to write (default: ./.sops.yaml)')
      .addHelpText(
        'after',
        examples([
          'secrets init                                        # your key from where sops looks; secrets/*.yaml|json|env|ini',
          "secrets init --path 'secrets/.*\\.yaml$' --name alice",
          'secrets init --new-key --host batchn=hosts/batchn/ssh_host_ed25519_key.pub',
          '',
          'Your key: an age key (SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt, …) first, else ~/.ssh/id_ed25519',
          '(written as its ssh-to-age recipient, the SSH key beside it), else id_rsa; with none, a new age key is',
          'made and its public key printed. An existing .sops.yaml is never overwritten: add people and hosts to',
          'it with secrets users add and secrets hosts add.',
        ]),
      )
      .action((paths: string[], opts: { path: string[]; name?: string; age?: string; pubkey?: string; identity?: string; newKey: boolean; host: string[]; config?: string }) => {
        setResult(init(ctx, { paths: [...paths, ...opts.path], newKey: opts.newKey, hosts: opts.host, ...pick(opts, ['name', 'age', 'pubkey', 'identity', 'config']) }));
      });
  }

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
    const rewritten = rewriteSopsArgs(args, { exists: (p) => existsSync(resolve(ctx.cwd, p)), commands: COMMANDS, asSops: options.asSops === true });
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
