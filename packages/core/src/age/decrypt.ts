/**
 * `decryptAge`: the native path (`native.ts`) for plain X25519 identities (success or "no identity
 * matched"), else the full path on typage (`decrypt-session.ts`), loaded on demand.
 */
import { SecretsError } from '../errors.js';
import type { ParsedAgeFile } from './header.js';
import type { AgeIdentity } from './identities.js';
import { decryptionFailure } from './diagnostics.js';
import { nativeDecrypt, nativeDecryptParsed, type NativeDecryptResult } from './native.js';
import type { AgePluginHost } from './plugin-host.js';
import type { PluginFileKeys } from './plugin-file-keys.js';

/** What is asked of the user for a passphrase. */
export interface PassphraseRequest {
  /** The identity's origin, e.g. `~/.ssh/id_ed25519`. */
  readonly origin: string;
  /** Why it is needed now. */
  readonly reason: string;
}

/** Options for {@link decryptAge}. */
export interface DecryptAgeOptions {
  /**
   * Asked for the passphrase of a protected SSH key (only when a stanza carries its tag, or as a last
   * resort for X25519 stanzas) and of a passphrase-protected identity file (only when nothing else opened
   * the file). Each key is asked for at most once per call; after the callback throws, it is not called
   * again in that call. Unlocked keys are wiped when the call returns, so a caller decrypting several
   * files (e.g. one per sops age entry) should remember answers by `origin` to avoid asking twice.
   */
  readonly passphrase?: (request: PassphraseRequest) => Promise<string>;
  /** How plugin identities' programs run and talk to the user; default: the host set with `setAgePluginHost`. */
  readonly plugins?: AgePluginHost;
  /**
   * Answers plugins already gave for this file's header, asked together with other files
   * (`askPluginsForFileKeys`): used instead of running the plugin again.
   */
  readonly pluginFileKeys?: PluginFileKeys;
}

/**
 * Decrypts an age file, binary or armored (detected; whitespace around the armor and CRLF tolerated).
 *
 * An SSH ed25519 key opens both native `ssh-ed25519` stanzas and X25519 stanzas addressed to its
 * ssh-to-age recipient (sops-nix files). Protected SSH keys are unlocked only when a stanza carries their
 * tag (or, for the X25519 route, after everything else failed); passphrase-protected identity files are
 * opened last.
 *
 * @param file - the age file
 * @param identities - from `parseIdentities` or discovery, tried in order
 * @param options - the passphrase callback
 * @returns the plaintext
 * @throws SecretsError AGE_NO_IDENTITIES (empty list); AGE_NO_IDENTITY_MATCHED with hints naming the
 *   file's stanzas and, per identity, its origin and why it did not match; AGE_DECRYPT_FAILED when an
 *   identity's stanza was found but did not open (wrong passphrase, corrupted stanza); AGE_FILE_INVALID
 *   for malformed files, a header MAC mismatch, or a corrupted payload; the passphrase callback's own
 *   SecretsError when it fails for a key that was needed; AGE_IDENTITY_INVALID / SSH_* for unusable keys
 */
export async function decryptAge(file: Uint8Array, identities: readonly AgeIdentity[], options: DecryptAgeOptions = {}): Promise<Uint8Array> {
  if (identities.length === 0) throw new SecretsError('AGE_NO_IDENTITIES', 'no age identities to decrypt with');
  return finish(nativeDecrypt(file, identities), file, identities, options);
}

/**
 * {@link decryptAge} of a file read with `parseAgeFile` (sops reads each `enc` once: to count its
 * stanzas against the file's budget and to decrypt it).
 *
 * @param file - the file and its parsed header
 * @param identities - as for {@link decryptAge}
 * @param options - as for {@link decryptAge}
 * @returns the plaintext
 * @throws SecretsError as {@link decryptAge}
 */
export async function decryptParsedAge(file: ParsedAgeFile, identities: readonly AgeIdentity[], options: DecryptAgeOptions = {}): Promise<Uint8Array> {
  if (identities.length === 0) throw new SecretsError('AGE_NO_IDENTITIES', 'no age identities to decrypt with');
  return finish(nativeDecryptParsed(file.binary, file.header, identities), file.binary, identities, options);
}

async function finish(native: NativeDecryptResult | null, file: Uint8Array, identities: readonly AgeIdentity[], options: DecryptAgeOptions): Promise<Uint8Array> {
  if (native !== null) {
    if ('opened' in native) return native.opened;
    // The full path would answer the same after the same X25519 operations (native.ts): a wrong key
    // costs one X25519 per stanza, not a load of typage and a second pass.
    throw decryptionFailure(native.stanzas, native.unmatched);
  }
  const { decryptWithSession } = await import('./decrypt-session.js');
  return decryptWithSession(file, identities, options);
}
