/**
 * `@secrets/core`: sops, age and ssh-to-age compatible secrets for NixOS configuration repositories.
 *
 * Layers (each usable on its own): SSH keys and ssh-to-age conversion; age encryption with X25519,
 * post-quantum, ssh-ed25519 and ssh-rsa recipients; identity discovery exactly where sops looks;
 * `.sops.yaml` configuration. Everything but discovery and config discovery is pure: pass bytes in,
 * get bytes out.
 *
 * @packageDocumentation
 */

// Errors
export { SecretsError, isSecretsError, type ErrorCode, type SecretsErrorOptions } from './errors.js';

// Bytes
export { equalBytes } from './bytes.js';

// SSH keys and ssh-to-age
export {
  convertPublicKeys,
  decryptOpenSshPrivateKey,
  ed25519PrivateKeyToAgeIdentity,
  ed25519PublicKeyToAgeRecipient,
  ed25519SeedToX25519Scalar,
  formatSshPublicKey,
  inspectOpenSshPrivateKey,
  findKeyOnLine,
  parseSshPublicKey,
  type KeyLine,
  type OpenSshKeyFile,
  type SkippedKey,
  type SshEd25519PrivateKey,
  type SshEd25519PublicKey,
  type SshPrivateKey,
  type SshPublicKey,
  type SshRsaPrivateKey,
  type SshRsaPublicKey,
} from './ssh/index.js';

// age
export {
  decryptAge,
  decryptAgeStream,
  type DecryptAgeStreamOptions,
  describeIdentity,
  encryptAge,
  generateX25519Identity,
  identityToRecipient,
  inspectAgeHeader,
  isArmored,
  looksSecret,
  MAX_AGE_STANZAS,
  MIN_RSA_BITS,
  MAX_IDENTITIES_PER_SOURCE,
  MAX_IDENTITY_SOURCE_BYTES,
  parseIdentities,
  needsPublicKeyFile,
  parseRecipient,
  sshTag,
  summarizeStanzas,
  SshEd25519Identity,
  SshEd25519Recipient,
  SshRsaIdentity,
  SshRsaRecipient,
  type ParseHeaderOptions,
  type AgeIdentity,
  type AgeRecipient,
  type DecryptAgeOptions,
  type EncryptAgeOptions,
  type IdentityDescription,
  type ParseIdentitiesOptions,
  type PassphraseRequest,
  type StanzaInfo,
  setAgePluginHost,
  isValidPluginName,
  type AgePluginHost,
  type AgePluginProcess,
  type AgePluginRequest,
  type AgePluginRunner,
  type AgePluginStateMachine,
  type AgePluginUi,
  askPluginsForAgeFiles,
  PluginFileKeys,
} from './age/index.js';
export {
  decryptAgeWithPassphrase,
  encryptAgeWithPassphrase,
  isPassphraseEncrypted,
  DEFAULT_SCRYPT_WORK_FACTOR,
  MAX_SCRYPT_WORK_FACTOR,
  type EncryptAgeWithPassphraseOptions,
} from './age/index.js';

// Identity discovery (reads env, disk, runs commands: injectable)
export { readFileCapped, type ReadCappedOptions } from './keys/read-file.js';
export {
  describePlaces,
  discoverIdentities,
  IDENTITY_ENV,
  userConfigDir,
  type DiscoveredIdentities,
  type DiscoverOptions,
  type IdentityPlace,
  type KeyEnvironment,
} from './keys/discover.js';
export { shellSplit } from './keys/shlex.js';
export { findOnPath, nodeAgePluginRunner, type NodeAgePluginRunnerOptions } from './keys/plugin-process.js';

// sops files
export type { Comment, Document, Entry, MapNode, Scalar, SeqNode, TreePath, Value } from './sops/tree.js';
export {
  openSopsFile,
  createSopsFile,
  updateSopsFile,
  reproduceSopsFile,
  rotateSopsFile,
  unwrapDataKey,
  sopsTimestamp,
  SOPS_VERSION,
  type OpenOptions,
  type OpenedFile,
  type CreateOptions,
} from './sops/file.js';
export { loadSopsFile, openLoadedSopsFile, rekeySopsFile, type LoadedSopsFile, type RekeyOptions } from './sops/rekey.js';
export { askPluginsForDataKeys } from './sops/plugin-prefetch.js';
export {
  formatFromPath,
  isFormat,
  storeFor,
  FORMATS,
  DEFAULT_MAX_ALIAS_EXPANSION,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_INPUT_BYTES,
  type Format,
  type Store,
  type StoreOptions,
} from './sops/stores/store.js';
export { readMetadata } from './sops/metadata-read.js';
export { writeMetadata } from './sops/metadata-write.js';
export { keyName, pgpKey, type Metadata, type MasterKey, type AgeKey, type PgpKey, type OpaqueKey, type OpaqueKeyType, type KeyType, type KeyGroup } from './sops/metadata.js';
// Key sources: one per kind of master key, behind one seam (deploy tools may pass their own)
export { keyString, keyTarget, pgpTarget, targetName, type KeySource, type KeySources, type KeyTarget, type WrapContext } from './sops/key-source.js';
export { asKeyTarget, keySourcesFor, type KeyAccess, type RecipientOrTarget } from './sops/key-registry.js';
export { ageKeySource, MAX_SOPS_STANZAS, type AgeSourceOptions, type IdentitySupply } from './sops/age-source.js';
export { pgpKeySource, gpgProgram, MAX_PGP_ENC_BYTES, type GpgOptions } from './sops/pgp-source.js';
export { generateDataKey, recoverDataKey, wrapDataKey, DATA_KEY_LENGTH, type GroupAttempt, type KeyAttempt, type RecoverOptions, type WrappedDataKey } from './sops/data-key.js';
export { normalizeRules, pickCryptRules, type CryptRules } from './sops/rules.js';
export { parseTreePath, getAtPath, setAtPath, unsetAtPath } from './sops/tree-path.js';
export { isEncValue } from './sops/enc-value.js';
export { mergeDocuments, sameDocument, type TreeMerge } from './sops/merge-tree.js';
export { mergeSopsFiles, type MergeInput, type MergeOptions, type MergeResult } from './sops/merge-file.js';
export {
  CONFLICT_MARKERS,
  MERGE_CONFLICT_KEY,
  conflictMarkerText,
  hasConflictMarkers,
  hasMergeConflict,
  openMergeConflict,
  sealMergeConflict,
  withoutMergeConflict,
  type MergeConflict,
} from './sops/merge-conflict.js';

