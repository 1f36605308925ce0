// @needs-shared vectors: the sops-nix test key opens the stream it decrypts.
/**
 * `secrets age decrypt` streams: a file larger than the 64 MiB input limit, written by Debian's `age`,
 * decrypts to the same bytes (stdout and -o) in bounded memory; a truncated one fails and leaves no -o
 * file behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI_BIN, SHARED } from './support/cli.js';
import { peerSkipReason } from './support/peers.js';

const KEY = join(SHARED, 'vectors/sops-nix/age-keys.txt');
const RECIPIENT = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';
/** Why the suite is skipped (no Debian age), or null; under CI a missing age fails. */
const noAge = peerSkipReason(['age'], 'age');
if (noAge !== null) it.skip(noAge, () => undefined);

describe.skipIf(noAge !== null)('age decrypt streams', () => {
  it('70 MB from age: same bytes to stdout and to -o; truncated: an error and no output file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-stream-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const plain = join(dir, 'plain');
    const file = join(dir, 'big.age');
    // 70 MB: over the 64 MiB limit of whole reads
    execFileSync('bash', ['-c', `head -c 70000000 /dev/urandom > ${plain}`]);
    execFileSync('age', ['-e', '-r', RECIPIENT, '-o', file, plain]);
    const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    const want = digest(readFileSync(plain));
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir };
    const out = spawnSync(process.execPath, [CLI_BIN, 'age', 'decrypt', '-i', KEY, file], { env, maxBuffer: 1 << 28 });
    expect(String(out.stderr)).toBe('');
    expect(digest(out.stdout)).toBe(want);
    const target = join(dir, 'out');
    execFileSync(process.execPath, [CLI_BIN, 'age', 'decrypt', '-i', KEY, '-o', target, file], { env });
    expect(digest(readFileSync(target))).toBe(want);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    rmSync(target);
    // Memory stays bounded by a few chunks (dead chunks are collected as the stream goes): peak RSS grows
    // by far less than the file over decrypting a tiny file (86 MiB for 100 MB before; ~6 MiB now).
    if (existsSync('/usr/bin/time')) {
      const small = join(dir, 'small.age');
      execFileSync('age', ['-e', '-r', RECIPIENT, '-o', small], { input: 'tiny\n' });
      const peak = (input: string): number => {
        const r = spawnSync('/usr/bin/time', ['-f', 'maxrss %M', process.execPath, CLI_BIN, 'age', 'decrypt', '-i', KEY, '-o', target, input], { env, encoding: 'utf8' });
        expect(r.status).toBe(0);
        rmSync(target);
        return Number(/maxrss (\d+)/.exec(r.stderr)?.[1]) / 1024;
      };
      expect(peak(file) - peak(small)).toBeLessThan(24);
    }
    truncateSync(file, statSync(file).size - 1000);
    const failed = spawnSync(process.execPath, [CLI_BIN, 'age', 'decrypt', '-i', KEY, '-o', target, file], { env });
    expect(failed.status).not.toBe(0);
    expect(String(failed.stderr)).toMatch(/^secrets: error: invalid age file: the payload is truncated or corrupted$/m);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
