/**
 * Encrypting and decrypting a sops tree with its MAC (`sops.go` `Tree.Encrypt`/`Tree.Decrypt`,
 * `cmd/sops/common` `EncryptTree`/`DecryptTree`): pure functions over {@link Document}s.
 *
 * - Which items are encrypted: `rules.ts`; how the tree is walked and the AAD formed: `walk.ts`; the
 *   value cipher: `value-cipher.ts`; the MAC: `mac.ts`.
 * - Decryption never hands out plaintext it could not authenticate: every value must open with its
 *   AAD, and the MAC is verified before the tree is returned (unless `ignoreMac`).
 * - Stable ciphertext: decryption returns an {@link IvStash}; pass it to the next encryption under the
 *   same data key and unchanged values (and an unchanged MAC) keep their exact ciphertext.
 */
import { SecretsError } from '../errors.js';
import { IvStash } from './iv-stash.js';
import { MacHasher, encryptMac, macAad, verifyMac } from './mac.js';
import { compileRules, type CryptRules } from './rules.js';
import type { Document } from './tree.js';
import { decryptValue, encodePlaintext, encryptValue } from './value-cipher.js';
import { walkDocument } from './walk.js';

export { IvStash } from './iv-stash.js';

/** Options of {@link encryptDocument}. */
export interface EncryptDocumentOptions {
  /** The 32-byte data key. */
  readonly dataKey: Uint8Array;
  /** The file's selection rules (normalized here; sops' default suffix when none is set). */
  readonly rules: CryptRules;
  /** The new `lastmodified` (RFC 3339; sops writes whole seconds in UTC): the MAC's AAD. */
  readonly lastmodified: string;
  /** IVs from decrypting under the SAME data key, so that unchanged values keep their ciphertext. */
  readonly ivStash?: IvStash;
  /** Returns `n` cryptographically random bytes (fresh IVs). */
  readonly random: (length: number) => Uint8Array;
}

/** The result of {@link encryptDocument}. */
export interface EncryptedDocument {
  readonly document: Document;
  /** The encrypted MAC, for the metadata's `mac` (with the `lastmodified` that was passed in). */
  readonly mac: string;
}

/**
 * Encrypts every value and comment the rules select, computing the MAC on the way.
 *
 * @param doc - the plaintext tree (not modified)
 * @param options - data key, rules, `lastmodified`, IV stash and randomness
 * @returns the encrypted tree and its encrypted MAC
 * @throws SecretsError SOPS_RULES_CONFLICT (more than one rule, or an encrypted comment that would match
 *   `unencrypted_comment_regex`), CONFIG_INVALID (a bad regex), SOPS_VALUE_INVALID (a value sops cannot
 *   encode), SOPS_METADATA_INVALID (a bad `lastmodified`)
 */
export function encryptDocument(doc: Document, options: EncryptDocumentOptions): EncryptedDocument {
  const { dataKey, rules } = options;
  macAad(options.lastmodified); // fail before doing any work
  const selector = compileRules(rules);
  const ivFor = (options.ivStash ?? IvStash.EMPTY).ivSource(dataKey, options.random);
  const mac = new MacHasher(rules.macOnlyEncrypted === true);

  const document = walkDocument(doc, selector, {
    leaf(value, { aad, encrypted }) {
      mac.add(encodePlaintext(value).bytes, encrypted);
      if (!encrypted) return value;
      return { kind: 'string', value: encryptValue(value, dataKey, aad, ivFor) };
    },
    comment(comment, { aad, encrypted }) {
      if (!encrypted) return comment;
      const text = encryptValue(comment, dataKey, aad, ivFor);
      // sops.go Tree.Encrypt: such a comment would be taken for plaintext on decryption.
      if (selector.matchesUnencryptedCommentRegex(text)) {
        throw new SecretsError('SOPS_RULES_CONFLICT', `an encrypted comment at ${JSON.stringify(aad)} matches unencrypted_comment_regex`, {
          hints: ['make sure unencrypted_comment_regex cannot match ENC[AES256_GCM,…] text'],
        });
      }
      return { ...comment, text };
    },
  });
  return { document, mac: encryptMac(mac.hex(), dataKey, options.lastmodified, ivFor) };
}

/** The metadata {@link decryptDocument} needs: rules, `lastmodified` and the stored MAC. */
export interface DecryptMetadata {
  readonly rules: CryptRules;
  readonly lastmodified: string;
  readonly mac: string;
}