// .sops.yaml
export { parseSopsConfig, type ConfigKey, type ConfigPosition, type CreationRule, type SopsConfig, type StoresConfig } from './config/schema.js';
export { findConfig, loadConfig, matchCreationRule, pathForRules, readConfigFile, MAX_CONFIG_BYTES, type ConfigFs, type ConfigSource, type FindConfigOptions, type FoundConfig } from './config/find.js';
export { addHost, addKey, removeHost, removeKey, type ConfigEdit, type KeyKind, type RuleSelector } from './config/edit.js';
export { adminKeyOf, ageKeyFileText, checkInitialConfig, initialSopsConfig, DEFAULT_PATH_REGEX, type FoundAdminKey, type InitialConfigOptions, type InitialKey } from './config/init.js';
export { compileRe2, re2ErrorReason, MAX_RE2_PROGRAM_SIZE, type Re2Regex, type Re2ErrorReason } from './re2.js';

// Nix
export { sopsNixDeclarations, type SopsNixDeclaration, type SopsNixInput, type SopsNixOutput, type SopsNixProblem } from './nix/sops-nix.js';

// agenix
export { parseSecretsNix, normalizeRuleName, formatSecretsNix, type AgenixRule, type SecretsNixEntry } from './agenix/secrets-nix.js';
export {
  readAgenixRules,
  readRulesStatic,
  classifySecretsNix,
  classifySecretsNixStatic,
  secretsNixRecipientNames,
  parseAgenixRulesJson,
  isJsonRules,
  type AgenixRules,
  type AgenixRulesOptions,
  type RulesSource,
  type SecretsNixVerdict,
  type StaticRulesOptions,
} from './agenix/rules.js';
export { DEFAULT_NIX_READ_LIMITS, type NixFileReader, type NixReadLimits } from './agenix/nix-eval.js';
export { evaluateWithNix, type NixOptions } from './agenix/nix-instantiate.js';
export type { ProcessOptions, ProcessResult, ProcessRunner } from './process.js';
export { runProcess } from './keys/run-process.js';
export { findRepositoryRoot, repositoryFileReader } from './config/repository-files.js';
export {
  fileDigest,
  formatAgenixLock,
  mergeAgenixLock,
  parseAgenixLock,
  recipientSetDigest,
  recipientState,
  type AgenixLock,
  type LockEntry,
  type RecipientState,
} from './agenix/recipient-state.js';

// Repositories: discovery, rules to targets, check, rekey/agenix/sops-nix plans over an injected view
export { memoryView, readConfigText, type EntryKind, type MemoryEntry, type RepoEntry, type RepoView } from './repo/view.js';
export { configResolver, walkRepository, SKIPPED_DIRECTORIES, SOPS_CONFIG_NAME, type RepositoryFiles } from './repo/discover.js';
export {
  configKeyString,
  configKeyTarget,
  fileKeyGroups,
  formatFor,
  masterKeyString,
  matchRule,
  recipientDiff,
  ruleKeyGroups,
  ruleRecipients,
  type GroupDiff,
  type RecipientDiff,
  type RuleMatch,
} from './repo/targets.js';
export { escapeControl } from './escape.js';
export { ageTextconvSummary, dataKeyId, isAgeFile, sopsTextconvTrailer } from './repo/textconv.js';
export { addSopsConfigNames, canonicalRecipient, nameOf, recipientLabel, secretsNixKeyNames, shortRecipient, type RecipientNames } from './repo/names.js';
export {
  ageFileState,
  decideRulesFile,
  exportRecipients,
  isPluginRecipient,
  type ExportRecipients,
  planAgenixRekey,
  readAgenixLock,
  rulesCandidates,
  type AgenixFileState,
  type AgenixPlanItem,
  type RulesDecision,
} from './repo/agenix.js';
export { checkRepository, scanForSecretKey, type CheckOptions, type CheckReport, type Finding, type RecipientReport } from './repo/check.js';
export { planRekey, type RekeyPlan, type RekeyPlanOptions, type SopsRekeyItem } from './repo/rekey-plan.js';
export { agenixExportSources, type ExportSource, type ExportSources, type ExportSourcesOptions } from './repo/export-sources.js';
export { planSopsNix, wholeFileSecretName, type SopsNixPlan, type SopsNixPlanOptions } from './repo/nix-plan.js';
