/**
 * Encrypting and decrypting a sops tree with its MAC (`sops.go` `Tree.Encrypt`/`Tree.Decrypt`,
 * `cmd/sops/common` `EncryptTree`/`DecryptTree`): pure functions over {@link Document}s.
 *
 * - Which items are encrypted: `rules.ts`; how the tree is walked and the AAD formed: `walk.ts`; the
 *   value cipher: `value-cipher.ts` (ENC text: `enc-value.ts`; plaintext bytes: `plaintext-encoding.ts`;
 *   batched for decryption: `gcm-batch.ts`); the MAC: `mac.ts`; decryption: `decrypt-document.ts`.
 * - Decryption never hands out plaintext it could not authenticate: every value must open with its
 *   AAD, and the MAC is verified before the tree is returned (unless `ignoreMac`).
 * - Stable ciphertext: decryption returns an {@link IvStash}; pass it to the next encryption under the
 *   same data key and unchanged values (and an unchanged MAC) keep their exact ciphertext.
 */
import { SecretsError } from '../errors.js';
import { IvStash } from './iv-stash.js';
import { MacHasher, encryptMac, macAad } from './mac.js';
import { compileRules, type CryptRules } from './rules.js';
import type { Document } from './tree.js';
import { GcmSealBatch } from './gcm-seal.js';
import { encodePlaintext, type EncodedPlaintext } from './plaintext-encoding.js';
import { staysEmpty } from './value-cipher.js';
import { walkDocument } from './walk.js';

export { IvStash } from './iv-stash.js';
export { decryptDocument, type DecryptDocumentOptions, type DecryptedDocument, type DecryptMetadata } from './decrypt-document.js';

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

  // Values are sealed in batches (gcm-seal.ts): a node gets its ENC text when its batch is sealed, at
  // the latest before this returns. IVs are drawn in file order, as before.
  const sealer = new GcmSealBatch(dataKey);
  const seal = (encoded: EncodedPlaintext, aad: string, done: (text: string) => void): void => {
    if (staysEmpty(encoded)) done('');
    else sealer.add(encoded.bytes, encoded.type, aad, ivFor(aad, encoded.type, encoded.bytes), done);
  };
  try {
    const document = walkDocument(doc, selector, {
      leaf(value, { aad, encrypted }) {
        const encoded = encodePlaintext(value);
        mac.add(encoded.bytes, encrypted);
        if (!encrypted) return value;
        const node: { kind: 'string'; value: string } = { kind: 'string', value: '' };
        seal(encoded, aad, (text) => (node.value = text));
        return node;
      },
      comment(comment, { aad, encrypted }) {
        if (!encrypted) return comment;
        const node = { ...comment };
        seal(encodePlaintext(comment), aad, (text) => {
          // sops.go Tree.Encrypt: such a comment would be taken for plaintext on decryption.
          if (selector.matchesUnencryptedCommentRegex(text)) {
            throw new SecretsError('SOPS_RULES_CONFLICT', `an encrypted comment at ${JSON.stringify(aad)} matches unencrypted_comment_regex`, {
              hints: ['make sure unencrypted_comment_regex cannot match ENC[AES256_GCM,…] text'],
            });
          }
          node.text = text;
        });
        return node;
      },
    });
    sealer.seal();
    return { document, mac: encryptMac(mac.hex(), dataKey, options.lastmodified, ivFor) };
  } finally {
    sealer.dispose();
  }
}