/** Options of {@link decryptDocument}. */
export interface DecryptDocumentOptions {
  /** The 32-byte data key. */
  readonly dataKey: Uint8Array;
  /** The file's metadata (a {@link Metadata} will do). */
  readonly metadata: DecryptMetadata;
  /** Do not fail on a MAC mismatch (sops `--ignore-mac`); the MAC is still checked and reported. */
  readonly ignoreMac?: boolean;
}

/** The result of {@link decryptDocument}. */
export interface DecryptedDocument {
  readonly document: Document;
  /** IVs for stable re-encryption under the same data key. */
  readonly ivStash: IvStash;
  /** Non-fatal findings: comments kept as they were because they did not decrypt. */
  readonly warnings: readonly string[];
  /** Whether the MAC matched (always true unless `ignoreMac`). */
  readonly macVerified: boolean;
}

/**
 * Decrypts every value and comment the rules say is encrypted, and verifies the MAC before returning.
 *
 * A comment that does not decrypt is kept as it is, with a warning (sops before 3.x wrote comments in
 * plaintext). A value that does not decrypt is an error, and nothing is returned.
 *
 * @param doc - the encrypted tree (not modified)
 * @param options - data key, metadata, `ignoreMac`
 * @returns the plaintext tree, the IV stash, warnings and whether the MAC matched
 * @throws SecretsError SOPS_VALUE_INVALID (a value that is not an encrypted string, does not authenticate
 *   or does not decode), SOPS_MAC_MISMATCH, SOPS_METADATA_INVALID (bad `lastmodified`),
 *   SOPS_RULES_CONFLICT, CONFIG_INVALID (an untranslatable regex)
 */
export function decryptDocument(doc: Document, options: DecryptDocumentOptions): DecryptedDocument {
  const { dataKey, metadata } = options;
  macAad(metadata.lastmodified);
  // sops ignores regex compile errors when matching (never matches): a file with such a rule still opens.
  const selector = compileRules(metadata.rules, { invalidRegex: 'never-match' });
  const stash = IvStash.builder(dataKey);
  const mac = new MacHasher(metadata.rules.macOnlyEncrypted === true);
  const warnings: string[] = [];

  const document = walkDocument(doc, selector, {
    leaf(value, { aad, encrypted }) {
      if (!encrypted) {
        mac.add(encodePlaintext(value).bytes, false);
        return value;
      }
      if (value.kind !== 'string') throw new SecretsError('SOPS_VALUE_INVALID', `expected an encrypted value at ${JSON.stringify(aad)}, found a ${value.kind}`);
      let decrypted;
      try {
        decrypted = decryptValue(value.value, dataKey, aad);
      } catch (error) {
        const why = error instanceof SecretsError ? error.message : String(error);
        throw new SecretsError('SOPS_VALUE_INVALID', `could not decrypt the value at ${JSON.stringify(aad)}: ${why}`, { cause: error });
      }
      const result = decrypted.value;
      if (result.kind === 'comment') throw new SecretsError('SOPS_VALUE_INVALID', `the value at ${JSON.stringify(aad)} is an encrypted comment`);
      // ToBytes of the decoded value; for a string (or raw bytes) exactly what was decrypted.
      mac.add(result.kind === 'string' || result.kind === 'bytes' ? decrypted.plaintext : encodePlaintext(result).bytes, true);
      stash.record(aad, result, decrypted.plaintext, decrypted.iv);
      return result;
    },
    comment(comment, { aad, encrypted }) {
      if (!encrypted || comment.text === '') return comment;
      let decrypted;
      try {
        decrypted = decryptValue(comment.text, dataKey, aad);
      } catch {
        warnings.push(`a comment at ${JSON.stringify(aad)} could not be decrypted and is kept as it is (older sops versions wrote comments in plaintext)`);
        return comment;
      }
      const v = decrypted.value;
      // Go: a comment decrypts to a Comment or, for type:str, to a string; any other type is an error.
      let text: string;
      if (v.kind === 'comment') text = v.text;
      else if (v.kind === 'string') text = v.value;
      else if (v.kind === 'bytes') text = new TextDecoder().decode(v.value); // not UTF-8: lossy, and not stashed
      else throw new SecretsError('SOPS_VALUE_INVALID', `the comment at ${JSON.stringify(aad)} decrypts to a ${v.kind}, not text`);
      const out = { ...comment, text };
      stash.record(aad, out, decrypted.plaintext, decrypted.iv);
      return out;
    },
  });

  const computed = mac.hex();
  let macVerified = true;
  try {
    verifyMac(metadata.mac, computed, dataKey, metadata.lastmodified, stash);
  } catch (error) {
    if (!options.ignoreMac) throw error;
    macVerified = false;
  }
  return { document, ivStash: stash.build(), warnings, macVerified };
}
