/**
 * From a file to what it should be encrypted to: the one implementation of "creation rule → key groups"
 * and of "format from --input-type or the file name" that every command uses, and the recipient diff
 * between a file's key groups and its rule's.
 *
 * Recipients are compared as strings (`age1…`, `ssh-ed25519 AAAA…`, `pgp:FINGERPRINT`, `kms:ARN`…), so a
 * key type this library cannot use (a KMS key, an age plugin recipient without its plugin) is still
 * compared, shown and counted, and never aborts a key-free command; an age plugin recipient
 * (`age1yubikey1…`) needs its plugin only to encrypt.
 */
import { parseRecipient } from '../age/index.js';
import { SecretsError } from '../errors.js';
import type { CreationRule, ConfigKey, SopsConfig } from '../config/schema.js';
import { pathForRules } from '../config/find.js';
import { keyString, pgpTarget } from '../sops/key-source.js';
import type { RecipientOrTarget } from '../sops/key-registry.js';
import type { MasterKey } from '../sops/metadata.js';

/** A creation rule matched for a file, and whether its `path_regex` named the file. */
export interface RuleMatch {
  readonly config: SopsConfig;
  readonly rule: CreationRule;
  /**
   * True when the rule has a `path_regex` that matched. A rule without one (the usual minimal sops-nix
   * setup) governs the sops files it meets, but does not demand that every file be one.
   */
  readonly explicit: boolean;
}

/**
 * The creation rule sops would use for a file: the first whose `path_regex` matches the path relative
 * to the config's directory (unanchored, RE2), or that has none.
 *
 * @param config - the file's `.sops.yaml`
 * @param file - absolute path
 * @returns the match, or null when no rule reaches the file
 */
export function matchRule(config: SopsConfig, file: string): RuleMatch | null {
  const path = pathForRules(config.path, file);
  for (const rule of config.creationRules) {
    if (rule.regex === null) return { config, rule, explicit: false };
    if (rule.regex.test(path)) return { config, rule, explicit: true };
  }
  return null;
}

/** A config key as the string it is compared by: the age recipient, else `type:value`. */
export function configKeyString(key: ConfigKey): string {
  switch (key.type) {
    case 'age':
      return key.recipient;
    case 'pgp':
      // sops removes the spaces of a fingerprint it reads from a config.
      return keyString(pgpTarget(key.value));
    default:
      return `${key.type}:${key.value}`;
  }
}

/**
 * A config key as what a new data key is wrapped for: a parsed age recipient, a PGP target.
 *
 * @param key - a key of a creation rule
 * @returns the target, or null for a kind secrets cannot wrap for (KMS, Vault…)
 * @throws SecretsError AGE_RECIPIENT_INVALID for an age recipient the age layer cannot encrypt to
 */
export function configKeyTarget(key: ConfigKey): RecipientOrTarget | null {
  switch (key.type) {
    case 'age':
      return parseRecipient(key.recipient);
    case 'pgp':
      return pgpTarget(key.value);
    default:
      return null;
  }
}

/** A file's master key as the string it is compared by (see {@link configKeyString}). */
export function masterKeyString(key: MasterKey): string {
  return keyString(key);
}

/**
 * A rule's key groups as recipient strings, in order, duplicates removed per group.
 *
 * @param rule - a creation rule
 * @returns one list per key group
 */
export function ruleKeyGroups(rule: CreationRule): string[][] {
  return rule.keyGroups.map((g) => [...new Set(g.map(configKeyString))]);
}

/**
 * A sops file's key groups as recipient strings.
 *
 * @param groups - the metadata's key groups
 * @returns one list per key group
 */
export function fileKeyGroups(groups: readonly (readonly MasterKey[])[]): string[][] {
  return groups.map((g) => [...new Set(g.map(masterKeyString))]);
}

// formatFor lives with the stores (commands that only read a file need nothing else of this module).
export { formatFor } from '../sops/stores/store.js';

/** One key group of a {@link RecipientDiff}. */
export interface GroupDiff {
  readonly kept: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** How a file's key groups differ from what its rule asks for. */
export interface RecipientDiff {
  readonly groups: readonly GroupDiff[];
  /** Any recipient added or removed, or a different number of groups. */
  readonly changed: boolean;
  /** Some recipient would lose its place (it may still hold the data key: rotate). */
  readonly removed: boolean;
}

/**
 * The per-group recipient diff (what sops updatekeys shows).
 *
 * @param current - the file's groups ({@link fileKeyGroups})
 * @param wanted - the rule's groups ({@link ruleKeyGroups})
 * @returns the diff
 */
export function recipientDiff(current: readonly (readonly string[])[], wanted: readonly (readonly string[])[]): RecipientDiff {
  const groups: GroupDiff[] = [];
  for (let g = 0; g < Math.max(current.length, wanted.length); g++) {
    const have = new Set(current[g] ?? []);
    const want = new Set(wanted[g] ?? []);
    groups.push({ kept: [...want].filter((r) => have.has(r)), added: [...want].filter((r) => !have.has(r)), removed: [...have].filter((r) => !want.has(r)) });
  }
  const removed = groups.some((g) => g.removed.length > 0);
  return { groups, changed: current.length !== wanted.length || removed || groups.some((g) => g.added.length > 0), removed };
}

/**
 * What a new or rekeyed file is encrypted to under a rule: its key groups as age recipients and PGP
 * targets. The one place that refuses keys this tool cannot encrypt to (KMS, Vault…), for every command.
 *
 * @param rule - a creation rule
 * @param configPath - its config, for messages
 * @returns one key list per key group
 * @throws SecretsError CONFIG_INVALID for a kind secrets cannot wrap for, or a rule without keys;
 *   AGE_RECIPIENT_INVALID for an age recipient that cannot be used (a plugin name outside the spec's
 *   charset included)
 */
export function ruleRecipients(rule: CreationRule, configPath: string): RecipientOrTarget[][] {
  const unusable = rule.keyGroups.flat().find((k) => configKeyTarget(k) === null);
  if (unusable) {
    throw new SecretsError('CONFIG_INVALID', `creation rule ${rule.index} uses ${unusable.type} keys, which secrets cannot use`, { hints: ['use age recipients (age1… or ssh-ed25519 …) or PGP fingerprints in this rule'] });
  }
  if (rule.keyGroups.length === 0) throw new SecretsError('CONFIG_INVALID', `creation rule ${rule.index} in ${configPath} has no keys`);
  return rule.keyGroups.map((g) => g.map((k) => configKeyTarget(k) as RecipientOrTarget));
}
