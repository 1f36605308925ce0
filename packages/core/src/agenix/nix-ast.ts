/** The AST of the Nix reader (nix-parser.ts builds it, nix-eval.ts evaluates it). */
import type { SourceFile } from './nix-source.js';

/** An attribute name: static, or `${…}` / an interpolated string (evaluated: needs Nix). */
export type AttrKey = { readonly name: string } | { readonly dynamic: Node };

/** One binding of an attribute set or `let`. */
export interface AttrDef {
  node: Node;
  /** `inherit a;`: evaluated in the scope around the set, not in a `rec`'s own. */
  readonly inherited: boolean;
  readonly at: number;
}

/** The bindings of `{ }`, `rec { }` or `let`, in the order they were written. */
export interface Binds {
  readonly attrs: Map<string, AttrDef>;
  readonly dynamic: { readonly key: Node; readonly node: Node; readonly at: number }[];
}

/** An expression. `src` and `at` place it for messages. */
export type Node = { readonly src: SourceFile; readonly at: number } & (
  | { readonly k: 'string'; readonly v: string }
  | { readonly k: 'interp' }
  | { readonly k: 'int'; readonly v: string }
  | { readonly k: 'float'; readonly v: string }
  | { readonly k: 'path'; readonly v: string }
  | { readonly k: 'spath' | 'hpath'; readonly v: string }
  | { readonly k: 'var'; readonly name: string }
  | { readonly k: 'select'; readonly e: Node; readonly path: readonly AttrKey[]; readonly def: Node | null }
  | { readonly k: 'has'; readonly e: Node; readonly path: readonly AttrKey[] }
  | { readonly k: 'app'; readonly f: Node; readonly arg: Node }
  | { readonly k: 'list'; readonly items: readonly Node[] }
  | { readonly k: 'attrs'; readonly rec: boolean; readonly binds: Binds }
  | { readonly k: 'let'; readonly binds: Binds; readonly body: Node }
  | { readonly k: 'with'; readonly scope: Node; readonly body: Node }
  | { readonly k: 'lambda'; readonly params: readonly string[]; readonly defaults: readonly Node[]; readonly body: Node }
  | { readonly k: 'if'; readonly cond: Node; readonly then: Node; readonly else: Node }
  | { readonly k: 'assert'; readonly cond: Node; readonly body: Node }
  | { readonly k: 'op'; readonly op: string; readonly l: Node; readonly r: Node }
  | { readonly k: 'not' | 'neg'; readonly e: Node }
);
