/**
 * A fresh clone has no ../shared: every test file that reads it must say so (`@needs-shared` in its
 * header, left out by vitest.config.ts) or guard the tests that do (itShared, describeShared, the corpus
 * helpers). Found by reading the files, so a new test cannot forget it and pass only where ../shared is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli.js';

const READS_SHARED = /\bSHARED(_DIR)?\b(?!\/)|\bvectorText\(|\breadVector\(|\bvector\(|\bsharedPath\(|\bcorpusView\(|shared\/(vectors|corpus)/;
const GUARDED = /@needs-shared (vectors|corpus)|\bitShared\(|\bdescribeShared\(|\bcorpusMissing\(/;

function testFiles(): string[] {
  const out: string[] = [];
  for (const dir of ['packages/core/test', 'packages/cli/test', 'test']) {
    for (const name of readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (name.endsWith('.test.ts')) out.push(join(REPO_ROOT, dir, name));
    }
  }
  return out.sort();
}

describe('tests and ../shared', () => {
  it('every test file that reads ../shared is marked or guarded', () => {
    const unguarded = testFiles().filter((file) => {
      const text = readFileSync(file, 'utf8');
      return READS_SHARED.test(text) && !GUARDED.test(text);
    });
    expect(unguarded.map((f) => relative(REPO_ROOT, f))).toEqual([]);
  });
});
