/**
 * `secrets identities`: which keys would be used to decrypt, and where each came from. The answer to
 * "why can't sops open this file on my machine?" starts here.
 */
import { describeIdentity, describePlaces, discoverIdentities } from '@secrets/core';
import type { Context } from '../context.js';

/** Options of `secrets identities`. */
export interface IdentitiesOptions {
  readonly json: boolean;
}

/**
 * Runs `secrets identities`: lists every place looked at (sops order) and each identity found, with its
 * public recipient(s) when they can be derived without a passphrase. Never prints secret keys.
 *
 * @returns exit status: 0 when at least one identity was found, 1 otherwise
 */
export async function identities(ctx: Context, options: IdentitiesOptions): Promise<number> {
  const found = await discoverIdentities({ env: ctx.env, homedir: ctx.homedir, platform: ctx.platform });
  const described = await Promise.all(found.identities.map((identity) => describeIdentity(identity)));
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify({ places: found.places, identities: described }, null, 2)}\n`);
  } else {
    ctx.stdout.write('places looked at, in order:\n');
    for (const line of describePlaces(found.places)) ctx.stdout.write(`  ${line}\n`);
    ctx.stdout.write(found.identities.length > 0 ? '\nidentities:\n' : '\nno identities found\n');
    for (const d of described) {
      ctx.stdout.write(`  ${d.kind}  from ${d.origin}\n`);
      for (const r of d.recipients) ctx.stdout.write(`      opens files for ${r}\n`);
      if (d.note) ctx.stdout.write(`      ${d.note}\n`);
    }
  }
  return found.identities.length > 0 ? 0 : 1;
}
