/**
 * `encryptAge`: the native path (`native.ts`) for X25519 and ssh-ed25519 recipients, else typage
 * (`encrypt-typage.ts`), loaded on demand.
 */
import { SecretsError } from '../errors.js';
import { nativeEncrypt } from './native.js';
import type { AgeRecipient } from './recipients.js';

/** Options for {@link encryptAge}. */
export interface EncryptAgeOptions {
  /** PEM-armor the output (`-----BEGIN AGE ENCRYPTED FILE-----`), as `age -a` does. */
  readonly armor?: boolean;
}

/**
 * Encrypts data to one or more recipients; every recipient alone can decrypt the result.
 *
 * @param plaintext - the data
 * @param recipients - parsed recipients (see `parseRecipient`)
 * @param options - `armor` for the ASCII-armored form
 * @returns the age file: binary, or the armored text's bytes (64-column PEM, final newline)
 * @throws SecretsError USAGE when there is no recipient; AGE_RECIPIENT_INVALID for unusable keys and for
 *   post-quantum recipients mixed with classic ones (Go age 1.3 refuses that mix too: the file would
 *   only be as strong as its weakest stanza)
 */
export async function encryptAge(plaintext: Uint8Array, recipients: readonly AgeRecipient[], options: EncryptAgeOptions = {}): Promise<Uint8Array> {
  if (recipients.length === 0) throw new SecretsError('USAGE', 'no recipients to encrypt to');
  const hybrid = recipients.filter((r) => r.kind === 'hybrid').length;
  if (hybrid > 0 && hybrid < recipients.length) {
    throw new SecretsError('AGE_RECIPIENT_INVALID', "can't mix post-quantum (age1pq1…) and classic recipients in one file", {
      hints: ['encrypt to post-quantum recipients only, or to classic ones only'],
    });
  }
  const file = nativeEncrypt(plaintext, recipients, options.armor === true);
  if (file !== null) return file;
  const { encryptWithTypage } = await import('./encrypt-typage.js');
  return encryptWithTypage(plaintext, recipients, options.armor === true);
}
