/**
 * The age layer: encryption to X25519, post-quantum hybrid, ssh-ed25519, ssh-rsa and age plugin
 * recipients (through an injected plugin host, `plugin-host.ts`), and
 * decryption with every kind of identity a NixOS admin or host has (keys.txt, SSH keys incl. protected
 * ones and their ssh-to-age form, passphrase-protected identity files), explaining, when nothing opens a
 * file, which identity was tried and why it did not match.
 *
 * X25519 and ssh-ed25519 files are written and read on `node:crypto` (`native.ts`); everything else, and
 * every failure explained to the user, goes through `age-encryption` (typage), loaded on demand, with our
 * SSH stanzas (not in typage) written from Go agessh's rules.
 *
 * @packageDocumentation
 */
export { parseRecipient, looksSecret, type AgeRecipient } from './recipients.js';
export { parseIdentities, needsPublicKeyFile, describeIdentity, MAX_IDENTITIES_PER_SOURCE, MAX_IDENTITY_SOURCE_BYTES, type AgeIdentity, type IdentityDescription, type ParseIdentitiesOptions } from './identities.js';
export { encryptAge, encryptAgeArmored, type EncryptAgeOptions } from './encrypt.js';
export { decryptAge, decryptParsedAge, type DecryptAgeOptions, type PassphraseRequest } from './decrypt.js';
export { inspectAgeHeader, parseAgeFile, summarizeStanzas, MAX_AGE_STANZAS, type ParsedAgeFile, type ParseHeaderOptions, type StanzaInfo } from './header.js';
export { isArmored } from './armor.js';
export { sshTag } from './ssh-tag.js';
export { generateX25519Identity, identityToRecipient } from './keys.js';
export { SshEd25519Identity, SshEd25519Recipient } from './ssh-ed25519.js';
export { SshRsaIdentity, SshRsaRecipient } from './ssh-rsa.js';
export { MIN_RSA_BITS } from './rsa-size.js';
export { recipientLabel, recipientLabels } from './recipient-labels.js';
export {
  setAgePluginHost,
  type AgePluginHost,
  type AgePluginProcess,
  type AgePluginRequest,
  type AgePluginRunner,
  type AgePluginStateMachine,
  type AgePluginUi,
} from './plugin-host.js';
export { isValidPluginName, looksLikePluginRecipient, pluginBinaryName } from './plugin-names.js';
export { PluginFileKeys, askPluginsForAgeFiles, askPluginsForFileKeys, canAskPluginsAhead, plainIdentityOpens, type OfferedHeader, type PluginAnswer } from './plugin-file-keys.js';
export { decryptAgeStream, type DecryptAgeStreamOptions } from './stream.js';
export {
  decryptAgeWithPassphrase,
  encryptAgeWithPassphrase,
  isPassphraseEncrypted,
  DEFAULT_SCRYPT_WORK_FACTOR,
  MAX_SCRYPT_WORK_FACTOR,
  type EncryptAgeWithPassphraseOptions,
} from './scrypt.js';
