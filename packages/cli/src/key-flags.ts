/**
 * Keys named on the command line, as sops takes them: `--age` (or SOPS_AGE_RECIPIENTS when no `--age`
 * is given) and `--pgp` (or SOPS_PGP_FP), each comma-separated and repeatable. Any of them replaces the
 * `.sops.yaml` rule's key groups with one group.
 */
import { parseRecipient, pgpTarget, type RecipientOrTarget } from '@secrets/core';
import type { Context } from './context.js';

const split = (list: readonly string[]): string[] => list.flatMap((a) => a.split(',')).map((r) => r.trim()).filter((r) => r !== '');

/**
 * The keys of `--age` and `--pgp`, with their environment variables when the flag is absent.
 *
 * @returns the keys in flag order (age recipients first, as sops adds them), or [] when none is named
 * @throws SecretsError AGE_RECIPIENT_INVALID for a bad age recipient
 */
export function keysFromFlags(ctx: Context, age: readonly string[] | undefined, pgp: readonly string[] | undefined): RecipientOrTarget[] {
  const ages = age !== undefined && age.length > 0 ? age : [ctx.env['SOPS_AGE_RECIPIENTS'] ?? ''];
  const pgps = pgp !== undefined && pgp.length > 0 ? pgp : [ctx.env['SOPS_PGP_FP'] ?? ''];
  return [...split(ages).map((r) => parseRecipient(r)), ...split(pgps).map((fp) => pgpTarget(fp))];
}
