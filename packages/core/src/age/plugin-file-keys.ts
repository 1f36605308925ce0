/**
 * File keys that plugins gave for many files in one session each (C2SP age-plugin `identity-v1` takes
 * stanzas of several files, one index per file), kept for the decryptions that follow: a plugin that asks
 * for a PIN, or opens a hardware session, does so once for a whole `rekey` instead of once per file.
 *
 * Only a cache: `decryptAge` with {@link DecryptAgeOptions.pluginFileKeys} takes a plugin's answer from
 * here when the header was offered, and runs the plugin as before when it was not. Either way the file
 * key is checked against the header MAC as any other.
 */
import { bufferOf, wipe } from '../bytes.js';
import { isSecretsError } from '../errors.js';
import { parseAgeFile, type ParsedHeader } from './header.js';
import type { AgeIdentity } from './identities.js';
import { nativeUnwrapParsed } from './native.js';
import { resolvePluginHost, type AgePluginHost } from './plugin-host.js';
import { pluginUnwrapFiles } from './plugin-session.js';

/** What a plugin answered for one header: its file key (null: it opened nothing) and what it said. */
export interface PluginAnswer {
  readonly fileKey: Uint8Array | null;
  readonly reasons: readonly string[];
}

const keyOf = (plugin: string, headerBytes: Uint8Array): string => `${plugin}\n${bufferOf(headerBytes).toString('latin1')}`;

/** Plugins' answers by plugin and header (the header's bytes up to its MAC line, as read). */
export class PluginFileKeys {
  private readonly answers = new Map<string, PluginAnswer>();

  /** @internal Records a plugin's answer for a header it was offered. */
  set(plugin: string, headerBytes: Uint8Array, answer: PluginAnswer): void {
    const key = keyOf(plugin, headerBytes);
    const old = this.answers.get(key);
    wipe(old?.fileKey ?? undefined);
    this.answers.set(key, answer);
  }

  /**
   * The plugin's answer for a header, when it was offered: a file key is handed out once (a copy the
   * caller wipes), then wiped here.
   *
   * @returns the answer, or undefined when this plugin was not offered this header
   */
  take(plugin: string, headerBytes: Uint8Array): PluginAnswer | undefined {
    const key = keyOf(plugin, headerBytes);
    const answer = this.answers.get(key);
    if (answer === undefined) return undefined;
    if (answer.fileKey === null) return answer;
    this.answers.delete(key);
    const fileKey = Uint8Array.from(answer.fileKey);
    wipe(answer.fileKey);
    return { fileKey, reasons: answer.reasons };
  }

  /** Wipes every file key not handed out. */
  dispose(): void {
    for (const a of this.answers.values()) wipe(a.fileKey ?? undefined);
    this.answers.clear();
  }
}

/** A header to offer: its parse and its bytes (up to and including the MAC line). */
export interface OfferedHeader {
  readonly header: ParsedHeader;
  readonly bytes: Uint8Array;
}

/**
 * Whether one of the plain X25519 identities among `identities` opens a header (on the native path, the
 * header MAC checked): decryption tries every plain identity before any plugin, so a plugin is never
 * needed for such a file.
 *
 * @param offered - the header and its bytes
 * @param identities - the identities; only the X25519 ones are tried
 */
export function plainIdentityOpens(offered: OfferedHeader, identities: readonly AgeIdentity[]): boolean {
  const plain = identities.filter((id) => id.kind === 'x25519');
  if (plain.length === 0) return false;
  const result = nativeUnwrapParsed(offered.bytes, offered.header, plain);
  if (result === null || !('fileKey' in result)) return false;
  wipe(result.fileKey);
  return true;
}

/**
 * Asks each plugin among the identities, once, for the file keys of all the headers given.
 *
 * @param headers - the headers decryption would offer the plugins: the caller leaves out those a plain
 *   identity opens ({@link plainIdentityOpens}; a plugin is tried after every plain identity)
 * @param identities - the identities; only the plugin ones are used
 * @param options - the plugin host
 * @returns the answers; a plugin that cannot start or breaks the protocol leaves its headers out (their
 *   decryption then runs it again, and reports what went wrong)
 */
export async function askPluginsForFileKeys(headers: readonly OfferedHeader[], identities: readonly AgeIdentity[], options: { readonly plugins?: AgePluginHost } = {}): Promise<PluginFileKeys> {
  const keys = new PluginFileKeys();
  const byPlugin = new Map<string, string[]>();
  for (const id of identities) if (id.kind === 'plugin') byPlugin.set(id.plugin, [...(byPlugin.get(id.plugin) ?? []), id.secret]);
  if (headers.length === 0) return keys;
  for (const [plugin, secrets] of byPlugin) {
    let answers;
    try {
      answers = await pluginUnwrapFiles(plugin, secrets, headers.map((h) => h.header.stanzas), resolvePluginHost(options.plugins, plugin));
    } catch (error) {
      if (!isSecretsError(error)) throw error;
      continue;
    }
    for (const [i, h] of headers.entries()) keys.set(plugin, h.bytes, { fileKey: answers.fileKeys[i] ?? null, reasons: answers.reasons });
  }
  return keys;
}

/**
 * Whether plugins can be asked ahead for these identities: there is a plugin identity, and the others
 * are plain X25519 ones, whose decisions {@link plainIdentityOpens} repeats exactly. (An SSH key may
 * open a file before any plugin, after asking for its passphrase: not decided ahead.)
 */
export function canAskPluginsAhead(identities: readonly AgeIdentity[]): boolean {
  return identities.some((id) => id.kind === 'plugin') && identities.every((id) => id.kind === 'plugin' || id.kind === 'x25519');
}

/**
 * {@link askPluginsForFileKeys} for whole age files (agenix rekey): each plugin is asked once for every
 * file no plain identity opens.
 *
 * @param files - the age files, binary or armored (one that does not parse is left to its decryption)
 * @param identities - the identities the files will be decrypted with
 * @param options - the plugin host
 * @returns the answers, to pass as `pluginFileKeys` (and dispose after), or undefined when there is
 *   nothing to ask ahead ({@link canAskPluginsAhead})
 */
export async function askPluginsForAgeFiles(files: readonly Uint8Array[], identities: readonly AgeIdentity[], options: { readonly plugins?: AgePluginHost } = {}): Promise<PluginFileKeys | undefined> {
  if (!canAskPluginsAhead(identities)) return undefined;
  const offers: OfferedHeader[] = [];
  for (const file of files) {
    let offered: OfferedHeader;
    try {
      const { binary, header } = parseAgeFile(file);
      offered = { header, bytes: binary.subarray(0, header.length) };
    } catch {
      continue;
    }
    if (!plainIdentityOpens(offered, identities)) offers.push(offered);
  }
  return offers.length === 0 ? undefined : askPluginsForFileKeys(offers, identities, options);
}
