/**
 * The ssh layer: SSH key formats (wire encoding, public key lines, openssh-key-v1 private keys with
 * bcrypt_pbkdf) and ssh-to-age conversion. Knows nothing of age files or sops.
 */
export type {
  OpenSshKeyFile,
  SshEd25519PrivateKey,
  SshEd25519PublicKey,
  SshPrivateKey,
  SshPublicKey,
  SshRsaPrivateKey,
  SshRsaPublicKey,
} from './types.js';
export {
  MAX_RSA_BITS,
  findKeyOnLine,
  formatSshPublicKey,
  isSshKeyType,
  parseSshPublicKey,
  parseSshPublicKeyBlob,
  type KeyLine,
} from './public-key.js';
export { MAX_PRIVATE_KEY_BYTES, SUPPORTED_KEY_CIPHERS, inspectOpenSshPrivateKey } from './envelope.js';
export { decryptOpenSshPrivateKey } from './private-key.js';
export { pemKeyIsEncrypted } from './pem-key.js';
export {
  convertPublicKeys,
  ed25519PrivateKeyToAgeIdentity,
  ed25519PublicKeyToAgeRecipient,
  ed25519SeedToX25519Scalar,
  sshPrivateKeyToAgeIdentity,
  sshPublicKeyToAgeRecipient,
  type ConvertedPublicKeys,
  type SkippedKey,
} from './convert.js';
export { MAX_BCRYPT_ROUNDS, bcryptPbkdf } from './bcrypt-pbkdf.js';
export { WireReader, WireWriter, decodeBase64, wireMpint, wireString, wireUint32 } from './wire.js';
