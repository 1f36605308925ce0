/**
 * The accelerators of the YAML store against what they accelerate: the fast reader (yaml-fast.ts) must
 * give exactly the full reader's tree, or decline; the emitter's scalar-analysis shortcuts must agree
 * with the character-by-character analysis.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveLimits } from '../../../src/sops/stores/common.js';
import { analyze, analyzeScalar } from '../../../src/sops/stores/yaml-scalar-analysis.js';
import { loadYamlFast } from '../../../src/sops/stores/yaml-fast.js';
import { YamlStore } from '../../../src/sops/stores/yaml.js';
import { loadYamlFull } from '../../../src/sops/stores/yaml-loader.js';
import type { Document, Entry, MapNode, Value } from '../../../src/sops/tree.js';
import { describeShared, sharedPath } from '../../../../../test/support/shared.js';
import { fileURLToPath } from 'node:url';

const NUM_RUNS = process.env['SLOW'] ? 2000 : 200;
const limits = resolveLimits();

/** Fast and full agree, or fast declines; returns whether fast answered. */
function same(text: string): boolean {
  const fast = loadYamlFast(text, limits.maxDepth);
  let full: Document | Error;
  try {
    full = loadYamlFull(text, limits);
  } catch (error) {
    full = error as Error;
  }
  if (fast === null) return false;
  expect(full).not.toBeInstanceOf(Error);
  expect(fast).toEqual(full);
  return true;
}

/** Declined or answered, but never answered differently. */
const EITHER = [
  'a:\n    b:\n        c: x\n    d: [ ]\n',
  'list:\n    - a\n    - 2\n    - - x\n',
  'null: null key\n',
  '# head\na: 1 # trailing\n',
];

/** The subset: answered, and exactly as the full reader answers. */
const ANSWERED = [
  'a: 1\nb: two\nc: "three"\nd: \'four\'\n',
  'list:\n    - name: x\n      value: y\n    - name: z\n',
  'list:\n    -\n        k: v\n    -\n    - end\n',
  'empty_map: {}\nempty_list: []\nnull_value:\ntilde: ~\n',
  'text: |\n    line 1\n\n    line 3\nstrip: |-\n    no newline\nnext: 1\n',
  'quoted: "tab\\tand \\u00e9 and \\"q\\" and \\\\"\nsingle: \'it\'\'s\'\n',
  '"quoted key": 1\n\'single key\': 2\n',
  'int: 0x1F\nfloat: 1.5e3\nbool: True\nnil: null\ntime: 2001-12-14t21:59:43.10-05:00\nstr: 1.2.3\n',
  '# leading\n\n# second\na:\n    # inside before b\n    b: 1\n    # foot of a\n# before c\nc:\n    - x\n    # after x\n# end\n',
  'a:\n    b:\n        c: 1\n        # deep foot\n    # mid foot\n# top\n',
  'list:\n    - a: 1\n      # in item\n      b: 2\n    # after item\n    - c\n',
  'sops:\n    age:\n        - recipient: age1xyz\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdl\n            -----END AGE ENCRYPTED FILE-----\n    lastmodified: "2024-01-01T00:00:00Z"\n    mac: ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]\n    version: 3.13.3\n',
];

const DECLINED = [
  'a: &x 1\nb: *x\n',
  'a: !!str 1\n',
  'a: {b: 1}\n',
  'a: [1, 2]\n',
  'a: >\n    folded\n',
  'a: |+\n    keep\n\n',
  'a: 1\na: 2\n',
  '1: int key\n',
  '<<: {a: 1}\n',
  'key:\n- indentless\n',
  'a: plain\n  continued\n',
  'a: "multi\n  line"\n',
  '---\na: 1\n',
  'a: 1\n---\nb: 2\n',
  'a:\tb\n',
  'a: b\r\n',
  'a: 1 \n',
  '- top level list\n',
  'scalar\n',
  '',
  'a: b: c\n',
  'a: x #trailing\n',
  '? complex\n: key\n',
  'a: |\n    unterminated',
];

