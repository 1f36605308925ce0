// @needs-shared vectors: the sops-nix test key opens the files it writes.
/**
 * Writes are durable, seen from the system calls (strace, when installed): each temp file is fsynced
 * before it is renamed over its target, the lock is taken with O_EXCL, and the directory is fsynced after
 * the rename, so a write reported done survives a crash. Runs the real CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI_BIN, SHARED } from './support/cli.js';
import { peerSkipReason } from './support/peers.js';

/** Why the suite is skipped (no strace), or null; under CI a missing strace fails. */
const noStrace = peerSkipReason(['strace'], 'strace');
if (noStrace !== null) it.skip(noStrace, () => undefined);
const KEY = join(SHARED, 'vectors/sops-nix/age-keys.txt');
const ADMIN = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';
const HOST = 'age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk';

/** The CLI under strace; returns the calls that matter, with fds decorated by their paths (-y). */
function traced(args: string[], cwd: string): string[] {
  const log = join(cwd, '..', 'strace.log');
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cwd, SOPS_AGE_KEY_FILE: KEY };
  execFileSync('strace', ['-f', '-y', '-qq', '-o', log, '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2,openat', process.execPath, CLI_BIN, ...args], { cwd, env, stdio: 'pipe' });
  return readFileSync(log, 'utf8').split('\n');
}

describe.skipIf(noStrace !== null)('durable writes (strace)', () => {
  it('rekey: temp fsynced before rename, lock with O_EXCL, directory fsynced after the rename', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'secrets-durable-'));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const repo = join(scratch, 'repo');
    mkdirSync(join(repo, 'secrets'), { recursive: true });
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: repo, SOPS_AGE_KEY_FILE: KEY };
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${ADMIN}\n`);
    for (const name of ['a', 'b']) {
      writeFileSync(join(repo, 'secrets', `${name}.yaml`), `k: ${name}\n`);
      execFileSync(process.execPath, [CLI_BIN, 'encrypt', '-i', `secrets/${name}.yaml`], { cwd: repo, env });
    }
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${ADMIN},${HOST}\n`);
    const calls = traced(['rekey', '-y'], repo);
    const dir = join(repo, 'secrets');
    for (const name of ['a.yaml', 'b.yaml']) {
      const target = join(dir, name);
      const rename = calls.findIndex((c) => /rename/.test(c) && c.includes(`"${target}"`));
      expect(rename, `no rename onto ${name}`).toBeGreaterThan(-1);
      const temp = /rename\w*\((?:[A-Z_]+(?:<[^>]*>)?, |\d+<[^>]*>, )?"([^"]+)"/.exec(calls[rename] as string)?.[1] as string;
      expect(calls.slice(0, rename).some((c) => /f(data)?sync\(\d+</.test(c) && c.includes(`<${temp}>`)), `${temp} fsynced before the rename`).toBe(true);
      expect(calls.slice(0, rename).some((c) => c.includes('O_EXCL') && c.includes(`"${join(dir, `.${name}.secrets-lock`)}"`)), `${name}: lock taken with O_EXCL`).toBe(true);
      expect(calls.slice(rename).some((c) => /f(data)?sync\(\d+</.test(c) && c.includes(`<${dir}>`)), `${dir} fsynced after the rename`).toBe(true);
    }
  });
});
