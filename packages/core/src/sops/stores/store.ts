/**
 * The store interface: conversion between file bytes and the sops {@link Document} tree, one
 * implementation per file format (sops `stores/*`). Stores do format ⇄ tree conversion and nothing more:
 * no crypto, no metadata typing (the `sops` block is handed over as a plain {@link MapNode}).
 *
 * All loaders enforce input limits (size, nesting depth, YAML alias expansion) and only ever throw
 * {@link SecretsError}.
 *
 * @packageDocumentation
 */

import { SecretsError } from '../../errors.js';
import type { Document, MapNode, Value } from '../tree.js';
import { BinaryStore } from './binary.js';
import type { StoreOptions } from './common.js';
import { DotenvStore } from './dotenv.js';
import { IniStore } from './ini.js';
import { JsonStore } from './json.js';
import { YamlStore } from './yaml.js';

export type { StoreLimits, StoreOptions } from './common.js';
export { DEFAULT_MAX_ALIAS_EXPANSION, DEFAULT_MAX_DEPTH, DEFAULT_MAX_INPUT_BYTES } from './common.js';

/** A sops file format (the values of `--input-type`/`--output-type`). */
export type Format = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

/** All formats. */
export const FORMATS: readonly Format[] = ['yaml', 'json', 'dotenv', 'ini', 'binary'];

/** Converts one file format to and from the sops tree. */
export interface Store {
  /** The format this store reads and writes. */
  readonly format: Format;
  /**
   * Parses a plaintext file.
   *
   * @throws SecretsError SOPS_FORMAT_INVALID for malformed input, LIMIT_EXCEEDED for input over a limit
   */
  loadPlain(bytes: Uint8Array): Document;
  /**
   * Parses an encrypted file, separating the `sops` metadata block (nested, as a plain mapping; the flat
   * stores unflatten it) from the data.
   *
   * `metadataOffset`, when a store gives it, is the byte offset where the `sops` block starts and the block
   * is all that follows: what the file would be without it ends there (rekey replaces only the block).
   *
   * @throws SecretsError SOPS_METADATA_NOT_FOUND when there is no metadata, plus the errors of loadPlain
   */
  loadEncrypted(bytes: Uint8Array): { document: Document; metadata: MapNode; metadataOffset?: number };
  /**
   * Writes a plaintext file.
   *
   * @throws SecretsError when the tree cannot be represented in this format
   */
  emitPlain(doc: Document): Uint8Array;
  /**
   * Writes an encrypted file: the data plus the metadata block, placed and (for dotenv/INI) flattened as
   * sops does.
   *
   * @throws SecretsError when the data uses the reserved metadata key, or cannot be represented
   */
  emitEncrypted(doc: Document, metadata: MapNode): Uint8Array;
  /**
   * Writes a single value, as `sops decrypt --extract` does for a non-string value.
   *
   * @throws SecretsError when the format cannot write a lone value of this kind
   */
  emitValue(value: Value): Uint8Array;
}

/**
 * The format sops infers from a file name (`cmd/sops/formats`): a case-sensitive suffix `.yaml`/`.yml`,
 * `.json`, `.env` or `.ini`; anything else (including no name at all, e.g. stdin) is binary.
 */
export function formatFromPath(path: string): Format {
  if (path.endsWith('.yaml') || path.endsWith('.yml')) return 'yaml';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.env')) return 'dotenv';
  if (path.endsWith('.ini')) return 'ini';
  return 'binary';
}

/** Whether a string names a {@link Format}. */
export function isFormat(name: string): name is Format {
  return (FORMATS as readonly string[]).includes(name);
}

/**
 * The format of a file: `--input-type`/`--output-type` when given, else from its name (sops:
 * `.yaml`/`.yml`, `.json`, `.env`, `.ini`, anything else binary).
 *
 * @param path - the file's name
 * @param named - the option's value, if given
 * @param flag - the option's name, for the message
 * @throws SecretsError USAGE for an unknown format name
 */
export function formatFor(path: string, named?: string, flag = '--input-type'): Format {
  if (named === undefined) return formatFromPath(path);
  if (!isFormat(named)) throw new SecretsError('USAGE', `unknown ${flag} ${JSON.stringify(named)}`, { hints: ['one of yaml, json, dotenv, ini, binary'] });
  return named;
}

/**
 * Creates the store for a format.
 *
 * @param options - indentation (YAML: spaces, default 4; JSON/binary: -1 = tab, default) and input limits
 * @throws SecretsError USAGE for invalid options (e.g. a negative YAML indentation)
 */
export function storeFor(format: Format, options: StoreOptions = {}): Store {
  switch (format) {
    case 'yaml':
      return new YamlStore(options);
    case 'json':
      return new JsonStore(options);
    case 'binary':
      return new BinaryStore(options);
    case 'dotenv':
      return new DotenvStore(options);
    case 'ini':
      return new IniStore(options);
    default:
      throw new SecretsError('USAGE', `unknown file format ${JSON.stringify(format)}`);
  }
}

/**
 * Whether a plaintext document already carries sops metadata keys, i.e. looks encrypted (sops
 * `HasSopsTopLevelKey`, checked by `sops encrypt`, exit 203): a top-level `sops` key in the first
 * document, or for dotenv any key starting with `sops_`.
 */
export function hasSopsTopLevelKey(format: Format, doc: Document): boolean {
  const first = doc.branches[0];
  if (!first) return false;
  return first.items.some(
    (item) => item.kind === 'entry' && (format === 'dotenv' ? item.key.startsWith('sops_') : item.key === 'sops'),
  );
}
