/**
 * Encrypting and decrypting a sops tree (sops.go Tree.Encrypt / Tree.Decrypt) with its MAC.
 *
 * - AAD of a value: the mapping keys from the root joined with `:` plus a trailing `:`; list indexes are
 *   not part of it; a comment uses its container's path (top level `:`).
 * - MAC: SHA-512 over the plaintext leaves in walk order (comments and nulls excluded), uppercase hex,
 *   stored encrypted with AAD = lastmodified. With mac_only_encrypted, only encrypted leaves count and
 *   the hash is first fed SHA-256("sops").
 * - Unchanged values keep their ciphertext: decryption returns an IV stash keyed by (AAD, type,
 *   plaintext) that the next encryption under the SAME data key may reuse (aes/cipher.go stash).
 */
import { createHash } from 'node:crypto';
import { SecretsError } from '../errors.js';
import { equalBytes, toBase64, utf8 } from '../bytes.js';
import { compileRules, normalizeRules, type CryptRules, type Selector } from './rules.js';
import type { Comment, Document, Entry, MapNode, Scalar, SeqNode, Value } from './tree.js';
import { encTypeOf, isEncValue, openEncValue, parseEncValue, scalarBytes, scalarFromBytes, sealEncValue } from './value-cipher.js';

/** IVs of the values seen while decrypting, for stable ciphertext on re-encryption under the same key. */
export type IvStash = ReadonlyMap<string, Uint8Array>;

function stashKey(aad: string, type: string, plaintext: Uint8Array): string {
  return `${aad}\u0000${type}\u0000${toBase64(plaintext)}`;
}

/** sops.MACOnlyEncryptedInitialization: SHA-256("sops"), fed raw before the values. */
const MAC_ONLY_ENCRYPTED_PREFIX = /* @__PURE__ */ createHash('sha256').update('sops').digest();

/**
 * The `lastmodified` text used as the MAC's AAD: sops parses it and formats it again as RFC 3339, so
 * fractional seconds are dropped and a zero offset becomes `Z` (common.DecryptTree).
 */
export function macAad(lastmodified: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(lastmodified);
  if (!m) throw new SecretsError('SOPS_METADATA_INVALID', `lastmodified ${JSON.stringify(lastmodified)} is not an RFC 3339 time`);
  const zone = m[3] === 'z' || m[3] === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : (m[3] as string);
  return `${m[1]}T${m[2]}${zone}`;
}

interface WalkState {
  readonly selector: Selector;
  /** Comment runs per nesting level (plaintext). */
  readonly runs: string[][];
  /** Which side of a comment visit is plaintext: the input (encrypting) or the output (decrypting). */
  readonly plaintextSide: 'input' | 'output';
}

type LeafVisitor = (leaf: Scalar, aad: string, encrypt: boolean) => Value;
type CommentVisitor = (comment: Comment, aad: string, encrypt: boolean) => Comment;

