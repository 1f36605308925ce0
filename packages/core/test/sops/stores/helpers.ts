/** Small builders and codecs shared by the store tests. */
import { SecretsError } from '../../../src/errors.js';
import type { Store } from '../../../src/sops/stores/store.js';
import type { Comment, Document, Entry, MapNode, Scalar, SeqNode, Value } from '../../../src/sops/tree.js';

export const str = (value: string): Scalar => ({ kind: 'string', value });
export const int = (value: bigint | number): Scalar => ({ kind: 'int', value: BigInt(value) });
export const float = (value: number): Scalar => ({ kind: 'float', value });
export const bool = (value: boolean): Scalar => ({ kind: 'bool', value });
export const time = (value: string): Scalar => ({ kind: 'time', value });
export const nul: Scalar = { kind: 'null' };
export const e = (key: string, value: Value): Entry => ({ kind: 'entry', key, value });
export const map = (...items: (Entry | Comment)[]): MapNode => ({ kind: 'map', items });
export const seq = (...items: (Value | Comment)[]): SeqNode => ({ kind: 'seq', items });
export const c = (text: string): Comment => ({ kind: 'comment', text });
export const ic = (text: string): Comment => ({ kind: 'comment', text, inline: true });
export const doc = (...branches: MapNode[]): Document => ({ branches });

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
