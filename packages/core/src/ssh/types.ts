/**
 * Typed SSH key material, as parsed by the ssh layer. No age or sops knowledge lives here.
 *
 * `wire` is always the SSH wire encoding of the public key (RFC 4253 §6.6), the bytes the base64 blob of an
 * authorized_keys line decodes to. age derives its stanza tag and the ssh-ed25519 tweak from it.
 */

/** An ssh-ed25519 public key. */
export interface SshEd25519PublicKey {
  readonly type: 'ssh-ed25519';
  /** The 32-byte Edwards25519 point (RFC 8709). */
  readonly key: Uint8Array;
  /** `string("ssh-ed25519") || string(key)` */
  readonly wire: Uint8Array;
  /** The comment after the key on its line; empty when absent. */
  readonly comment: string;
}

/** An ssh-rsa public key. */
export interface SshRsaPublicKey {
  readonly type: 'ssh-rsa';
  /** Public exponent, big-endian unsigned, no leading zeros. */
  readonly e: Uint8Array;
  /** Modulus, big-endian unsigned, no leading zeros. */
  readonly n: Uint8Array;
  /** Modulus size in bits. */
  readonly bits: number;
  /** `string("ssh-rsa") || mpint(e) || mpint(n)` */
  readonly wire: Uint8Array;
  readonly comment: string;
}

/** The public key types this project can use. */
export type SshPublicKey = SshEd25519PublicKey | SshRsaPublicKey;

/** A decrypted ssh-ed25519 private key. */
export interface SshEd25519PrivateKey {
  readonly type: 'ssh-ed25519';
  /** The 32-byte Ed25519 seed (RFC 8032 private key). Secret. */
  readonly seed: Uint8Array;
  readonly publicKey: SshEd25519PublicKey;
  readonly comment: string;
}

/** A decrypted ssh-rsa private key; all integers big-endian unsigned without leading zeros. Secret. */
export interface SshRsaPrivateKey {
  readonly type: 'ssh-rsa';
  readonly n: Uint8Array;
  readonly e: Uint8Array;
  readonly d: Uint8Array;
  readonly p: Uint8Array;
  readonly q: Uint8Array;
  /** q^-1 mod p, as stored by OpenSSH. */
  readonly iqmp: Uint8Array;
  readonly publicKey: SshRsaPublicKey;
  readonly comment: string;
}

/** A decrypted private key of a supported type. */
export type SshPrivateKey = SshEd25519PrivateKey | SshRsaPrivateKey;

/**
 * An `openssh-key-v1` file whose outer envelope was parsed but whose private section may still be encrypted.
 * The public key is stored in clear, so files can be matched (by age stanza tag) before asking for a
 * passphrase, as Go age's `EncryptedSSHIdentity` does.
 */
export interface OpenSshKeyFile {
  /** The public key from the unencrypted envelope, or null for key types we do not support. */
  readonly publicKey: SshPublicKey | null;
  /** The key type string found in the envelope, e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`. */
  readonly keyType: string;
  /** Whether a passphrase is needed. */
  readonly encrypted: boolean;
  /** `none`, `aes256-ctr`, `aes256-cbc`, `aes256-gcm@openssh.com`, `chacha20-poly1305@openssh.com`, … */
  readonly cipherName: string;
  /** `none` or `bcrypt`. */
  readonly kdfName: string;
  /** bcrypt_pbkdf rounds from the KDF options (ssh-keygen `-a`, 16 by default); 0 for unencrypted keys. */
  readonly kdfRounds: number;
}
