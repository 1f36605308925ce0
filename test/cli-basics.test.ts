/**
 * The CLI as a whole: the installed bin runs, help and version work, and every error follows the grammar.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grammarViolations, REPO_ROOT, runInProcess, runProcess } from './support/cli.js';

describe('the secrets command', () => {
  it('runs from node_modules/.bin after install (what `npx secrets` uses)', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(join(REPO_ROOT, 'node_modules/.bin/secrets'), ['--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: secrets');
    expect(r.stdout).toContain('ssh-to-age');
  });

  it('--version prints the package version', async () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
    const r = await runProcess(['--version']);
    expect(r.stdout.trim()).toBe(version);
    expect(r.status).toBe(0);
  });

  it('no arguments: help on stderr, status 1', async () => {
    const r = await runInProcess([]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Usage: secrets');
  });

  it('an unknown command or option is an error in the CLI grammar', async () => {
    for (const args of [['frobnicate'], ['ssh-to-age', '--frob'], ['age', 'encrypt', '--nope']]) {
      const r = await runInProcess(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^secrets: error: /m);
      expect(grammarViolations(r.stderr)).toEqual([]);
    }
  });

  it('every command has --help with an example', async () => {
    for (const args of [['ssh-to-age'], ['age', 'encrypt'], ['age', 'decrypt']]) {
      const r = await runInProcess([...args, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });

  it('a missing input file is exit 100 (sops NoFileSpecified) with the path quoted', async () => {
    const r = await runInProcess(['age', 'decrypt', '-i', '/nonexistent/key', 'x.age']);
    expect(r.status).toBe(100);
    expect(r.stderr).toBe('secrets: error: file "x.age" does not exist\n');
  });
});
