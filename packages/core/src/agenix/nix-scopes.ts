/** Nix's parse-time check of variable names (nix-parser.ts runs it on every file). */
import type { Binds, Node } from './nix-ast.js';
import { nixError, quoteName } from './nix-source.js';

/** Names Nix 2.8 defines at the top level besides `builtins.*` (`__*` names are builtins too). */
export const GLOBAL_NAMES: ReadonlySet<string> = new Set(['builtins', 'true', 'false', 'null', 'import', 'abort', 'baseNameOf', 'derivation', 'derivationStrict', 'dirOf', 'fetchGit', 'fetchMercurial', 'fetchTarball', 'fetchTree', 'fromTOML', 'isNull', 'map', 'placeholder', 'removeAttrs', 'scopedImport', 'throw', 'toString', '__curPos', '__nixPath']);

/**
 * Undefined variables are a parse-time error in Nix (outside `with`), even where never evaluated:
 * checked here so a file Nix refuses is not read.
 */
export function checkScopes(root: Node, maxDepth: number): void {
  type Scope = { names: ReadonlySet<string>; parent: Scope | null; withs: boolean };
  const visit = (n: Node, scope: Scope, depth: number): void => {
    if (depth > maxDepth * 4) throw nixError(n.src, n.at, `expressions nest deeper than ${maxDepth} levels`, 'LIMIT_EXCEEDED');
    const d = depth + 1;
    const bindsIn = (binds: Binds, inner: Scope, outer: Scope): void => {
      for (const def of binds.attrs.values()) visit(def.node, def.inherited ? outer : inner, d);
      for (const dyn of binds.dynamic) {
        visit(dyn.key, inner, d);
        visit(dyn.node, inner, d);
      }
    };
    switch (n.k) {
      case 'var': {
        for (let s: Scope | null = scope; s; s = s.parent) if (s.names.has(n.name)) return;
        if (GLOBAL_NAMES.has(n.name) || n.name.startsWith('__') || scope.withs) return;
        throw nixError(n.src, n.at, `undefined variable ${quoteName(n.name)}`);
      }
      case 'select':
        visit(n.e, scope, d);
        for (const key of n.path) if ('dynamic' in key) visit(key.dynamic, scope, d);
        if (n.def) visit(n.def, scope, d);
        return;
      case 'has':
        visit(n.e, scope, d);
        return;
      case 'app':
        visit(n.f, scope, d);
        visit(n.arg, scope, d);
        return;
      case 'list':
        for (const item of n.items) visit(item, scope, d);
        return;
      case 'attrs': {
        const inner: Scope = n.rec ? { names: new Set(n.binds.attrs.keys()), parent: scope, withs: scope.withs } : scope;
        bindsIn(n.binds, inner, scope);
        return;
      }
      case 'let': {
        const inner: Scope = { names: new Set(n.binds.attrs.keys()), parent: scope, withs: scope.withs };
        bindsIn(n.binds, inner, scope);
        visit(n.body, inner, d);
        return;
      }
      case 'with':
        visit(n.scope, scope, d);
        visit(n.body, { names: new Set(), parent: scope, withs: true }, d);
        return;
      case 'lambda': {
        const inner: Scope = { names: new Set(n.params), parent: scope, withs: scope.withs };
        for (const def of n.defaults) visit(def, inner, d);
        visit(n.body, inner, d);
        return;
      }
      case 'if':
        visit(n.cond, scope, d);
        visit(n.then, scope, d);
        visit(n.else, scope, d);
        return;
      case 'assert':
        visit(n.cond, scope, d);
        visit(n.body, scope, d);
        return;
      case 'op':
        visit(n.l, scope, d);
        visit(n.r, scope, d);
        return;
      case 'not':
      case 'neg':
        visit(n.e, scope, d);
        return;
      default:
    }
  };
  visit(root, { names: new Set(), parent: null, withs: false }, 0);
}
