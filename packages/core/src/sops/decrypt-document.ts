/**
 * Decrypting a sops tree with its MAC (`sops.go` `Tree.Decrypt`, `cmd/sops/common` `DecryptTree`).
 *
 * The walk queues every encrypted value in a {@link GcmBatch} and returns a placeholder for it; each
 * batch (some 64 KiB of AES work: small enough that its temporaries die young) is then opened at once and its items settled in walk order:
 * tag checked, value decoded, MAC fed, IV stashed, placeholder filled. Everything that can fail is
 * settled in walk order too, so the first bad item in the file is the one reported, as when each value
 * was decrypted on its own; no placeholder escapes, since a failure throws before the tree is returned.
 */
import { SecretsError } from '../errors.js';
import { GcmBatch } from './gcm-batch.js';
import { IvStash } from './iv-stash.js';
import { MacHasher, macAad, verifyMac } from './mac.js';
import { compileRules, type CryptRules } from './rules.js';
import type { Comment, Document, Scalar } from './tree.js';
import { decodePlaintext, encodePlaintext, type Plaintext } from './plaintext-encoding.js';
import { walkDocument } from './walk.js';

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

type Leaf = Exclude<Scalar, { kind: 'null' }>;
/** A placeholder in the new tree, filled when its batch is settled (never seen before). */
type Slot = { kind: string; value: unknown };

/** One visited item, settled in walk order. */
type Pending =
  | { readonly kind: 'plain'; readonly value: Leaf }
  | { readonly kind: 'value'; readonly aad: string; readonly job: number; readonly slot: Slot }
  | { readonly kind: 'comment'; readonly aad: string; readonly job: number; readonly slot: { text: string } }
  | { readonly kind: 'failed'; readonly error: SecretsError }
  | { readonly kind: 'warning'; readonly text: string };

/**
 * Settle when this much AES work (counter blocks) or this many items are queued: small enough that a
 * batch's temporaries die young (larger batches measured slower: they survive a collection or two).
 */
const BATCH_BYTES = 1 << 16;
const BATCH_ITEMS = 1 << 12;

const authFailed = (): SecretsError => new SecretsError('SOPS_VALUE_INVALID', 'value failed authentication: wrong data key, or the value was moved or tampered with');
const undecryptable = (aad: string, error: unknown): SecretsError =>
  new SecretsError('SOPS_VALUE_INVALID', `could not decrypt the value at ${JSON.stringify(aad)}: ${error instanceof SecretsError ? error.message : String(error)}`, { cause: error });
