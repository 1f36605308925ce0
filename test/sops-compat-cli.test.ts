/**
 * sops' own command lines, run through both spellings: `secrets …` and `sops …` (a symlink named `sops`
 * to the CLI's bin, as a user would install it), each in a fresh copy of one small repository. The
 * invocations are those of sops' README and functional tests (legacy `-e/-d/-r/-i/--set` forms,
 * subcommands, `updatekeys`, bare FILE) and each must give sops' result and exit status.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, grammarViolations, REPO_ROOT, runProcess, type CliResult } from './support/cli.js';
import { compatTable, PLAIN, ROWS, TABLE_BEGIN, TABLE_END, type Row } from './support/sops-compat-rows.js';
import { SUMMARY, SUMMARY_BEGIN, SUMMARY_END, summaryTable } from './support/migrating-summary.js';

/** `$ADMIN` and `$HOST` in a row's text, as the keys they stand for. */
const expand = (text: string): string => text.replace(/\$ADMIN/g, admin).replace(/\$HOST/g, hostPub).replace(/\$FP/g, hostFingerprint);

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const hostPub = readFileSync(join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key.pub'), 'utf8').trim();
/** OpenSSH's fingerprint of the host key: SHA256 over the key blob, unpadded base64. */
const hostFingerprint = `SHA256:${createHash('sha256').update(Buffer.from(hostPub.split(' ')[1] as string, 'base64')).digest('base64').replace(/=+$/, '')}`;
const HOST_AGE = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl'; // ssh-to-age of hostPub
const root = mkdtempSync(join(tmpdir(), 'secrets-sops-compat-'));
const sopsBin = join(root, 'bin', 'sops');
const hostKey = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key');
const migrating = join(REPO_ROOT, 'docs/migrating.md');

/** A fresh copy of the repository: .sops.yaml, a plaintext, an encrypted file, an editor script. */
async function freshRepo(withConfig = true): Promise<string> {
  const dir = mkdtempSync(join(root, 'repo-'));
  if (withConfig) writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - age: ${admin}\n`);
  writeFileSync(join(dir, 'plain.yaml'), PLAIN);
  writeFileSync(join(dir, 'bad.yaml'), 'a: [\n');
  for (const name of ['enc.yaml', 'badmac.yaml', 'json.dat', 'yaml.dat', 'groups.yaml', 'hostonly.yaml']) copyFileSync(join(root, name), join(dir, name));
  writeFileSync(join(dir, 'writer.sh'), '#!/bin/sh\nprintf "k: written\\n" > "$1"\n');
  chmodSync(join(dir, 'writer.sh'), 0o755);
  writeFileSync(join(dir, 'host.pub'), `${hostPub}\n`);
  // an ssh-keyscan that answers with the host's key (PATH=SCANNER)
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'ssh-keyscan'), `#!/bin/sh\necho "batchn ${hostPub}"\n`, { mode: 0o755 });
  return dir;
}

/** What a run did, in a form both spellings must agree on. */
async function outcome(row: Row, bin: string | undefined): Promise<Record<string, unknown>> {
  const cwd = await freshRepo(row.noConfig !== true);
  const stand = (v: string): string => (v === 'WRITER' ? join(cwd, 'writer.sh') : v === 'SCANNER' ? `${join(cwd, 'bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}` : expand(v));
  const envRow = Object.fromEntries(Object.entries(row.env ?? {}).map(([k, v]) => [k, stand(v)]));
  const hostEnv = { SOPS_AGE_SSH_PRIVATE_KEY_FILE: hostKey };
  const env = { ...(row.noKey === true ? {} : { SOPS_AGE_KEY_FILE: adminKey }), ...(row.hostKey ? hostEnv : {}), ...envRow };
  const stdin = row.stdinFile === undefined ? {} : { stdin: readFileSync(join(cwd, row.stdinFile)) };
  const r: CliResult = await runProcess(row.args.map(expand), { cwd, env, ...stdin, ...(bin ? { bin } : {}) });
  const decryptEnv = { SOPS_AGE_KEY_FILE: adminKey, ...(row.hostKey === 'both' ? hostEnv : {}) };
  const decrypt = async (file: string): Promise<string> => (await runProcess(['decrypt', ...(row.decryptArgs ?? []), file], { cwd, env: decryptEnv })).stdout;
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
  // A MAC that does not verify: an unencrypted value (in the MAC, as sops) changed after encryption.
  writeFileSync(join(root, 'tampered.yaml'), `${PLAIN}c_unencrypted: x\n`);
  const tampered = await runProcess(['encrypt', '--age', admin, join(root, 'tampered.yaml')]);
  expect(tampered.status).toBe(0);
  writeFileSync(join(root, 'badmac.yaml'), tampered.stdout.replace('c_unencrypted: x\n', 'c_unencrypted: tampered\n'));
  const yaml = await runProcess(['encrypt', '--age', `${admin},${hostPub}`, join(root, 'plain.yaml')]);
  expect(yaml.status).toBe(0);
  writeFileSync(join(root, 'yaml.dat'), yaml.stdout);
  // A JSON file under a name that does not say so (decrypt --filename-override).
  const json = await runProcess(['encrypt', '--output-type', 'json', '--age', `${admin},${hostPub}`, join(root, 'plain.yaml')]);
  expect(json.status).toBe(0);
  writeFileSync(join(root, 'json.dat'), json.stdout);
  // Two key groups, admin and host, threshold 2.
  const groups = await runProcess(['groups', 'add', '--file', join(root, 'enc.yaml'), '--age', hostPub], { env: { SOPS_AGE_KEY_FILE: adminKey } });
  expect(groups.status).toBe(0);
  writeFileSync(join(root, 'groups.yaml'), groups.stdout);
  // For the host's ssh-to-age recipient only: its SSH key opens it (no keys.txt conversion needed).
  const hostOnly = await runProcess(['encrypt', '--age', HOST_AGE, join(root, 'plain.yaml')]);
  expect(hostOnly.status).toBe(0);
  writeFileSync(join(root, 'hostonly.yaml'), hostOnly.stdout);
});

