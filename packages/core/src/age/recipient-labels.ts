/**
 * The recipients an identity opens files for, as sops labels its keys (`recipient:`): for choosing which
 * key to try first. Public data, derived once per identity object.
 */
import { ed25519PublicKeyToAgeRecipient, formatSshPublicKey } from '../ssh/index.js';
import type { AgeIdentity } from './identities.js';
import { x25519RecipientOf } from './x25519.js';

const labels = new WeakMap<AgeIdentity, readonly string[]>();

// Public data, bounded: sops files of one repository name the same few recipients again and again.
const labelOf = new Map<string, string>();

/** `ssh-ed25519 AAAA… comment` → `ssh-ed25519 AAAA…`; other labels unchanged. */
export function recipientLabel(recipient: string): string {
  let label = labelOf.get(recipient);
  if (label === undefined) {
    const text = recipient.trim();
    label = text.startsWith('ssh-') ? text.split(/\s+/).slice(0, 2).join(' ') : text;
    if (labelOf.size >= 1024) labelOf.clear();
    labelOf.set(recipient, label);
  }
  return label;
}

/**
 * The recipient labels of an identity: `age1…` for X25519; the SSH public key (without comment) and, for
 * ed25519, its ssh-to-age `age1…` recipient; none for the others.
 *
 * @param identity - a parsed identity
 * @returns labels in the form {@link recipientLabel} gives
 * Internal to the library (re-exported by the age layer for the sops layer, not by the package entry).
 */
export function recipientLabels(identity: AgeIdentity): readonly string[] {
  let found = labels.get(identity);
  if (found === undefined) {
    switch (identity.kind) {
      case 'x25519':
        found = [x25519RecipientOf(identity.secret) ?? ''].filter((r) => r !== '');
        break;
      case 'ssh-ed25519':
        found = [formatSshPublicKey(identity.publicKey, false), ed25519PublicKeyToAgeRecipient(identity.publicKey)];
        break;
      case 'ssh-rsa':
        found = [formatSshPublicKey(identity.publicKey, false)];
        break;
      default:
        found = [];
    }
    labels.set(identity, found);
  }
  return found;
}
