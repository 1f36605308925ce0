/**
 * `secrets agenix decrypt|edit|rekey|export`: agenix's commands on `.age` files with a `secrets.nix` rules
 * file, read without Nix. Rule names resolve relative to the rules file (as ragenix does; agenix uses the
 * cwd, which is what ragenix#160 and agenix#149 complain about), and `./x.age` and `x.age` are the same
 * file. `secrets.lock` beside the rules records what age headers cannot show (see core's recipient-state).
 *
 * This file holds `decrypt` and `edit`; `rekey` is agenix-rekey.ts, `export` agenix-export.ts, and what
 * they share (rules, lock, writing `.age` files) agenix-rules.ts.
 */
import { basename } from 'node:path';
import { SecretsError, decryptAge, equalBytes, parseRecipient } from '@secrets/core';
import type { Context } from '../context.js';
import { editorPlan } from '../editor-command.js';
import { runEditor } from '../editor.js';
import { makePrivateDir, readEdited, writePrivateFile } from '../io-private.js';
import { loadIdentities, passphrasePrompt, withPlaces } from '../identities.js';
import { readFileLimited, readInput, resolvePath, writeOutput } from '../io.js';
import { printNote } from '../output.js';
import { exists, ruleFor, saveLock, writeAgeFile, type NixMode } from './agenix-rules.js';

// The other subcommands live in their own files; run.ts loads every agenix command from here.
export { agenixExport, type AgenixExportOptions } from './agenix-export.js';
export { agenixRekey, type AgenixRekeyOptions } from './agenix-rekey.js';

/** Runs `secrets agenix decrypt FILE` (to stdout or -o). */
export async function agenixDecrypt(ctx: Context, options: { file: string; identities: readonly string[]; output?: string }): Promise<number> {
  const bytes = await readInput(ctx, options.file);
  const { identities, places } = await loadIdentities(ctx, options.identities, '-i FILE');
  try {
    await writeOutput(ctx, options.output ?? '-', await decryptAge(bytes, identities, { passphrase: passphrasePrompt(ctx) }), { mode: 0o600 });
  } catch (error) {
    throw withPlaces(error, places);
  }
  return 0;
}

/** Runs `secrets agenix edit FILE`: decrypt (if it exists), edit on tmpfs, encrypt to the rule's keys. */
export async function agenixEdit(ctx: Context, options: { file: string; rules?: string; identities: readonly string[]; editor?: string; allowDiskTmp: boolean; nix?: NixMode }): Promise<number> {
  const { rules, rule, name } = await ruleFor(ctx, options.file, options.rules, options.nix);
  for (const k of rule.publicKeys) parseRecipient(k);
  const path = resolvePath(ctx, options.file);
  const existed = await exists(path);
  let plaintext: Uint8Array = new Uint8Array();
  let before: Uint8Array | null = null;
  if (existed) {
    const { identities, places } = await loadIdentities(ctx, options.identities, '-i FILE');
    try {
      before = await readFileLimited(path, JSON.stringify(options.file));
      plaintext = await decryptAge(before, identities, { passphrase: passphrasePrompt(ctx) });
    } catch (error) {
      throw withPlaces(error, places);
    }
  }
  // As agenix does (`[ -t 0 ] || EDITOR='cp -- /dev/stdin'`): stdin that is not a terminal is the new
  // content, whatever EDITOR says; only an explicit --editor runs an editor then.
  const fromStdin = options.editor === '-' || (options.editor === undefined && !ctx.stdin.isTTY);
  let edited: Uint8Array;
  if (fromStdin) {
    edited = await readInput(ctx, '-');
  } else {
    const plan = editorPlan(ctx, options.editor);
    const dir = makePrivateDir(ctx, options.allowDiskTmp);
    try {
      const tmp = writePrivateFile(dir, basename(options.file).replace(/\.age$/, ''), plaintext);
      await runEditor(ctx, plan, tmp, dir.path);
      edited = await readEdited(tmp);
    } finally {
      dir.remove();
    }
  }
  if (existed && equalBytes(edited, plaintext)) {
    printNote(ctx, `secrets: ${options.file} wasn't changed, skipping re-encryption`);
    return 0;
  }
  // An editor that saved nothing (or an empty pipe) is not a new secret: agenix leaves a file it did not
  // see written alone, and an empty value silently replacing a secret would be a loss.
  if (edited.length === 0) {
    if (!existed && !fromStdin) {
      printNote(ctx, `secrets: ${options.file} wasn't created (the editor saved nothing)`);
      return 0;
    }
    throw new SecretsError('SOPS_EMPTY_DOCUMENT', `the new content of ${JSON.stringify(options.file)} is empty: ${existed ? 'the file was left unchanged' : 'nothing was written'}`, {
      hints: ['to delete a secret, remove the file and its rule; without a terminal, pipe the new content'],
    });
  }
  await writeAgeFile({ path, bytes: before }, name, edited, rule.publicKeys, rule.armor, rules.lock, true);
  await saveLock(ctx, rules);
  return 0;
}
