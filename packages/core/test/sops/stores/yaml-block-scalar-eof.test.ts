/**
 * Issue 12 item 1: block scalars at the end of input, as go-yaml v3 (what sops uses) reads them. The
 * expected values are facts of go-yaml v3's scanner (scannerc.go yaml_parser_scan_block_scalar, "Chomp the
 * tail"): clip (`|`, `>`) appends `leading_break`, keep (`|+`, `>+`) also `trailing_breaks`, strip
 * neither; `leading_break` is the line break read after the last content line, so at the end of input
 * without one there is nothing to append. sops' own functional test `extract_string`
 * (functional-tests/src/lib.rs) encrypts `multiline: |\n  multi\n  line` (no final newline) and
 * extracts `multi\nline`.
 */
import { describe, expect, it } from 'vitest';
import { YamlStore } from '../../../src/sops/stores/yaml.js';
import type { Value } from '../../../src/sops/tree.js';
import { load } from './helpers.js';

const yaml = new YamlStore();

function valueAt(src: string, path: string[]): Value {
  let items = load(yaml, src).branches[0]!.items;
  let value: Value | undefined;
  for (const key of path) {
    const entry = items.find((i) => i.kind === 'entry' && i.key === key);
    if (entry?.kind !== 'entry') throw new Error(`no ${key}`);
    value = entry.value;
    if (value.kind === 'map') items = value.items;
  }
  return value as Value;
}

const str = (src: string, path = ['k']): string => {
  const v = valueAt(src, path);
  if (v.kind === 'seq') {
    const first = v.items[0];
    if (first?.kind !== 'string') throw new Error('expected a string item');
    return first.value;
  }
  if (v.kind !== 'string') throw new Error(`expected a string, got ${v.kind}`);
  return v.value;
};

describe('block scalars at the end of input (go-yaml v3 chomping)', () => {
  // [source, the value go-yaml v3 produces]
  const table: [string, string][] = [
    // no line break after the last content line: no chomping indicator adds one
    ['multiline: |\n  multi\n  line', 'multi\nline'], // sops functional test extract_string
    ['k: |\n  multi\n  line', 'multi\nline'],
    ['k: |+\n  multi\n  line', 'multi\nline'],
    ['k: |-\n  multi\n  line', 'multi\nline'],
    ['k: >\n  multi\n  line', 'multi line'],
    ['k: >+\n  multi\n  line', 'multi line'],
    ['k: >-\n  multi\n  line', 'multi line'],
    ['k: |\n  trailing spaces  ', 'trailing spaces  '],
    ['k: |2\n   indented\n  last', ' indented\nlast'],
    // with the line break: clip keeps one, keep keeps all, strip none
    ['k: |\n  multi\n  line\n', 'multi\nline\n'],
    ['k: |+\n  multi\n  line\n', 'multi\nline\n'],
    ['k: |-\n  multi\n  line\n', 'multi\nline'],
    ['k: >\n  multi\n  line\n', 'multi line\n'],
    ['k: |\n  x\n\n', 'x\n'],
    ['k: |+\n  x\n\n', 'x\n\n'],
    ['k: |-\n  x\n\n', 'x'],
    // the last line holds only indentation: the break after "x" was read, so it counts
    ['k: |\n  x\n  ', 'x\n'],
    ['k: |+\n  x\n\n  ', 'x\n\n'],
    // CRLF: read_line turns a CRLF into one \n
    ['k: |\r\n  a\r\n  b', 'a\nb'],
    ['k: |\r\n  a\r\n  b\r\n', 'a\nb\n'],
  ];
  it.each(table)('%j is %j', (src, expected) => {
    expect(str(src, src.startsWith('multiline') ? ['multiline'] : ['k'])).toBe(expected);
  });

  it('nested, and in a sequence, at the end of input', () => {
    expect(str('a:\n  b: |\n    x\n    y', ['a', 'b'])).toBe('x\ny');
    expect(str('a:\n  - >\n    x\n    y', ['a'])).toBe('x y');
  });

  it('only the scalar that ends the input is affected', () => {
    expect(str('k: |\n  x\nother: 1', ['k'])).toBe('x\n');
    expect(str('k: |\n  x\n# a comment', ['k'])).toBe('x\n');
  });
});
