/**
 * Start-up work of the built CLI (docs/benchmarks.md, cold start): a small command requires only the Node
 * builtins it uses. Requiring one compiles and runs its internal modules on first use (node:crypto with
 * the streams stack ~3 ms, node:child_process with net and dgram ~1.5 ms, node:fs/promises with readline
 * ~1 ms), which is most of what a command like `--version` would otherwise cost. The bundle makes every
 * builtin a chunk imports load on first use (scripts/bundle.mjs, lazy-builtins); this checks that nothing
 * at load time touches one, by the list of internal modules Node itself keeps.
 *
 * `yaml` and `re2js` load from the bundle's own copies (dist/vendor/, with code caches), not from
 * node_modules: from there they cost ~40-50 ms of CPU per command that reads a `.sops.yaml`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT } from './support/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'secrets-cold-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// Whatever the command prints, the last line on stdout says whether node:v8 was loaded.
writeFileSync(join(scratch, 'v8-loaded.cjs'), `process.on('exit', () => process.stdout.write('\\nv8 loaded: ' + process.moduleLoadList.includes('NativeModule v8')));\n`);

/**
 * Runs the built CLI; returns the builtin modules (`NativeModule x`) loaded by the end of the run, the
 * files loaded through require() (require.cache), and its stdout.
 */
function loadedBy(args: readonly string[], cwd = REPO_ROOT): { loaded: string[]; required: string[]; stdout: string } {
  const list = join(scratch, 'loaded.json');
  const preload = join(scratch, 'preload.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify({ builtins: process.moduleLoadList, files: Object.keys(require.cache) })));\n`,
  );
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: scratch, SOPS_AGE_KEY_FILE: join(REPO_ROOT, 'examples/keys/admin_michael.agekey') };
  const r = spawnSync(process.execPath, ['--require', preload, CLI_BIN, ...args], { cwd, env, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const { builtins, files } = JSON.parse(readFileSync(list, 'utf8')) as { builtins: string[]; files: string[] };
  const loaded = builtins.filter((l) => l.startsWith('NativeModule ')).map((l) => l.slice('NativeModule '.length));
  return { loaded, required: files, stdout: r.stdout };
}

// Never needed by the commands below: processes, sockets, line editing, promise fs, V8 internals.
const NEVER = ['child_process', 'net', 'dgram', 'readline', 'internal/readline/interface', 'fs/promises', 'internal/fs/promises', 'v8', 'tty'];

describe('cold start of the built CLI', () => {
  it('--version loads no builtin beyond what Node and the launcher load (no crypto, no streams)', () => {
    const { loaded, stdout } = loadedBy(['--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(loaded.filter((m) => [...NEVER, 'crypto', 'stream', 'os'].includes(m))).toEqual([]);
  });

  it('decrypt of a small file loads node:crypto, and none of the builtins it does not use', () => {
    const { loaded, stdout } = loadedBy(['decrypt', 'examples/batchn/secrets/example.yaml']);
    expect(stdout).toContain('hello: Welcome to SOPS!');
    expect(loaded).toContain('crypto');
    expect(loaded.filter((m) => NEVER.includes(m))).toEqual([]);
  });

  it('every file has a code cache V8 accepts, in each profile', () => {
    // bin/secrets.js's check mode prints each cache V8 rejects (or that is missing), for the profile the
    // command line chooses: the default one, and the batch one (made under other V8 flags).
    for (const args of [[], ['rekey']]) {
      const r = spawnSync(process.execPath, [CLI_BIN, ...args], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SECRETS_CODE_CACHE: 'check' }, encoding: 'utf8' });
      expect([args, r.status, r.stdout, r.stderr]).toEqual([args, 0, '', '']);
    }
  });

  it('repository-wide commands run with the batch profile (its V8 flags set through node:v8), others do not', () => {
    const repo = mkdtempSync(join(scratch, 'repo-'));
    writeFileSync(join(repo, '.sops.yaml'), 'creation_rules:\n  - path_regex: secrets/[^/]+\\.yaml$\n    age: age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup\n');
    for (const args of [['check'], ['rekey', '-y'], ['updatekeys', '-y'], ['hosts', 'add', '--help'], ['users', 'rm', '--help'], ['agenix', 'rekey'], ['agenix', '-r']]) {
      const r = spawnSync(process.execPath, ['--require', join(scratch, 'v8-loaded.cjs'), CLI_BIN, ...args], { cwd: repo, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: scratch }, encoding: 'utf8' });
      expect([args, r.stdout.split('\n').at(-1)]).toEqual([args, 'v8 loaded: true']);
    }
    for (const args of [['decrypt', 'nothing.yaml'], ['--version'], ['edit', '--help'], ['agenix', '-e', 'x.age']]) {
      const r = spawnSync(process.execPath, ['--require', join(scratch, 'v8-loaded.cjs'), CLI_BIN, ...args], { cwd: repo, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: scratch }, encoding: 'utf8' });
      expect([args, r.stdout.split('\n').at(-1)]).toEqual([args, 'v8 loaded: false']);
    }
  });

  it('a command that reads a .sops.yaml takes yaml and re2js from dist/vendor/, not node_modules', () => {
    const repo = mkdtempSync(join(scratch, 'repo-'));
    writeFileSync(join(repo, '.sops.yaml'), 'creation_rules:\n  - path_regex: secrets/[^/]+\\.yaml$\n    age: age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup\n');
    // flow collections: the fast reader declines, so the plaintext is read with yaml too
    writeFileSync(join(repo, 'plain.yaml'), 'db: {password: hunter2}\nports: [80, 443]\n');
    const { required, stdout } = loadedBy(['encrypt', '--filename-override', 'secrets/db.yaml', 'plain.yaml'], repo);
    expect(stdout).toMatch(/^db:\n {4}password: ENC\[AES256_GCM,/);
    expect(required.filter((f) => /node_modules[\\/](yaml|re2js)[\\/]/.test(f))).toEqual([]);
    // and they were loaded at all (through bin/secrets.js, which require.cache does not see): a
    // path_regex that matched, and the plaintext read
    expect(stdout).toContain('ports:');
  });
});