describe('fast YAML reader', () => {
  it.each(ANSWERED)('reads the common subset as the full reader does: %j', (text) => {
    expect(same(text)).toBe(true);
  });

  it.each(EITHER)('answers as the full reader does, or declines: %j', (text) => {
    same(text);
  });

  it.each(DECLINED)('declines everything else: %j', (text) => {
    expect(loadYamlFast(text, limits.maxDepth)).toBeNull();
  });

  it('answers for the example file we wrote', () => {
    const file = fileURLToPath(new URL('../../../../../examples/batchn/secrets/example.yaml', import.meta.url));
    expect(same(readFileSync(file, 'utf8')), file).toBe(true);
  });

  describeShared('vectors', 'files sops wrote', () => {
    it.each(['secrets.yaml', 'secrets-native-ssh.yaml'])('answers for sops-nix/%s', (name) => {
      expect(same(readFileSync(sharedPath('vectors', 'sops-nix', name), 'utf8'))).toBe(true);
    });
  });

  it('declines nesting deeper than the limit (the full reader reports it)', () => {
    const deep = Array.from({ length: 5 }, (_, i) => `${'    '.repeat(i)}k${i}:`).join('\n') + ' x\n';
    expect(loadYamlFast(deep, 3)).toBeNull();
    expect(loadYamlFast(deep, 10)).not.toBeNull();
  });

  // Generated trees, emitted by our emitter and read back: whatever the fast reader accepts must be the
  // full reader's answer (including comment placement).
  const key = fc.stringMatching(/^[a-z_][a-z0-9_ .-]{0,8}$/).filter((k) => !k.endsWith(' '));
  const text = fc.oneof(fc.stringMatching(/^[ -~]{0,12}$/), fc.constantFrom('', 'true', '1', '0x10', '~', 'a: b', '- x', '#x', "it's", 'line\nbreak\n', 'x\n\ny'));
  const scalar: fc.Arbitrary<Value> = fc.oneof(
    text.map((value) => ({ kind: 'string' as const, value })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ kind: 'int' as const, value })),
    fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
    fc.constant({ kind: 'null' as const }),
  );
  const comment = fc.stringMatching(/^[ -~]{0,10}$/).map((t) => ({ kind: 'comment' as const, text: t }));
  const { tree } = fc.letrec<{ tree: MapNode; value: Value }>((tie) => ({
    tree: fc
      .uniqueArray(fc.tuple(key, tie('value'), fc.option(comment, { freq: 4 })), { selector: ([k]) => k, maxLength: 4 })
      .map((entries) => ({
        kind: 'map' as const,
        items: entries.flatMap(([k, v, c]): (Entry | { kind: 'comment'; text: string })[] => [...(c ? [c] : []), { kind: 'entry', key: k, value: v }]),
      })),
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      tie('tree'),
      fc.array(fc.oneof(scalar, tie('tree')), { maxLength: 3 }).map((items) => ({ kind: 'seq' as const, items })),
    ),
  }));

  it('agrees with the full reader on emitted documents', () => {
    const store = new YamlStore();
    let answered = 0;
    fc.assert(
      fc.property(tree, fc.constantFrom(2, 4), (root, indent) => {
        const out = new TextDecoder().decode(new YamlStore({ indent }).emitPlain({ branches: [root] }));
        if (same(out)) answered++;
        expect(store.loadPlain(new TextEncoder().encode(out))).toEqual(loadYamlFull(out, limits));
      }),
      { numRuns: NUM_RUNS },
    );
    expect(answered).toBeGreaterThan(NUM_RUNS / 4);
  });
});

describe('emitter analysis shortcuts', () => {
  it('agree with the character loop', () => {
    const samples = [
      'abc',
      'a-b.c/d+e=f_g',
      '-',
      '-a',
      '...',
      '.a',
      '/x',
      'ENC[AES256_GCM,data:,iv:AAA=,tag:BBB=,type:str]',
      'ENC[AES256_GCM,data:abc,iv:x,tag:y,type:comment]',
      '-----BEGIN AGE ENCRYPTED FILE-----\nYWdl+/=\n-----END AGE ENCRYPTED FILE-----\n',
      'a b\nc\n',
      ' a\n',
      'a \n',
      'a\n b\n',
      'a\n\n',
      '\n',
    ];
    for (const s of samples) expect(analyze(s), s).toEqual(analyzeScalar(s));
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9 _./+=\n:#,[\]-]{0,40}$/), (s) => {
        expect(analyze(s)).toEqual(analyzeScalar(s));
      }),
      { numRuns: NUM_RUNS * 5 },
    );
  });
});
