/**
 * The tag that links an ssh-ed25519 / ssh-rsa stanza to its key (Go agessh `sshFingerprint`).
 */
import { createHash } from 'node:crypto';
import { toBase64 } from '../bytes.js';

/**
 * The stanza tag of an SSH public key: unpadded base64 of the first 4 bytes of SHA-256 over the SSH wire
 * encoding of the key, always 6 characters.
 *
 * @param wire - the key's SSH wire encoding (`SshPublicKey.wire`, the authorized_keys blob decoded)
 * @returns the tag, e.g. `V3XmEA`
 */
export function sshTag(wire: Uint8Array): string {
  return toBase64(createHash('sha256').update(wire).digest().subarray(0, 4), false);
}
