/**
 * Encryption to any mix of recipients on typage: it writes the header, MAC and STREAM payload; X25519
 * and hybrid stanzas are typage's own, the SSH stanzas ours. The path behind `encryptAge` (see
 * `encrypt.ts`) for what the native path does not cover, loaded on demand.
 */
import { Encrypter, type Recipient } from 'age-encryption';
import { SecretsError } from '../errors.js';
import { utf8 } from '../bytes.js';
import { armorEncode } from './armor.js';
import type { AgeRecipient } from './recipients.js';
import { SshEd25519Recipient } from './ssh-ed25519.js';
import { SshRsaRecipient } from './ssh-rsa.js';

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
 * Encrypts with typage (recipients already checked by `encryptAge`).
 *
 * @internal
 */
export async function encryptWithTypage(plaintext: Uint8Array, recipients: readonly AgeRecipient[], armor: boolean): Promise<Uint8Array> {
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
  return armor ? utf8(armorEncode(file)) : file;
}
