/**
 * The registry of key sources a sops operation uses: age with the caller's identities, PGP through
 * the caller's gpg runner, and whatever sources the caller adds or substitutes (by kind).
 */
import type { AgeRecipient, PassphraseRequest, PluginFileKeys } from '../age/index.js';
import { ageKeySource, type IdentitySupply } from './age-source.js';
import type { KeySources, KeyTarget } from './key-source.js';
import { pgpKeySource, type GpgOptions } from './pgp-source.js';

/** What opens or wraps data keys: identities for age keys, gpg for PGP keys, or sources of one's own. */
export interface KeyAccess {
  /** Age identities, or a function loading them when an age key is first tried. */
  readonly identities?: IdentitySupply;
  readonly passphrase?: (request: PassphraseRequest) => Promise<string>;
  /** How to run gpg for PGP keys; without it PGP keys cannot be used (unless `keySources` has one). */
  readonly gpg?: GpgOptions;
  /** Sources by kind, replacing or adding to the ones above. */
  readonly keySources?: KeySources;
  /** Age plugins' answers for many files at once (`askPluginsForDataKeys`): no plugin run per file. */
  readonly pluginFileKeys?: PluginFileKeys;
}

/** An age recipient already parsed, or any key target. */
export type RecipientOrTarget = AgeRecipient | KeyTarget;

/**
 * A parsed age recipient as a key target; targets pass through.
 *
 * @param key - an age recipient from `parseRecipient`, or a key target
 */
export function asKeyTarget(key: RecipientOrTarget): KeyTarget {
  return 'type' in key ? key : { type: 'age', recipient: key.text };
}

/**
 * The key sources for one operation.
 *
 * @param access - identities, passphrase callback, gpg, extra sources
 * @param wanted - the keys about to be wrapped for (parsed age recipients are reused)
 */
export function keySourcesFor(access: KeyAccess, wanted: readonly RecipientOrTarget[] = []): KeySources {
  const recipients = wanted.filter((k): k is AgeRecipient => !('type' in k));
  return {
    age: ageKeySource({
      ...(access.identities ? { identities: access.identities } : {}),
      ...(access.passphrase ? { passphrase: access.passphrase } : {}),
      ...(access.pluginFileKeys ? { pluginFileKeys: access.pluginFileKeys } : {}),
      recipients,
    }),
    ...(access.gpg ? { pgp: pgpKeySource(access.gpg) } : {}),
    ...access.keySources,
  };
}
