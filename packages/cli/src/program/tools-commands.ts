/**
 * The other tools: ssh-to-age, age, identities, nix, completion.
 */
import { type Command, Option } from 'commander';
import { collect, configOption, examples, identityOption, lazy, pick, type ProgramSetup } from './shared.js';

const ageDecrypt = lazy(() => import('../commands/age.js'), 'ageDecrypt');
const ageEncrypt = lazy(() => import('../commands/age.js'), 'ageEncrypt');
const identities = lazy(() => import('../commands/identities.js'), 'identities');
const nixSops = lazy(() => import('../commands/nix.js'), 'nixSops');
const sshToAge = lazy(() => import('../commands/ssh-to-age.js'), 'sshToAge');

/** Registers the tool commands that {@link ProgramSetup.wanted} asks for. */
export function registerToolsCommands(program: Command, { ctx, setResult, wanted }: ProgramSetup): void {
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

  if (wanted('completion')) {
    program
      .command('completion')
      .description('print a shell completion script')
      .argument('<shell>', 'bash, zsh or fish')
      .addHelpText('after', examples(['source <(secrets completion bash)          # in ~/.bashrc', 'source <(secrets completion zsh)           # in ~/.zshrc, after compinit', 'secrets completion fish > ~/.config/fish/completions/secrets.fish']))
      .action((shell: string) => {
        setResult(
          (async () => {
            ctx.stdout.write((await import('../completion.js')).completionScript(program, shell));
            return 0;
          })(),
        );
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
      .addOption(configOption('the .sops.yaml whose directory is scanned'))
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
      .addOption(identityOption('identity file: keys.txt (AGE-SECRET-KEY-1… or plugin AGE-PLUGIN-NAME-1… lines), an OpenSSH private key, or a passphrase-protected identity file (repeatable)'))
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
}
