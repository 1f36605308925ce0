/**
 * age's ssh-rsa recipient type (Go agessh; not in the C2SP spec):
 *
 *     -> ssh-rsa <tag>
 *     body = RSA-OAEP(SHA-256, MGF1-SHA-256, label "age-encryption.org/v1/ssh-rsa", file key)
 *
 * node:crypto's OAEP uses `oaepHash` for MGF1 too, which is what Go's rsa.EncryptOAEP does.
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { Stanza } from 'age-encryption';
import type { AgeStanza, StanzaIdentity, StanzaRecipient } from './stanza.js';
import { bufferOf } from '../bytes.js';
import { SecretsError } from '../errors.js';
import type { SshRsaPrivateKey, SshRsaPublicKey } from '../ssh/index.js';
import { MIN_RSA_BITS, rsaKeyIsLargeEnough } from './rsa-size.js';
import { sshTag } from './ssh-tag.js';

export { MIN_RSA_BITS, rsaKeyIsLargeEnough };

/** The stanza type. */
export const SSH_RSA_STANZA = 'ssh-rsa';
const OAEP_LABEL = /* @__PURE__ */ Buffer.from('age-encryption.org/v1/ssh-rsa');

const b64url = (bytes: Uint8Array): string => bufferOf(bytes).toString('base64url');
const toBigInt = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`));
const fromBigInt = (n: bigint): Uint8Array => {
  const hex = n.toString(16);
  return new Uint8Array(Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex'));
};

/** A JWK private key from OpenSSH's integers; JWK also needs d mod (p-1) and d mod (q-1) (RFC 7518 §6.3.2). */
function privateKeyObject(key: SshRsaPrivateKey): KeyObject {
  const d = toBigInt(key.d);
  const p = toBigInt(key.p);
  const q = toBigInt(key.q);
  try {
    return createPrivateKey({
      key: {
        kty: 'RSA',
        n: b64url(key.n),
        e: b64url(key.e),
        d: b64url(key.d),
        p: b64url(key.p),
        q: b64url(key.q),
        dp: b64url(fromBigInt(d % (p - 1n))),
        dq: b64url(fromBigInt(d % (q - 1n))),
        qi: b64url(key.iqmp),
      },
      format: 'jwk',
    });
  } catch (error) {
    throw new SecretsError('SSH_KEY_INVALID', 'invalid ssh-rsa private key: inconsistent RSA parameters', { cause: error });
  }
}

/**
 * Encrypts file keys to an ssh-rsa public key, as `age -R id_rsa.pub` does.
 */
export class SshRsaRecipient implements StanzaRecipient {
  private readonly keyObject: KeyObject;
  private readonly tag: string;

  /**
   * @param key - the public key (from `parseSshPublicKey`)
   * @throws SecretsError AGE_RECIPIENT_INVALID for keys under 2048 bits or unusable parameters
   */
  constructor(key: SshRsaPublicKey) {
    if (!rsaKeyIsLargeEnough(key.bits)) {
      throw new SecretsError('AGE_RECIPIENT_INVALID', `ssh-rsa key of ${key.bits} bits is too small: age needs at least ${MIN_RSA_BITS}`);
    }
    try {
      this.keyObject = createPublicKey({ key: { kty: 'RSA', n: b64url(key.n), e: b64url(key.e) }, format: 'jwk' });
    } catch (error) {
      throw new SecretsError('AGE_RECIPIENT_INVALID', 'invalid ssh-rsa key: unusable RSA parameters', { cause: error });
    }
    this.tag = sshTag(key.wire);
  }

  /**
   * Wraps the file key in one stanza.
   *
   * @param fileKey - the 16-byte file key
   * @returns the `ssh-rsa` stanza
   */
  wrapFileKey(fileKey: Uint8Array): AgeStanza[] {
    const body = publicEncrypt({ key: this.keyObject, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: OAEP_LABEL }, fileKey);
    return [new Stanza([SSH_RSA_STANZA, this.tag], new Uint8Array(body))];
  }
}

/**
 * Decrypts ssh-rsa stanzas addressed to one key. The private key is requested only once a stanza carries
 * this key's tag (a protected key is unlocked only when needed). agessh contract: other types skipped;
 * wrong argument count is an error; other tags skipped; a decryption failure after a tag match is an error.
 */
export class SshRsaIdentity implements StanzaIdentity {
  private readonly tag: string;
  private keyObject: KeyObject | undefined;

  /**
   * @param publicKey - the key's public half (from the clear envelope of the key file)
   * @param privateKey - called when a stanza carries this key's tag
   * @param label - names the key in error messages, e.g. its origin
   */
  constructor(
    publicKey: SshRsaPublicKey,
    private readonly privateKey: () => Promise<SshRsaPrivateKey>,
    private readonly label = 'this key',
  ) {
    this.tag = sshTag(publicKey.wire);
  }

  /**
   * Finds and opens this key's stanza.
   *
   * @param stanzas - all stanzas of the header (args[0] is the type)
   * @returns the file key, or null when no stanza carries this key's tag
   * @throws SecretsError AGE_FILE_INVALID for a malformed ssh-rsa stanza; AGE_DECRYPT_FAILED when this
   *   key's stanza does not decrypt; SSH_KEY_INVALID or whatever `privateKey` throws
   */
  async unwrapFileKey(stanzas: AgeStanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== SSH_RSA_STANZA) continue;
      if (s.args.length !== 2) throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: malformed ssh-rsa stanza');
      if (s.args[1] !== this.tag) continue;
      this.keyObject ??= privateKeyObject(await this.privateKey());
      try {
        return new Uint8Array(
          privateDecrypt({ key: this.keyObject, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: OAEP_LABEL }, s.body),
        );
      } catch {
        throw new SecretsError('AGE_DECRYPT_FAILED', `the ssh-rsa stanza for ${this.label} (tag ${this.tag}) does not decrypt: the file is corrupted or was tampered with`);
      }
    }
    return null;
  }
}
