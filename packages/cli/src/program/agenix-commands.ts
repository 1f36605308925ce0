/**
 * `secrets agenix`: agenix's commands on .age files with a secrets.nix rules file, and export from sops.
 */
import type { Command } from 'commander';
import { collect, configOption, examples, identityOption, lazy, nixMode, nixOption, noNixOption, pick, type ProgramSetup } from './shared.js';

const agenixDecrypt = lazy(() => import('../commands/agenix.js'), 'agenixDecrypt');
const agenixEdit = lazy(() => import('../commands/agenix.js'), 'agenixEdit');
const agenixRekey = lazy(() => import('../commands/agenix.js'), 'agenixRekey');
const agenixExport = lazy(() => import('../commands/agenix.js'), 'agenixExport');

/** Registers `agenix` and its subcommands if {@link ProgramSetup.wanted} asks for them. */
export function registerAgenixCommands(program: Command, { ctx, setResult, wanted }: ProgramSetup): void {
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
      .addOption(identityOption('identity file (repeatable; default: discovery, ~/.ssh keys included)'))
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
      .addOption(nixOption())
      .addOption(noNixOption())
      .addOption(identityOption())
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
      .addOption(nixOption())
      .addOption(noNixOption())
      .addOption(identityOption())
      .option('-f, --force', 're-encrypt every file, changed or not (as agenix -r does)', false)
      .option('-n, --dry-run', 'list what would be rekeyed and why; needs no key', false)
      .addHelpText(
        'after',
        examples([
          'secrets agenix rekey',
          'secrets agenix rekey --dry-run',
          'secrets agenix rekey --rules rules.json --dry-run',
          'secrets agenix rekey -i ~/.ssh/id_ed25519 secrets/wifi.age',
          '',
          'An age plugin key (YubiKey…) is asked once for all the files, not once per file (with age and plugin keys only: docs/keys.md).',
        ]),
      )
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
      .addOption(identityOption())
      .addOption(configOption('the .sops.yaml to use'))
      .addHelpText('after', examples(['secrets agenix export --all --out secrets/agenix secrets/example.yaml', 'secrets agenix export --key myservice/my_subdir/my_secret --host-key hosts/batchn/ssh_host_ed25519_key.pub secrets/example.yaml']))
      .action((files: string[], opts: { all: boolean; key: string[]; out?: string; rules?: string; hostKey: string[]; armor: boolean; identity: string[]; config?: string }) => {
        setResult(agenixExport(ctx, { files, all: opts.all, keys: opts.key, hostKeys: opts.hostKey, armor: opts.armor, identities: opts.identity, ...pick(opts, ['out', 'rules', 'config']) }));
      });
  }
}
