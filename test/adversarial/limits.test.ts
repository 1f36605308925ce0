// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * Resource limits through the real CLI, each process run with a 256 MiB heap (`--max-old-space-size`):
 * a YAML alias bomb, nesting at and over the 100-level limit, a 1 GiB (sparse) file as a file and as
 * stdin, a 100 000-line keys.txt within and over the identity limit, and huge numbers. Every case ends
 * quickly with the right output or a clear LIMIT_EXCEEDED error. The limits are in docs/security.md.
 * (Store-level limit tests: packages/core/test/sops/stores/limits.test.ts.)
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateX25519Identity, identityToRecipient, MAX_IDENTITIES_PER_SOURCE, storeFor } from '@secrets/core';
import { CLI_BIN, REPO_ROOT, grammarViolations, runProcess, type CliResult } from '../support/cli.js';
import { AGE_KEYS_TXT, AGE_RECIPIENT } from './fixtures.js';
import { VECTORS, enc } from './support.js';

const work = mkdtempSync(join(tmpdir(), 'secrets-limits-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array): string => {
  const p = join(work, name);
  writeFileSync(p, content);
  return p;
};
const HEAP = { NODE_OPTIONS: '--max-old-space-size=256' };
const KEY_FILE = join(VECTORS, AGE_KEYS_TXT);

/** Runs the CLI with a small heap and returns the result and how long it took. */
async function cli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliResult & { ms: number }> {
  const start = performance.now();
  const r = await runProcess(args, { env: { ...HEAP, ...env }, ...(stdin === undefined ? {} : { stdin }) });
  return { ...r, ms: performance.now() - start };
}

/** Runs the CLI with a file as its standard input (not a pipe we fill: the child reads it itself). */
function cliWithStdinFile(args: string[], stdinPath: string): Promise<{ status: number; stdout: string; stderr: string; ms: number }> {
  const start = performance.now();
  const fd = openSync(stdinPath, 'r');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=256', CLI_BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env['PATH'] ?? '', HOME: '/nonexistent-home' }, stdio: [fd, 'pipe', 'pipe'] });
    closeSync(fd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: performance.now() - start }));
  });
}

/** A clean, quick refusal: exit 1, one error line about the limit, nothing on stdout, no stack trace. */
function expectRefused(r: { status: number; stdout: string; stderr: string; ms: number }, message: RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(grammarViolations(r.stderr)).toEqual([]);
  expect(r.stderr).not.toMatch(/^\s+at |internal error|heap out of memory/m);
  expect(r.ms).toBeLessThan(15_000);
}

const billionLaughs = ['a: &a ["lol!","lol!","lol!","lol!","lol!","lol!","lol!","lol!","lol!"]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n');

