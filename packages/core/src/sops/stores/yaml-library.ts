/**
 * eemeli/yaml, for the full YAML reader only, loaded on first use: the fast path reads sops' own output
 * without it, so `secrets decrypt` does not pay for loading it. Synchronous (a store's API is), hence
 * `require`, which gets the package's CommonJS build, the same one an `import` of it gets on Node.
 *
 * @internal
 */

import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import type { Alias, Scalar as YamlScalar, YAMLMap, YAMLSeq } from 'yaml';

let lib: typeof YamlLib | undefined;

/** The `yaml` package, required on the first call. */
export function yamlLib(): typeof YamlLib {
  return (lib ??= createRequire(import.meta.url)('yaml') as typeof YamlLib);
}
/** eemeli/yaml's node type guards, through {@link yamlLib}. */
export const isAlias = (node: unknown): node is Alias => yamlLib().isAlias(node);
export const isMap = (node: unknown): node is YAMLMap => yamlLib().isMap(node);
export const isScalar = (node: unknown): node is YamlScalar => yamlLib().isScalar(node);
export const isSeq = (node: unknown): node is YAMLSeq => yamlLib().isSeq(node);
