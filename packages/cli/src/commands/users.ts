/**
 * `secrets users add|rm`: what `hosts add|rm` do for hosts, for the admin keys of the people who edit the
 * secrets (`&admin_NAME`, or the file's own naming; see core config/edit.ts).
 */
import { SecretsError, addKey, parseRecipient } from '@secrets/core';
import type { Context } from '../context.js';
import { readInput } from '../io.js';
import { printNote } from '../output.js';
import { configPath, offerRekey, recipientOfSshKey, rewriteConfig } from './config-edit.js';
import { removeAndOffer, selectorOf, type KeyRmOptions } from './hosts.js';

/** Options of `secrets users add`. */
export interface UsersAddOptions {
  readonly name: string;
  readonly pubkey?: string;
  readonly age?: string;
  readonly rule?: number;
  readonly path?: string;
  readonly yes: boolean;
  readonly rekey: boolean;
  readonly config?: string;
}

/** Runs `secrets users add`. */
export async function usersAdd(ctx: Context, options: UsersAddOptions): Promise<number> {
  if ((options.age === undefined) === (options.pubkey === undefined)) throw new SecretsError('USAGE', 'give exactly one of --age age1…, --pubkey FILE');
  const { recipient, note } =
    options.age !== undefined ? { recipient: parseRecipient(options.age).text, note: undefined } : recipientOfSshKey(Buffer.from(await readInput(ctx, options.pubkey as string, { streams: true })).toString('utf8'), JSON.stringify(options.pubkey), true);
  const path = await configPath(ctx, options.config);
  const selector = selectorOf(options);
  const edit = await rewriteConfig(ctx, path, (text) => addKey(text, 'user', options.name, recipient, selector, note));
  if (edit.text === edit.before) {
    printNote(ctx, `secrets: ${options.name} is already present in ${path} (&${edit.anchor}, ${recipient})`);
    return 0;
  }
  const rules = edit.rules.length > 0 ? `, creation rule${edit.rules.length > 1 ? 's' : ''} ${edit.rules.join(', ')}` : '';
  printNote(ctx, `secrets: added ${options.name} (&${edit.anchor}, ${recipient}) to ${path}${rules}`);
  return offerRekey(ctx, options);
}

/** Runs `secrets users rm`. */
export async function usersRm(ctx: Context, options: KeyRmOptions): Promise<number> {
  return removeAndOffer(ctx, 'user', options);
}
