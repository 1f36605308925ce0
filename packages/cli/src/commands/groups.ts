/**
 * `secrets groups add|delete`: sops 3.13's `groups` subcommand. Both recover the file's data key, change
 * its key groups, and wrap the SAME data key for the result (sops groups/add.go, delete.go): values, MAC
 * and `lastmodified` are untouched. `add` appends one group (`--age`), `delete INDEX` removes the group at
 * that 0-based index; `--shamir-secret-sharing-threshold N` sets the threshold. Like sops, the result goes
 * to stdout unless `-i`.
 */
import { SecretsError, keyTarget, loadSopsFile, parseRecipient, pgpTarget, rekeySopsFile, type LoadedSopsFile, type RecipientOrTarget } from '@secrets/core';
import type { Context } from '../context.js';
import { fileKeyAccess } from '../identities.js';
import { readInput, resolvePath, writeOutput } from '../io.js';
import { formatOption } from './decrypt.js';
import { replaceIfUnchanged } from './modify.js';

/** Options shared by `groups add` and `groups delete`. */
export interface GroupsOptions {
  readonly file: string;
  readonly inPlace: boolean;
  readonly inputType?: string;
  /** `--shamir-secret-sharing-threshold`: the new threshold (absent or 0: the file's). */
  readonly shamirThreshold?: number;
}

/** The file's key groups as keys to wrap for (a kind no source can wrap for is refused when wrapping). */
function fileGroups(loaded: LoadedSopsFile): RecipientOrTarget[][] {
  return loaded.metadata.keyGroups.map((group) => group.map(keyTarget));
}

/** Reads the file, applies `change` to its groups, re-wraps the data key and writes the result. */
async function changeGroups(ctx: Context, options: GroupsOptions, change: (groups: RecipientOrTarget[][]) => RecipientOrTarget[][]): Promise<number> {
  const format = formatOption(options.inputType, options.file, '--input-type');
  const bytes = await readInput(ctx, options.file);
  const loaded = loadSopsFile(bytes, format);
  const groups = change(fileGroups(loaded));
  const threshold = options.shamirThreshold !== undefined && options.shamirThreshold !== 0 ? options.shamirThreshold : loaded.metadata.shamirThreshold;
  if (threshold > groups.length) {
    // sops groups delete: "removing this key group will make the Shamir threshold impossible to satisfy".
    throw new SecretsError('USAGE', `the Shamir threshold is ${threshold}, but the file would have only ${groups.length} key groups`, {
      hints: ['pass a lower --shamir-secret-sharing-threshold'],
    });
  }
  const keys = fileKeyAccess(ctx, [], null);
  let next: Uint8Array;
  try {
    next = await rekeySopsFile(loaded, { format, ...keys.access, keyGroups: groups, shamirThreshold: threshold === 0 ? groups.length : threshold });
  } catch (error) {
    throw keys.explain(error);
  }
  if (options.inPlace) await replaceIfUnchanged({ path: resolvePath(ctx, options.file), bytes }, next);
  else await writeOutput(ctx, '-', next);
  return 0;
}

/**
 * Runs `secrets groups add --file F --age a,b`: a new key group holding these recipients.
 *
 * @returns exit status
 */
export async function groupsAdd(ctx: Context, options: GroupsOptions & { readonly age: readonly string[]; readonly pgp?: readonly string[] }): Promise<number> {
  const split = (list: readonly string[]): string[] => list.flatMap((a) => a.split(',')).map((r) => r.trim()).filter((r) => r !== '');
  const group: RecipientOrTarget[] = [...split(options.age).map((r) => parseRecipient(r)), ...split(options.pgp ?? []).map((fp) => pgpTarget(fp))];
  if (group.length === 0) throw new SecretsError('USAGE', 'no keys for the new group', { hints: ['e.g. secrets groups add --file secrets.yaml --age age1…,age1…'] });
  return changeGroups(ctx, options, (groups) => [...groups, group]);
}

/**
 * Runs `secrets groups delete --file F INDEX`: removes the key group at INDEX (0-based, as sops).
 *
 * @returns exit status
 */
export async function groupsDelete(ctx: Context, options: GroupsOptions & { readonly index: string }): Promise<number> {
  const index = /^\d{1,9}$/.test(options.index) ? Number(options.index) : NaN;
  return changeGroups(ctx, options, (groups) => {
    if (!(index < groups.length)) throw new SecretsError('USAGE', `no key group ${JSON.stringify(options.index)}: the file has groups 0 to ${groups.length - 1}`);
    if (groups.length === 1) throw new SecretsError('USAGE', 'cannot delete the only key group: nobody could open the file');
    return groups.filter((_g, i) => i !== index);
  });
}
