/**
 * age's ssh-ed25519 recipient type (defined by Go's filippo.io/age/agessh, not by the C2SP spec; checked
 * against Debian's age in test/age-interop.test.ts):
 *
 *     -> ssh-ed25519 <tag> <b64 share>
 *
 * - tag = b64(SHA-256(wire)[:4]) (see ssh-tag.ts); Rm = Montgomery form of the Ed25519 key
 * - share = X25519(e, base point), ss = X25519(e, Rm)
 * - tweak = HKDF-SHA-256(ikm = EMPTY, salt = wire, info = label, 32): the wire key is the SALT
 * - ss' = X25519(tweak, ss); key = HKDF-SHA-256(ikm = ss', salt = share ‖ Rm, info = label)
 * - body = ChaCha20-Poly1305(key, 12 zero bytes, file key)
 *
 * The identity scalar is SHA-512(seed)[:32], which X25519 clamps.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { Stanza } from 'age-encryption';
import type { AgeStanza, StanzaIdentity, StanzaRecipient } from './stanza.js';
import { SecretsError } from '../errors.js';
import { concatBytes, fromBase64, toBase64, utf8, wipe } from '../bytes.js';
import { ed25519SeedToX25519Scalar, type SshEd25519PrivateKey, type SshEd25519PublicKey } from '../ssh/index.js';
import { sshTag } from './ssh-tag.js';

/** The stanza type, also the HKDF info of both derivations. */
export const SSH_ED25519_STANZA = 'ssh-ed25519';
const LABEL = /* @__PURE__ */ utf8('age-encryption.org/v1/ssh-ed25519');
const ZERO_NONCE = /* @__PURE__ */ new Uint8Array(12);
/** 16-byte file key + 16-byte Poly1305 tag. */
const BODY_LENGTH = 32;

/** The tweak scalar; public (derived from the public key only). */
function tweakOf(wire: Uint8Array): Uint8Array {
  // agessh: hkdf.New(sha256.New, nil, pkBytes, []byte(label)) — empty IKM, wire key as salt.
  return hkdf(sha256, new Uint8Array(0), wire, LABEL, 32);
}

function montgomeryPoint(key: SshEd25519PublicKey): Uint8Array {
  try {
    return ed25519.utils.toMontgomery(key.key);
  } catch {
    throw new SecretsError('AGE_RECIPIENT_INVALID', 'invalid ssh-ed25519 key: not a point on the curve');
  }
}

/**
 * Encrypts file keys to an ssh-ed25519 public key, as `age -R id_ed25519.pub` does.
 */
export class SshEd25519Recipient implements StanzaRecipient {
  private readonly point: Uint8Array;
  private readonly tag: string;
  private readonly tweak: Uint8Array;

  /**
   * @param key - the public key (from `parseSshPublicKey`)
   * @throws SecretsError AGE_RECIPIENT_INVALID when the key is not a curve point
   */
  constructor(key: SshEd25519PublicKey) {
    this.point = montgomeryPoint(key);
    this.tag = sshTag(key.wire);
    this.tweak = tweakOf(key.wire);
  }

  /**
   * Wraps the file key in one stanza.
   *
   * @param fileKey - the 16-byte file key
   * @returns the `ssh-ed25519` stanza
   * @throws SecretsError AGE_RECIPIENT_INVALID when the key is of small order (all-zero shared secret)
   */
  wrapFileKey(fileKey: Uint8Array): AgeStanza[] {
    const ephemeral = randomBytes(32);
    const share = x25519.getPublicKey(ephemeral);
    let ss: Uint8Array;
    try {
      ss = x25519.scalarMult(ephemeral, this.point);
    } catch {
      // noble refuses an all-zero result: the key is a low-order point, which age refuses too.
      throw new SecretsError('AGE_RECIPIENT_INVALID', 'invalid ssh-ed25519 key: low-order point');
    } finally {
      wipe(ephemeral);
    }
    const tweaked = x25519.scalarMult(this.tweak, ss);
    const key = hkdf(sha256, tweaked, concatBytes(share, this.point), LABEL, 32);
    const body = chacha20poly1305(key, ZERO_NONCE).encrypt(fileKey);
    wipe(ss, tweaked, key);
    return [new Stanza([SSH_ED25519_STANZA, this.tag, toBase64(share, false)], body)];
  }
}

/**
 * Decrypts ssh-ed25519 stanzas addressed to one key. The private key is requested only once a stanza
 * carries this key's tag, so a passphrase-protected key is unlocked only when a file is really for it
 * (Go age's EncryptedSSHIdentity does the same).
 *
 * Follows agessh's unwrap contract: other stanza types are skipped; a wrong argument count or share
 * length is an error; a different tag is skipped; an all-zero shared secret is an error; an AEAD failure
 * after a tag match is an error (the tag says the stanza is ours).
 */
export class SshEd25519Identity implements StanzaIdentity {
  private readonly tag: string;
  private readonly point: Uint8Array;
  private readonly tweak: Uint8Array;

  /**
   * @param publicKey - the key's public half (from the clear envelope of the key file)
   * @param privateKey - called at most once per matching stanza to get the decrypted key
   * @param label - names the key in error messages, e.g. its origin
   * @throws SecretsError AGE_RECIPIENT_INVALID when the public key is not a curve point
   */
  constructor(
    publicKey: SshEd25519PublicKey,
    private readonly privateKey: () => Promise<SshEd25519PrivateKey>,
    private readonly label = 'this key',
  ) {
    this.tag = sshTag(publicKey.wire);
    this.point = montgomeryPoint(publicKey);
    this.tweak = tweakOf(publicKey.wire);
  }

  /**
   * Finds and opens this key's stanza.
   *
   * @param stanzas - all stanzas of the header (args[0] is the type)
   * @returns the file key, or null when no stanza carries this key's tag
   * @throws SecretsError AGE_FILE_INVALID for a malformed ssh-ed25519 stanza or a low-order share;
   *   AGE_DECRYPT_FAILED when this key's stanza does not decrypt; whatever `privateKey` throws
   */
  async unwrapFileKey(stanzas: AgeStanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== SSH_ED25519_STANZA) continue;
      const share = s.args.length === 3 ? fromBase64(s.args[2] as string, 'forbidden') : null;
      if (share === null || share.length !== 32) {
        throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: malformed ssh-ed25519 stanza');
      }
      if (s.args[1] !== this.tag) continue;
      if (s.body.length !== BODY_LENGTH) {
        throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: ssh-ed25519 stanza body has the wrong length');
      }
      const key = await this.privateKey();
      const scalar = ed25519SeedToX25519Scalar(key.seed);
      let ss: Uint8Array;
      try {
        ss = x25519.scalarMult(scalar, share);
      } catch {
        throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: ssh-ed25519 stanza with a low-order share');
      } finally {
        wipe(scalar);
      }
      const tweaked = x25519.scalarMult(this.tweak, ss);
      const wrapKey = hkdf(sha256, tweaked, concatBytes(share, this.point), LABEL, 32);
      wipe(ss, tweaked);
      try {
        return chacha20poly1305(wrapKey, ZERO_NONCE).decrypt(s.body);
      } catch {
        throw new SecretsError('AGE_DECRYPT_FAILED', `the ssh-ed25519 stanza for ${this.label} (tag ${this.tag}) does not decrypt: the file is corrupted or was tampered with`);
      } finally {
        wipe(wrapKey);
      }
    }
    return null;
  }
}
