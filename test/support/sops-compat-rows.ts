/**
 * The sops command lines test/sops-compat-cli.test.ts runs through both spellings (`secrets …` and a
 * `sops` symlink), and the table docs/migrating.md shows of them: one list, so the page cannot claim a
 * form the test does not run. `$ADMIN` is the example admin's age recipient, `$HOST` the example host's
 * SSH public key. `UPDATE_DOCS=1 npx vitest run test/sops-compat-cli.test.ts` (or `npm run docs:cli`)
 * rewrites the table between the markers.
 */

export const PLAIN = 'a: 1\nb: hello\n';

/** One sops invocation and how its outcome is compared. */
export interface Row {
  readonly args: readonly string[];
  readonly status: number;
  /** Compare stdout as is (deterministic output). */
  readonly stdout?: boolean;
  /** stdout is an encrypted YAML file: compare its decryption instead. */
  readonly encryptedStdout?: boolean;
  /** After the run, compare this file's decryption (or its bytes, with `raw`). */
  readonly decrypts?: string;
  readonly raw?: string;
  readonly env?: Record<string, string>;
  /** A substring of stderr (same for both spellings apart from nothing: the program's name is secrets). */
  readonly stderr?: string;
  /** The expected value of what is compared (stdout, the decryption or the raw file). */
  readonly want?: string;
  /** Run with no private key anywhere. */
  readonly noKey?: boolean;
  /** Run without a .sops.yaml (keys only from flags or SOPS_AGE_RECIPIENTS). */
  readonly noConfig?: boolean;
  /** This file of the repository is the run's standard input. */
  readonly stdinFile?: string;
  /** Extra arguments of the `decrypt` that checks the result (e.g. `--input-type json`). */
  readonly decryptArgs?: readonly string[];
  /** The host's SSH key is an identity too: in the run ('run'), or also in the decryption that checks it ('both'). */
  readonly hostKey?: 'run' | 'both';
}

