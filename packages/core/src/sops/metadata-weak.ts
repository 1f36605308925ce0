/**
 * Weak scalar conversion for the `sops` metadata block, as mapstructure's `WeaklyTypedInput` does it
 * (stores/stores.go ToInternal): the flat stores hand every value over as a string, old sops wrote
 * `null` for empty lists, and a single mapping counts as a list of one.
 */
import { SecretsError } from '../errors.js';
import type { MapNode, Value } from './tree.js';
import { formatGoFloat, parseGoBool } from './go-strconv.js';

/** A SOPS_METADATA_INVALID error, in the metadata errors' words. */
export const invalidMetadata = (message: string): SecretsError => new SecretsError('SOPS_METADATA_INVALID', `invalid sops metadata: ${message}`);

/** The last value of `key` (Go maps keep the last of duplicate keys). */
export function get(map: MapNode, key: string): Value | undefined {
  let found: Value | undefined;
  for (const item of map.items) if (item.kind === 'entry' && item.key === key) found = item.value;
  return found;
}

export function weakString(value: Value | undefined, field: string): string {
  if (value === undefined) return '';
  switch (value.kind) {
    case 'null':
      return '';
    case 'string':
    case 'time':
      return value.value;
    case 'int':
      return value.value.toString();
    case 'float':
      return formatGoFloat(value.value);
    case 'bool':
      return value.value ? '1' : '0';
    case 'bytes':
      return Buffer.from(value.value).toString('utf8');
    default:
      throw invalidMetadata(`${field} must be a string`);
  }
}

export function weakInt(value: Value | undefined, field: string): number {
  if (value === undefined) return 0;
  switch (value.kind) {
    case 'null':
      return 0;
    case 'int':
      return Number(value.value);
    case 'float':
      return Math.trunc(value.value);
    case 'bool':
      return value.value ? 1 : 0;
    case 'string': {
      // strconv.ParseInt(s, 0, 64): base prefixes and underscores allowed; "" is 0 for mapstructure.
      const s = value.value.replace(/_/g, '');
      if (s === '') return 0;
      const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9]\d*)$/.exec(s);
      if (!m) throw invalidMetadata(`${field} must be an integer`);
      const digits = m[2] as string;
      const n = /^0[0-7]+$/.test(digits) ? Number.parseInt(digits, 8) : Number(digits.replace(/^0[oO]/, '0o'));
      return m[1] === '-' ? -n : n;
    }
    default:
      throw invalidMetadata(`${field} must be an integer`);
  }
}

export function weakBool(value: Value | undefined, field: string): boolean {
  if (value === undefined) return false;
  switch (value.kind) {
    case 'null':
      return false;
    case 'bool':
      return value.value;
    case 'int':
      return value.value !== 0n;
    case 'float':
      return value.value !== 0;
    case 'string': {
      if (value.value === '') return false;
      const b = parseGoBool(value.value);
      if (b === null) throw invalidMetadata(`${field} must be true or false`);
      return b;
    }
    default:
      throw invalidMetadata(`${field} must be true or false`);
  }
}

/** A list of mappings; null/missing is empty and, weakly, a single mapping is a list of one. */
export function listOf(value: Value | undefined, field: string): MapNode[] {
  if (value === undefined || value.kind === 'null') return [];
  if (value.kind === 'map') return value.items.some((i) => i.kind === 'entry') ? [value] : [];
  if (value.kind !== 'seq') throw invalidMetadata(`${field} must be a list`);
  const out: MapNode[] = [];
  for (const item of value.items) {
    if (item.kind === 'comment') continue;
    if (item.kind === 'null') out.push({ kind: 'map', items: [] });
    else if (item.kind === 'map') out.push(item);
    else throw invalidMetadata(`each entry of ${field} must be a mapping`);
  }
  return out;
}
