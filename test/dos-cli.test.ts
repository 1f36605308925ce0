/**
 * Denial of service from a hostile repository, through the real CLI: regexes from `.sops.yaml` and from a
 * sops file's metadata run in linear time; links to devices and FIFOs, where a file or a lock is expected,
 * are refused instead of read forever. No timing is asserted: each input below takes a backtracking
 * engine longer than any test timeout (2^250 steps and more), and reading /dev/zero or opening a FIFO
 * without a writer never ends, so the old behaviour shows as a timed-out test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const adminRecipient = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];

function repo(sopsYaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-dos-'));
  writeFileSync(join(dir, '.sops.yaml'), sopsYaml);
  return dir;
}

describe('ReDoS: repository regexes run in linear time', () => {
  it('secrets check: path_regex ^secrets/(a+)+$ against secrets/aaa…a! (250 a, the longest file name)', async () => {
    const dir = repo(`creation_rules:\n  - path_regex: ^secrets/(a+)+$\n    age: ${adminRecipient}\n`);
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', `${'a'.repeat(250)}!`), 'not: matched\n');
    writeFileSync(join(dir, 'secrets', 'aaaa'), 'plain: text\n'); // matched: a finding, so the rule is live
    const result = await runProcess(['check', '--json'], { cwd: dir });
    const report = JSON.parse(result.stdout) as { findings: { file: string; kind: string }[] };
    expect(report.findings.map((f) => f.file)).toEqual(['secrets/aaaa']);
    expect(result.status).toBe(1);
  });

  it('decrypt and textconv: a file whose own encrypted_regex is ^(a+)+$, with a 5000-character key', async () => {
    const dir = repo(`creation_rules:\n  - path_regex: \\.json$\n    encrypted_regex: ^(a+)+$\n    age: ${adminRecipient}\n`);
    const long = `${'a'.repeat(5000)}!`;
    const file = join(dir, 'app.json');
    writeFileSync(file, JSON.stringify({ [long]: 'stays plain', aaa: 'secret' }));
    const encrypted = await runProcess(['encrypt', '-i', 'app.json'], { cwd: dir });
    expect(encrypted.status).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('"encrypted_regex": "^(a+)+$"');
    expect(text).toContain('"stays plain"'); // the long key did not match: its value is not encrypted
    expect(text).not.toContain('"secret"');
    const env = { SOPS_AGE_KEY_FILE: adminKey };
    for (const command of [['decrypt', 'app.json'], ['textconv', 'app.json']]) {
      const result = await runProcess(command, { cwd: dir, env });
      expect(result.status).toBe(0);
      // textconv: the plaintext, then its block about the keys (not part of the file).
      expect(JSON.parse(result.stdout.split('# ---- secrets textconv')[0] as string)).toEqual({ [long]: 'stays plain', aaa: 'secret' });
    }
  });
});

function mkfifo(path: string): void {
  expect(spawnSync('mkfifo', [path]).status).toBe(0);
}

/** A repository with one encrypted file, `app.yaml`, its creation rule, and the admin key to open it. */
async function encryptedRepo(): Promise<string> {
  const dir = repo(`creation_rules:\n  - path_regex: \\.yaml$\n    age: ${adminRecipient}\n`);
  writeFileSync(join(dir, 'app.yaml'), 'db: hunter2\n');
  expect((await runProcess(['encrypt', '-i', 'app.yaml'], { cwd: dir })).status).toBe(0);
  return dir;
}

const env = { SOPS_AGE_KEY_FILE: adminKey };

