/**
 * The shapes typage (`age-encryption`) calls recipients and identities through, declared here so that the
 * package's typings do not pull in typage's, which need DOM types (ReadableStream, CryptoKey, WebAuthn)
 * that a Node consumer compiling with `skipLibCheck: false` need not have. They are structurally typage's
 * own: our recipients and identities pass to its Encrypter and Decrypter as they are.
 */

/** One recipient stanza of an age header (age §"Header": type and arguments, then the body). */
export interface AgeStanza {
  readonly args: string[];
  readonly body: Uint8Array;
}

/** Wraps a file key for one recipient (typage's `Recipient`). */
export interface StanzaRecipient {
  wrapFileKey(fileKey: Uint8Array): AgeStanza[] | Promise<AgeStanza[]>;
}

/** Unwraps a file key from the stanzas it can open (typage's `Identity`). */
export interface StanzaIdentity {
  unwrapFileKey(stanzas: AgeStanza[]): Uint8Array | null | Promise<Uint8Array | null>;
}
