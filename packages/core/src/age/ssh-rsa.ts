/**
 * age's ssh-rsa stanza (Go agessh): `-> ssh-rsa <tag>`, body = RSA-OAEP with SHA-256 (and MGF1-SHA-256)
 * and the label "age-encryption.org/v1/ssh-rsa" around the file key. node:crypto's OAEP uses the same
 * hash for MGF1, matching Go.
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { Stanza, type Identity, type Recipient } from 'age-encryption';
import { SecretsError } from '../errors.js';
import type { SshRsaPrivateKey, SshRsaPublicKey } from '../ssh/index.js';
import { sshTag } from './ssh-ed25519.js';
import type { UnwrapOutcome } from './x25519.js';

const LABEL = Buffer.from('age-encryption.org/v1/ssh-rsa');
/** age refuses RSA recipients below 2048 bits. */
export const MIN_RSA_BITS = 2048;

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const toBig = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`));
const fromBig = (n: bigint): Uint8Array => {
  const hex = n.toString(16);
  return new Uint8Array(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
};

function publicKeyObject(key: SshRsaPublicKey): KeyObject {
  return createPublicKey({ key: { kty: 'RSA', n: b64url(key.n), e: b64url(key.e) }, format: 'jwk' });
}

function privateKeyObject(key: SshRsaPrivateKey): KeyObject {
  const d = toBig(key.d);
  const p = toBig(key.p);
  const q = toBig(key.q);
  return createPrivateKey({
    key: {
      kty: 'RSA',
      n: b64url(key.n),
      e: b64url(key.e),
      d: b64url(key.d),
      p: b64url(key.p),
      q: b64url(key.q),
      dp: b64url(fromBig(d % (p - 1n))),
      dq: b64url(fromBig(d % (q - 1n))),
      qi: b64url(key.iqmp),
    },
    format: 'jwk',
  });
}

/** An ssh-rsa recipient (≥ 2048 bits). */
export class SshRsaRecipient implements Recipient {
  private readonly keyObject: KeyObject;
  private readonly tag: string;

  constructor(key: SshRsaPublicKey) {
    if (key.bits < MIN_RSA_BITS) {
      throw new SecretsError('AGE_RECIPIENT_INVALID', `ssh-rsa key of ${key.bits} bits is too small: age needs at least ${MIN_RSA_BITS}`);
    }
    this.keyObject = publicKeyObject(key);
    this.tag = sshTag(key.wire);
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const body = publicEncrypt({ key: this.keyObject, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: LABEL }, fileKey);
    return [new Stanza(['ssh-rsa', this.tag], new Uint8Array(body))];
  }
}

/** An ssh-rsa identity; the private key is fetched only when a stanza carries this key's tag. */
export class SshRsaIdentity implements Identity {
  private readonly tag: string;

  constructor(
    publicKey: SshRsaPublicKey,
    private readonly privateKey: () => Promise<SshRsaPrivateKey>,
    private readonly outcome?: UnwrapOutcome,
  ) {
    this.tag = sshTag(publicKey.wire);
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== 'ssh-rsa') continue;
      if (s.args.length !== 2) throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: malformed ssh-rsa stanza');
      if (s.args[1] !== this.tag) continue;
      if (this.outcome) this.outcome.matched = true;
      const key = privateKeyObject(await this.privateKey());
      try {
        return new Uint8Array(privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: LABEL }, s.body));
      } catch {
        throw new SecretsError('AGE_DECRYPT_FAILED', 'the ssh-rsa stanza for this key failed to decrypt: the file is corrupted');
      }
    }
    if (this.outcome) this.outcome.reason = 'no ssh-rsa stanza with this key\'s tag';
    return null;
  }
}
