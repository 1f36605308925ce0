/**
 * Age plugins asked once for many sops files (`rekey` of a repository with a hardware key): every
 * `enc` a plugin would be run for, file after file, is offered to it in one session instead
 * (`askPluginsForFileKeys`), so a PIN is asked, and a hardware session opened, once per run.
 *
 * Which `enc`s: every age one in key groups that no plain X25519 identity opens (decryption tries every
 * plain identity first, then offers the plugins every header; sops needs one key per group). Only plain and
 * plugin identities are handled here; with any other kind (an SSH key may open a file, after asking for
 * its passphrase) nothing is asked ahead, and each file runs its plugins as before.
 */
import { askPluginsForFileKeys, canAskPluginsAhead, parseAgeFile, plainIdentityOpens, type AgeIdentity, type OfferedHeader, type PluginFileKeys } from '../age/index.js';
import { utf8 } from '../bytes.js';
import { MAX_SOPS_STANZAS } from './age-source.js';
import type { KeyAccess } from './key-registry.js';
import type { Metadata } from './metadata.js';

/**
 * The `enc` blocks of one file a plugin would be run for: per key group, none when a plain identity opens
 * the group. Stanzas are counted against the same per-file budget as decryption's.
 */
function fileOffers(metadata: Metadata, identities: readonly AgeIdentity[]): OfferedHeader[] {
  const offers: OfferedHeader[] = [];
  let budget = MAX_SOPS_STANZAS;
  for (const group of metadata.keyGroups) {
    const inGroup: OfferedHeader[] = [];
    let opened = false;
    for (const key of group) {
      if (key.type !== 'age') continue;
      let offered: OfferedHeader;
      try {
        const { binary, header } = parseAgeFile(utf8(key.enc), { maxStanzas: budget });
        budget -= header.stanzas.length;
        offered = { header, bytes: binary.subarray(0, header.length) };
      } catch {
        // Malformed or over the budget: decrypting the file says so; nothing to ask for it here.
        return [];
      }
      if (plainIdentityOpens(offered, identities)) {
        opened = true;
        break;
      }
      // Every block, whatever its stanzas: a plugin may open X25519 stanzas too (a hardware-held X25519
      // key), and decryption offers it every header a plain identity did not open.
      inGroup.push(offered);
    }
    if (!opened) offers.push(...inGroup);
  }
  return offers;
}

/**
 * Asks the age plugins among the identities, once each, for the data keys of all the files given.
 *
 * @param files - the files about to be opened (their metadata)
 * @param access - their key access; its identities are loaded here when given as a function
 * @returns the plugins' answers, to pass as `pluginFileKeys` in the same access (and dispose after), or
 *   undefined when there is nothing to ask ahead
 */
export async function askPluginsForDataKeys(files: readonly { readonly metadata: Metadata }[], access: KeyAccess): Promise<PluginFileKeys | undefined> {
  const supply = access.identities;
  // No age key anywhere: the identities are not loaded (loading may run SOPS_AGE_KEY_CMD) for files gpg opens.
  if (supply === undefined || !files.some((f) => f.metadata.keyGroups.some((g) => g.some((k) => k.type === 'age')))) return undefined;
  let identities: readonly AgeIdentity[];
  try {
    identities = typeof supply === 'function' ? await supply() : supply;
  } catch {
    return undefined; // no identities: each file reports it
  }
  if (!canAskPluginsAhead(identities)) return undefined;
  const offers = files.flatMap((f) => fileOffers(f.metadata, identities));
  return offers.length === 0 ? undefined : askPluginsForFileKeys(offers, identities);
}
