/**
 * Encryption to any mix of recipients: typage writes the header, MAC and STREAM payload; X25519 and
 * hybrid stanzas are typage's own, the SSH stanzas ours.
 */
import { armor, Encrypter, type Recipient } from 'age-encryption';
import { SecretsError } from '../errors.js';
import { utf8 } from '../bytes.js';
import type { AgeRecipient } from './recipients.js';
import { SshEd25519Recipient } from './ssh-ed25519.js';
import { SshRsaRecipient } from './ssh-rsa.js';

/** Options for {@link encryptAge}. */
export interface EncryptAgeOptions {
  /** PEM-armor the output (`-----BEGIN AGE ENCRYPTED FILE-----`), as `age -a` does. */
  readonly armor?: boolean;
}

function toTypage(recipient: AgeRecipient): Recipient | string {
  switch (recipient.kind) {
    case 'ssh-ed25519':
      return new SshEd25519Recipient(recipient.key);
    case 'ssh-rsa':
      return new SshRsaRecipient(recipient.key);
    case 'x25519':
    case 'hybrid':
      return recipient.text; // typage's native implementations, validated by parseRecipient
  }
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
  const e = new Encrypter();
  let file: Uint8Array;
  try {
    // typage throws plain Errors for malformed strings (a hand-built AgeRecipient); ours throw SecretsError.
    for (const r of recipients) e.addRecipient(toTypage(r));
    file = await e.encrypt(plaintext);
  } catch (error) {
    if (error instanceof SecretsError) throw error;
    throw new SecretsError('AGE_RECIPIENT_INVALID', 'invalid recipient: it could not wrap the file key', { cause: error });
  }
  return options.armor ? utf8(armor.encode(file)) : file;
}
