/** Small builders and codecs shared by the store tests. */
import { SecretsError } from '../../../src/errors.js';
import type { Store } from '../../../src/sops/stores/store.js';
import type { Comment, Document } from '../../../src/sops/tree.js';

export { bool, c, doc, e, float, int, map, nul, seq, str, time } from '../tree-helpers.js';
export const ic = (text: string): Comment => ({ kind: 'comment', text, inline: true });

const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

export const load = (store: Store, s: string): Document => store.loadPlain(bytes(s));
export const emit = (store: Store, d: Document): string => text(store.emitPlain(d));

/** Runs fn and returns the SecretsError it throws (fails on anything else). */
export function secretsError(fn: () => unknown): SecretsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SecretsError) return err;
    throw new Error(`expected a SecretsError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected an error');
}
