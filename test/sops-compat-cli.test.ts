/**
 * sops' own command lines, run through both spellings: `secrets …` and `sops …` (a symlink named `sops`
 * to the CLI's bin, as a user would install it), each in a fresh copy of one small repository. The
 * invocations are those of sops' README and functional tests (legacy `-e/-d/-r/-i/--set` forms,
 * subcommands, `updatekeys`, bare FILE) and each must give sops' result and exit status.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, grammarViolations, REPO_ROOT, runProcess, type CliResult } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const hostPub = readFileSync(join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key.pub'), 'utf8').trim();
const root = mkdtempSync(join(tmpdir(), 'secrets-sops-compat-'));
const sopsBin = join(root, 'bin', 'sops');
const PLAIN = 'a: 1\nb: hello\n';

/** One sops invocation and how its outcome is compared. */
interface Row {
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
}

const ROWS: readonly Row[] = [
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
  { args: ['--encrypt', '--age', admin, 'plain.yaml'], status: 0, encryptedStdout: true },
  { args: ['-e', '-a', `${admin},${hostPub}`, 'plain.yaml'], status: 0, encryptedStdout: true },
  { args: ['encrypt', 'plain.yaml'], status: 0, encryptedStdout: true },
  { args: ['-e', 'plain.yaml'], status: 0, encryptedStdout: true, env: { SOPS_AGE_RECIPIENTS: admin } },
  { args: ['-e', 'plain.yaml'], status: 0, encryptedStdout: true, env: { SOPS_AGE_RECIPIENTS: admin }, noConfig: true, want: PLAIN },
  { args: ['-e', 'plain.yaml'], status: 1, noConfig: true, stderr: 'no keys provided' },
  { args: ['new.yaml'], status: 0, decrypts: 'new.yaml', env: { EDITOR: 'WRITER', SOPS_AGE_RECIPIENTS: admin }, noConfig: true, want: 'k: written\n' },
  { args: ['--age', admin, 'new.yaml'], status: 0, decrypts: 'new.yaml', env: { EDITOR: 'WRITER' }, noConfig: true, want: 'k: written\n' },
  { args: ['-e', '-i', 'plain.yaml'], status: 0, decrypts: 'plain.yaml' },
  { args: ['-i', '-e', 'plain.yaml'], status: 0, decrypts: 'plain.yaml', want: PLAIN },
  { args: ['--encrypt', '--in-place', 'plain.yaml'], status: 0, decrypts: 'plain.yaml' },
  { args: ['encrypt', '-i', 'plain.yaml'], status: 0, decrypts: 'plain.yaml' },
  { args: ['--set', '["a"] 5', 'enc.yaml'], status: 0, decrypts: 'enc.yaml', want: 'a: 5\nb: hello\n' },
  { args: ['--set', '["c"] {"d": [1, "x"]}', 'enc.yaml'], status: 0, decrypts: 'enc.yaml' },
  { args: ['set', 'enc.yaml', '["a"]', '"five"'], status: 0, decrypts: 'enc.yaml' },
  { args: ['unset', 'enc.yaml', '["b"]'], status: 0, decrypts: 'enc.yaml', want: 'a: 1\n' },
  { args: ['-r', '-i', 'enc.yaml'], status: 0, decrypts: 'enc.yaml' },
  { args: ['--rotate', '--in-place', '--add-age', hostPub, 'enc.yaml'], status: 0, decrypts: 'enc.yaml' },
  { args: ['rotate', '-i', 'enc.yaml'], status: 0, decrypts: 'enc.yaml' },
  { args: ['updatekeys', '-y', 'enc.yaml'], status: 0, decrypts: 'enc.yaml' },
  { args: ['filestatus', 'enc.yaml'], status: 0, stdout: true },
  { args: ['filestatus', 'plain.yaml'], status: 0, stdout: true },
  { args: ['edit', 'enc.yaml'], status: 200, env: { EDITOR: 'true' } },
  { args: ['enc.yaml'], status: 200, env: { EDITOR: 'true' } },
  { args: ['new.yaml'], status: 0, decrypts: 'new.yaml', env: { EDITOR: 'WRITER' }, want: 'k: written\n' },
  { args: ['new.yaml'], status: 0, decrypts: 'new.yaml', env: { EDITOR: 'WRITER', SOPS_AGE_RECIPIENTS: admin } },
  { args: ['exec-env', 'enc.yaml', 'echo "$b"'], status: 0, stdout: true, want: 'hello\n' },
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

/** A fresh copy of the repository: .sops.yaml, a plaintext, an encrypted file, an editor script. */
async function freshRepo(withConfig = true): Promise<string> {
  const dir = mkdtempSync(join(root, 'repo-'));
  if (withConfig) writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - age: ${admin}\n`);
  writeFileSync(join(dir, 'plain.yaml'), PLAIN);
  writeFileSync(join(dir, 'bad.yaml'), 'a: [\n');
  copyFileSync(join(root, 'enc.yaml'), join(dir, 'enc.yaml'));
  writeFileSync(join(dir, 'writer.sh'), '#!/bin/sh\nprintf "k: written\\n" > "$1"\n');
  chmodSync(join(dir, 'writer.sh'), 0o755);
  return dir;
}

/** What a run did, in a form both spellings must agree on. */
async function outcome(row: Row, bin: string | undefined): Promise<Record<string, unknown>> {
  const cwd = await freshRepo(row.noConfig !== true);
  const envRow = Object.fromEntries(Object.entries(row.env ?? {}).map(([k, v]) => [k, v === 'WRITER' ? join(cwd, 'writer.sh') : v]));
  const env = { ...(row.noKey === true ? {} : { SOPS_AGE_KEY_FILE: adminKey }), ...envRow };
  const r: CliResult = await runProcess(row.args, { cwd, env, ...(bin ? { bin } : {}) });
  const decrypt = async (file: string): Promise<string> => (await runProcess(['decrypt', file], { cwd, env: { SOPS_AGE_KEY_FILE: adminKey } })).stdout;
  // Notes ("secrets: file has not changed") are not errors: the grammar is checked on failures.
  const out: Record<string, unknown> = { status: r.status, grammar: r.status === 0 || r.status === 200 ? [] : grammarViolations(r.stderr) };
  if (row.stderr !== undefined) out['stderrHas'] = r.stderr.includes(row.stderr);
  if (row.stdout) out['stdout'] = r.stdout;
  if (row.encryptedStdout) {
    writeFileSync(join(cwd, 'out.yaml'), r.stdout);
    out['stdoutDecrypts'] = await decrypt('out.yaml');
  }
  if (row.decrypts !== undefined) out['decrypts'] = await decrypt(row.decrypts);
  if (row.raw !== undefined) out['raw'] = readFileSync(join(cwd, row.raw), 'utf8');
  return out;
}

beforeAll(async () => {
  mkdirSync(join(root, 'bin'));
  symlinkSync(CLI_BIN, sopsBin);
  writeFileSync(join(root, 'plain.yaml'), PLAIN);
  const enc = await runProcess(['encrypt', '--age', admin, join(root, 'plain.yaml')]);
  expect(enc.status).toBe(0);
  writeFileSync(join(root, 'enc.yaml'), enc.stdout);
});

describe('sops command lines, as `secrets` and as `sops`', () => {
  it.each(ROWS.map((row) => [row.args.join(' ') + (row.env ? ` (${Object.keys(row.env).join(', ')})` : '') + (row.noKey ? ' (no key)' : '') + (row.noConfig ? ' (no .sops.yaml)' : ''), row] as const))('%s', async (_name, row) => {
    const asSecrets = await outcome(row, undefined);
    const asSops = await outcome(row, sopsBin);
    expect(asSecrets['status']).toBe(row.status);
    expect(asSecrets['grammar']).toEqual([]);
    if (row.stderr !== undefined) expect(asSecrets['stderrHas']).toBe(true);
    if (row.status === 0 && (row.decrypts !== undefined || row.encryptedStdout)) expect(asSecrets['decrypts'] ?? asSecrets['stdoutDecrypts']).not.toBe('');
    if (row.want !== undefined) expect(asSecrets['stdout'] ?? asSecrets['decrypts'] ?? asSecrets['stdoutDecrypts'] ?? asSecrets['raw']).toBe(row.want);
    expect(asSops).toEqual(asSecrets);
  });

  it('as `sops`, a bare missing name without a dot is a file to create (as sops); as `secrets`, an unknown command with a hint', async () => {
    const cwd = await freshRepo();
    const env = { SOPS_AGE_KEY_FILE: adminKey, EDITOR: join(cwd, 'writer.sh') };
    const asSops = await runProcess(['newsecret'], { cwd, env, bin: sopsBin });
    expect(asSops.status).toBe(0);
    const asSecrets = await runProcess(['decrpyt', 'enc.yaml'], { cwd, env });
    expect(asSecrets.status).toBe(1);
    expect(asSecrets.stderr).toContain("secrets: error: unknown command 'decrpyt'");
    expect(asSecrets.stderr).toContain('secrets: hint: did you mean decrypt?');
  });
});
