/**
 * `secrets agenix rekey`: re-encrypts the `.age` files whose recipients (or armor) differ from their rule
 * in `secrets.nix`, leaving the others byte-identical.
 */
import { dirname, relative } from 'node:path';
import { SecretsError, askPluginsForAgeFiles, decryptAge, planAgenixRekey, secretsNixKeyNames, type PluginFileKeys } from '@secrets/core';
import type { Context } from '../context.js';
import { passphrasePrompt } from '../identities.js';
import { repoView, resolvePath } from '../io.js';
import { escapeControl, printError, printNote } from '../output.js';
import { lazyIdentities, loadRules, lockEntry, message, nameFor, ruleNamed, saveLock, writeAgeFile, type NixMode } from './agenix-rules.js';

/** Options of `secrets agenix rekey`. */
export interface AgenixRekeyOptions {
  readonly files: readonly string[];
  readonly rules?: string;
  readonly identities: readonly string[];
  /** Re-encrypt every file, changed or not (agenix -r). */
  readonly force: boolean;
  /** Only say what would be rekeyed; needs no key. */
  readonly dryRun: boolean;
  readonly nix?: NixMode;
}

/**
 * Runs `secrets agenix rekey [FILE…]`: re-encrypts the files whose recipients (or armor) differ from their
 * rule, leaving the others byte-identical, and carries on past files it cannot open (agenix#143).
 *
 * @returns 0, or 1 when some file failed (all failures are listed at the end)
 */
export async function agenixRekey(ctx: Context, options: AgenixRekeyOptions): Promise<number> {
  const start = options.files[0] !== undefined ? dirname(resolvePath(ctx, options.files[0])) : ctx.cwd;
  const rules = await loadRules(ctx, start, options.rules, options.nix);
  const selected = options.files.length > 0 ? options.files.map((f) => ruleNamed(rules, nameFor(rules, ctx, f))) : [...rules.rules];
  const identities = lazyIdentities(ctx, options.identities);
  const failures: string[] = [];
  // No identity at all fails every file the same way: where we looked is said once, at the end.
  let noKey: SecretsError | null = null;
  let rekeyed = 0;
  let current = 0;
  let missing = 0;
  const plan = planAgenixRekey(repoView(), rules.path, selected, rules.lock, { force: options.force, names: secretsNixKeyNames(rules.text) });
  // Age plugins asked once for every file to re-encrypt (one PIN, not one per file: agenix -r asks each time).
  let asked: PluginFileKeys | undefined;
  const stale = plan.flatMap((item) => (item.state.status === 'stale' ? [item.state.bytes] : []));
  if (!options.dryRun && stale.length > 1) {
    try {
      asked = await askPluginsForAgeFiles(stale, (await identities()).identities);
    } catch {
      // no identities: each file says so
    }
  }
  try {
    for (const item of plan) {
      const shown = relative(ctx.cwd, item.path) || item.path;
      const state = item.state;
      try {
        if (state.status === 'missing') {
          printNote(ctx, `secrets: does not exist, skipped: ${shown}`);
          missing++;
          continue;
        }
        if (state.status === 'unreadable') throw state.error;
        if (state.status === 'current') {
          current++;
          if (!rules.lock.has(item.name)) rules.lock.set(item.name, lockEntry(item.rule.publicKeys, state.bytes));
          continue;
        }
        if (options.dryRun) {
          ctx.stdout.write(`${escapeControl(`would rekey ${shown}: ${state.reason}`)}\n`);
          rekeyed++;
          continue;
        }
        const { identities: ids, wrap } = await identities();
        let plaintext: Uint8Array;
        try {
          plaintext = await decryptAge(state.bytes, ids, { passphrase: passphrasePrompt(ctx), ...(asked ? { pluginFileKeys: asked } : {}) });
        } catch (error) {
          throw wrap(error);
        }
        await writeAgeFile({ path: item.path, bytes: state.bytes }, item.name, plaintext, item.rule.publicKeys, item.rule.armor, rules.lock);
        printNote(ctx, `secrets: rekeyed ${shown} (${state.reason})`);
        rekeyed++;
      } catch (error) {
        if (error instanceof SecretsError && error.code === 'AGE_NO_IDENTITIES') noKey = error;
        failures.push(`${shown}: ${message(error)}`);
      }
    }
  } finally {
    asked?.dispose();
  }
  if (!options.dryRun) await saveLock(ctx, rules);
  const summary = [`${rekeyed} ${options.dryRun ? 'to rekey' : 'rekeyed'}`, `${current} up to date`, ...(missing ? [`${missing} missing`] : []), ...(failures.length ? [`${failures.length} failed`] : [])];
  printNote(ctx, `secrets: ${summary.join(', ')}`);
  if (failures.length > 0) {
    printError(ctx, `failed to rekey ${failures.length} file${failures.length === 1 ? '' : 's'}`, [...failures, ...(noKey?.hints ?? [])]);
    return 1;
  }
  return 0;
}
