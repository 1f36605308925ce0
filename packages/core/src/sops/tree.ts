/**
 * The sops document model: an ordered tree, the same shape for plaintext and encrypted files (an encrypted
 * leaf is a `string` scalar holding `ENC[AES256_GCM,…]`, an encrypted comment a comment holding one).
 *
 * It mirrors sops' `TreeBranches`/`TreeItem` (sops.go) with a discriminated union instead of `interface{}`:
 * mappings keep key order and duplicate keys (the JSON store keeps them), comments are items of their
 * container, and scalars carry the Go type sops would see, which picks the `type:` of an ENC value and the
 * bytes fed to the MAC.
 */

/** A UTF-8 string (`type:str`). */
export interface StringScalar {
  readonly kind: 'string';
  readonly value: string;
}
/** A Go `int` (`type:int`); bigint keeps all 64 bits. */
export interface IntScalar {
  readonly kind: 'int';
  readonly value: bigint;
}
/** A Go `float64` (`type:float`). */
export interface FloatScalar {
  readonly kind: 'float';
  readonly value: number;
}
/** A Go `bool` (`type:bool`). */
export interface BoolScalar {
  readonly kind: 'bool';
  readonly value: boolean;
}
/**
 * A Go `time.Time` (`type:time`), kept as the RFC 3339 text sops would marshal (`MarshalText`,
 * RFC3339Nano), e.g. `2001-12-14T00:00:00Z`.
 */
export interface TimeScalar {
  readonly kind: 'time';
  readonly value: string;
}
/** Raw bytes (`type:bytes`): only ever produced by decrypting; Go sops never writes it. */
export interface BytesScalar {
  readonly kind: 'bytes';
  readonly value: Uint8Array;
}
/** A null leaf: never encrypted, never part of the MAC. */
export interface NullScalar {
  readonly kind: 'null';
}

/** Any leaf value. */
export type Scalar = StringScalar | IntScalar | FloatScalar | BoolScalar | TimeScalar | BytesScalar | NullScalar;

/**
 * A comment line, an item of the mapping or sequence that holds it. `text` is what follows the `#`
 * (or `;` in INI). `inline` marks a YAML line comment, which sops moves before its key item.
 */
export interface Comment {
  readonly kind: 'comment';
  readonly text: string;
  readonly inline?: boolean;
}

/** One `key: value` pair of a mapping. Keys are always strings (sops rejects other key types). */
export interface Entry {
  readonly kind: 'entry';
  readonly key: string;
  readonly value: Value;
}

/** An ordered mapping. */
export interface MapNode {
  readonly kind: 'map';
  readonly items: readonly (Entry | Comment)[];
}

/** A sequence. */
export interface SeqNode {
  readonly kind: 'seq';
  readonly items: readonly (Value | Comment)[];
}

/** Any value: a leaf, a mapping or a sequence. */
export type Value = Scalar | MapNode | SeqNode;

/** A whole file: one mapping per document (YAML may have several; the other stores have exactly one). */
export interface Document {
  readonly branches: readonly MapNode[];
}

/** A path into a tree, as used by `--extract`, `set` and `unset`: map keys and sequence indexes. */
export type TreePath = readonly (string | number)[];
