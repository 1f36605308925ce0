/**
 * `encryptAge`: the native path (`native-encrypt.ts`) for X25519 and ssh-ed25519 recipients, else typage
 * (`encrypt-typage.ts`), loaded on demand; plugin recipients (`age1NAME1…`) are wrapped there by their
 * plugin programs (`plugin-session.ts`).
 */
import { bufferOf } from '../bytes.js';
import { SecretsError } from '../errors.js';
import { nativeEncrypt, nativeEncryptArmored } from './native-encrypt.js';
import type { AgePluginHost } from './plugin-host.js';
import type { AgeRecipient } from './recipients.js';

/** Options for {@link encryptAge}. */
export interface EncryptAgeOptions {
  /** PEM-armor the output (`-----BEGIN AGE ENCRYPTED FILE-----`), as `age -a` does. */
  readonly armor?: boolean;
  /** How plugin recipients' programs run and talk to the user; default: the host set with `setAgePluginHost`. */
  readonly plugins?: AgePluginHost;
}

/**
 * Encrypts data to one or more recipients; every recipient alone can decrypt the result.
 *
 * @param plaintext - the data
 * @param recipients - parsed recipients (see `parseRecipient`)
 * @param options - `armor` for the ASCII-armored form
 * @returns the age file: binary, or the armored text's bytes (64-column PEM, final newline)
 * @throws SecretsError USAGE when there is no recipient (or no plugin host for a plugin recipient);
 *   AGE_RECIPIENT_INVALID for unusable keys, for post-quantum recipients mixed with classic ones (Go age
 *   1.3 refuses that mix too: the file would only be as strong as its weakest stanza), for a plugin that
 *   is missing, fails or whose stanza labels do not match the other recipients' (C2SP age-plugin labels)
 */
export async function encryptAge(plaintext: Uint8Array, recipients: readonly AgeRecipient[], options: EncryptAgeOptions = {}): Promise<Uint8Array> {
  checkRecipients(recipients);
  const file = nativeEncrypt(plaintext, recipients, options.armor === true);
  if (file !== null) return file;
  const { encryptWithTypage } = await import('./encrypt-typage.js');
  return encryptWithTypage(plaintext, recipients, options.armor === true, options.plugins);
}

/**
 * {@link encryptAge} to the ASCII-armored form, as text: what sops stores as a key's `enc`.
 *
 * @param plaintext - the data
 * @param recipients - parsed recipients
 * @param options - `plugins` (`armor` is implied)
 * @returns the armored file (64-column PEM, final newline)
 * @throws SecretsError as {@link encryptAge}
 */
export async function encryptAgeArmored(plaintext: Uint8Array, recipients: readonly AgeRecipient[], options: Omit<EncryptAgeOptions, 'armor'> = {}): Promise<string> {
  checkRecipients(recipients);
  const text = nativeEncryptArmored(plaintext, recipients);
  if (text !== null) return text;
  const { encryptWithTypage } = await import('./encrypt-typage.js');
  const file = await encryptWithTypage(plaintext, recipients, true, options.plugins);
  return bufferOf(file).toString('latin1');
}

function checkRecipients(recipients: readonly AgeRecipient[]): void {
  if (recipients.length === 0) throw new SecretsError('USAGE', 'no recipients to encrypt to');
  const hybrid = recipients.filter((r) => r.kind === 'hybrid').length;
  // Plugin stanzas declare their own labels (checked when they are made); the others' are implicit.
  if (hybrid > 0 && recipients.some((r) => r.kind !== 'hybrid' && r.kind !== 'plugin')) {
    throw new SecretsError('AGE_RECIPIENT_INVALID', "can't mix post-quantum (age1pq1…) and classic recipients in one file", {
      hints: ['encrypt to post-quantum recipients only, or to classic ones only'],
    });
  }
}
