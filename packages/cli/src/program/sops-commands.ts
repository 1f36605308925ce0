/**
 * The sops commands on one file: decrypt, encrypt, edit, set, unset, rotate, filestatus, exec-env, exec-file.
 */
import type { Command } from 'commander';
import { collect, configOption, examples, ignoreMacOption, inPlaceOption, indentOption, inputTypeOption, lazy, outputTypeOption, pick, shamirThresholdOption, type ProgramSetup } from './shared.js';

const decrypt = lazy(() => import('../commands/decrypt.js'), 'decrypt');
const encrypt = lazy(() => import('../commands/sops.js'), 'encrypt');
const filestatus = lazy(() => import('../commands/sops.js'), 'filestatus');
const edit = lazy(() => import('../commands/edit.js'), 'edit');
const execEnv = lazy(() => import('../commands/exec.js'), 'execEnv');
const execFile = lazy(() => import('../commands/exec.js'), 'execFile');
const rotate = lazy(() => import('../commands/modify.js'), 'rotate');
const setValue = lazy(() => import('../commands/modify.js'), 'setValue');
const unsetValue = lazy(() => import('../commands/modify.js'), 'unsetValue');

/** Registers the single-file sops commands that {@link ProgramSetup.wanted} asks for. */
export function registerSopsCommands(program: Command, { ctx, setResult, wanted }: ProgramSetup): void {
  if (wanted('decrypt')) {
    program
      .command('decrypt')
      .description('decrypt a sops file (YAML, JSON, dotenv, INI, binary) to stdout; the MAC is verified first')
      .argument('<file>', 'the encrypted file, - for stdin (needs --input-type)')
      .addOption(inputTypeOption())
      .addOption(outputTypeOption())
      .option('--extract <path>', 'only this value, e.g. \'["app"]["db"][0]\'; strings are written raw')
      .addOption(ignoreMacOption('decrypt even if the MAC does not match (the file may have been tampered with)'))
      .option('--filename-override <path>', 'pick the format as if the file were at this path (for stdin too), as sops')
      .option('--output <file>', 'write here (mode 0600) instead of stdout; never one of the inputs (the file, an identity file)')
      .addOption(inPlaceOption('replace the encrypted file with its plaintext, as sops decrypt -i'))
      .addOption(indentOption())
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
      .addOption(inPlaceOption('replace the file instead of writing to stdout'))
      .option('--output <file>', 'write here instead of stdout')
      .addOption(inputTypeOption())
      .addOption(outputTypeOption())
      .addOption(configOption('the .sops.yaml to use (default: searched upward, also from the file)'))
      .option('--filename-override <path>', 'pick the format and creation rule as if the file were at this path')
      .option('--unencrypted-suffix <suffix>', 'keys ending with this stay plaintext (default _unencrypted)')
      .option('--encrypted-suffix <suffix>', 'only keys ending with this are encrypted')
      .option('--unencrypted-regex <re>', 'keys matching this stay plaintext')
      .option('--encrypted-regex <re>', 'only keys matching this are encrypted')
      .option('--unencrypted-comment-regex <re>', 'values after a comment matching this stay plaintext')
      .option('--encrypted-comment-regex <re>', 'only values after a comment matching this are encrypted')
      .option('--mac-only-encrypted', 'only encrypted values go into the MAC', false)
      .addOption(indentOption())
      .addOption(shamirThresholdOption('key groups needed to decrypt'))
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
      .addOption(inputTypeOption())
      .addOption(ignoreMacOption('open even if the MAC does not match (the new MAC will be correct)'))
      .option('--editor <command>', 'editor to run; - reads the new plaintext from stdin (scripts, CI)')
      .option('--allow-disk-tmp', 'allow the plaintext on a persistent disk when no tmpfs exists (a warning is printed)', false)
      .addOption(configOption('the .sops.yaml to use for a new file'))
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
      .addOption(inputTypeOption())
      .addOption(outputTypeOption('format the file is written back in (default: the input type), as sops set'))
      .addOption(ignoreMacOption())
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
      .addOption(inputTypeOption())
      .addOption(ignoreMacOption())
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
      .addOption(inPlaceOption())
      .option('--output <file>', 'write here instead of stdout')
      .option('--add-age <recipients>', 'comma-separated recipients to add to the first key group (repeatable)', collect, [])
      .option('--rm-age <recipients>', 'comma-separated recipients to remove from every key group (repeatable)', collect, [])
      .option('--add-pgp <fingerprints>', 'comma-separated PGP fingerprints to add to the first key group (repeatable)', collect, [])
      .option('--rm-pgp <fingerprints>', 'comma-separated PGP fingerprints to remove from every key group (repeatable)', collect, [])
      .addOption(inputTypeOption())
      .addHelpText('after', examples(['secrets rotate -i batchn/secrets/example.yaml', 'secrets rotate -i --rm-age age1old… secrets.yaml']))
      .action((file: string, opts: { inPlace: boolean; output?: string; addAge: string[]; rmAge: string[]; addPgp: string[]; rmPgp: string[]; inputType?: string }) => {
        setResult(rotate(ctx, { file, inPlace: opts.inPlace, addAge: opts.addAge, rmAge: opts.rmAge, addPgp: opts.addPgp, rmPgp: opts.rmPgp, ...pick(opts, ['output', 'inputType']) }));
      });
  }

  if (wanted('filestatus')) {
    program
      .command('filestatus')
      .description('print {"encrypted":true} or {"encrypted":false} for a file, like sops')
      .argument('<file>', 'the file')
      .addOption(inputTypeOption())
      .addHelpText('after', examples(['secrets filestatus batchn/secrets/example.yaml']))
      .action((file: string, opts: { inputType?: string }) => {
        setResult(filestatus(ctx, { file, ...pick(opts, ['inputType']) }));
      });
  }

  if (wanted('exec-env')) {
    program
      .command('exec-env')
      .description('run a command with the file\'s top-level values as environment variables (nothing written to disk)')
      .argument('<file>', 'the encrypted file')
      .argument('<command>', 'run with /bin/sh -c; its exit status is passed through')
      .option('--pristine', 'do not inherit the current environment', false)
      .addOption(inputTypeOption())
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
      .addOption(outputTypeOption('format of the plaintext (default: the input type)'))
      .addOption(inputTypeOption())
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
}