describe('files from a repository: regular files only, read with a cap', () => {
  it('secrets check FILE on a link to /dev/zero or to a FIFO: a finding, exit 1', async () => {
    const dir = await encryptedRepo();
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
    mkfifo(join(dir, 'pipe.yaml'));
    const result = await runProcess(['check', '--json', 'app.yaml', 'zero.yaml', 'pipe.yaml'], { cwd: dir });
    const report = JSON.parse(result.stdout) as { findings: { file: string; kind: string; message: string }[] };
    expect(report.findings).toEqual([
      { file: 'zero.yaml', kind: 'symlink', message: 'a symbolic link to "/dev/zero" where a secret belongs: check does not follow links; commit the file itself' },
      { file: 'pipe.yaml', kind: 'not-regular', message: 'not a regular file (a FIFO, socket or device)' },
    ]);
    expect(result.status).toBe(1);
  });

  it('decrypt, textconv, set and edit refuse a FIFO and a link to /dev/zero (exit 2), naming it', async () => {
    const dir = await encryptedRepo();
    mkfifo(join(dir, 'pipe.yaml'));
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
    for (const file of ['pipe.yaml', 'zero.yaml']) {
      for (const command of [['decrypt', file], ['textconv', file], ['set', file, '["a"]', '"b"'], ['edit', '--editor', '-', file], ['filestatus', file]]) {
        const result = await runProcess(command, { cwd: dir, env, stdin: 'a: b\n' });
        expect(result.stderr).toMatch(new RegExp(`^secrets: error: "${file}" is a (FIFO|character device), not a regular file\n`));
        expect(result.stderr).toContain('secrets: hint: ');
        expect(result.status).toBe(2);
      }
    }
  });

  it('a .sops.yaml or secrets.nix that is a link to /dev/zero is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-dos-'));
    symlinkSync('/dev/zero', join(dir, '.sops.yaml'));
    writeFileSync(join(dir, 'app.yaml'), 'a: b\n');
    const sops = await runProcess(['encrypt', '--age', adminRecipient, 'app.yaml'], { cwd: dir });
    expect(sops.stderr).toContain('is a character device, not a regular file');
    expect(sops.status).not.toBe(0);
    const agenix = mkdtempSync(join(tmpdir(), 'secrets-dos-'));
    symlinkSync('/dev/zero', join(agenix, 'secrets.nix'));
    // Named as the rules (a secrets.nix found by looking up needs .age files beside it to count as rules).
    const rekey = await runProcess(['agenix', 'rekey', '--rules', 'secrets.nix'], { cwd: agenix, env });
    expect(rekey.stderr).toContain('is a character device, not a regular file');
    expect(rekey.status).not.toBe(0);
  });

  it('git-setup refuses a .gitattributes that is a link to /dev/zero (and does not replace it)', async () => {
    const dir = await encryptedRepo();
    expect(spawnSync('git', ['init', '-q'], { cwd: dir }).status).toBe(0);
    expect(spawnSync('git', ['add', 'app.yaml'], { cwd: dir }).status).toBe(0);
    symlinkSync('/dev/zero', join(dir, '.gitattributes'));
    const result = await runProcess(['git-setup'], { cwd: dir });
    expect(result.stderr).toMatch(/^secrets: error: ".*\/\.gitattributes" is a character device, not a regular file\n/);
    expect(result.status).toBe(2);
    expect(lstatSync(join(dir, '.gitattributes')).isSymbolicLink()).toBe(true);
  });

  it('what the user names for themselves may still be a pipe: SOPS_AGE_KEY_FILE and --identity as a FIFO', async () => {
    const dir = await encryptedRepo();
    const pipe = join(dir, 'key-pipe');
    mkfifo(pipe);
    /** Writes the key into the FIFO once a reader opens it; resolves when the writer is done. */
    const feed = (): Promise<unknown> => new Promise((done) => spawn('sh', ['-c', `cat '${adminKey}' > '${pipe}'`], { stdio: 'ignore' }).on('close', done));
    let fed = feed();
    const result = await runProcess(['decrypt', 'app.yaml'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: pipe } });
    expect(result.stdout).toBe('db: hunter2\n');
    await fed;
    fed = feed();
    const opened = await runProcess(['decrypt', '--identity', pipe, 'app.yaml'], { cwd: dir });
    expect(opened.stdout).toBe('db: hunter2\n');
    await fed;
  });
});

describe('lock files are never followed', () => {
  it('a committed .NAME.secrets-lock that is a link to /dev/zero, a FIFO, or not a pid: a clean refusal, the file unchanged', async () => {
    const dir = await encryptedRepo();
    const before = readFileSync(join(dir, 'app.yaml'));
    const lock = join(dir, '.app.yaml.secrets-lock');
    const plant = [
      ['a symbolic link', () => symlinkSync('/dev/zero', lock)],
      ['a FIFO', () => mkfifo(lock)],
      ['it does not hold a process id', () => writeFileSync(lock, 'hello\n')],
      [`larger than 32 bytes`, () => writeFileSync(lock, '1'.repeat(4096))],
    ] as const;
    for (const [what, make] of plant) {
      make();
      const result = await runProcess(['set', 'app.yaml', '["db"]', '"new"'], { cwd: dir, env });
      expect(result.stderr).toMatch(new RegExp(`^secrets: error: ".*\\.app\\.yaml\\.secrets-lock" is not a lock secrets wrote: ${what}\n`));
      expect(result.status).toBe(3);
      expect(readFileSync(join(dir, 'app.yaml'))).toEqual(before);
      expect(existsSync(lock)).toBe(true); // someone else's: left alone
      spawnSync('rm', ['-f', lock]);
    }
    // No temp file left behind.
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await runProcess(['set', 'app.yaml', '["db"]', '"new"'], { cwd: dir, env })).status).toBe(0);
  });
});

describe('secrets.lock under parallel writers', () => {
  it('parallel agenix edit of different files: every file ends up in secrets.lock, with its own digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-dos-'));
    const names = Array.from({ length: 6 }, (_, i) => `s${i}.age`);
    writeFileSync(join(dir, 'secrets.nix'), `let admin = "${adminRecipient}"; in {\n${names.map((n) => `  "${n}".publicKeys = [ admin ];\n`).join('')}}\n`);
    for (let round = 0; round < 3; round++) {
      const runs = names.map((n) => runProcess(['agenix', 'edit', '--editor', '-', n], { cwd: dir, env, stdin: `value ${round} of ${n}\n` }));
      for (const r of await Promise.all(runs)) expect([r.status, r.stderr.replace(/^secrets: wrote secrets\.lock .*\n/, '')]).toEqual([0, '']);
      const lock = JSON.parse(readFileSync(join(dir, 'secrets.lock'), 'utf8')) as { files: Record<string, { sha256: string }> };
      expect(Object.keys(lock.files).sort()).toEqual(names);
      for (const n of names) expect(lock.files[n]?.sha256).toBe(createHash('sha256').update(readFileSync(join(dir, n))).digest('hex'));
    }
  });
});
