/**
 * The repository commands: rekey, hosts, users, check, init, groups, git-setup and git's drivers (textconv,
 * merge-driver).
 */
import type { Command } from 'commander';
import { collect, configOption, examples, inPlaceOption, inputTypeOption, integer, lazy, pick, shamirThresholdOption, type ProgramSetup } from './shared.js';

const rekey = lazy(() => import('../commands/rekey.js'), 'rekey');
const hostsAdd = lazy(() => import('../commands/hosts.js'), 'hostsAdd');
const hostsRm = lazy(() => import('../commands/hosts.js'), 'hostsRm');
const usersAdd = lazy(() => import('../commands/users.js'), 'usersAdd');
const usersRm = lazy(() => import('../commands/users.js'), 'usersRm');
const check = lazy(() => import('../commands/check.js'), 'check');
const gitSetup = lazy(() => import('../commands/git.js'), 'gitSetup');
const textconv = lazy(() => import('../commands/git.js'), 'textconv');
const mergeDriver = lazy(() => import('../commands/git.js'), 'mergeDriver');
const groupsAdd = lazy(() => import('../commands/groups.js'), 'groupsAdd');
const groupsDelete = lazy(() => import('../commands/groups.js'), 'groupsDelete');
const init = lazy(() => import('../commands/init.js'), 'init');

/** The options of `hosts rm` and `users rm`. */
interface RemoveOptions {
  yes: boolean;
  rekey: boolean;
  rotate: boolean;
  config?: string;
}

/** The options of a .sops.yaml key edit that rekeys after it: -y, --rotate (with `rotate`), --no-rekey, --config. */
function rekeyAfterEditOptions(command: Command, rotate: boolean): Command {
  command.option('-y, --yes', 'rekey without asking', false);
  if (rotate) command.option('--rotate', 'rekey with new data keys, so the removed key opens nothing written from now on', false);
  return command.option('--no-rekey', 'only edit .sops.yaml').addOption(configOption('the .sops.yaml to edit'));
}

/** What `hosts add` and `users add` both end with: the rules the key joins, then whether to rekey. */
function keyEditOptions(command: Command, who: 'host' | 'admin'): Command {
  return rekeyAfterEditOptions(command.option('--rule <n>', `the creation rule (0-based) the ${who} joins`, integer).option('--path <file>', 'join every creation rule matching this path'), false);
}

/** `hosts rm` and `users rm`: remove a named key from .sops.yaml, then rekey. */
function removeCommand(parent: Command, description: string, nameDescription: string, exampleLines: readonly string[]): Command {
  const rm = parent.command('rm').description(description).argument('<name>', nameDescription);
  return rekeyAfterEditOptions(rm, true).addHelpText('after', examples(exampleLines));
}

/** Registers the repository commands that {@link ProgramSetup.wanted} asks for. */
export function registerRepoCommands(program: Command, { ctx, setResult, wanted }: ProgramSetup): void {
  if (wanted('groups')) {
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
      .addOption(shamirThresholdOption('key groups needed to decrypt (default: the file\'s, or every group)'))
      .addOption(inPlaceOption())
      .addOption(inputTypeOption())
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
      .addOption(shamirThresholdOption('key groups needed to decrypt (default: the file\'s)'))
      .addOption(inPlaceOption())
      .addOption(inputTypeOption())
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
      .addOption(configOption('one .sops.yaml for every file (default: each file\'s nearest .sops.yaml, as sops finds it from there)'))
      .addOption(inputTypeOption('the format of the named files (default: from each file name), as sops updatekeys'))
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
          'An age plugin key (YubiKey…) is asked once for all the files, not once per file (with age and plugin keys only: docs/keys.md).',
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
    const hostsAddCommand = hosts
      .command('add')
      .description('add a host: its SSH host key (scanned, from a file) or age key, under keys: and in creation rules')
      .argument('<name>', 'host name; the key gets the anchor &server_<name> (or &<name> where the file names keys so)')
      .option('--ssh-keyscan <host>', 'scan the host\'s ed25519 key: HOST, HOST:PORT or [HOST]:PORT (its fingerprint must be confirmed)')
      .option('--port <port>', 'the SSH port for --ssh-keyscan')
      .option('--pubkey <file-or-key>', 'the host\'s SSH public key: its ssh_host_ed25519_key.pub file, or the key line itself')
      .option('--age <recipient>', 'an age1… recipient')
      .option('--fingerprint <SHA256:…>', 'the expected fingerprint of the scanned key (no prompt)');
    keyEditOptions(hostsAddCommand, 'host')
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
    removeCommand(hosts, 'remove a host from .sops.yaml (its key and its place in every rule), then rekey', 'host name', [
      'secrets hosts rm batchn --rotate -y',
      'secrets hosts rm batchn --no-rekey && secrets rekey --rotate -y',
    ]).action((name: string, opts: RemoveOptions) => {
      setResult(hostsRm(ctx, { name, yes: opts.yes, rekey: opts.rekey, rotate: opts.rotate, ...pick(opts, ['config']) }));
    });
  }

  if (wanted('users')) {
    const users = program
      .command('users')
      .description('add or remove an admin\'s key in .sops.yaml, then rekey')
      .addHelpText('after', examples(['secrets users add alice --age age1…', 'secrets users rm alice --rotate -y']));
    const usersAddCommand = users
      .command('add')
      .description('add an admin (a person who edits the secrets): an age key or SSH public key, under keys: and in creation rules')
      .argument('<name>', 'user name; the key gets the anchor &admin_<name> (or &<name> where the file names keys so)')
      .option('--age <recipient>', 'an age1… recipient (age-keygen -y key.txt prints it)')
      .option('--pubkey <file-or-key>', 'an SSH public key, its .pub file or the key line itself: ssh-ed25519 (converted with ssh-to-age) or ssh-rsa (used as is)');
    keyEditOptions(usersAddCommand, 'admin')
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
    removeCommand(users, 'remove an admin from .sops.yaml (the key and its place in every rule), then rekey', 'user name', ['secrets users rm alice --rotate -y']).action(
      (name: string, opts: RemoveOptions) => {
        setResult(usersRm(ctx, { name, yes: opts.yes, rekey: opts.rekey, rotate: opts.rotate, ...pick(opts, ['config']) }));
      },
    );
  }

  if (wanted('check')) {
    program
      .command('check')
      .description('CI check, no private key needed: every sops file against the rule of its nearest .sops.yaml, every agenix file against its rules, no plaintext where a rule expects a secret, no secret key, link or unresolved git merge conflict committed')
      .argument('[files...]', 'files to check (default: every file under the config\'s directory, or the working directory)')
      .option('--json', 'machine-readable output', false)
      .option('--allow-key <path>', 'a file or directory allowed to hold secret keys, e.g. test fixtures (repeatable)', collect, [])
      .addOption(configOption('one .sops.yaml for every file (default: each file\'s nearest .sops.yaml, as sops finds it from there)'))
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
      .addOption(configOption('where to write (default: ./.sops.yaml)'))
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

  if (wanted('git-setup')) {
    program
      .command('git-setup')
      .description('make git diff show sops and age files decrypted to key holders, and git merge merge sops files value by value')
      .addOption(configOption('the .sops.yaml to use'))
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
}
