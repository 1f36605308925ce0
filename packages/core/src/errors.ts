/**
 * One error type for the whole library.
 *
 * Every failure a user can cause (bad input, wrong key, tampered file) is a {@link SecretsError} with a
 * stable {@link ErrorCode}. The CLI maps codes to sops-compatible exit statuses in one table, and prints
 * `secrets: error: <message>` followed by `secrets: hint: <hint>` lines.
 *
 * Message grammar (after age's `cmd/age/tui.go`): lowercase first letter, no trailing period, user input
 * quoted with JSON.stringify, and never any key material or plaintext.
 *
 * @packageDocumentation
 */

/**
 * Stable machine-readable error codes. New codes may be added; existing ones keep their meaning.
 */
export type ErrorCode =
  // input / usage
  | 'USAGE'
  | 'IO_READ'
  | 'IO_WRITE'
  | 'FILE_NOT_FOUND'
  | 'LIMIT_EXCEEDED'
  // ssh layer
  | 'SSH_KEY_INVALID'
  | 'SSH_KEY_UNSUPPORTED'
  | 'SSH_PASSPHRASE_REQUIRED'
  | 'SSH_PASSPHRASE_INCORRECT'
  | 'SSH_PASSPHRASE_UNEXPECTED'
  | 'SSH_CIPHER_UNSUPPORTED'
  // age layer
  | 'AGE_RECIPIENT_INVALID'
  | 'AGE_IDENTITY_INVALID'
  | 'AGE_FILE_INVALID'
  | 'AGE_NO_IDENTITY_MATCHED'
  | 'AGE_DECRYPT_FAILED'
  | 'AGE_NO_IDENTITIES'
  // sops layer
  | 'SOPS_FORMAT_INVALID'
  | 'SOPS_METADATA_NOT_FOUND'
  | 'SOPS_METADATA_INVALID'
  | 'SOPS_VALUE_INVALID'
  | 'SOPS_MAC_MISMATCH'
  | 'SOPS_DATA_KEY_UNAVAILABLE'
  | 'SOPS_ALREADY_ENCRYPTED'
  | 'SOPS_TREE_PATH_INVALID'
  | 'SOPS_SET_VALUE_INVALID'
  | 'SOPS_KEY_NOT_FOUND'
  | 'SOPS_EMPTY_DOCUMENT'
  | 'SOPS_RULES_CONFLICT'
  | 'SOPS_MERGE_CONFLICT'
  // key sources (gpg…)
  | 'KEY_WRAP_FAILED'
  // .sops.yaml
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'CONFIG_NO_MATCHING_RULE'
  // anything that "should never happen"
  | 'INTERNAL';

/** Options accepted by the {@link SecretsError} constructor. */
export interface SecretsErrorOptions {
  /** Extra lines telling the user what to do next; printed as `hint:` lines by the CLI. */
  hints?: readonly string[];
  /** The underlying error, kept for debugging; never shown to users by default. */
  cause?: unknown;
  /** Structured, secret-free details for tools (e.g. which identities were tried). */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * The error every public function of `@secrets/core` throws for a user-caused failure.
 *
 * Use {@link isSecretsError} to test for it across package copies.
 */
export class SecretsError extends Error {
  /** The stable error code. */
  readonly code: ErrorCode;
  /** Follow-up hints for the user, in display order. */
  readonly hints: readonly string[];
  /** Structured details (never key material). */
  readonly details: Readonly<Record<string, unknown>>;

  /**
   * @param code - stable error code
   * @param message - lowercase, no trailing period, no secrets
   * @param options - hints, cause and details
   */
  constructor(code: ErrorCode, message: string, options: SecretsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecretsError';
    this.code = code;
    this.hints = options.hints ?? [];
    this.details = options.details ?? {};
  }
}

/**
 * Whether `value` is a {@link SecretsError} (also when it comes from another copy of this package).
 *
 * @param value - anything caught
 * @returns true for a SecretsError
 */
export function isSecretsError(value: unknown): value is SecretsError {
  return (
    value instanceof SecretsError ||
    (value instanceof Error && value.name === 'SecretsError' && typeof (value as { code?: unknown }).code === 'string')
  );
}
