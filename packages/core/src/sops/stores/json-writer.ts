/**
 * The JSON writer of the JSON store: sops' emitter, `{"k": v, …}` re-indented like `json.Indent` (a tab by
 * default, N spaces, or only newlines for 0; empty objects and arrays stay `{}`/`[]`), scalars as Go
 * `json.Marshal` writes them (HTML escaping, U+2028/2029 escaped, Go float format); comments are dropped.
 */

import { SecretsError } from '../../errors.js';
import type { Scalar, Value } from '../tree.js';
import { isWellFormed } from './common.js';
import { canonicalTimeText, goJsonString, jsonFloatText } from './go-format.js';

/** Validates a JSON/binary indentation option (sops: below -1 is an error) and returns the indent string. */
export function jsonIndentString(indent: number | undefined): string {
  const n = indent ?? -1;
  if (!Number.isSafeInteger(n)) throw new SecretsError('USAGE', `the JSON indentation must be an integer, got ${JSON.stringify(n)}`);
  if (n < -1) throw new SecretsError('USAGE', 'a JSON indentation smaller than -1 is not accepted');
  return n === -1 ? '\t' : ' '.repeat(n);
}

/** A value as indented JSON at nesting level `depth`, without a trailing newline. */
export function encodeJson(value: Value, indent: string, depth: number): string {
  if (value.kind === 'map' || value.kind === 'seq') {
    const parts: string[] = [];
    if (value.kind === 'map') {
      for (const item of value.items) {
        if (item.kind === 'entry') parts.push(`${jsonString(item.key)}: ${encodeJson(item.value, indent, depth + 1)}`);
      }
    } else {
      for (const item of value.items) if (item.kind !== 'comment') parts.push(encodeJson(item, indent, depth + 1));
    }
    const [open, close] = value.kind === 'map' ? ['{', '}'] : ['[', ']'];
    // json.Indent: empty collections stay compact
    if (parts.length === 0) return open + close;
    const inner = '\n' + indent.repeat(depth + 1);
    return open + inner + parts.join(',' + inner) + '\n' + indent.repeat(depth) + close;
  }
  return jsonScalar(value);
}

function jsonString(s: string): string {
  if (!isWellFormed(s)) throw new SecretsError('SOPS_VALUE_INVALID', 'cannot write a string with a lone UTF-16 surrogate');
  return goJsonString(s);
}

/** A scalar as Go `json.Marshal` writes it. */
export function jsonScalar(value: Scalar): string {
  switch (value.kind) {
    case 'string':
      return jsonString(value.value);
    case 'int':
      return value.value.toString();
    case 'float': {
      const text = jsonFloatText(value.value);
      if (text === null) throw new SecretsError('SOPS_VALUE_INVALID', `json: unsupported value: ${String(value.value).replace('Infinity', 'Inf')}`);
      return text;
    }
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'time': {
      // time.Time.MarshalJSON: RFC3339Nano in quotes
      const text = canonicalTimeText(value.value);
      if (text === null) throw new SecretsError('SOPS_VALUE_INVALID', `invalid time value ${JSON.stringify(value.value)}`);
      return `"${text}"`;
    }
    case 'bytes':
      // Go marshals []byte as a base64 string
      return `"${Buffer.from(value.value).toString('base64')}"`;
  }
}
