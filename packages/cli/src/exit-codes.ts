/**
 * Error code → exit status, in one table. Numbers follow sops' cmd/sops/codes/codes.go wherever sops has
 * one, so scripts written against sops keep working (51 MAC mismatch, 128 no data key, 200 unchanged …).
 */
import type { ErrorCode, SecretsError } from '@secrets/core';

/** Exit statuses that are not tied to an error code. */
export const EXIT = {
  ok: 0,
  generic: 1,
  fileHasNotBeenModified: 200,
  noEditorFound: 201,
} as const;

const TABLE: Readonly<Record<ErrorCode, number>> = {
  USAGE: 1,
  IO_READ: 2, // CouldNotReadInputFile
  IO_WRITE: 3, // CouldNotWriteOutputFile
  FILE_NOT_FOUND: 100, // NoFileSpecified, also "file does not exist"
  LIMIT_EXCEEDED: 1,
  SSH_KEY_INVALID: 1,
  SSH_KEY_UNSUPPORTED: 1,
  SSH_PASSPHRASE_REQUIRED: 1,
  SSH_PASSPHRASE_INCORRECT: 1,
  SSH_PASSPHRASE_UNEXPECTED: 1,
  SSH_CIPHER_UNSUPPORTED: 1,
  AGE_RECIPIENT_INVALID: 1,
  AGE_IDENTITY_INVALID: 128,
  AGE_FILE_INVALID: 1,
  AGE_NO_IDENTITY_MATCHED: 128, // CouldNotRetrieveKey
  AGE_DECRYPT_FAILED: 128,
  AGE_NO_IDENTITIES: 128,
  SOPS_FORMAT_INVALID: 1,
  SOPS_METADATA_NOT_FOUND: 1,
  SOPS_METADATA_INVALID: 1,
  SOPS_VALUE_INVALID: 25, // ErrorDecryptingTree
  SOPS_MAC_MISMATCH: 51, // MacMismatch
  SOPS_DATA_KEY_UNAVAILABLE: 128, // CouldNotRetrieveKey
  SOPS_ALREADY_ENCRYPTED: 203, // FileAlreadyEncrypted
  SOPS_TREE_PATH_INVALID: 91, // InvalidTreePathFormat
  SOPS_SET_VALUE_INVALID: 7, // ErrorInvalidSetFormat
  SOPS_KEY_NOT_FOUND: 1,
  SOPS_EMPTY_DOCUMENT: 92, // NeedAtLeastOneDocument
  SOPS_RULES_CONFLICT: 8, // ErrorConflictingParameters
  SOPS_MERGE_CONFLICT: 1, // git: a merge driver's conflict is any non-zero status
  KEY_WRAP_FAILED: 1, // sops: "Could not generate data key" (a generic error)
  CONFIG_NOT_FOUND: 1,
  CONFIG_INVALID: 1,
  CONFIG_NO_MATCHING_RULE: 1,
  INTERNAL: 1,
};

/** The exit status for an error code. */
export function exitCodeFor(code: ErrorCode): number {
  return TABLE[code];
}

/**
 * The exit status for an error: its code's, except that an editor that could not be run or failed is
 * sops' NoEditorFound (201), whatever the reason (sops: "Could not run editor").
 */
export function exitStatusFor(error: SecretsError): number {
  if (error.code === 'USAGE' && error.details['editor'] === true) return EXIT.noEditorFound;
  return exitCodeFor(error.code);
}
