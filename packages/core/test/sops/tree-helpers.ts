/** Builders and converters for sops trees in the engine tests. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Comment, Document, Entry, MapNode, Scalar, SeqNode, Value } from '../../src/sops/tree.js';
import { sharedPath } from '../../../../test/support/shared.js';
import { pathToFileURL } from 'node:url';

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
export const doc = (...branches: MapNode[]): Document => ({ branches });

/** A tree from plain JS (objects keep key order; integers become int, other numbers float). */
export function fromJs(value: unknown): Value {
  if (value === null || value === undefined) return nul;
  if (typeof value === 'string') return str(value);
  if (typeof value === 'boolean') return bool(value);
  if (typeof value === 'bigint') return int(value);
  if (typeof value === 'number') return Number.isInteger(value) ? int(value) : float(value);
  if (Array.isArray(value)) return { kind: 'seq', items: value.map(fromJs) };
  return { kind: 'map', items: Object.entries(value as Record<string, unknown>).map(([k, v]) => e(k, fromJs(v))) };
}

/** Plain JS from a tree (comments dropped). */
export function toJs(value: Value): unknown {
  switch (value.kind) {
    case 'map':
      return Object.fromEntries(value.items.filter((i): i is Entry => i.kind === 'entry').map((i) => [i.key, toJs(i.value)]));
    case 'seq':
      return value.items.filter((i) => i.kind !== 'comment').map((i) => toJs(i));
    case 'null':
      return null;
    case 'bytes':
      return Buffer.from(value.value).toString('hex');
    default:
      return value.value;
  }
}

export const SHARED = pathToFileURL(`${sharedPath('vectors')}/`);
export const vectorText = (path: string): string => readFileSync(new URL(path, SHARED), 'utf8');

/** An encrypted YAML vector split into data tree and metadata tree (via the `yaml` package, not our store). */
export function loadYamlVector(path: string): { document: Document; metadata: MapNode } {
  const parsed = parse(vectorText(path)) as Record<string, unknown>;
  const { sops, ...data } = parsed;
  return { document: doc(fromJs(data) as MapNode), metadata: fromJs(sops) as MapNode };
}

export interface SopsNixFile {
  readonly file: string;
  readonly data_key_hex?: string;
  readonly content: string;
  readonly plaintext?: unknown;
  readonly plaintext_items?: readonly (readonly [string, string])[];
  readonly aad_per_leaf?: Readonly<Record<string, string>>;
  readonly comment?: { readonly aad: string; readonly text: string };
}

export function sopsNixFile(name: string): SopsNixFile {
  const expected = JSON.parse(vectorText('expected.json')) as { sops_nix: { files: SopsNixFile[] } };
  const found = expected.sops_nix.files.find((f) => f.file === name);
  if (!found) throw new Error(`no vector ${name}`);
  return found;
}

export const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** The SecretsError `fn` throws (fails the test when it throws nothing or something else). */
export { thrownSecretsError as failure } from '../support/thrown.js';