/** Runs a row through both spellings and checks what it claims. */
async function check(row: Row): Promise<void> {
  const asSecrets = await outcome(row, undefined);
  const asSops = await outcome(row, sopsBin);
  expect(asSecrets['status']).toBe(row.status);
  expect(asSecrets['grammar']).toEqual([]);
  if (row.stderr !== undefined) expect(asSecrets['stderrHas']).toBe(true);
  if (row.status === 0 && (row.decrypts !== undefined || row.encryptedStdout)) expect(asSecrets['decrypts'] ?? asSecrets['stdoutDecrypts']).not.toBe('');
  if (row.want !== undefined) expect(asSecrets['stdout'] ?? asSecrets['decrypts'] ?? asSecrets['stdoutDecrypts'] ?? asSecrets['raw']).toBe(expand(row.want));
  expect(asSops).toEqual(asSecrets);
}

/** A row's name in the test list. */
const rowName = (row: Row): string => row.args.join(' ') + (row.env ? ` (${Object.keys(row.env).join(', ')})` : '') + (row.noKey ? ' (no key)' : '') + (row.noConfig ? ' (no .sops.yaml)' : '');

/** The summary's checks that the compatibility rows do not run already. */
const SUMMARY_ONLY: Row[] = [];
for (const row of SUMMARY.flatMap((r) => r.checks)) {
  const key = JSON.stringify(row);
  if (!ROWS.some((r) => JSON.stringify(r) === key) && !SUMMARY_ONLY.some((r) => JSON.stringify(r) === key)) SUMMARY_ONLY.push(row);
}

/** Replaces the generated part between `begin` and `end` of docs/migrating.md (UPDATE_DOCS=1) or checks it. */
function generated(begin: string, end: string, table: string): void {
  const doc = readFileSync(migrating, 'utf8');
  const at = doc.indexOf(begin);
  const to = doc.indexOf(end);
  expect(at).toBeGreaterThanOrEqual(0);
  expect(to).toBeGreaterThan(at);
  const next = doc.slice(0, at) + table + doc.slice(to + end.length);
  if (process.env['UPDATE_DOCS']) writeFileSync(migrating, next);
  expect(readFileSync(migrating, 'utf8')).toBe(next);
}

describe('sops command lines, as `secrets` and as `sops`', () => {
  it.each(ROWS.map((row) => [rowName(row), row] as const))('%s', async (_name, row) => check(row));

  it.each(SUMMARY_ONLY.map((row) => [rowName(row), row] as const))('summary: %s', async (_name, row) => check(row));

  it('docs/migrating.md shows exactly these rows, and the summary exactly its checked claims', () => {
    generated(TABLE_BEGIN, TABLE_END, compatTable());
    generated(SUMMARY_BEGIN, SUMMARY_END, summaryTable());
  });

  it('groups add and delete keep values, mac and lastmodified byte for byte (sops: only the key groups change)', async () => {
    const cwd = await freshRepo();
    const env = { SOPS_AGE_KEY_FILE: adminKey, SOPS_AGE_SSH_PRIVATE_KEY_FILE: hostKey };
    const kept = (text: string): string[] => text.split('\n').filter((l) => /^(a|b):|^\s+(mac|lastmodified):/.test(l));
    const before = readFileSync(join(cwd, 'enc.yaml'), 'utf8');
    expect((await runProcess(['groups', 'add', '--file', 'enc.yaml', '--age', hostPub, '-i'], { cwd, env, bin: sopsBin })).status).toBe(0);
    const added = readFileSync(join(cwd, 'enc.yaml'), 'utf8');
    expect(added).toContain('key_groups:');
    expect(kept(added)).toEqual(kept(before));
    expect(kept(before)).toHaveLength(4);
    expect((await runProcess(['groups', 'delete', '--file', 'enc.yaml', '--shamir-secret-sharing-threshold', '1', '1', '-i'], { cwd, env })).status).toBe(0);
    const deleted = readFileSync(join(cwd, 'enc.yaml'), 'utf8');
    expect(deleted).not.toContain('key_groups:');
    expect(deleted).not.toContain('ssh-ed25519');
    expect(kept(deleted)).toEqual(kept(before));
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
