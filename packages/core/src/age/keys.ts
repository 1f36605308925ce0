/**
 * Key generation and identity → recipient derivation, the `age-keygen` and `age-keygen -y` of the layer.
 */
import { SecretsError } from '../errors.js';
import { formatSshPublicKey } from '../ssh/index.js';
import { describeIdentity, parseIdentities, type AgeIdentity } from './identities.js';

/**
 * Generates a new X25519 identity (32 bytes from the CSPRNG, C2SP age §X25519).
 *
 * @returns `AGE-SECRET-KEY-1…`; a secret. Use {@link identityToRecipient} for its `age1…` recipient
 */
export async function generateX25519Identity(): Promise<string> {
  const { generateX25519Identity: generate } = await import('age-encryption');
  return generate();
}

/**
 * The recipient that files for an identity are encrypted to, as `age-keygen -y` prints it.
 *
 * @param identity - an identity string (`AGE-SECRET-KEY-1…`, `AGE-SECRET-KEY-PQ-1…`, an OpenSSH private
 *   key), or a parsed identity
 * @returns `age1…`, `age1pq1…`, or the SSH public key line (`ssh-ed25519 AAAA…`, without comment). An
 *   ed25519 key also opens files for its ssh-to-age `age1…` recipient: see `describeIdentity`
 * @throws SecretsError AGE_IDENTITY_INVALID when the string is not exactly one identity, or for identities
 *   without a single recipient (encrypted identity files, plugin identities); SSH_* for unreadable keys
 */
export async function identityToRecipient(identity: string | AgeIdentity): Promise<string> {
  let parsed: AgeIdentity;
  if (typeof identity === 'string') {
    const all = parseIdentities(identity.trim(), 'identity');
    if (all.length !== 1) throw new SecretsError('AGE_IDENTITY_INVALID', `expected exactly one identity, found ${all.length}`);
    parsed = all[0] as AgeIdentity;
  } else {
    parsed = identity;
  }
  switch (parsed.kind) {
    case 'ssh-ed25519':
    case 'ssh-rsa':
      return formatSshPublicKey(parsed.publicKey, false);
    case 'x25519':
    case 'hybrid': {
      const [recipient] = (await describeIdentity(parsed)).recipients;
      return recipient as string;
    }
    case 'encrypted-file':
      throw new SecretsError('AGE_IDENTITY_INVALID', `${parsed.origin}: a passphrase-protected identity file has no recipient of its own; decrypt it first`);
    case 'plugin':
      throw new SecretsError('AGE_IDENTITY_INVALID', `${parsed.origin}: the recipient of an age plugin identity is known to its plugin only (age-plugin-${parsed.plugin} prints it when it makes the identity)`);
    case 'unsupported':
      throw new SecretsError('AGE_IDENTITY_INVALID', `${parsed.origin}: ${parsed.reason}`);
  }
}
