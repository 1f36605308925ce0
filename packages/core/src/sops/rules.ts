/**
 * Which values and comments sops encrypts (`sops.go` `Tree.shouldBeEncrypted`).
 *
 * At most one of six rules may be set (`stores/stores.go` `ToInternal`, `config/config.go`); with none,
 * `unencrypted_suffix: _unencrypted` applies (`sops.DefaultUnencryptedSuffix`).
 *
 * - `unencrypted_suffix` / `encrypted_suffix`: a key on the path ends with the suffix;
 * - `unencrypted_regex` / `encrypted_regex`: a key on the path matches (Go RE2, unanchored);
 * - `unencrypted_comment_regex` / `encrypted_comment_regex`: a comment on the *comment stack* matches.
 *   The stack has one entry per nesting level: the run of comments just before the current item at that
 *   level, emptied after every non-comment item. A comment is pushed on the stack before it is itself
 *   judged, so a marker comment matching `unencrypted_comment_regex` stays plain; for
 *   `encrypted_comment_regex` the last comment of the innermost level is skipped when judging a comment,
 *   so the marker itself stays plain too.
 *
 * Comments are judged like values with their container's path: by default all comments are encrypted,
 * and under `encrypted_suffix`/`encrypted_regex` top-level comments (empty path) stay plain.
 *
 * `mac_only_encrypted` does not select anything; it only changes the MAC (see `mac.ts`).
 */
import { SecretsError } from '../errors.js';
import { compileRe2, re2ErrorReason, type Re2Regex } from '../re2.js';

/** The encryption-selection settings of a file (stored in its metadata) or of a creation rule. */
export interface CryptRules {
  readonly unencryptedSuffix?: string;
  readonly encryptedSuffix?: string;
  readonly unencryptedRegex?: string;
  readonly encryptedRegex?: string;
  readonly unencryptedCommentRegex?: string;
  readonly encryptedCommentRegex?: string;
  /** Only encrypted values go into the MAC (sops ≥ 3.9). */
  readonly macOnlyEncrypted?: boolean;
}

/** `sops.DefaultUnencryptedSuffix`. */
export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';

/** The six selection rules, as {@link CryptRules} properties. */
export const RULE_NAMES = ['unencryptedSuffix', 'encryptedSuffix', 'unencryptedRegex', 'encryptedRegex', 'unencryptedCommentRegex', 'encryptedCommentRegex'] as const;

/** One of {@link RULE_NAMES}. */
export type RuleName = (typeof RULE_NAMES)[number];

/** The metadata / `.sops.yaml` spelling of each rule. */
export const SOPS_RULE_FIELDS: Readonly<Record<RuleName, string>> = {
  unencryptedSuffix: 'unencrypted_suffix',
  encryptedSuffix: 'encrypted_suffix',
  unencryptedRegex: 'unencrypted_regex',
  encryptedRegex: 'encrypted_regex',
  unencryptedCommentRegex: 'unencrypted_comment_regex',
  encryptedCommentRegex: 'encrypted_comment_regex',
};

/**
 * Checks that at most one rule is set and applies sops' default. An empty string counts as unset, as in
 * sops.
 *
 * @param rules - the settings
 * @returns the settings with empty rules dropped and `unencryptedSuffix: "_unencrypted"` when none is set
 * @throws SecretsError SOPS_RULES_CONFLICT when more than one rule is set
 */
export function normalizeRules(rules: CryptRules): CryptRules {
  const set = RULE_NAMES.filter((name) => rules[name] !== undefined && rules[name] !== '');
  if (set.length > 1) {
    throw new SecretsError('SOPS_RULES_CONFLICT', `cannot use ${set.map((n) => SOPS_RULE_FIELDS[n]).join(' and ')} together: at most one of the encryption-selection rules may be set`);
  }
  const out: { -readonly [K in keyof CryptRules]: CryptRules[K] } = {};
  for (const name of set) out[name] = rules[name];
  if (set.length === 0) out.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  if (rules.macOnlyEncrypted) out.macOnlyEncrypted = true;
  return out;
}

/**
 * Only the encryption-selection fields of an object that has more (e.g. a creation rule), without empty
 * ones.
 *
 * @param source - anything with {@link CryptRules} fields
 * @returns the rule fields that are set, and `macOnlyEncrypted` when true
 */
