/**
 * Start-up work of the built CLI (docs/benchmarks.md, cold start): a small command requires only the Node
 * builtins it uses. Requiring one compiles and runs its internal modules on first use (node:crypto with
 * the streams stack ~3 ms, node:child_process with net and dgram ~1.5 ms, node:fs/promises with readline
 * ~1 ms), which is most of what a command like `--version` would otherwise cost. The bundle makes every
 * builtin a chunk imports load on first use (scripts/bundle.mjs, lazy-builtins); this checks that nothing
 * at load time touches one, by the list of internal modules Node itself keeps.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT } from './support/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'secrets-cold-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The builtin modules (`NativeModule x`) loaded by the end of a CLI run, and its stdout. */
function builtinsLoadedBy(args: readonly string[]): { loaded: string[]; stdout: string } {
  const list = join(scratch, 'loaded.txt');
  const preload = join(scratch, 'preload.cjs');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`);
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: scratch, SOPS_AGE_KEY_FILE: join(REPO_ROOT, 'examples/keys/admin_michael.agekey') };
  const r = spawnSync(process.execPath, ['--require', preload, CLI_BIN, ...args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const loaded = readFileSync(list, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('NativeModule '))
    .map((l) => l.slice('NativeModule '.length));
  return { loaded, stdout: r.stdout };
}

// Never needed by the commands below: processes, sockets, line editing, promise fs, V8 internals.
const NEVER = ['child_process', 'net', 'dgram', 'readline', 'internal/readline/interface', 'fs/promises', 'internal/fs/promises', 'v8', 'tty'];

describe('cold start of the built CLI', () => {
  it('--version loads no builtin beyond what Node and the launcher load (no crypto, no streams)', () => {
    const { loaded, stdout } = builtinsLoadedBy(['--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(loaded.filter((m) => [...NEVER, 'crypto', 'stream', 'os'].includes(m))).toEqual([]);
  });

  it('decrypt of a small file loads node:crypto, and none of the builtins it does not use', () => {
    const { loaded, stdout } = builtinsLoadedBy(['decrypt', 'examples/batchn/secrets/example.yaml']);
    expect(stdout).toContain('hello: Welcome to SOPS!');
    expect(loaded).toContain('crypto');
    expect(loaded.filter((m) => NEVER.includes(m))).toEqual([]);
  });
});
