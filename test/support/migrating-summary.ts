/**
 * The "before | now" summary at the top of docs/migrating.md, as data: each claim with the command lines
 * that show it, which test/sops-compat-cli.test.ts runs (through `secrets` and a `sops` symlink, as the
 * compatibility table's rows) before the page may say it. `UPDATE_DOCS=1` (npm run docs:cli) rewrites the
 * table between its markers; the test fails when the page drifts from this list.
 *
 * Stand-ins a row may use, beside the compatibility rows' `$ADMIN` and `$HOST`: `host.pub` (the example
 * host's public key), `hostonly.yaml` (a file for the host's ssh-to-age recipient only), `$FP` (the host
 * key's SHA256 fingerprint) and `PATH=SCANNER` (an `ssh-keyscan` on PATH that prints the host key).
 */
import { PLAIN, type Row } from './sops-compat-rows.js';

/** One claim of the summary and what shows it. */
export interface SummaryRow {
  /** Markdown: what a sops or ssh-to-age user typed. */
  readonly before: string;
  /** Markdown: what it is now. */
  readonly now: string;
  readonly checks: readonly Row[];
}

const HOST_AGE = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl';
const WRITER = { EDITOR: 'WRITER' };

export const SUMMARY: readonly SummaryRow[] = [
  {
    before: '`age-keygen -o ~/.config/sops/age/keys.txt`, then `.sops.yaml` by hand',
    now: '`secrets init`: your age or SSH key found where sops looks (or a new age key, 0600, where sops reads it), `&admin_NAME` under `keys:`, a creation rule per path regex; never over an existing file',
    checks: [{ args: ['init', '--age', '$ADMIN', '--name', 'alice', 'secrets/.*\\.yaml$'], status: 0, noConfig: true, raw: '.sops.yaml', want: 'keys:\n  - &admin_alice $ADMIN\ncreation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    key_groups:\n      - age:\n          - *admin_alice\n' }],
  },
  {
    before: '`sops secrets.yaml` (also a new file)',
    now: '`secrets secrets.yaml` (or `secrets edit`); a missing file is created from its creation rule, or for `--age` / `SOPS_AGE_RECIPIENTS`',
    checks: [
      { args: ['new.yaml'], status: 0, decrypts: 'new.yaml', env: WRITER, want: 'k: written\n' },
      { args: ['edit', 'new.yaml'], status: 0, decrypts: 'new.yaml', env: WRITER, want: 'k: written\n' },
      { args: ['--age', '$ADMIN', 'new.yaml'], status: 0, decrypts: 'new.yaml', env: WRITER, noConfig: true, want: 'k: written\n' },
    ],
  },
  {
    before: '`sops decrypt`, `sops encrypt`, `sops set`, `sops unset`, `sops filestatus`, `sops exec-env`',
    now: 'the same commands, same flags, same exit codes',
    checks: [
      { args: ['decrypt', 'enc.yaml'], status: 0, stdout: true, want: PLAIN },
      { args: ['encrypt', 'plain.yaml'], status: 0, encryptedStdout: true, want: PLAIN },
      { args: ['set', 'enc.yaml', '["a"]', '"five"'], status: 0, decrypts: 'enc.yaml', want: 'a: five\nb: hello\n' },
      { args: ['unset', 'enc.yaml', '["b"]'], status: 0, decrypts: 'enc.yaml', want: 'a: 1\n' },
      { args: ['filestatus', 'enc.yaml'], status: 0, stdout: true, want: '{"encrypted":true}\n' },
      { args: ['exec-env', 'enc.yaml', 'echo "$b"'], status: 0, stdout: true, want: 'hello\n' },
      { args: ['-d', 'missing.yaml'], status: 100 },
    ],
  },
  {
    before: '`sops -d FILE`, `-e FILE`, `-e -i` / `-i -e`, `-d -i`, `-r -i`, `--set \'["a"] "v"\' FILE`',
    now: 'accepted as written, with sops\' meaning (rewritten to `decrypt`, `encrypt`, `rotate`, `set`)',
    checks: [
      { args: ['-d', 'enc.yaml'], status: 0, stdout: true, want: PLAIN },
      { args: ['-e', 'plain.yaml'], status: 0, encryptedStdout: true, want: PLAIN },
      { args: ['-i', '-e', 'plain.yaml'], status: 0, decrypts: 'plain.yaml', want: PLAIN },
      { args: ['-d', '-i', 'enc.yaml'], status: 0, raw: 'enc.yaml', want: PLAIN },
      { args: ['-r', '-i', 'enc.yaml'], status: 0, decrypts: 'enc.yaml', want: PLAIN },
      { args: ['--set', '["a"] "v"', 'enc.yaml'], status: 0, decrypts: 'enc.yaml', want: 'a: v\nb: hello\n' },
    ],
  },
  {
    before: '`sops updatekeys [-y] [--input-type T] FILE…`',
    now: 'accepted: `secrets rekey [-y] FILE…`, one confirmation for all the files; without FILE, every sops file of the repository',
    checks: [
      { args: ['updatekeys', '-y', 'yaml.dat', '--input-type', 'yaml'], status: 0, stderr: 'synced with new keys' },
      { args: ['rekey', '-y', 'groups.yaml', 'enc.yaml'], status: 0, stderr: 'synced with new keys', hostKey: 'run' },
    ],
  },
  {
    before: '`sops groups add --file F [--shamir-secret-sharing-threshold N] --age a,b [--pgp FP]`, `sops groups delete --file F INDEX`',
    now: 'the same (`secrets groups …`): the same data key re-wrapped, values, MAC and `lastmodified` untouched; stdout unless `-i`; as sops, a delete that would leave fewer groups than the threshold is refused (pass a lower `--shamir-secret-sharing-threshold`); age, SSH and PGP keys',
    checks: [
      { args: ['groups', 'add', '--file', 'enc.yaml', '--age', '$HOST', '-i'], status: 0, decrypts: 'enc.yaml', want: PLAIN, hostKey: 'both' },
      { args: ['groups', 'delete', '--file', 'groups.yaml', '1'], status: 1, stderr: 'Shamir threshold', hostKey: 'run' },
    ],
  },
  {
    before: '`sops decrypt --filename-override NAME FILE` (also `-` for stdin)',
    now: 'the same: the format is NAME\'s',
    checks: [{ args: ['decrypt', '--filename-override', 'enc.json', '-'], status: 0, stdout: true, stdinFile: 'json.dat', want: '{\n\t"a": 1,\n\t"b": "hello"\n}\n' }],
  },
  {
    before: '`sops set --ignore-mac …`, `sops unset --ignore-mac …`',
    now: 'the same: a file whose MAC does not verify is changed and gets a correct MAC',
    checks: [{ args: ['unset', '--ignore-mac', 'badmac.yaml', '["b"]'], status: 0, decrypts: 'badmac.yaml', want: 'a: 1\nc_unencrypted: tampered\n' }],
  },
  {
    before: '`sops rotate [--add-age/--rm-age/--add-pgp/--rm-pgp …]`',
    now: '`secrets rotate` (the same flags), or `secrets rekey --rotate`',
    checks: [
      { args: ['rotate', '-i', 'enc.yaml'], status: 0, decrypts: 'enc.yaml', want: PLAIN },
      { args: ['rekey', '--rotate', '-y', 'enc.yaml'], status: 0, decrypts: 'enc.yaml', want: PLAIN, stderr: 'rotated and synced' },
    ],
  },
  {
    before: '`-a/--age`, `SOPS_AGE_RECIPIENTS` on encrypt and on edit of a new file',
    now: 'same meaning: these keys replace the `.sops.yaml` ones',
    checks: [
      { args: ['-e', '-a', '$ADMIN,$HOST', 'plain.yaml'], status: 0, encryptedStdout: true, want: PLAIN },
      { args: ['new.yaml'], status: 0, decrypts: 'new.yaml', env: { ...WRITER, SOPS_AGE_RECIPIENTS: '$ADMIN' }, noConfig: true, want: 'k: written\n' },
    ],
  },
  {
    before: '`--verbose`, `--indent N`',
    now: 'accepted; `--indent` sets the output indentation of `decrypt` and `encrypt` (over `.sops.yaml` `stores:`), and is ignored with a warning by the other commands',
    checks: [
      { args: ['-d', '--verbose', '--indent', '2', '--output-type', 'json', 'enc.yaml'], status: 0, stdout: true, want: '{\n  "a": 1,\n  "b": "hello"\n}\n' },
      { args: ['set', '--indent', '2', 'enc.yaml', '["a"]', '2'], status: 0, stderr: '--indent is ignored by set' },
    ],
  },
  {
    before: '`--kms`, `--gcp-kms`, `--azure-kv`, `--hc-vault-transit`',
    now: 'an error saying that key service is not supported (age, SSH and PGP keys only; PGP through your `gpg`, see below), exit 1',
    checks: ['--kms', '--gcp-kms', '--azure-kv', '--hc-vault-transit'].map((flag): Row => ({ args: ['-e', flag, 'x', 'plain.yaml'], status: 1, stderr: 'not supported' })),
  },
  {
    before: '`sops -s FILE` / `--show-master-keys` (edit)',
    now: 'the same buffer: the values and the file\'s `sops` block; the block is read-only (edits to it are ignored with a warning), value edits are kept (sops 3.13 loses both)',
    checks: [{ args: ['-s', 'enc.yaml'], status: 0, decrypts: 'enc.yaml', env: WRITER, want: 'k: written\n', stderr: 'shown read-only' }],
  },
  {
    before: '`sops …` in scripts',
    now: 'a symlink named `sops` to `secrets` (`ln -s "$(command -v secrets)" ~/bin/sops`) takes sops\' command lines (every check here runs through one); a bare missing name is then always a file, as in sops',
    checks: [{ args: ['enc.yaml'], status: 200, env: { EDITOR: 'true' } }],
  },
  {
    before: '`ssh-keyscan host \\| ssh-to-age`, then edit `.sops.yaml`',
    now: '`secrets hosts add NAME --ssh-keyscan host` (its fingerprint shown and confirmed, or `--fingerprint`)',
    checks: [{ args: ['hosts', 'add', 'batchn', '--ssh-keyscan', 'batchn', '--fingerprint', '$FP', '--no-rekey'], status: 0, env: { PATH: 'SCANNER' }, raw: '.sops.yaml', stderr: `added batchn (&server_batchn, ${HOST_AGE})` }],
  },
  {
    before: '`ssh-to-age -private-key -i ~/.ssh/id_ed25519 > keys.txt`',
    now: 'not needed: an SSH key opens both its native stanzas and its ssh-to-age recipient',
    checks: [{ args: ['-d', 'hostonly.yaml'], status: 0, noKey: true, hostKey: 'run', stdout: true, want: PLAIN }],
  },
  {
    before: '`ssh-to-age …` in scripts',
    now: '`secrets ssh-to-age …` takes the same flags and prints the same bytes',
    checks: [{ args: ['ssh-to-age', '-i', 'host.pub'], status: 0, stdout: true, want: `${HOST_AGE}\n` }],
  },
];

