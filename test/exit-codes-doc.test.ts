/**
 * docs/errors.md's table of exit statuses is the code's: every error code is listed in exactly the row of
 * the status packages/cli/src/exit-codes.ts gives it, and the statuses without a code are EXIT's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../packages/core/src/index.js';
import { EXIT, exitCodeFor } from '../packages/cli/src/index.js';
import { REPO_ROOT } from './support/cli.js';

/** The members of core's ErrorCode union, read from its source (the type has no runtime list). */
function errorCodes(): ErrorCode[] {
  const source = readFileSync(join(REPO_ROOT, 'packages/core/src/errors.ts'), 'utf8');
  const union = /export type ErrorCode =([^;]*);/.exec(source)?.[1] ?? '';
  return [...union.matchAll(/'([A-Z_0-9]+)'/g)].map((m) => m[1] as ErrorCode);
}

/** The table rows: status → the code patterns (`SSH_*` included) of its last column. */
function docRows(): Map<number, string[]> {
  const text = readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8');
  const rows = new Map<number, string[]>();
  for (const line of text.split('\n')) {
    const m = /^\| (\d+) \|[^|]*\|([^|]*)\|$/.exec(line);
    if (m) rows.set(Number(m[1]), [...(m[2] as string).matchAll(/`([A-Z_0-9*]+)`/g)].map((c) => c[1] as string));
  }
  return rows;
}

const matches = (pattern: string, code: string): boolean => (pattern.endsWith('*') ? code.startsWith(pattern.slice(0, -1)) : pattern === code);

describe('docs/errors.md', () => {
  const codes = errorCodes();
  const rows = docRows();

  it('reads a non-trivial table and code list', () => {
    expect(codes.length).toBeGreaterThan(20);
    expect(rows.size).toBeGreaterThan(10);
  });

  it.each(codes)('%s is listed under the status the CLI exits with', (code) => {
    const listed = [...rows].filter(([, patterns]) => patterns.some((p) => matches(p, code))).map(([status]) => status);
    expect(listed).toEqual([exitCodeFor(code)]);
  });

  it('every status in the table is one the code uses', () => {
    const used = new Set<number>([...codes.map((c) => exitCodeFor(c)), ...Object.values(EXIT)]);
    for (const status of rows.keys()) expect(used, `status ${status}`).toContain(status);
    for (const status of Object.values(EXIT)) expect(rows.has(status), `status ${status}`).toBe(true);
  });
});
