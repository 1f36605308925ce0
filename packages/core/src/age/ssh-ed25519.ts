/**
 * age's ssh-ed25519 stanza (Go filippo.io/age/agessh; not in the C2SP spec; verified against Debian's age):
 * `-> ssh-ed25519 <tag> <share>`, tag = base64(SHA-256(wire key)[:4]). The X25519 shared secret is
 * tweaked: X25519(HKDF-SHA-256(ikm = "", salt = wire key, info = label), ss) — the EMPTY ikm and the key
 * as SALT are the easy-to-miss part.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Stanza, type Identity, type Recipient } from 'age-encryption';
import { SecretsError } from '../errors.js';
import { concatBytes, fromBase64, toBase64, utf8, wipe } from '../bytes.js';
import type { SshEd25519PrivateKey, SshEd25519PublicKey } from '../ssh/index.js';
import { openFileKey, sealFileKey, sharedSecret, wrapKey } from './stanza-crypto.js';
import type { UnwrapOutcome } from './x25519.js';

const LABEL = 'age-encryption.org/v1/ssh-ed25519';
const LABEL_BYTES = /* @__PURE__ */ utf8(LABEL);

/** The stanza tag of an SSH public key: unpadded base64 of the first 4 bytes of SHA-256(wire). */
export function sshTag(wire: Uint8Array): string {
  return toBase64(sha256(wire).subarray(0, 4), false);
}

function tweak(wire: Uint8Array): Uint8Array {
  return hkdf(sha256, new Uint8Array(0), wire, LABEL_BYTES, 32);
}

function montgomery(key: SshEd25519PublicKey): Uint8Array {
  try {
    return ed25519.utils.toMontgomery(key.key);
  } catch {
    throw new SecretsError('AGE_RECIPIENT_INVALID', 'invalid ssh-ed25519 key: not a point on the curve');
  }
}

/** An ssh-ed25519 recipient. */
export class SshEd25519Recipient implements Recipient {
  private readonly point: Uint8Array;
  private readonly tag: string;

  constructor(private readonly key: SshEd25519PublicKey) {
    this.point = montgomery(key);
    this.tag = sshTag(key.wire);
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const t = tweak(this.key.wire);
    const { share, body } = sealFileKey(fileKey, this.point, LABEL, (ss) => x25519.scalarMult(t, ss));
    wipe(t);
    return [new Stanza(['ssh-ed25519', this.tag, toBase64(share, false)], body)];
  }
}

/**
 * An ssh-ed25519 identity. The private key is fetched lazily, only when a stanza carries this key's tag,
 * so a passphrase-protected key is asked for only when it is actually needed.
 */
export class SshEd25519Identity implements Identity {
  private readonly tag: string;
  private readonly point: Uint8Array;

  constructor(
    private readonly publicKey: SshEd25519PublicKey,
    private readonly privateKey: () => Promise<SshEd25519PrivateKey>,
    private readonly outcome?: UnwrapOutcome,
  ) {
    this.tag = sshTag(publicKey.wire);
    this.point = montgomery(publicKey);
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== 'ssh-ed25519') continue;
      if (s.args.length !== 3) throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: malformed ssh-ed25519 stanza');
      const share = fromBase64(s.args[2] as string, 'forbidden');
      if (!share || share.length !== 32) throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: malformed ssh-ed25519 stanza');
      if (s.args[1] !== this.tag) continue;
      if (this.outcome) this.outcome.matched = true;
      const key = await this.privateKey();
      const scalar = ed25519.utils.toMontgomerySecret(key.seed);
      const ss = sharedSecret(scalar, share);
      const t = tweak(this.publicKey.wire);
      const tweaked = x25519.scalarMult(t, ss);
      const fileKey = openFileKey(wrapKey(tweaked, concatBytes(share, this.point), LABEL), s.body);
      wipe(scalar, ss, t, tweaked);
      // The tag matched, so this stanza is ours: a failure is an error, not a skip (agessh).
      if (!fileKey) throw new SecretsError('AGE_DECRYPT_FAILED', 'the ssh-ed25519 stanza for this key failed to decrypt: the file is corrupted');
      return fileKey;
    }
    if (this.outcome) this.outcome.reason = 'no ssh-ed25519 stanza with this key\'s tag';
    return null;
  }
}