export const ROWS: readonly Row[] = [
  { args: ['-d', 'enc.yaml'], status: 0, stdout: true, want: PLAIN },
  { args: ['--decrypt', 'enc.yaml'], status: 0, stdout: true },
  { args: ['decrypt', 'enc.yaml'], status: 0, stdout: true },
  { args: ['-d', '--extract', '["b"]', 'enc.yaml'], status: 0, stdout: true, want: 'hello' },
  { args: ['--decrypt', '--output-type', 'json', 'enc.yaml'], status: 0, stdout: true },
  { args: ['-d', '--verbose', 'enc.yaml'], status: 0, stdout: true },
  { args: ['-d', '--indent', '2', '--output-type', 'json', 'enc.yaml'], status: 0, stdout: true, want: '{\n  "a": 1,\n  "b": "hello"\n}\n' },
  { args: ['-e', '--indent', '2', 'plain.yaml'], status: 0, encryptedStdout: true, want: PLAIN },
  { args: ['-d', '-i', 'enc.yaml'], status: 0, raw: 'enc.yaml', want: PLAIN },
  { args: ['decrypt', '-i', 'enc.yaml'], status: 0, raw: 'enc.yaml' },
  { args: ['-e', 'plain.yaml'], status: 0, encryptedStdout: true, want: PLAIN },
  { args: ['--encrypt', '--age', '$ADMIN', 'plain.yaml'], status: 0, encryptedStdout: true },
  { args: ['-e', '-a', '$ADMIN,$HOST', 'plain.yaml'], status: 0, encryptedStdout: true },
  { args: ['encrypt', 'plain.yaml'], status: 0, encryptedStdout: true },
  { args: ['-e', 'plain.yaml'], status: 0, encryptedStdout: true, env: { SOPS_AGE_RECIPIENTS: '$ADMIN' } },
  { args: ['-e', 'plain.yaml'], status: 0, encryptedStdout: true, env: { SOPS_AGE_RECIPIENTS: '$ADMIN' }, noConfig: true, want: PLAIN },
  { args: ['-e', 'plain.yaml'], status: 1, noConfig: true, stderr: 'no keys provided' },
  { args: ['new.yaml'], status: 0, decrypts: 'new.yaml', env: { EDITOR: 'WRITER', SOPS_AGE_RECIPIENTS: '$ADMIN' }, noConfig: true, want: 'k: written\n' },
  { args: ['--age', '$ADMIN', 'new.yaml'], status: 0, decrypts: 'new.yaml', env: { EDITOR: 'WRITER' }, noConfig: true, want: 'k: written\n' },
  { args: ['-e', '-i', 'plain.yaml'], status: 0, decrypts: 'plain.yaml' },
  { args: ['-i', '-e', 'plain.yaml'], status: 0, decrypts: 'plain.yaml', want: PLAIN },
  { args: ['--encrypt', '--in-place', 'plain.yaml'], status: 0, decrypts: 'plain.yaml' },
  { args: ['encrypt', '-i', 'plain.yaml'], status: 0, decrypts: 'plain.yaml' },
  { args: ['--set', '["a"] 5', 'enc.yaml'], status: 0, decrypts: 'enc.yaml', want: 'a: 5\nb: hello\n' },
  { args: ['--set', '["c"] {"d": [1, "x"]}', 'enc.yaml'], status: 0, decrypts: 'enc.yaml' },
  { args: ['set', 'enc.yaml', '["a"]', '"five"'], status: 0, decrypts: 'enc.yaml' },
  { args: ['unset', 'enc.yaml', '["b"]'], status: 0, decrypts: 'enc.yaml', want: 'a: 1\n' },
  { args: ['-r', '-i', 'enc.yaml'], status: 0, decrypts: 'enc.yaml' },
  { args: ['--rotate', '--in-place', '--add-age', '$HOST', 'enc.yaml'], status: 0, decrypts: 'enc.yaml' },
  { args: ['rotate', '-i', 'enc.yaml'], status: 0, decrypts: 'enc.yaml' },
  { args: ['updatekeys', '-y', 'enc.yaml'], status: 0, decrypts: 'enc.yaml' },
  { args: ['filestatus', 'enc.yaml'], status: 0, stdout: true },
  { args: ['filestatus', 'plain.yaml'], status: 0, stdout: true },
  { args: ['edit', 'enc.yaml'], status: 200, env: { EDITOR: 'true' } },
  { args: ['enc.yaml'], status: 200, env: { EDITOR: 'true' } },
  // -s: the buffer holds the sops block too, read-only (the writer replaces it all: the block is gone, ignored)
  { args: ['-s', 'enc.yaml'], status: 0, decrypts: 'enc.yaml', env: { EDITOR: 'WRITER' }, want: 'k: written\n', stderr: 'shown read-only' },
  { args: ['edit', '--show-master-keys', 'enc.yaml'], status: 200, env: { EDITOR: 'true' } },
  { args: ['new.yaml'], status: 0, decrypts: 'new.yaml', env: { EDITOR: 'WRITER' }, want: 'k: written\n' },
  { args: ['new.yaml'], status: 0, decrypts: 'new.yaml', env: { EDITOR: 'WRITER', SOPS_AGE_RECIPIENTS: '$ADMIN' } },
  { args: ['exec-env', 'enc.yaml', 'echo "$b"'], status: 0, stdout: true, want: 'hello\n' },
  { args: ['set', 'badmac.yaml', '["a"]', '5'], status: 51, stderr: 'mac mismatch' },
  { args: ['set', '--ignore-mac', 'badmac.yaml', '["a"]', '5'], status: 0, decrypts: 'badmac.yaml', want: 'a: 5\nb: hello\nc_unencrypted: tampered\n' },
  { args: ['--set', '["a"] 5', '--ignore-mac', 'badmac.yaml'], status: 0, decrypts: 'badmac.yaml' },
  { args: ['unset', '--ignore-mac', 'badmac.yaml', '["b"]'], status: 0, decrypts: 'badmac.yaml', want: 'a: 1\nc_unencrypted: tampered\n' },
  { args: ['unset', 'badmac.yaml', '["b"]'], status: 51, stderr: 'mac mismatch' },
  { args: ['decrypt', '--filename-override', 'enc.json', 'json.dat'], status: 0, stdout: true, want: '{\n\t"a": 1,\n\t"b": "hello"\n}\n' },
  { args: ['decrypt', '--filename-override', 'enc.json', '-'], status: 0, stdout: true, stdinFile: 'json.dat', want: '{\n\t"a": 1,\n\t"b": "hello"\n}\n' },
  { args: ['-d', '--filename-override', 'enc.json', 'json.dat'], status: 0, stdout: true },
  // yaml.dat: YAML under a name that says binary (sops' binary store reads JSON), for the admin and the host;
  // updatekeys drops the host (not in .sops.yaml). Without --input-type it fails to parse.
  { args: ['updatekeys', '-y', '--input-type', 'yaml', 'yaml.dat'], status: 0, raw: 'yaml.dat', stdout: true, stderr: 'synced with new keys' },
  { args: ['updatekeys', '-y', '--input-type', 'yaml', 'yaml.dat'], status: 0, decrypts: 'yaml.dat', decryptArgs: ['--input-type', 'yaml'], want: PLAIN },
  { args: ['updatekeys', '-y', 'yaml.dat'], status: 1, stderr: 'could not unmarshal' },
  { args: ['groups', 'add', '--file', 'enc.yaml', '--age', '$HOST', '-i'], status: 0, decrypts: 'enc.yaml', want: PLAIN, hostKey: 'both' },
  { args: ['groups', 'add', '--file', 'enc.yaml', '--shamir-secret-sharing-threshold', '2', '--age', '$HOST'], status: 0, encryptedStdout: true, want: PLAIN, hostKey: 'both' },
  { args: ['groups', 'add', '--file', 'enc.yaml', '--kms', 'arn:aws:kms:us-east-1:656532927350:key/920aff2e'], status: 1, stderr: 'not supported' },
  // sops groups delete refuses to leave fewer groups than the threshold: 2 groups of threshold 2 need
  // a lower threshold to become one.
  { args: ['groups', 'delete', '--file', 'groups.yaml', '--shamir-secret-sharing-threshold', '1', '1', '-i'], status: 0, decrypts: 'groups.yaml', want: PLAIN, hostKey: 'run' },
  { args: ['groups', 'delete', '-f', 'groups.yaml', '--shamir-secret-sharing-threshold', '1', '0'], status: 0, encryptedStdout: true, want: PLAIN, hostKey: 'both' },
  { args: ['groups', 'delete', '--file', 'groups.yaml', '1'], status: 1, stderr: 'Shamir threshold', hostKey: 'run' },
  // sops' exit statuses (cmd/sops/codes): 1 metadata not found, 100 no file, 2 unparsable input,
  // 7 bad --set, 8 conflicting parameters, 201 editor failed.
  { args: ['-d', 'plain.yaml'], status: 1, stderr: 'sops metadata not found' },
  { args: ['-d', 'plain.yaml'], status: 1, stderr: 'sops metadata not found', noKey: true },
  { args: ['-d', 'enc.yaml'], status: 128, noKey: true },
  { args: ['-d', 'missing.yaml'], status: 100 },
  { args: ['updatekeys', '-y', 'missing.yaml'], status: 100, stderr: 'does not exist' },
  { args: ['-e', 'bad.yaml'], status: 2 },
  { args: ['--set', '["a"]', 'enc.yaml'], status: 7 },
  { args: ['-d', '-e', 'enc.yaml'], status: 8 },
  { args: ['enc.yaml'], status: 201, env: { EDITOR: 'false' } },
  { args: ['--kms', 'arn:aws:kms:us-east-1:656532927350:key/920aff2e', '-e', 'plain.yaml'], status: 1, stderr: 'not supported' },
  { args: ['-e', '--gcp-kms', 'projects/p/locations/global/keyRings/r/cryptoKeys/k', 'plain.yaml'], status: 1, stderr: 'not supported' },
];


