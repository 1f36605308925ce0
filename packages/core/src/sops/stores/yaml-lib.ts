/**
 * eemeli/yaml, loaded on first use. Loading it is ~100 CommonJS modules from disk, which would more than
 * double the start of a small command (measured: `node -e "require('yaml')"` takes 2.6 times the CPU of
 * `node -e 0`);
 * sops' own YAML output is read without it (`yaml-fast.ts`) and most commands never parse a
 * `.sops.yaml`, so nothing may import its values statically. Synchronous (the stores' and the config
 * parser's APIs are), hence `require`, which gets the package's CommonJS build, the same one an `import`
 * of it gets on Node. Types are imported from 'yaml' directly (they cost nothing at run time).
 */
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import type { Alias, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';

let lib: typeof YamlLib | undefined;

/** @returns the yaml package, loading it the first time */
export function yamlLib(): typeof YamlLib {
  return (lib ??= createRequire(import.meta.url)('yaml') as typeof YamlLib);
}

/** yaml's `isAlias`. */
export const isAlias = (node: unknown): node is Alias => yamlLib().isAlias(node);
/** yaml's `isMap`. */
export const isMap = (node: unknown): node is YAMLMap => yamlLib().isMap(node);
/** yaml's `isScalar`. */
export const isScalar = (node: unknown): node is Scalar => yamlLib().isScalar(node);
/** yaml's `isSeq`. */
export const isSeq = (node: unknown): node is YAMLSeq => yamlLib().isSeq(node);
/** yaml's `isPair`. */
export const isPair = (node: unknown): node is Pair => yamlLib().isPair(node);
/** yaml's `isCollection`. */
export const isCollection = (node: unknown): node is YAMLMap | YAMLSeq => yamlLib().isCollection(node);
/** yaml's `parseDocument`. */
export const parseDocument = ((...args: Parameters<typeof YamlLib.parseDocument>) => yamlLib().parseDocument(...args)) as typeof YamlLib.parseDocument;
/** yaml's `visit` (without its BREAK/SKIP/REMOVE symbols, which we do not use). */
export const visit = ((...args: Parameters<typeof YamlLib.visit>) => yamlLib().visit(...args)) as (...args: Parameters<typeof YamlLib.visit>) => void;
/** A new yaml `LineCounter`. */
export const newLineCounter = (): YamlLib.LineCounter => new (yamlLib().LineCounter)();