export function pickCryptRules(source: CryptRules): CryptRules {
  const out: { -readonly [K in keyof CryptRules]: CryptRules[K] } = {};
  for (const name of RULE_NAMES) if (source[name] !== undefined && source[name] !== '') out[name] = source[name];
  if (source.macOnlyEncrypted) out.macOnlyEncrypted = true;
  return out;
}

/**
 * The comment stack: per nesting level (outermost first), the comments seen since the last non-comment
 * item at that level. When judging a comment, it is already the last entry of the innermost level.
 */
export type CommentStack = readonly (readonly string[])[];

/** A compiled selection rule. */
export interface Selector {
  /**
   * Whether an item is encrypted.
   *
   * @param path - mapping keys from the document root (a comment has its container's path)
   * @param stack - the comment stack (see {@link CommentStack})
   * @param isComment - the item is a comment
   */
  shouldEncrypt(path: readonly string[], stack: CommentStack, isComment: boolean): boolean;
  /**
   * Whether an encrypted comment's text would match `unencrypted_comment_regex`, which would make it
   * look unencrypted on decryption (sops refuses to write such a file).
   *
   * @param encryptedText - the ENC string of a comment
   */
  matchesUnencryptedCommentRegex(encryptedText: string): boolean;
}

/** Options of {@link compileRules}. */
export interface CompileRulesOptions {
  /**
   * What to do with a regex that RE2 itself rejects: `throw` (default; right when encrypting), or
   * `never-match`, which is what sops does (`regexp.Match` errors are ignored), right when decrypting a
   * file whose metadata holds such a regex. A regex over the size limit (`MAX_RE2_PROGRAM_SIZE`) always throws.
   */
  readonly invalidRegex?: 'throw' | 'never-match';
}

const NEVER: Re2Regex = { source: '', test: () => false };

/**
 * Compiles rules into a {@link Selector}.
 *
 * @param rules - the settings; {@link normalizeRules} is applied
 * @param options - invalid-regex policy
 * @returns the selector
 * @throws SecretsError SOPS_RULES_CONFLICT, CONFIG_INVALID (a bad or oversized regex, naming the field)
 */
export function compileRules(rules: CryptRules, options: CompileRulesOptions = {}): Selector {
  const r = normalizeRules(rules);
  const re = (name: RuleName): Re2Regex | undefined => {
    const source = r[name];
    if (source === undefined) return undefined;
    try {
      return compileRe2(source);
    } catch (error) {
      if (options.invalidRegex === 'never-match' && re2ErrorReason(error) === 'syntax') return NEVER;
      const message = error instanceof SecretsError ? error.message : String(error);
      throw new SecretsError('CONFIG_INVALID', `${SOPS_RULE_FIELDS[name]}: ${message}`, { cause: error });
    }
  };
  const unencryptedRegex = re('unencryptedRegex');
  const encryptedRegex = re('encryptedRegex');
  const unencryptedCommentRegex = re('unencryptedCommentRegex');
  const encryptedCommentRegex = re('encryptedCommentRegex');
  const { unencryptedSuffix, encryptedSuffix } = r;

  return {
    shouldEncrypt(path, stack, isComment) {
      if (unencryptedSuffix !== undefined) return !path.some((k) => k.endsWith(unencryptedSuffix));
      if (encryptedSuffix !== undefined) return path.some((k) => k.endsWith(encryptedSuffix));
      if (unencryptedRegex) return !path.some((k) => unencryptedRegex.test(k));
      if (encryptedRegex) return path.some((k) => encryptedRegex.test(k));
      if (unencryptedCommentRegex) return !stack.some((level) => level.some((c) => unencryptedCommentRegex.test(c)));
      if (encryptedCommentRegex) {
        const last = stack.length - 1;
        return stack.some((level, i) =>
          level.some((c, j) => {
            // The comment being judged (last of the innermost level) does not count: the marker stays plain.
            if (isComment && i === last && j === level.length - 1) return false;
            return encryptedCommentRegex.test(c);
          }),
        );
      }
      return true;
    },
    matchesUnencryptedCommentRegex(encryptedText) {
      return unencryptedCommentRegex !== undefined && unencryptedCommentRegex.test(encryptedText);
    },
  };
}
