/**
 * Editing plaintext safely: a private directory on a memory-backed filesystem (io-private.ts), a 0600
 * file, an editor kept from copying it elsewhere (editor-command.ts), and removal of everything on every
 * exit path: normal return, thrown error, and SIGINT/SIGTERM/SIGHUP — but never while the editor still
 * runs (cleanup.ts). The process itself is started by io-process.ts.
 */
import { basename } from 'node:path';
import { SecretsError } from '@secrets/core';
import { Interrupted, childStatus, waitForeground } from './cleanup.js';
import type { Context } from './context.js';
import type { EditorPlan } from './editor-command.js';
import { spawnInheriting } from './io-process.js';
import { printWarning } from './output.js';

/**
 * Runs the editor on a file with the terminal's stdio and waits for it. Its temporary files go to the
 * private directory too (TMPDIR). A SIGTERM or SIGHUP meanwhile is passed on to the editor and, once it
 * has exited, ends the run ({@link Interrupted}); only then is the directory removed.
 *
 * @throws SecretsError USAGE when it cannot be started or exits non-zero (sops: exit 201)
 * @throws Interrupted when a signal ended the edit
 */
export async function runEditor(ctx: Context, plan: EditorPlan, file: string, privateDir: string): Promise<void> {
  if (plan.warning !== null) printWarning(ctx, plan.warning);
  const [program, ...args] = plan.argv as [string, ...string[]];
  const shown = JSON.stringify(basename(program));
  const child = spawnInheriting(program, [...args, file], { ...ctx.env, TMPDIR: privateDir });
  let result;
  try {
    result = await waitForeground(child);
  } catch {
    throw new SecretsError('USAGE', `could not run editor ${shown}`, { details: { editor: true } });
  }
  if (result.interrupted !== null) throw new Interrupted(result.interrupted);
  if (result.code === 0) return;
  // Ctrl+C that ended the editor itself (code --wait, a script): the user's way out, a quiet 130.
  if (result.signal === 'SIGINT') throw new Interrupted('SIGINT');
  const how = result.signal ? `signal ${result.signal}` : `status ${childStatus(result)}`;
  throw new SecretsError('USAGE', `editor ${shown} exited with ${how}`, { details: { editor: true } });
}