/** The markers around the generated summary in docs/migrating.md. */
export const SUMMARY_BEGIN = '<!-- migrating-summary: generated from test/support/migrating-summary.ts; do not edit -->';
export const SUMMARY_END = '<!-- migrating-summary end -->';

/** A check as the page shows it. */
function commandLine(row: Row): string {
  const env = Object.entries(row.env ?? {})
    .filter(([k]) => k !== 'EDITOR' && k !== 'PATH')
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  const words = row.args.map((a) => (/^[A-Za-z0-9_./,:=$@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  const key = row.hostKey ? 'SOPS_AGE_SSH_PRIVATE_KEY_FILE=host_key ' : '';
  const stdin = row.stdinFile === undefined ? '' : ` < ${row.stdinFile}`;
  const line = `\`${`${env}${key}secrets ${words.join(' ')}${stdin}`.replace(/\|/g, '\\|')}\``;
  return row.noConfig ? `${line} (no .sops.yaml)` : line;
}

/** The markdown table, between its markers. */
export function summaryTable(): string {
  const lines = [SUMMARY_BEGIN, '', '| before | now | checked by running (as `secrets` and as `sops`) |', '|---|---|---|'];
  for (const row of SUMMARY) lines.push(`| ${row.before} | ${row.now} | ${row.checks.map(commandLine).join(', ')} |`);
  lines.push('', SUMMARY_END);
  return lines.join('\n');
}
