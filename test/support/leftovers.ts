/**
 * vitest globalSetup: the run gets a temp dir of its own (TMPDIR, inherited by the workers and the CLI
 * processes they start), removed whole at the end, so no test leaves anything in the OS temp dir. The
 * plaintext dirs of edit sessions live on /dev/shm: nothing new may be left there. Leftovers fail the run
 * under CI=true; elsewhere, where other processes may share /dev/shm, they are printed.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SHM = '/dev/shm';
const listShm = (): string[] => {
  try {
    return readdirSync(SHM).filter((name) => name.startsWith('secrets'));
  } catch {
    return [];
  }
};

export default function setup(): () => void {
  const runTmp = mkdtempSync(join(tmpdir(), 'secrets-test-run-'));
  process.env['TMPDIR'] = runTmp;
  const shmBefore = new Set(listShm());
  return () => {
    const left = listShm().filter((n) => !shmBefore.has(n)).map((n) => join(SHM, n));
    rmSync(runTmp, { recursive: true, force: true });
    if (left.length === 0) return;
    const message = `tests left ${left.length} file(s) behind:\n  ${left.join('\n  ')}`;
    if (process.env['CI'] === 'true') throw new Error(message);
    process.stderr.write(`warning: ${message}\n`);
  };
}
