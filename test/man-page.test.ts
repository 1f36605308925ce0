/**
 * docs/secrets.1 is generated from the CLI's own `--help` (packages/cli/scripts/man.mjs), like docs/cli.md:
 * this test regenerates it and fails on any difference. `npm run docs:man` rewrites the file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli.js';

const PAGE = join(REPO_ROOT, 'docs/secrets.1');
const SCRIPT = join(REPO_ROOT, 'packages/cli/scripts/man.mjs');
const hasGroff = spawnSync('groff', ['--version'], { encoding: 'utf8' }).status === 0;

describe('docs/secrets.1', () => {
  const generated = spawnSync(process.execPath, [SCRIPT, '--stdout'], { encoding: 'utf8' });

  it('is the man page of the current --help texts (run `npm run docs:man` after changing them)', () => {
    expect(generated.stderr).toBe('');
    expect(generated.status).toBe(0);
    expect(readFileSync(PAGE, 'utf8')).toBe(generated.stdout);
    // every command is in it, the nested ones too
    for (const c of ['"secrets edit"', '"secrets hosts add"', '"secrets rekey"', '"secrets agenix export"', '"secrets nix sops"']) expect(generated.stdout).toContain(`.SS ${c}`);
  }, 60_000);

  it.skipIf(!hasGroff)('is valid roff: groff reports no warning (skipped: groff not installed)', () => {
    const r = spawnSync('groff', ['-ww', '-man', '-z', PAGE], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
