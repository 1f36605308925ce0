/**
 * Recipient strings, parsed the way sops does (age/keysource.go parseRecipient): `age1pq1…` hybrid,
 * `age1…` with more than one `1` a plugin, other `age1…` X25519, `ssh-…` SSH. The text is kept verbatim:
 * sops stores it in the metadata, SSH comment included.
 */
import { bech32 } from '@scure/base';
import { SecretsError } from '../errors.js';
import { parseSshPublicKey, type SshEd25519PublicKey, type SshRsaPublicKey } from '../ssh/index.js';
import { decodeX25519Recipient } from './x25519.js';

/** A parsed recipient. */
export type AgeRecipient =
  | { readonly kind: 'x25519'; readonly text: string }
  | { readonly kind: 'hybrid'; readonly text: string }
  | { readonly kind: 'ssh-ed25519'; readonly text: string; readonly key: SshEd25519PublicKey }
  | { readonly kind: 'ssh-rsa'; readonly text: string; readonly key: SshRsaPublicKey };

const SECRET_LOOKING = /^(AGE-SECRET-KEY-|AGE-PLUGIN-)|-----BEGIN [A-Z ]*PRIVATE KEY-----/i;

/**
 * Parses one recipient.
 *
 * @param input - `age1…`, `age1pq1…`, `ssh-ed25519 AAAA… [comment]` or `ssh-rsa AAAA… [comment]`
 * @returns the recipient
 * @throws SecretsError AGE_RECIPIENT_INVALID; a secret key pasted here is named as such, never echoed
 */
export function parseRecipient(input: string): AgeRecipient {
  const text = input.trim();
  if (SECRET_LOOKING.test(text)) {
    throw new SecretsError('AGE_RECIPIENT_INVALID', 'this looks like a secret key, not a recipient', {
      hints: ['give the public key: `age-keygen -y KEYFILE` prints an age identity\'s recipient'],
    });
  }
  if (text.startsWith('age1pq1')) {
    try {
      const { words } = bech32.decode(text as `${string}1${string}`, false);
      if (bech32.fromWords(words).length < 32) throw new Error('short');
    } catch {
      throw new SecretsError('AGE_RECIPIENT_INVALID', 'invalid post-quantum age recipient (bad bech32 encoding)');
    }
    return { kind: 'hybrid', text };
  }
  if (text.startsWith('age1')) {
    if ([...text].filter((c) => c === '1').length > 1) {
      throw new SecretsError('AGE_RECIPIENT_INVALID', `age plugin recipients are not supported yet: ${JSON.stringify(text.slice(0, text.indexOf('1', 4) + 1))}…`, {
        hints: ['plugin (YubiKey, TPM…) support is planned; meanwhile use an age1… or SSH recipient for this file'],
      });
    }
    if (decodeX25519Recipient(text) === null) throw new SecretsError('AGE_RECIPIENT_INVALID', `invalid age recipient ${JSON.stringify(text)} (bad bech32 encoding or length)`);
    return { kind: 'x25519', text };
  }
  if (text.startsWith('ssh-')) {
    let key;
    try {
      key = parseSshPublicKey(text);
    } catch (error) {
      const message = error instanceof SecretsError ? error.message : 'invalid SSH public key';
      throw new SecretsError('AGE_RECIPIENT_INVALID', `invalid SSH recipient: ${message}`, {
        hints: ['age accepts ssh-ed25519 and ssh-rsa public keys'],
        cause: error,
      });
    }
    return key.type === 'ssh-ed25519' ? { kind: 'ssh-ed25519', text, key } : { kind: 'ssh-rsa', text, key };
  }
  throw new SecretsError('AGE_RECIPIENT_INVALID', `unknown recipient type: ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`, {
    hints: ['age recipients are age1…, age1pq1…, ssh-ed25519 AAAA… or ssh-rsa AAAA…'],
  });
}