/** The markers around the generated table in docs/migrating.md. */
export const TABLE_BEGIN = '<!-- sops-compat-table: generated from test/support/sops-compat-rows.ts; do not edit -->';
export const TABLE_END = '<!-- sops-compat-table end -->';

/** An argument as a shell would need it quoted (single quotes unless it is plain). */
function shellWord(arg: string): string {
  return /^[A-Za-z0-9_./,:=$@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** What a row checks, in words. */
function checks(row: Row): string {
  const parts: string[] = [];
  if (row.stdout) parts.push('stdout');
  if (row.encryptedStdout) parts.push('stdout decrypts');
  if (row.decrypts !== undefined) parts.push(`\`${row.decrypts}\` decrypts`);
  if (row.raw !== undefined) parts.push(`\`${row.raw}\` bytes`);
  if (row.want !== undefined) parts.push('to the expected text');
  if (row.stderr) parts.push(`stderr has "${row.stderr}"`);
  return parts.join(', ') || 'status only';
}

/** The conditions of a row's run (environment, missing key or config, stdin). */
function conditions(row: Row): string {
  const parts = Object.entries(row.env ?? {}).map(([k, v]) => `${k}=${v === 'WRITER' ? '(an editor writing k: written)' : v}`);
  if (row.noKey) parts.push('no private key');
  if (row.hostKey) parts.push("the host's SSH key too");
  if (row.noConfig) parts.push('no .sops.yaml');
  if (row.stdinFile !== undefined) parts.push(`stdin: ${row.stdinFile}`);
  return parts.join('; ');
}

/** The markdown table of every row, between its markers. */
export function compatTable(): string {
  const lines = [TABLE_BEGIN, '', '| `sops` command line | with | exit | compared (same for `secrets` and `sops`) |', '|---|---|---|---|'];
  for (const row of ROWS) {
    const cmd = ['sops', ...row.args.map(shellWord)].join(' ').replace(/\|/g, '\\|');
    lines.push(`| \`${cmd}\` | ${conditions(row).replace(/\|/g, '\\|')} | ${row.status} | ${checks(row).replace(/\|/g, '\\|')} |`);
  }
  lines.push('', TABLE_END);
  return lines.join('\n');
}
