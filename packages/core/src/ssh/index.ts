/**
 * The ssh layer: SSH key formats and ssh-to-age conversion. Knows nothing of age files or sops.
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
export { findKeyOnLine, formatSshPublicKey, isSshKeyType, parseSshPublicKey, parseSshPublicKeyBlob, type KeyLine } from './public-key.js';
export { decryptOpenSshPrivateKey, inspectOpenSshPrivateKey, MAX_PRIVATE_KEY_BYTES } from './private-key.js';
export {
  convertPublicKeys,
  ed25519PrivateKeyToAgeIdentity,
  ed25519PublicKeyToAgeRecipient,
  ed25519SeedToX25519Scalar,
  type SkippedKey,
} from './convert.js';
export { bcryptPbkdf } from './bcrypt-pbkdf.js';
