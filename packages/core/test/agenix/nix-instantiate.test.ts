/**
 * The Nix path: how nix-instantiate is run (a fake runner shows the exact argv and environment), and the
 * real nix-instantiate (Debian's nix-bin) agreeing with the static reader, refusing what a hostile
 * repository could use, and stopping at its heap cap.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type ProcessRunner, evaluateWithNix, nixErrorSummary } from '../../src/agenix/nix-instantiate.js';
import { classifySecretsNix, readAgenixRules, readRulesStatic } from '../../src/agenix/rules.js';
import { repositoryFileReader } from '../../src/config/repository-files.js';
import { SecretsError } from '../../src/errors.js';
import { runProcess } from '../../src/keys/run-process.js';

const HAVE_NIX = spawnSync('nix-instantiate', ['--version']).status === 0;
const IN_CI = process.env['CI'] === 'true';
if (!HAVE_NIX && !IN_CI) console.warn('skipped: nix-instantiate is not installed (Debian: nix-bin); the Nix path is tested with a fake runner only');

describe('how nix-instantiate is run', () => {
  it('agenix\'s evaluation, hardened: no store, restricted to the repository, no exec, clean env with a heap cap', async () => {
    const calls: { argv: readonly string[]; env: Record<string, string>; cwd: string }[] = [];
    const run: ProcessRunner = async (argv, options) => {
      calls.push({ argv, env: { ...options.env }, cwd: options.cwd });
      return { status: 0, killed: false, stderr: new Uint8Array(), stdout: new TextEncoder().encode('{"type":"set","rules":{"a.age":{"publicKeys":["k"],"armor":false}}}') };
    };
    const env = { PATH: '/usr/bin', HOME: '/home/u', NIX_PATH: 'nixpkgs=/x', SOPS_AGE_KEY: 'AGE-SECRET-KEY-1…' };
    const out = await evaluateWithNix('/repo/secrets.nix', '/repo', 'secrets.nix', { run, env });
    expect(out).toEqual({ type: 'set', rules: { 'a.age': { publicKeys: ['k'], armor: false } } });
    const call = calls[0] as (typeof calls)[number];
    expect(call.argv.slice(0, 17)).toEqual(['nix-instantiate', '--eval', '--strict', '--json', '--store', 'dummy://', '--option', 'restrict-eval', 'true', '--option', 'allow-unsafe-native-code-during-evaluation', 'false', '--option', 'allowed-uris', '', '-I', '.']);
    // relative to the root, Nix's working directory; never spliced into the expression
    expect(call.argv.slice(17, 20)).toEqual(['--argstr', 'rulesPath', 'secrets.nix']);
    expect(call.env).toEqual({ PATH: '/usr/bin', HOME: '/home/u', NIX_PATH: '', GC_MAXIMUM_HEAP_SIZE: String(256 * 1024 * 1024) });
    expect(call.cwd).toBe('/repo');
  });

  it('not installed → null (the static result stands); killed → LIMIT_EXCEEDED; failed → Nix\'s error line without source excerpts', async () => {
    const missing: ProcessRunner = () => Promise.reject(Object.assign(new Error('spawn'), { code: 'ENOENT' }));
    expect(await evaluateWithNix('/r/s.nix', '/r', 's.nix', { run: missing, env: {} })).toBeNull();
    const killed: ProcessRunner = async () => ({ status: null, killed: true, stdout: new Uint8Array(), stderr: new Uint8Array() });
    await expect(evaluateWithNix('/r/s.nix', '/r', 's.nix', { run: killed, env: {}, timeoutMs: 5000 })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: 's.nix: nix-instantiate took longer than 5 s or printed too much' });
    const stderr = "error: undefined variable 'x'\n\n       at /r/s.nix:3:5:\n\n            2|\n            3|   PASSWORD=hunter2 x\n             |     ^\n";
    expect(nixErrorSummary(stderr)).toBe("undefined variable 'x' (at /r/s.nix:3:5)");
  });

  it('without Nix installed, a file that needs it keeps the static reader\'s error (line, column, hint)', async () => {
    const missing: ProcessRunner = () => Promise.reject(Object.assign(new Error('spawn'), { code: 'ENOENT' }));
    const error = await readAgenixRules('{ "a.age".publicKeys = map (x: x) [ ]; }', 'secrets.nix', { file: '/r/secrets.nix', root: '/r', nixOptions: { run: missing, env: {} } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretsError);
    expect((error as SecretsError).message).toBe('secrets.nix:1:24: "map" needs a Nix evaluator');
    expect((error as SecretsError).hints.join('\n')).toMatch(/nix-instantiate --eval --strict --json secrets\.nix > rules\.json/);
  });
});

describe.runIf(HAVE_NIX || IN_CI)('the real nix-instantiate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-nix-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const nixOptions = { run: runProcess, env: process.env };

  function write(name: string, text: string): string {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  }

  it('reads what needs an evaluator (auto), and says it used Nix', async () => {
    const file = write('fn/secrets.nix', 'let keys = [ "age1a" "age1b" ]; in builtins.listToAttrs (map (n: { name = n; value = { publicKeys = keys; armor = n == "b.age"; }; }) [ "a.age" "b.age" ])');
    const read = await readAgenixRules(readFileSync(file, 'utf8'), 'secrets.nix', { file, root: dir, nixOptions });
    expect(read).toEqual({ via: 'nix', rules: [{ name: 'a.age', publicKeys: ['age1a', 'age1b'], armor: false }, { name: 'b.age', publicKeys: ['age1a', 'age1b'], armor: true }] });
  });

  it('classifySecretsNix asks Nix what the static reader cannot decide: rules made by a function, a set made by one that is not rules', async () => {
    const rules = write('c1/secrets.nix', 'builtins.listToAttrs (map (n: { name = n; value = { publicKeys = [ "age1a" ]; }; }) [ "a.age" ])');
    expect(await classifySecretsNix(readFileSync(rules, 'utf8'), 'c1/secrets.nix', { file: rules, root: dir, nixOptions })).toEqual({ kind: 'rules', via: 'nix', rules: [{ name: 'a.age', publicKeys: ['age1a'], armor: false }] });
    const other = write('c2/secrets.nix', 'builtins.listToAttrs (map (n: { name = n; value = { sopsFile = "x"; }; }) [ "a" ])');
    const verdict = await classifySecretsNix(readFileSync(other, 'utf8'), 'c2/secrets.nix', { file: other, root: dir, nixOptions });
    expect(verdict).toEqual({ kind: 'not-rules', reason: 'c2/secrets.nix: "a" must be an attribute set with publicKeys' });
    const module = write('c3/secrets.nix', 'let f = x: x; in f ({ config, ... }: { })');
    expect(await classifySecretsNix(readFileSync(module, 'utf8'), 'c3/secrets.nix', { file: module, root: dir, nixOptions })).toEqual({ kind: 'not-rules', reason: 'c3/secrets.nix: the rules must be an attribute set, not a function' });
  });

  it('refuses what a hostile repository could reach: files outside it (symlinks too), <nixpkgs>, getEnv', async () => {
    symlinkSync('/etc/passwd', join(dir, 'passwd-link'));
    for (const [name, text, message] of [
      ['out.nix', '{ "a.age".publicKeys = [ (builtins.readFile /etc/passwd) ]; }', /access to absolute path '\/etc\/passwd' is forbidden in restricted mode/],
      ['link.nix', '{ "a.age".publicKeys = [ (builtins.readFile ./passwd-link) ]; }', /forbidden in restricted mode/],
      ['np.nix', 'let pkgs = import <nixpkgs> { }; in { "a.age".publicKeys = [ pkgs.x ]; }', /was not found in the Nix search path/],
    ] as const) {
      const file = write(name, text);
      await expect(readAgenixRules(text, name, { file, root: dir, nix: 'always', nixOptions })).rejects.toThrow(message);
    }
    const env = write('env.nix', '{ "a.age".publicKeys = [ (builtins.getEnv "HOME") ]; }');
    expect((await readAgenixRules('x', 'env.nix', { file: env, root: dir, nix: 'always', nixOptions })).rules[0]?.publicKeys).toEqual(['']);
  });

  it('reads a repository reached through a symlink (its imports too): Nix takes -I as written but checks canonical paths', async () => {
    write('real/keys.nix', '[ "age1a" "age1b" ]');
    const text = 'let keys = import ./keys.nix; in builtins.listToAttrs (map (n: { name = n; value = { publicKeys = keys; }; }) [ "a.age" ])';
    write('real/secrets.nix', text);
    symlinkSync(join(dir, 'real'), join(dir, 'linked'));
    const root = join(dir, 'linked');
    const read = await readAgenixRules(text, 'secrets.nix', { file: join(root, 'secrets.nix'), root, readFile: repositoryFileReader(root), nix: 'always', nixOptions });
    expect(read).toEqual({ via: 'nix', rules: [{ name: 'a.age', publicKeys: ['age1a', 'age1b'], armor: false }] });
  });

  it('the 40-line ++ bomb stops at Nix\'s heap cap instead of eating the machine', async () => {
    const lines = ['let', '  a0 = [ "x" ];', ...Array.from({ length: 40 }, (_, i) => `  a${i + 1} = a${i} ++ a${i};`), 'in { "x.age".publicKeys = a40; }'];
    const file = write('bomb.nix', lines.join('\n'));
    const error = await readAgenixRules('x', 'bomb.nix', { file, root: dir, nix: 'always', nixOptions: { ...nixOptions, maxHeapBytes: 64 * 1024 * 1024, timeoutMs: 20_000 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretsError);
    expect((error as SecretsError).message).toMatch(/^bomb\.nix: nix-instantiate (could not evaluate it: out of memory|took longer)/);
  });

  it('property (fixed seed): the static reader and Nix agree on \'\'indented strings\'\', escapes and $ signs', async () => {
    const piece = fc.constantFrom(' ', '  ', '\n', '\t', 'a', 'b c', "''$", "'''", "''\\n", "''\\t", '$', "'x", '$$', '"', '\\');
    const strings = fc.sample(fc.array(piece, { maxLength: 12 }), { seed: 4242, numRuns: 300 }).map((p) => `''${p.join('')}''`);
    const plain = fc.sample(fc.array(fc.constantFrom('a', ' ', '\\n', '\\t', '\\\\', '\\"', '$', '$$', '\\${', "'"), { maxLength: 8 }), { seed: 7, numRuns: 100 }).map((p) => `"${p.join('')}"`);
    const text = `{ "s.age".publicKeys = [\n${[...strings, ...plain].map((s) => `(${s})`).join('\n')}\n]; }`;
    const file = write('strings.nix', text);
    const reader = { file, root: dir, readFile: repositoryFileReader(dir) };
    const viaNix = await readAgenixRules(text, 'strings.nix', { ...reader, nix: 'always', nixOptions });
    expect(readRulesStatic(text, 'strings.nix', reader)).toEqual(viaNix.rules);
  });
});
