/**
 * Files written by other projects (the interop vectors and the real-world corpus) live in `../shared`
 * beside the repository and are read from there at test time, never copied in. In a clone with nothing
 * beside it the tests that need them are skipped, each with a one-line reason; under `CI=true` they are
 * required, and a missing folder fails the run instead of passing it silently.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/** The folders of `../shared` that tests read. */
export type SharedPart = 'vectors' | 'corpus';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `<repo>/../shared`, or `SECRETS_SHARED_DIR` when set (a copy elsewhere). */
export const SHARED_ROOT = resolve(process.env['SECRETS_SHARED_DIR'] ?? join(REPO_ROOT, '../shared'));

/** Whether `../shared/<part>` is present. */
export function hasShared(part: SharedPart): boolean {
  return existsSync(join(SHARED_ROOT, part));
}

/** The one-line reason a test that needs `part` is skipped. */
export function sharedSkipReason(part: SharedPart): string {
  return `skipped: needs ../shared/${part} (files written by other projects, read in place), absent here`;
}

if (process.env['CI'] === 'true') {
  for (const part of ['vectors', 'corpus'] as const) {
    if (!hasShared(part)) throw new Error(`CI=true but ${join(SHARED_ROOT, part)} is missing: these tests are required in CI`);
  }
}

/** An absolute path inside `../shared/<part>` (whether or not it exists: check with {@link hasShared}). */
export function sharedPath(part: SharedPart, ...rest: string[]): string {
  return join(SHARED_ROOT, part, ...rest);
}

/**
 * `describe` for a suite that reads `../shared/<part>`. When it is absent the factory is not run at all
 * (it may read files while collecting) and one skipped test carries the reason into the report.
 */
export function describeShared(part: SharedPart, name: string, factory: () => void): void {
  if (hasShared(part)) describe(name, factory);
  else describe(name, () => it.skip(sharedSkipReason(part)));
}

/**
 * An object read from `../shared` on first use rather than at import, so that a test module (or a helper
 * it imports) can name it while the suites that use it are skipped.
 */
export function lazyShared<T extends object>(load: () => T): T {
  let value: T | undefined;
  const target = (): T => (value ??= load());
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(target(), key) as unknown,
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}

/** `it` for one test that reads `../shared/<part>`: skipped with the reason in its name when absent. */
export function itShared(part: SharedPart, name: string, fn: () => unknown, timeout?: number): void {
  if (hasShared(part)) it(name, fn, timeout);
  else it.skip(`${name} (${sharedSkipReason(part)})`);
}
