/**
 * The real-world corpus (../shared/corpus, see its README) as in-memory repositories: every path of
 * `tree.txt`, with the kept files' bytes (every `.sops.yaml`, sops file, `.age` file and agenix rules
 * file) and an empty ordinary file for every other path.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { memoryView, type MemoryEntry, type RepoView } from '@secrets/core';
import { SHARED } from './cli.js';
import { sharedSkipReason } from './shared.js';

/** The corpus folder, or null when ../shared is absent. */
export const CORPUS: string | null = existsSync(join(SHARED, 'corpus/README.md')) ? join(SHARED, 'corpus') : null;

/** Why corpus tests are skipped, or null when they run. Under CI=true a missing corpus is a failure. */
export function corpusMissing(corpus: string | null = CORPUS, env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  if (corpus !== null) return null;
  if (env['CI'] === 'true') throw new Error('../shared/corpus is missing, and CI=true requires it');
  return sharedSkipReason('corpus').slice('skipped: '.length);
}

/** The repositories of the corpus (`owner+name`). */
export function corpusRepositories(): string[] {
  if (CORPUS === null) return [];
  return readdirSync(CORPUS).filter((n) => n.includes('+') && statSync(join(CORPUS, n)).isDirectory()).sort();
}

/** Where a corpus repository is mounted in its in-memory view. */
export const MOUNT = '/repo';

/** One repository as a view at {@link MOUNT}. */
export function corpusView(repo: string, extra: ReadonlyMap<string, MemoryEntry> = new Map()): RepoView {
  const dir = join(CORPUS as string, repo);
  const files = new Map<string, MemoryEntry>();
  for (const line of readFileSync(join(dir, 'tree.txt'), 'utf8').split('\n')) {
    const path = line.trim();
    if (path === '') continue;
    const kept = join(dir, path);
    files.set(`${MOUNT}/${path}`, existsSync(kept) && statSync(kept).isFile() ? new Uint8Array(readFileSync(kept)) : new Uint8Array());
  }
  for (const [k, v] of extra) files.set(k, v);
  return memoryView(files);
}
