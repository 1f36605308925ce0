/**
 * `secrets users add|rm`: what `hosts add|rm` do for hosts, for the admin keys of the people who edit the
 * secrets (`&admin_NAME`, or the file's own naming; see core config/edit.ts).
 */
import { SecretsError, parseRecipient } from '@secrets/core';
import type { Context } from '../context.js';
import { recipientOfSshKeyInput } from './config-edit.js';
import { addAndOffer, removeAndOffer, type KeyRmOptions } from './hosts.js';

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
  const key =
    options.age !== undefined ? { recipient: parseRecipient(options.age).text, note: undefined } : await recipientOfSshKeyInput(ctx, options.pubkey as string, JSON.stringify(options.pubkey), true);
  return addAndOffer(ctx, 'user', options, key);
}

/** Runs `secrets users rm`. */
export async function usersRm(ctx: Context, options: KeyRmOptions): Promise<number> {
  return removeAndOffer(ctx, 'user', options);
}
