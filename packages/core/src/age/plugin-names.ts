/**
 * age plugin recipients and identities as strings (C2SP age-plugin §"Mapping recipients and identities to
 * plugin binaries"): a recipient is Bech32 with the HRP `age1NAME` (lower case), an identity Bech32 with
 * the HRP `AGE-PLUGIN-NAME-` (upper case), and both are handled by the program `age-plugin-NAME` on PATH.
 *
 * NAME comes from a repository (`.sops.yaml`, `secrets.nix`, a sops file's metadata), so it is checked
 * against the spec's charset before any program name is built from it: `age1../../x1…` is valid Bech32
 * (an HRP may hold any printable character) and must never become `age-plugin-../../x`.
 */
import { bech32 } from '@scure/base';
import { SecretsError } from '../errors.js';
import { escapeControl } from '../escape.js';

/** The spec's `NAME = 1*(ALPHA / DIGIT / "-" / "_" / "." / "+")`, bounded (a Bech32 HRP has at most 83 characters). */
const PLUGIN_NAME = /^[A-Za-z0-9._+-]{1,64}$/;

/** A plugin recipient or identity, split into its plugin name and its text. */
export interface PluginKey {
  /** The plugin name in lower case (names are case-insensitive), e.g. `yubikey`. */
  readonly name: string;
  /** The recipient or identity exactly as given (trimmed). */
  readonly text: string;
}

/**
 * Whether a plugin name is one the spec allows (and so safe to put in a program name).
 *
 * @param name - a plugin name
 * @returns true for 1 to 64 characters of `A-Z a-z 0-9 - _ . +`
 */
export function isValidPluginName(name: string): boolean {
  return PLUGIN_NAME.test(name);
}

/**
 * The program that handles a plugin: `age-plugin-NAME`, looked up on PATH by the runner.
 *
 * @param name - a plugin name (checked again here: this is the last step before a program runs)
 * @returns the program name
 * @throws SecretsError AGE_RECIPIENT_INVALID for a name outside the spec's charset
 */
export function pluginBinaryName(name: string): string {
  if (!isValidPluginName(name)) throw new SecretsError('AGE_RECIPIENT_INVALID', `invalid age plugin name ${JSON.stringify(escapeControl(name.slice(0, 80)))}`);
  return `age-plugin-${name.toLowerCase()}`;
}

const shown = (text: string): string => JSON.stringify(escapeControl(text.length > 80 ? `${text.slice(0, 80)}…` : text));

/** Bech32 without the 90-character limit (plugin keys may be long); null when the checksum fails. */
function bech32Prefix(text: string): string | null {
  try {
    return bech32.decode(text as `${string}1${string}`, false).prefix;
  } catch {
    return null;
  }
}

/**
 * Whether a recipient string names a plugin: `age1…` with a second `1` (sops and age count the `1`s:
 * Bech32 data never holds one), and not a post-quantum `age1pq1…` key.
 *
 * @param text - a trimmed recipient
 */
export function looksLikePluginRecipient(text: string): boolean {
  return text.startsWith('age1') && !text.startsWith('age1pq1') && text.indexOf('1', 4) > 0;
}

/**
 * Parses a plugin recipient `age1NAME1…`.
 *
 * @param text - the trimmed recipient
 * @returns its plugin name and text
 * @throws SecretsError AGE_RECIPIENT_INVALID for a bad checksum, mixed or upper case, or a plugin name
 *   outside the spec's charset (quoted, control characters escaped)
 */
export function parsePluginRecipient(text: string): PluginKey {
  const prefix = text === text.toLowerCase() ? bech32Prefix(text) : null;
  if (prefix === null || !prefix.startsWith('age1')) {
    throw new SecretsError('AGE_RECIPIENT_INVALID', `invalid age plugin recipient ${shown(text)} (bad bech32 checksum or case)`);
  }
  const name = prefix.slice(4);
  if (!isValidPluginName(name)) {
    throw new SecretsError('AGE_RECIPIENT_INVALID', `invalid age plugin name ${shown(name)} in a recipient`, {
      hints: ['plugin names are letters, digits and - _ . + (C2SP age-plugin)'],
    });
  }
  return { name, text };
}

/**
 * Parses a plugin identity `AGE-PLUGIN-NAME-1…`. Never quotes the identity: it may be a secret.
 *
 * @param token - one identity
 * @param where - its origin, for messages
 * @returns its plugin name and text
 * @throws SecretsError AGE_IDENTITY_INVALID for a bad checksum, lower or mixed case, or a bad name
 */
export function parsePluginIdentity(token: string, where: string): PluginKey {
  const prefix = token === token.toUpperCase() ? bech32Prefix(token) : null;
  if (prefix === null || !prefix.startsWith('age-plugin-') || !prefix.endsWith('-') || prefix.length <= 'age-plugin--'.length) {
    throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: malformed age plugin identity (bad bech32 checksum or case)`);
  }
  const name = prefix.slice('age-plugin-'.length, -1);
  if (!isValidPluginName(name)) {
    throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: invalid age plugin name ${shown(name)} in an identity`, {
      hints: ['plugin names are letters, digits and - _ . + (C2SP age-plugin)'],
    });
  }
  return { name, text: token };
}
