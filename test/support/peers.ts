/**
 * Interop tests drive real programs (Debian's age, ssh-keygen, …). Where one is missing they are skipped
 * with a one-line reason naming the package to install; under `CI=true` (where .ci/run installs them)
 * a missing program fails the run instead.
 */
import { spawnSync } from 'node:child_process';

/** The first of `programs` not on PATH, or null when all are there. */
export function firstMissing(programs: readonly string[]): string | null {
  for (const program of programs) {
    if (spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status !== 0) return program;
  }
  return null;
}

/**
 * Null when every program is installed; otherwise the skip reason (`skipped: needs …`). Throws under
 * CI=true, where a missing peer is an error in .ci/run, not a reason to skip.
 */
export function peerSkipReason(programs: readonly string[], install: string): string | null {
  const missing = firstMissing(programs);
  if (missing === null) return null;
  const reason = `skipped: needs ${missing} (apt-get install -y ${install}), not installed here`;
  if (process.env['CI'] === 'true') throw new Error(`CI=true but ${reason.slice('skipped: '.length)}`);
  return reason;
}
