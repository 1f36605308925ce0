/**
 * Crash safety with real processes: SIGKILL at spread-out moments during rekey, rotate, set and edit of
 * many files leaves each file whole (the old bytes, or a complete new file that opens with its MAC), never
 * plaintext outside the private tmpfs dir, and nothing a later run trips over (stale locks are taken over,
 * orphaned private dirs swept). Concurrent writers of one file: every change survives.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI_BIN, REPO_ROOT, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const extra = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl';
const CANARY = 'crash!canary!';
const FILES = 16;
// Spread over the whole run (start-up, reading, encrypting, renaming): fixed, so a failure reproduces.
const DELAYS_MS = [60, 220, 400, 620, 900];

/** Starts the CLI and SIGKILLs it after `ms` (if it is still running); resolves with its exit signal. */
function killAfter(args: readonly string[], cwd: string, env: Record<string, string>, ms: number): Promise<string | number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/nonexistent-home', ...env }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? code);
    });
  });
}

/** Every file under `dir` (temp files and locks included) that contains the canary in plaintext. */
function plaintextLeaks(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => {
    const p = join(dir, f);
    return statSync(p).isFile() && readFileSync(p).includes(CANARY);
  });
}

async function makeRepo(): Promise<{ repo: string; tmp: string; names: string[] }> {
  const repo = mkdtempSync(join(tmpdir(), 'secrets-crash-'));
  const tmp = join(repo, '.tmp');
  mkdirSync(tmp);
  writeFileSync(join(repo, '.sops.yaml'), `keys:\n  - &admin ${admin}\ncreation_rules:\n  - path_regex: s/.*\\.yaml$\n    key_groups:\n      - age:\n          - *admin\n`);
  mkdirSync(join(repo, 's'));
  writeFileSync(join(repo, 's/0.yaml'), `token: "${CANARY}0"\nlist:\n  - "${CANARY}a"\n  - 2\n`);
  const enc = await runProcess(['encrypt', '-i', 's/0.yaml'], { cwd: repo, env: { SOPS_AGE_KEY_FILE: adminKey } });
  expect(enc.status).toBe(0);
  const names = Array.from({ length: FILES }, (_, i) => `s/${i}.yaml`);
  for (const n of names.slice(1)) cpSync(join(repo, 's/0.yaml'), join(repo, n));
  return { repo, tmp, names };
}

/** Each file opens with its MAC and holds one of the allowed `token` values. */
async function assertWhole(repo: string, names: readonly string[], allowed: readonly string[]): Promise<void> {
  for (const n of names) {
    const r = await runProcess(['decrypt', '--extract', '["token"]', n], { cwd: repo, env: { SOPS_AGE_KEY_FILE: adminKey } });
    expect([n, r.status, r.stderr]).toEqual([n, 0, '']);
    expect(allowed).toContain(r.stdout);
  }
}