const commentWarning = (aad: string): string => `a comment at ${JSON.stringify(aad)} could not be decrypted and is kept as it is (older sops versions wrote comments in plaintext)`;

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
  const hashEncrypted = (bytes: Uint8Array, start: number, end: number): void => mac.addRange(bytes, start, end, true);
  const warnings: string[] = [];
  let batch: GcmBatch | SecretsError | undefined;
  let pending: Pending[] = [];

  /** The batch, or why there is none (a data key of the wrong length fails each value, as before). */
  const gcm = (): GcmBatch => {
    try {
      batch ??= new GcmBatch(dataKey);
    } catch (error) {
      batch = error instanceof SecretsError ? error : new SecretsError('INTERNAL', String(error));
    }
    if (batch instanceof SecretsError) throw batch;
    return batch;
  };

  const settleValue = (opened: GcmBatch, { aad, job, slot }: Extract<Pending, { kind: 'value' }>): void => {
    let result: Plaintext;
    let plaintext: Uint8Array | null = null;
    const type = opened.type(job);
    const ascii = type === 'str' && opened.authentic(job) ? opened.asciiText(job) : undefined;
    if (ascii !== undefined) result = { kind: 'string', value: ascii };
    else {
      try {
        if (!opened.authentic(job)) throw authFailed();
        plaintext = opened.plaintext(job);
        result = decodePlaintext(type, plaintext);
      } catch (error) {
        throw undecryptable(aad, error);
      }
    }
    if (result.kind === 'comment') throw new SecretsError('SOPS_VALUE_INVALID', `the value at ${JSON.stringify(aad)} is an encrypted comment`);
    // ToBytes of the decoded value; for a string (or raw bytes) exactly what was decrypted.
    if (result.kind === 'string' || result.kind === 'bytes') opened.withPlaintext(job, hashEncrypted);
    else mac.add(encodePlaintext(result).bytes, true);
    stash.record(aad, result, plaintext, opened.iv(job));
    slot.kind = result.kind;
    slot.value = result.value;
  };

  const settleComment = (opened: GcmBatch, { aad, job, slot }: Extract<Pending, { kind: 'comment' }>): void => {
    let v;
    let plaintext;
    try {
      if (!opened.authentic(job)) throw authFailed();
      plaintext = opened.plaintext(job);
      v = decodePlaintext(opened.type(job), plaintext);
    } catch {
      warnings.push(commentWarning(aad));
      return;
    }
    // Go: a comment decrypts to a Comment or, for type:str, to a string; any other type is an error.
    let text: string;
    if (v.kind === 'comment') text = v.text;
    else if (v.kind === 'string') text = v.value;
    else if (v.kind === 'bytes') text = new TextDecoder().decode(v.value); // not UTF-8: lossy, and not stashed
    else throw new SecretsError('SOPS_VALUE_INVALID', `the comment at ${JSON.stringify(aad)} decrypts to a ${v.kind}, not text`);
    slot.text = text;
    stash.record(aad, slot as Comment, plaintext, opened.iv(job));
  };

  const settle = (): void => {
    const opened = batch instanceof GcmBatch ? batch : undefined;
    opened?.open();
    const items = pending;
    pending = [];
    for (const item of items) {
      if (item.kind === 'plain') mac.add(encodePlaintext(item.value).bytes, false);
      else if (item.kind === 'failed') throw item.error;
      else if (item.kind === 'warning') warnings.push(item.text);
      // values and comments were queued in the batch, so it exists
      else if (item.kind === 'value') settleValue(opened as GcmBatch, item);
      else settleComment(opened as GcmBatch, item);
    }
    opened?.clear();
  };

  const queue = (item: Pending): void => {
    pending.push(item);
    if (pending.length >= BATCH_ITEMS || (batch instanceof GcmBatch && batch.pendingBytes >= BATCH_BYTES)) settle();
  };

  try {
    const document = walkDocument(doc, selector, {
      leaf(value, { aad, encrypted }) {
        if (!encrypted) {
          queue({ kind: 'plain', value });
          return value;
        }
        if (value.kind !== 'string') {
          queue({ kind: 'failed', error: new SecretsError('SOPS_VALUE_INVALID', `expected an encrypted value at ${JSON.stringify(aad)}, found a ${value.kind}`) });
          return value;
        }
        if (value.value === '') return value; // sops never encrypts an empty value
        let job;
        try {
          job = gcm().add(value.value, aad);
        } catch (error) {
          queue({ kind: 'failed', error: undecryptable(aad, error) });
          return value;
        }
        const slot: Slot = { kind: 'string', value: '' };
        queue({ kind: 'value', aad, job, slot });
        return slot as Leaf;
      },
      comment(comment, { aad, encrypted }) {
        if (!encrypted || comment.text === '') return comment;
        let job;
        try {
          job = gcm().add(comment.text, aad);
        } catch {
          queue({ kind: 'warning', text: commentWarning(aad) });
          return comment;
        }
        const slot = { ...comment };
        queue({ kind: 'comment', aad, job, slot });
        return slot;
      },
    });
    settle();
    const computed = mac.hex();
    let macVerified = true;
    try {
      verifyMac(metadata.mac, computed, dataKey, metadata.lastmodified, stash);
    } catch (error) {
      if (!options.ignoreMac) throw error;
      macVerified = false;
    }
    return { document, ivStash: stash.build(), warnings, macVerified };
  } finally {
    if (batch instanceof GcmBatch) batch.dispose();
  }
}
