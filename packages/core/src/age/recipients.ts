/**
 * Recipient strings, parsed the way sops does (age/keysource.go `parseRecipient`): trim; `age1pq1…` is
 * post-quantum hybrid; `age1…` with more than one `1` is a plugin; other `age1…` is X25519; `ssh-…` goes
 * to agessh (ssh-ed25519, ssh-rsa ≥ 2048 bits). The trimmed text is kept verbatim: sops stores it in the
 * file's metadata, SSH comment included.
 */
import { SecretsError } from '../errors.js';
import { parseSshPublicKey, type SshEd25519PublicKey, type SshRsaPublicKey } from '../ssh/index.js';
import { looksLikePluginRecipient, parsePluginRecipient } from './plugin-names.js';
import { MIN_RSA_BITS, rsaKeyIsLargeEnough } from './rsa-size.js';
import { decodeX25519Recipient, isHybridRecipient } from './x25519.js';

/** A parsed recipient; `text` is the input, trimmed, exactly as sops would store it. */
export type AgeRecipient =
  | { readonly kind: 'x25519'; readonly text: string }
  | { readonly kind: 'hybrid'; readonly text: string }
  /** `age1NAME1…`: wrapped by the program `age-plugin-NAME` (C2SP age-plugin); `plugin` is NAME in lower case. */
  | { readonly kind: 'plugin'; readonly text: string; readonly plugin: string }
  | { readonly kind: 'ssh-ed25519'; readonly text: string; readonly key: SshEd25519PublicKey }
  | { readonly kind: 'ssh-rsa'; readonly text: string; readonly key: SshRsaPublicKey };

/** Secret material pasted where a public key belongs: identities, private keys (or their base64 body). */
const SECRET_LOOKING = [/AGE-SECRET-KEY-/i, /AGE-PLUGIN-[A-Z0-9-]*1/i, /PRIVATE KEY-----/, /^PuTTY-User-Key-File-/m, /b3BlbnNzaC1rZXktdjE/];

/**
 * Whether text looks like secret key material (so it must never be echoed back).
 *
 * @param text - any user input
 * @returns true for age identities, plugin identities, PEM/OpenSSH/PuTTY private keys
 */
export function looksSecret(text: string): boolean {
  return SECRET_LOOKING.some((re) => re.test(text));
}

const quote = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

/**
 * Parses one recipient.
 *
 * @param input - `age1…`, `age1pq1…`, a plugin's `age1NAME1…`, `ssh-ed25519 AAAA… [comment]` or
 *   `ssh-rsa AAAA… [comment]`
 * @returns the recipient, its text trimmed but otherwise verbatim
 * @throws SecretsError AGE_RECIPIENT_INVALID: for malformed keys (a plugin recipient with a bad checksum
 *   or a plugin name outside the spec's charset included), RSA keys under 2048 bits, unknown types; a
 *   pasted secret key is named as such and never echoed
 */
export function parseRecipient(input: string): AgeRecipient {
  const text = input.trim();
  if (text === '') throw new SecretsError('AGE_RECIPIENT_INVALID', 'empty recipient');
  if (looksSecret(text)) {
    throw new SecretsError('AGE_RECIPIENT_INVALID', 'this looks like a secret key, not a recipient', {
      hints: ['give the public key: `age-keygen -y KEYFILE` prints an age identity\'s recipient, `ssh-keygen -y -f KEYFILE` an SSH key\'s'],
    });
  }
  if (text.startsWith('age1pq1')) {
    if (!isHybridRecipient(text)) throw new SecretsError('AGE_RECIPIENT_INVALID', 'invalid post-quantum age recipient (bad bech32 checksum or length)');
    return { kind: 'hybrid', text };
  }
  if (text.startsWith('age1')) {
    if (looksLikePluginRecipient(text)) {
      // sops: strings.Count(recipient, "1") > 1 → plugin (bech32 data never contains '1').
      return { kind: 'plugin', text, plugin: parsePluginRecipient(text).name };
    }
    if (decodeX25519Recipient(text) === null) {
      throw new SecretsError('AGE_RECIPIENT_INVALID', `invalid age recipient ${quote(text)} (bad bech32 checksum or length)`);
    }
    return { kind: 'x25519', text };
  }
  if (text.startsWith('ssh-')) {
    let key;
    try {
      key = parseSshPublicKey(text);
    } catch (error) {
      const message = error instanceof SecretsError ? error.message : 'malformed SSH public key';
      throw new SecretsError('AGE_RECIPIENT_INVALID', `invalid SSH recipient: ${message}`, {
        hints: ['age accepts ssh-ed25519 and ssh-rsa public keys (authorized_keys lines)'],
        cause: error,
      });
    }
    if (key.type === 'ssh-ed25519') return { kind: 'ssh-ed25519', text, key };
    if (!rsaKeyIsLargeEnough(key.bits)) {
      throw new SecretsError('AGE_RECIPIENT_INVALID', `ssh-rsa key of ${key.bits} bits is too small: age needs at least ${MIN_RSA_BITS}`);
    }
    return { kind: 'ssh-rsa', text, key };
  }
  const hints = /^(ecdsa-|sk-)/.test(text)
    ? ['age works with ssh-ed25519 and ssh-rsa keys only; ECDSA and security-key (sk-) keys cannot be recipients']
    : ['age recipients are age1…, age1pq1…, a plugin\'s age1NAME1…, ssh-ed25519 AAAA… or ssh-rsa AAAA…'];
  throw new SecretsError('AGE_RECIPIENT_INVALID', `unknown recipient type: ${quote(text)}`, { hints });
}