describe('crash safety', () => {
  it('SIGKILL during rekey and rotate of many files: every file stays whole and opens; the rerun finishes the job', async () => {
    const { repo, tmp, names } = await makeRepo();
    const env = { SOPS_AGE_KEY_FILE: adminKey, TMPDIR: tmp };
    writeFileSync(join(repo, '.sops.yaml'), readFileSync(join(repo, '.sops.yaml'), 'utf8').replace('          - *admin\n', `          - *admin\n          - ${extra}\n`));
    for (const ms of DELAYS_MS) {
      await killAfter(['rekey', '-y'], repo, env, ms);
      await killAfter(['rotate', '-i', names[ms % FILES] as string], repo, env, ms);
    }
    await assertWhole(repo, names, [`${CANARY}0`]);
    expect(plaintextLeaks(repo)).toEqual([]);
    // a full run after the kills: stale locks are taken over, every file gets the new recipient
    const done = await runProcess(['rekey', '-y'], { cwd: repo, env });
    expect(done.status).toBe(0);
    for (const n of names) expect(readFileSync(join(repo, n), 'utf8')).toContain(extra);
    // A kill between a rename and the unlock leaves a lock on a file that is already up to date, which
    // the full run then has no reason to write: such a lock names a dead process, and the next writer of
    // that file takes it over.
    for (const lock of readdirSync(join(repo, 's')).filter((f) => f.endsWith('.secrets-lock'))) {
      const pid = Number(readFileSync(join(repo, 's', lock), 'utf8').trim());
      expect(() => process.kill(pid, 0), `${lock} names a live process`).toThrow();
      const file = `s/${lock.slice(1, -'.secrets-lock'.length)}`;
      expect((await runProcess(['set', file, '["token"]', '"after!"'], { cwd: repo, env })).status).toBe(0);
      expect(existsSync(join(repo, 's', lock))).toBe(false);
    }
  });

  it('SIGKILL during set: each file holds the old or the new value, and no temp file holds plaintext', async () => {
    const { repo, tmp, names } = await makeRepo();
    const env = { SOPS_AGE_KEY_FILE: adminKey, TMPDIR: tmp };
    for (const [i, ms] of DELAYS_MS.entries()) {
      await Promise.all(names.slice(0, 6).map((n) => killAfter(['set', n, '["token"]', JSON.stringify(`${CANARY}${i + 1}`)], repo, env, ms)));
    }
    await assertWhole(repo, names, DELAYS_MS.map((_, i) => `${CANARY}${i}`).concat(`${CANARY}${DELAYS_MS.length}`));
    expect(plaintextLeaks(repo)).toEqual([]);
    // a later set on a file whose writer was killed holding the lock still goes through
    expect((await runProcess(['set', names[0] as string, '["token"]', '"after!"'], { cwd: repo, env })).status).toBe(0);
  });

  it('SIGKILL during edit: the plaintext never leaves the private tmpfs dir, and the next session sweeps it', async () => {
    const { repo, names } = await makeRepo();
    const shm = mkdtempSync(join('/dev/shm', 'secrets-crash-test-'));
    onTestFinished(() => rmSync(shm, { recursive: true, force: true }));
    const editor = join(repo, 'slow-editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsleep 5\n', { mode: 0o755 });
    const env = { SOPS_AGE_KEY_FILE: adminKey, EDITOR: editor, SECRETS_TMPDIR: shm };
    await killAfter(['edit', names[0] as string], repo, env, 1500);
    const orphans = readdirSync(shm);
    expect(orphans).toHaveLength(1); // the killed session's private dir, plaintext inside, on tmpfs only
    expect(plaintextLeaks(repo)).toEqual([]);
    await assertWhole(repo, names.slice(0, 1), [`${CANARY}0`]);
    // the next session removes the orphan (its process is gone) before it starts its own
    writeFileSync(editor, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const next = await runProcess(['edit', names[0] as string], { cwd: repo, env });
    expect(next.status).toBe(200); // unchanged, as sops
    expect(existsSync(join(shm, orphans[0] as string))).toBe(false);
    expect(readdirSync(shm)).toEqual([]);
  });

  it('concurrent writers of one file: every set lands, none is lost', async () => {
    const { repo, names } = await makeRepo();
    const env = { SOPS_AGE_KEY_FILE: adminKey };
    const file = names[0] as string;
    const writers = Array.from({ length: 6 }, (_, i) => runProcess(['set', file, `["w${i}"]`, JSON.stringify(`v${i}!`)], { cwd: repo, env }));
    const results = await Promise.all(writers);
    expect(results.map((r) => [r.status, r.stderr])).toEqual(results.map(() => [0, '']));
    const plain = (await runProcess(['decrypt', '--output-type', 'json', file], { cwd: repo, env })).stdout;
    const tree = JSON.parse(plain) as Record<string, unknown>;
    for (let i = 0; i < 6; i++) expect(tree[`w${i}`]).toBe(`v${i}!`);
    expect(tree['token']).toBe(`${CANARY}0`);
  });
});
