/**
 * Which values sops encrypts (sops.go `shouldBeEncrypted`): at most one of six rules, default
 * `unencrypted_suffix: _unencrypted`. Suffix and key regexes test every key on the path; the comment
 * regexes test the comment stack (per nesting level, the run of comments just before the current item).
 */
import { SecretsError } from '../errors.js';
import { compileRe2 } from '../re2.js';

/** The encryption-selection settings of a file (stored in its metadata). */
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

/** sops.DefaultUnencryptedSuffix */
export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';

const RULE_NAMES = ['unencryptedSuffix', 'encryptedSuffix', 'unencryptedRegex', 'encryptedRegex', 'unencryptedCommentRegex', 'encryptedCommentRegex'] as const;
const SOPS_NAMES: Record<(typeof RULE_NAMES)[number], string> = {
  unencryptedSuffix: 'unencrypted_suffix',
  encryptedSuffix: 'encrypted_suffix',
  unencryptedRegex: 'unencrypted_regex',
  encryptedRegex: 'encrypted_regex',
  unencryptedCommentRegex: 'unencrypted_comment_regex',
  encryptedCommentRegex: 'encrypted_comment_regex',
};

/**
 * Checks the at-most-one rule and fills in sops' default.
 *
 * @throws SecretsError SOPS_RULES_CONFLICT when more than one rule is set
 */
export function normalizeRules(rules: CryptRules): CryptRules {
  const set = RULE_NAMES.filter((n) => rules[n] !== undefined && rules[n] !== '');
  if (set.length > 1) {
    throw new SecretsError('SOPS_RULES_CONFLICT', `cannot use ${set.map((n) => SOPS_NAMES[n]).join(' and ')} together: at most one encryption-selection rule may be set`);
  }
  if (set.length === 0) return { ...rules, unencryptedSuffix: DEFAULT_UNENCRYPTED_SUFFIX };
  return rules;
}

/** Only the encryption-selection fields of an object that has more (e.g. a creation rule). */
export function pickCryptRules(source: CryptRules): CryptRules {
  const out: { -readonly [K in keyof CryptRules]: CryptRules[K] } = {};
  for (const name of RULE_NAMES) if (source[name] !== undefined && source[name] !== '') out[name] = source[name];
  if (source.macOnlyEncrypted) out.macOnlyEncrypted = true;
  return out;
}

/** A compiled decision function. */
export interface Selector {
  /**
   * Whether the item at `path` (mapping keys from the root) is encrypted, given the comment stack.
   *
   * @param path - keys from the document root
   * @param stack - comment texts: the runs before the current item at each level, ending with the item
   *   itself when it is a comment
   * @param isComment - the item is itself a comment
   */
  encrypts(path: readonly string[], stack: readonly string[], isComment: boolean): boolean;
}

/** Compiles rules (already normalized) into a {@link Selector}. */
export function compileRules(rules: CryptRules): Selector {
  const re = (s: string | undefined): RegExp | null => (s ? compileRe2(s) : null);
  const unencRe = re(rules.unencryptedRegex);
  const encRe = re(rules.encryptedRegex);
  const unencCommentRe = re(rules.unencryptedCommentRegex);
  const encCommentRe = re(rules.encryptedCommentRegex);
  return {
    encrypts(path, stack, isComment) {
      if (rules.unencryptedSuffix) return !path.some((k) => k.endsWith(rules.unencryptedSuffix as string));
      if (rules.encryptedSuffix) return path.some((k) => k.endsWith(rules.encryptedSuffix as string));
      if (unencRe) return !path.some((k) => unencRe.test(k));
      if (encRe) return path.some((k) => encRe.test(k));
      if (unencCommentRe) return !stack.some((c) => unencCommentRe.test(c));
      if (encCommentRe) {
        // The marker comment itself stays plain: for a comment item, its own text (the last on the
        // stack) does not count. For unencrypted_comment_regex it does, so the marker stays plain too.
        return (isComment ? stack.slice(0, -1) : stack).some((c) => encCommentRe.test(c));
      }
      return true;
    },
  };
}