function aadOf(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

function walkValue(value: Value, path: string[], state: WalkState, leaf: LeafVisitor, comment: CommentVisitor): Value {
  switch (value.kind) {
    case 'map':
      return walkMap(value, path, state, leaf, comment);
    case 'seq':
      return walkSeq(value, path, state, leaf, comment);
    default: {
      const stack = state.runs.flat();
      return leaf(value, aadOf(path), state.selector.encrypts(path, stack, false));
    }
  }
}

function visitComment(c: Comment, path: string[], state: WalkState, comment: CommentVisitor): Comment {
  const run = state.runs[state.runs.length - 1] as string[];
  // Deciding needs the comment's plaintext; when decrypting that is only known after the visit, and
  // an encrypted comment was, by construction, selected for encryption.
  const encrypt = state.plaintextSide === 'input' ? state.selector.encrypts(path, [...state.runs.flat(), c.text], true) : true;
  const out = comment(c, aadOf(path), encrypt);
  run.push(state.plaintextSide === 'input' ? c.text : out.text);
  return out;
}

function walkMap(map: MapNode, path: string[], state: WalkState, leaf: LeafVisitor, comment: CommentVisitor): MapNode {
  state.runs.push([]);
  const items: (Entry | Comment)[] = [];
  for (const item of map.items) {
    if (item.kind === 'comment') {
      items.push(visitComment(item, path, state, comment));
      continue;
    }
    items.push({ kind: 'entry', key: item.key, value: walkValue(item.value, [...path, item.key], state, leaf, comment) });
    (state.runs[state.runs.length - 1] as string[]).length = 0;
  }
  state.runs.pop();
  return { kind: 'map', items };
}

function walkSeq(seq: SeqNode, path: string[], state: WalkState, leaf: LeafVisitor, comment: CommentVisitor): SeqNode {
  state.runs.push([]);
  const items: (Value | Comment)[] = [];
  for (const item of seq.items) {
    if (item.kind === 'comment') {
      items.push(visitComment(item, path, state, comment));
      continue;
    }
    // sops does not extend the path for list items (sops.go walkSlice).
    items.push(walkValue(item, path, state, leaf, comment));
    (state.runs[state.runs.length - 1] as string[]).length = 0;
  }
  state.runs.pop();
  return { kind: 'seq', items };
}

function walkDocument(doc: Document, rules: CryptRules, leaf: LeafVisitor, comment: CommentVisitor, plaintextSide: WalkState['plaintextSide']): Document {
  const selector = compileRules(normalizeRules(rules));
  return { branches: doc.branches.map((b) => walkMap(b, [], { selector, runs: [], plaintextSide }, leaf, comment)) };
}

/** Options of {@link decryptDocument}. */
export interface DecryptDocumentOptions {
  readonly dataKey: Uint8Array;
  readonly rules: CryptRules;
  /** The metadata's `lastmodified` and `mac`. */
  readonly lastmodified: string;
  readonly mac: string;
  /** Skip the MAC check (sops --ignore-mac); the MAC is still computed. */
  readonly ignoreMac?: boolean;
}

/** The result of {@link decryptDocument}. */
export interface DecryptedDocument {
  readonly document: Document;
  /** IVs for stable re-encryption under the same data key. */
  readonly stash: IvStash;
  /** Non-fatal findings, e.g. a comment that was stored in plaintext by an old sops. */
  readonly warnings: readonly string[];
  /** The MAC computed over the plaintext (uppercase hex). */
  readonly mac: string;
}

/**
 * Decrypts every value sops would have encrypted, and verifies the MAC before returning anything.
 *
 * @throws SecretsError SOPS_VALUE_INVALID (a value does not decrypt: wrong key or tampering),
 *   SOPS_MAC_MISMATCH (values were changed, moved, added or removed), SOPS_METADATA_INVALID
 */
export function decryptDocument(doc: Document, options: DecryptDocumentOptions): DecryptedDocument {
  const stash = new Map<string, Uint8Array>();
  const warnings: string[] = [];
  const hash = createHash('sha512');
  if (options.rules.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_PREFIX);

  const leaf: LeafVisitor = (value, aad, encrypted) => {
    if (value.kind === 'null') return value;
    if (!encrypted) {
      hash.update(scalarBytes(value));
      return value;
    }
    if (value.kind !== 'string') throw new SecretsError('SOPS_VALUE_INVALID', `expected an encrypted value at ${JSON.stringify(aad)}, found a ${value.kind}`);
    if (value.value === '') return value; // sops never encrypts empty strings
    const enc = parseEncValue(value.value);
    const plain = openEncValue(enc, options.dataKey, aad);
    if (!plain) throw new SecretsError('SOPS_VALUE_INVALID', `could not decrypt the value at ${JSON.stringify(aad)}: wrong data key, or the file was tampered with`);
    const scalar = scalarFromBytes(enc.type, plain);
    stash.set(stashKey(aad, enc.type, plain), enc.iv);
    hash.update(scalarBytes(scalar));
    return scalar;
  };
  const comment: CommentVisitor = (c, aad, encrypted) => {
    if (!encrypted || c.text === '' || !isEncValue(c.text.trim())) return c;
    try {
      const enc = parseEncValue(c.text.trim());
      const plain = openEncValue(enc, options.dataKey, aad);
      if (!plain || enc.type !== 'comment') throw new Error('bad');
      stash.set(stashKey(aad, 'comment', plain), enc.iv);
      return { ...c, text: Buffer.from(plain).toString('utf8') };
    } catch {
      warnings.push(`a comment at ${JSON.stringify(aad)} could not be decrypted and is kept as it is`);
      return c;
    }
  };
  const document = walkDocument(doc, options.rules, leaf, comment, 'output');
  const mac = hash.digest('hex').toUpperCase();
  if (!options.ignoreMac) verifyMac(options.mac, mac, options.dataKey, options.lastmodified);
  // The MAC's IV is reused too when nothing changed (same plaintext hash, same lastmodified AAD).
  if (options.mac !== '' && isEncValue(options.mac)) stash.set(stashKey(macAad(options.lastmodified), 'str', utf8(mac)), parseEncValue(options.mac).iv);
  return { document, stash, warnings, mac };
}

function verifyMac(stored: string, computed: string, key: Uint8Array, lastmodified: string): void {
  if (stored === '') throw new SecretsError('SOPS_MAC_MISMATCH', 'the file has no MAC', { hints: ['use --ignore-mac to decrypt anyway, if you trust the file'] });
  const enc = parseEncValue(stored);
  const plain = openEncValue(enc, key, macAad(lastmodified));
  if (!plain) {
    throw new SecretsError('SOPS_MAC_MISMATCH', 'the MAC could not be decrypted: the metadata was tampered with', {
      hints: ['use --ignore-mac to decrypt anyway, if you trust the file'],
    });
  }
  // The computed hash is of the plaintext: compare, but never print it.
  if (!equalBytes(plain, utf8(computed))) {
    throw new SecretsError('SOPS_MAC_MISMATCH', 'MAC mismatch: values were changed, moved, added or removed since the file was last encrypted', {
      hints: ['if the change was yours (e.g. a merge), re-encrypt from a trusted copy; use --ignore-mac to decrypt anyway'],
    });
  }
}

/** Options of {@link encryptDocument}. */
export interface EncryptDocumentOptions {
  readonly dataKey: Uint8Array;
  readonly rules: CryptRules;
  /** The new `lastmodified` (RFC 3339, whole seconds, UTC): the MAC's AAD. */
  readonly lastmodified: string;
  /** IVs from decrypting under the same data key, to keep unchanged values' ciphertext. */
  readonly stash?: IvStash;
  /** IV source, for tests; random by default. */
  readonly randomIv?: () => Uint8Array;
}

/** The result of {@link encryptDocument}. */
export interface EncryptedDocument {
  readonly document: Document;
  /** The encrypted MAC, for the metadata's `mac`. */
  readonly mac: string;
}

/**
 * Encrypts every value the rules select, computing the MAC on the way.
 *
 * @throws SecretsError SOPS_RULES_CONFLICT, SOPS_VALUE_INVALID (a value already looks encrypted where
 *   a comment rule says plaintext)
 */
export function encryptDocument(doc: Document, options: EncryptDocumentOptions): EncryptedDocument {
  const hash = createHash('sha512');
  if (options.rules.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_PREFIX);
  const iv = (aad: string, type: string, plain: Uint8Array): Uint8Array | undefined => options.stash?.get(stashKey(aad, type, plain)) ?? options.randomIv?.();

  const leaf: LeafVisitor = (value, aad, encrypted) => {
    if (value.kind === 'null') return value;
    const plain = scalarBytes(value);
    if (!encrypted || (value.kind === 'string' && value.value === '')) {
      if (!options.rules.macOnlyEncrypted) hash.update(plain);
      return value;
    }
    hash.update(plain);
    const type = encTypeOf(value);
    return { kind: 'string', value: sealEncValue(plain, type, options.dataKey, aad, iv(aad, type, plain)) };
  };
  const comment: CommentVisitor = (c, aad, encrypted) => {
    if (!encrypted || c.text === '') return c;
    const plain = utf8(c.text);
    return { ...c, text: sealEncValue(plain, 'comment', options.dataKey, aad, iv(aad, 'comment', plain)) };
  };
  const document = walkDocument(doc, options.rules, leaf, comment, 'input');
  const macHex = hash.digest('hex').toUpperCase();
  const macAadText = macAad(options.lastmodified);
  return { document, mac: sealEncValue(utf8(macHex), 'str', options.dataKey, macAadText, iv(macAadText, 'str', utf8(macHex))) };
}