describe('limits through the CLI (256 MiB heap)', () => {
  it('a YAML alias bomb is refused, as plaintext to encrypt and as an encrypted file', async () => {
    const bomb = file('bomb.yaml', `${billionLaughs}\n`);
    expectRefused(await cli(['encrypt', '--age', AGE_RECIPIENT, bomb]), /^secrets: error: the YAML aliases expand to more than 100000 nodes/m);
    const encrypted = file('bomb-enc.yaml', `${billionLaughs}\nsops:\n    version: 3.13.3\n`);
    expectRefused(await cli(['decrypt', encrypted], { SOPS_AGE_KEY_FILE: KEY_FILE }), /aliases expand to more than 100000 nodes/);
  });

  it('100 levels of nesting round-trip in YAML and JSON; 101 are refused', async () => {
    // 100 levels = the top-level mapping plus 99 nested values (the stores' documented maxDepth).
    const yaml = (n: number): string => `top:${Array.from({ length: n - 1 }, (_, i) => `\n${'  '.repeat(i + 1)}k${i}:`).join('')} leaf!tok40\n`;
    const json = (n: number): string => `{"top": ${'['.repeat(n - 2)}{"k": "leaf!tok41"}${']'.repeat(n - 2)}}`;
    for (const [name, text] of [['deep.yaml', yaml(100)], ['deep.json', json(100)]] as const) {
      const plain = file(name, text);
      const encrypted = await cli(['encrypt', '--age', AGE_RECIPIENT, plain]);
      expect(encrypted.stderr).toBe('');
      expect(encrypted.stdout).not.toContain('leaf!tok4');
      const back = await cli(['decrypt', file(`enc-${name}`, encrypted.stdout)], { SOPS_AGE_KEY_FILE: KEY_FILE });
      expect(back.status).toBe(0);
      const format = name.endsWith('.json') ? 'json' : 'yaml';
      expect(storeFor(format).loadPlain(enc(back.stdout))).toEqual(storeFor(format).loadPlain(enc(text)));
    }
    expectRefused(await cli(['encrypt', '--age', AGE_RECIPIENT, file('deeper.yaml', yaml(101))]), /nests mappings and sequences more than 100 levels deep/);
    expectRefused(await cli(['encrypt', '--age', AGE_RECIPIENT, file('deeper.json', json(101))]), /nests mappings and sequences more than 100 levels deep/);
    expectRefused(await cli(['encrypt', '--age', AGE_RECIPIENT, file('flood.json', `{"a": ${'['.repeat(5_000_000)}`)]), /more than 100 levels deep/);
  });

  it('a 1 GiB file is refused by its size before it is read, wherever a file is read', async () => {
    const big = join(work, 'big.yaml');
    closeSync(openSync(big, 'w'));
    // sparse: no disk used; reading it would still cost 1 GiB of memory and seconds
    truncateSync(big, 1024 ** 3);
    const tooLarge = /^secrets: error: ".*big\.yaml" is too large: 1073741824 bytes, the limit is 67108864 bytes$/m;
    expectRefused(await cli(['decrypt', big], { SOPS_AGE_KEY_FILE: KEY_FILE }), tooLarge);
    expectRefused(await cli(['encrypt', '--age', AGE_RECIPIENT, big]), tooLarge);
    // age files are streamed, with no size limit: a 1 GiB file that is not an age file is refused at once
    expectRefused(await cli(['age', 'decrypt', '-i', KEY_FILE, big]), /^secrets: error: not an age file/m);
    expectRefused(await cli(['ssh-to-age', '-i', big]), tooLarge);
    // identity files: 16 MiB (age's cap); through discovery the place is reported, nothing matches
    const small = file('small.age', '');
    expectRefused(await cli(['age', 'decrypt', '-i', big, small]), /is too large: 1073741824 bytes, the limit is 16777216 bytes/);
    const discovered = await cli(['decrypt', join(REPO_ROOT, 'examples/batchn/secrets/example.yaml')], { SOPS_AGE_KEY_FILE: big });
    expect(discovered.status).toBe(128);
    expect(discovered.stderr).toContain('larger than 16777216 bytes, too large for an identity file');
    expect(discovered.ms).toBeLessThan(15_000);
    // the same file as standard input: read up to the limit, then refused
    expectRefused(await cliWithStdinFile(['decrypt', '--input-type', 'yaml', '-'], big), /^secrets: error: standard input is too large: more than 67108864 bytes/m);
    // configuration files (.sops.yaml, secrets.nix): 16 MiB
    const repo = mkdtempSync(join(work, 'repo-'));
    for (const name of ['.sops.yaml', 'secrets.nix']) {
      closeSync(openSync(join(repo, name), 'w'));
      truncateSync(join(repo, name), 1024 ** 3);
    }
    const tooLargeConfig = (name: string): RegExp => new RegExp(`^secrets: error: .*${name.replace('.', '\\.')} is 1073741824 bytes: configuration files are read up to 16777216 bytes$`, 'm');
    expectRefused(await cli(['rekey', '-y', '--config', join(repo, '.sops.yaml')]), tooLargeConfig('.sops.yaml'));
    expectRefused(await cli(['agenix', 'rekey', '--dry-run', '--rules', join(repo, 'secrets.nix')]), tooLargeConfig('secrets.nix'));
  });

  it('a 100 000-line keys.txt: refused over 1000 identities, correct within the limit', async () => {
    const identities = await Promise.all(Array.from({ length: MAX_IDENTITIES_PER_SOURCE - 1 }, () => generateX25519Identity()));
    const matching = readFileSync(KEY_FILE, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) as string;
    expect(await identityToRecipient(matching)).toBe(AGE_RECIPIENT);
    // within the limit: 1000 identities (the matching one last) among 100 000 lines of comments
    const lines: string[] = [];
    for (const id of [...identities, matching]) lines.push(...Array.from({ length: 99 }, (_, i) => `# created: 2026-01-01 comment line ${i}`), id);
    expect(lines).toHaveLength(100_000);
    const keysOk = file('keys-ok.txt', `${lines.join('\n')}\n`);
    const encrypted = file('one.yaml', (await cli(['encrypt', '--age', AGE_RECIPIENT, file('one-plain.yaml', 'password: hunter2!tok42\n')])).stdout);
    const ok = await cli(['decrypt', encrypted], { SOPS_AGE_KEY_FILE: keysOk });
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('password: hunter2!tok42\n');
    expect(ok.ms).toBeLessThan(30_000);
    // over the limit: 100 000 identities, one per line
    const many = [...identities];
    while (many.length < 100_000) many.push(...identities.slice(0, 100_000 - many.length));
    const keysBig = file('keys-big.txt', `${many.join('\n')}\n`);
    expectRefused(await cli(['age', 'decrypt', '-i', keysBig, encrypted]), /more than 1000 identities in one source/);
    const viaEnv = await cli(['decrypt', encrypted], { SOPS_AGE_KEY_FILE: keysBig });
    expect(viaEnv.status).toBe(128);
    expect(viaEnv.stdout).toBe('');
    expect(viaEnv.stderr).toContain('more than 1000 identities in one source');
    for (const id of many.slice(0, 3)) expect(viaEnv.stderr).not.toContain(id);
  }, 120_000);

  it('huge numbers are read in linear time (no BigInt blow-up on 8 MB of digits)', () => {
    const digits = '9'.repeat(8_000_000);
    const cases = [['json', `{"a": ${digits}}`, 'SOPS_FORMAT_INVALID'], ['yaml', `a: ${digits}\n`, 'string'], ['yaml', `a: 0x${'f'.repeat(8_000_000)}\n`, 'string'], ['yaml', `a: 1${'_0'.repeat(4_000_000)}\n`, 'string']] as const;
    for (const [format, text, expected] of cases) {
      const start = performance.now();
      let outcome: string;
      try {
        const value = (storeFor(format).loadPlain(enc(text)).branches[0]?.items[0] as { value: { kind: string } }).value;
        outcome = value.kind; // out of int64 and float64 range: go-yaml keeps the text as a string
      } catch (error) {
        outcome = (error as { code: string }).code; // Go's JSON decoder: "value out of range"
      }
      expect(outcome).toBe(expected);
      expect(performance.now() - start).toBeLessThan(5_000);
    }
  });
});
