import { describe, expect, it } from 'vitest';
import { YamlStore } from '../../../src/sops/stores/yaml.js';
import type { Value } from '../../../src/sops/tree.js';
import { bool, c, doc, e, emit, float, ic, int, load, map, nul, secretsError, seq, str, text, time, bytes } from './helpers.js';

const yaml = new YamlStore();
const one = (value: Value): string => emit(yaml, doc(map(e('k', value))));
const loadOne = (src: string): Value => {
  const item = load(yaml, src).branches[0]!.items[0]!;
  if (item.kind !== 'entry') throw new Error('expected an entry');
  return item.value;
};

describe('YAML emission: string quoting as go-yaml v3 encoder.stringv + emitter fallback', () => {
  // [value, what go-yaml writes after "k: "]. Strings that would read back as another type, and YAML 1.1
  // bools/base-60 numbers, get double quotes; strings that are unsafe as plain scalars get single quotes
  // (the emitter's fallback), or double quotes when single quotes cannot hold them either.
  const table: [string, string][] = [
    ['plain', 'plain'],
    ['true', '"true"'],
    ['True', '"True"'],
    ['TRUE', '"TRUE"'],
    ['false', '"false"'],
    ['yes', '"yes"'], // YAML 1.1 bool: quoted for old parsers
    ['Yes', '"Yes"'],
    ['no', '"no"'],
    ['on', '"on"'],
    ['off', '"off"'],
    ['y', '"y"'],
    ['n', '"n"'],
    ['N', '"N"'],
    ['yES', 'yES'],
    ['1e3', '"1e3"'],
    ['0x1F', '"0x1F"'],
    ['012', '"012"'],
    ['08', '"08"'], // not octal, but a float for go-yaml
    ['0o17', '"0o17"'],
    ['0b101', '"0b101"'],
    ['1_000', '"1_000"'],
    ['+1', '"+1"'],
    ['-1', '"-1"'],
    ['.5', '".5"'],
    ['1.', '"1."'],
    ['.inf', '".inf"'],
    ['-.inf', '"-.inf"'],
    ['.nan', '".nan"'],
    ['.NaN', '".NaN"'],
    ['.Nan', '.Nan'],
    ['~', '"~"'],
    ['null', '"null"'],
    ['Null', '"Null"'],
    ['NULL', '"NULL"'],
    ['nULL', 'nULL'],
    ['', '""'],
    ['-', "'-'"],
    ['- a', "'- a'"],
    ['-a', '-a'],
    ['--', '--'],
    ['---', "'---'"],
    ['...', "'...'"],
    ['a: b', "'a: b'"],
    ['a:b', 'a:b'],
    ['a:', "'a:'"],
    ['a #b', "'a #b'"],
    ['a#b', 'a#b'],
    ['#a', "'#a'"],
    [' a', "' a'"],
    ['a ', "'a '"],
    [' ', "' '"],
    ['a  b', 'a  b'],
    ['2001-12-14', '"2001-12-14"'],
    ['2001-12-14T21:59:43.10-05:00', '"2001-12-14T21:59:43.10-05:00"'],
    ['2001-12-14 21:59:43.10', '"2001-12-14 21:59:43.10"'],
    ['2001-1-2', '"2001-1-2"'],
    ['2001-13-01', '2001-13-01'], // month 13: not a timestamp, so plain
    ['1:20', '"1:20"'], // YAML 1.1 base-60
    ['190:20:30', '"190:20:30"'],
    ['1:60', '1:60'],
    ['@a', "'@a'"],
    ['`a', "'`a'"],
    ["'a", "'''a'"],
    ['"a', `'"a'`],
    ['%a', "'%a'"],
    ['!a', "'!a'"],
    ['&a', "'&a'"],
    ['*a', "'*a'"],
    ['[a', "'[a'"],
    [']a', "']a'"],
    ['{a', "'{a'"],
    ['}a', "'}a'"],
    ['|', "'|'"],
    ['>', "'>'"],
    ['?', "'?'"],
    ['?a', '?a'],
    ['? a', "'? a'"],
    [':', "':'"],
    [':a', ':a'],
    [',a', "',a'"],
    ['a,b', 'a,b'],
    ['a[b]', 'a[b]'],
    ['a"b', 'a"b'],
    ["a'b", "a'b"],
    ['a\\b', 'a\\b'],
    ['=', '='],
    ['é', 'é'],
    ['日本語', '日本語'],
    ['\u00a0a', '\u00a0a'], // NBSP is not a YAML space
    ['\u{1F600}', '"\\U0001F600"'], // libyaml does not treat characters beyond the BMP as printable
    ['a\u{1F600}b', '"a\\U0001F600b"'],
    ['\t', '"\\t"'],
    ['a\tb', '"a\\tb"'],
    ['a\u0085b', '"a\\Nb"'],
    ['a\u0007b', '"a\\ab"'],
    ['a\u001bb', '"a\\eb"'],
    ['a\u0000b', '"a\\0b"'],
    ['a\u0080b', '"a\\x80b"'],
    ['a\rb', '"a\\rb"'],
    ['a\ufeffb', '"a\\uFEFFb"'],
    ['\ufeffab', '"\\uFEFF\\x61\\x62"'], // libyaml's is_bom() looks at the start of the value for every character
    ['a\ufffeb', '"a\\uFFFEb"'],
    ['<<', '!!merge <<'], // go-yaml's parser tags a plain << as a merge key, and the tag survives
    ['12345678901234567890', '"12345678901234567890"'], // uint64
    ['18446744073709551616', '"18446744073709551616"'], // too big for uint64: a float
    ['1e400', '1e400'], // out of float range: a string
    ['0x', '0x'],
    ['+', '+'],
    ['_1', '_1'],
    ['1_', '"1_"'],
    ['0.', '"0."'],
  ];
  it.each(table)('%j → %s', (value, expected) => {
    expect(one(str(value))).toBe(`k: ${expected}\n`);
    expect(loadOne(`k: ${expected}\n`)).toEqual(str(value));
  });

  it('does not wrap long strings', () => {
    const long = 'abcdefghij '.repeat(30).trim();
    expect(one(str(long))).toBe(`k: ${long}\n`);
    const trailing = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 1234567890 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 1234567890 ';
    expect(one(str(trailing))).toBe(`k: '${trailing}'\n`); // go-yaml encode_test "Ensure that strings do not wrap"
  });

  const blocks: [string, string][] = [
    ['a\nb', '|-\n    a\n    b\n'],
    ['a\nb\n', '|\n    a\n    b\n'],
    ['a\nb\n\n', '|+\n    a\n    b\n\n'],
    ['\n', '|4+\n\n'],
    ['\na', '|4-\n\n    a\n'],
    [' a\nb', '|4-\n     a\n    b\n'],
    ['a\n b', '|-\n    a\n     b\n'],
    ['a\n\nb', '|-\n    a\n\n    b\n'],
    ['\tB\n\tC\n', '|\n    \tB\n    \tC\n'], // go-yaml issue #471: tabs are fine in literals
    ['a \nb', '"a \\nb"'], // trailing space on a line: no literal block (sops#1180)
    ['a\nb ', '"a\\nb "'],
    ['a\r\nb', '"a\\r\\nb"'],
    ['a\n\u{1F600}', '"a\\n\\U0001F600"'],
  ];
  it.each(blocks)('multi-line %j → %j', (value, expected) => {
    expect(one(str(value))).toBe(`k: ${expected}${expected.endsWith('\n') ? '' : '\n'}`);
    expect(loadOne(one(str(value)))).toEqual(str(value));
  });

  it('quotes and places keys like values, double-quoting multi-line simple keys', () => {
    expect(emit(yaml, doc(map(e('true', str('x')), e('', str('y')), e('a: b', str('z')), e('n', str('w')))))).toBe(
      `"true": x\n"": "y"\n'a: b': z\n"n": w\n`,
    );
  });

  it('writes keys longer than 128 bytes and multi-line keys as explicit "? " keys', () => {
    const long = 'k'.repeat(129);
    const out = emit(yaml, doc(map(e('k'.repeat(128), str('a')), e(long, str('b')), e('x\ny', str('c')))));
    expect(out).toBe(`${'k'.repeat(128)}: a\n? ${long}\n: b\n? |-\n    x\n    y\n: c\n`);
    expect(load(yaml, out)).toEqual(doc(map(e('k'.repeat(128), str('a')), e(long, str('b')), e('x\ny', str('c')))));
  });
});

describe('YAML emission: other scalars', () => {
  const floats: [number, string][] = [
    [1, '1'], // FormatFloat('g', -1): an integral float reads back as an int, as in sops
    [1.5, '1.5'],
    [-0.1, '-0.1'],
    [0.1, '0.1'],
    [100, '100'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [1e8, '1e+08'],
    [1234.56789, '1234.56789'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e21, '1e+21'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [-0, '-0'],
    [Infinity, '.inf'],
    [-Infinity, '-.inf'],
    [NaN, '.nan'],
  ];
  it.each(floats)('float %d → %s', (v, expected) => {
    expect(one(float(v))).toBe(`k: ${expected}\n`);
  });

  it('writes ints, bools, null, times and bytes', () => {
    expect(one(int(-9223372036854775808n))).toBe('k: -9223372036854775808\n');
    expect(one(int(18446744073709551615n))).toBe('k: 18446744073709551615\n');
    expect(one(bool(true))).toBe('k: true\n');
    expect(one(bool(false))).toBe('k: false\n');
    expect(one(nul)).toBe('k: null\n');
    expect(one(time('2001-12-14T21:59:43.1-05:00'))).toBe('k: 2001-12-14T21:59:43.1-05:00\n');
    expect(one(time('2015-02-24T18:19:39.123456789-03:00'))).toBe('k: 2015-02-24T18:19:39.123456789-03:00\n');
    expect(one(time('2001-12-14'))).toBe('k: 2001-12-14T00:00:00Z\n'); // canonical RFC3339Nano
    // go-yaml marshals a Go []byte as a sequence of numbers
    expect(one({ kind: 'bytes', value: new Uint8Array([104, 105]) })).toBe('k:\n    - 104\n    - 105\n');
    expect(secretsError(() => one(time('yesterday'))).code).toBe('SOPS_VALUE_INVALID');
  });
});

describe('YAML emission: structure and indentation', () => {
  it('indents by 4 with sequences under their key, like sops', () => {
    const d = doc(
      map(
        e('a', map(e('b', seq(map(e('c', int(1)), e('d', int(2))))))),
        e('l', seq(str('A'), str('B\nC'), seq(str('x'), str('y')), map(), seq())),
        e('m', map()),
        e('s', seq()),
      ),
    );
    expect(emit(yaml, d)).toBe(
      'a:\n    b:\n        - c: 1\n          d: 2\nl:\n    - A\n    - |-\n      B\n      C\n    - - x\n      - "y"\n    - {}\n    - []\nm: {}\ns: []\n',
    );
  });

  it('honours the indent option (go-yaml turns values outside 2..9 into 2)', () => {
    const d = doc(map(e('a', map(e('b', seq(str('x')))))));
    expect(emit(new YamlStore({ indent: 2 }), d)).toBe('a:\n  b:\n    - x\n');
    expect(emit(new YamlStore({ indent: 3 }), d)).toBe('a:\n   b:\n      - x\n');
    expect(emit(new YamlStore({ indent: 0 }), d)).toBe('a:\n    b:\n        - x\n');
    expect(emit(new YamlStore({ indent: 1 }), d)).toBe('a:\n  b:\n    - x\n');
    expect(emit(new YamlStore({ indent: 12 }), d)).toBe('a:\n  b:\n    - x\n');
    expect(secretsError(() => new YamlStore({ indent: -1 })).code).toBe('USAGE');
  });

  it('writes documents after the first with "---", empty ones as {} and nothing for no document', () => {
    expect(emit(yaml, doc(map(e('a', str('b'))), map(e('c', str('d')))))).toBe('a: b\n---\nc: d\n');
    expect(emit(yaml, doc(map(), map()))).toBe('{}\n---\n{}\n');
    expect(emit(yaml, doc())).toBe('');
  });

  it('emitValue writes one value as yaml.Marshal does (indent 4)', () => {
    expect(text(new YamlStore({ indent: 2 }).emitValue(str('abc')))).toBe('abc\n');
    expect(text(yaml.emitValue(str('a\nb')))).toBe('|-\n    a\n    b\n');
    expect(text(yaml.emitValue(int(5)))).toBe('5\n');
    expect(text(new YamlStore({ indent: 2 }).emitValue(map(e('a', seq(str('x'))))))).toBe('a:\n    - x\n');
    expect(text(yaml.emitValue(seq(str('x'), str('true'))))).toBe('- x\n- "true"\n');
    // sops stores/yaml TestEmitValue
    const branch = map(c(' comment 0'), e('key1', str('value')), e('key1_a', str('value')), c(' ^ comment 1'));
    expect(text(yaml.emitValue(branch))).toBe('# comment 0\nkey1: value\nkey1_a: value\n# ^ comment 1\n');
  });
});

describe('YAML emission: comments as sops places them', () => {
  it('writes head, inline and foot comments', () => {
    const d = doc(
      map(
        c(' head'),
        e('a', map(c(' inner head'), e('b', str('1')), c(' inner foot'))),
        c(' between'),
        ic(' inl'),
        e('c', str('2')),
        c(' foot'),
      ),
    );
    const out = '# head\na:\n    # inner head\n    b: "1"\n    # inner foot\n# between\nc: "2" # inl\n# foot\n';
    expect(emit(yaml, d)).toBe(out);
    expect(load(yaml, out)).toEqual(d);
  });

  it('writes sequence comments', () => {
    const d = doc(map(e('s', seq(c(' h'), str('x'), ic(' i'), str('y'), c(' f')))));
    const out = 's:\n    # h\n    - x\n    - "y" # i\n    # f\n';
    expect(emit(yaml, d)).toBe(out);
    expect(load(yaml, out)).toEqual(d);
  });

  it('reproduces go-yaml comment registers: a foot after a mapping inside a list is written later', () => {
    // go-yaml only writes a pending foot comment at the next place that writes foot comments
    const d = doc(map(e('t', seq(map(e('a', str('1'))), c(' after'))), e('u', str('z'))));
    expect(emit(yaml, d)).toBe('t:\n    - a: "1"\nu: z\n# after\n');
  });

  it('writes comment-only mappings before {} and keeps bare "#" comments', () => {
    expect(emit(yaml, doc(map(c(' only'))))).toBe('# only\n{}\n');
    expect(emit(yaml, doc(map(c(''), e('a', str('b')))))).toBe('#\na: b\n');
    expect(load(yaml, '#\na: b\n')).toEqual(doc(map(c(''), e('a', str('b')))));
  });

  it('moves an inline comment before a nested mapping to the next scalar line, as go-yaml does', () => {
    // the mapping's line comment is written by the next line-comment slot: after the next key's value
    expect(emit(yaml, doc(map(ic(' x'), e('a', map(e('b', str('c')))), e('d', str('e')))))).toBe('a:\n    b: c\nd: e # x\n');
  });
});

describe('sops stores/yaml test vectors', () => {
  it('PLAIN: two documents with comments', () => {
    const src = '---\n# comment 0\nkey1: value\nkey1_a: value\n# ^ comment 1\n---\nkey2: value2';
    expect(load(yaml, src)).toEqual(
      doc(map(c(' comment 0'), e('key1', str('value')), e('key1_a', str('value')), c(' ^ comment 1')), map(e('key2', str('value2')))),
    );
  });

  it('ALIASES: aliases are expanded', () => {
    const src = '---\nkey1: &foo\n  - foo\nkey2: *foo\nkey3: &bar\n  foo: bar\n  baz: bam\nkey4: *bar\n';
    const bar = map(e('foo', str('bar')), e('baz', str('bam')));
    expect(load(yaml, src)).toEqual(doc(map(e('key1', seq(str('foo'))), e('key2', seq(str('foo'))), e('key3', bar), e('key4', bar))));
  });

  const roundTrips: [string, string, string][] = [
    ['COMMENT_1', '# test\na:\n    b: null\n    # foo\n', '# test\na:\n    b: null\n    # foo\n'],
    ['COMMENT_2', 'a:\n    # foo\n    b: null\n', 'a:\n    # foo\n    b: null\n'],
    [
      'COMMENT_3',
      "## Configuration for prometheus-node-exporter subchart\n##\nprometheus-node-exporter:\n  podLabels:\n    ## Add the 'node-exporter' label\n    ##\n\n    jobLabel: node-exporter\n  extraArgs:\n    - --collector.filesystem.ignored-mount-points=^/(dev|proc|sys|var/lib/docker/.+)($|/)\n",
      "## Configuration for prometheus-node-exporter subchart\n##\nprometheus-node-exporter:\n    podLabels:\n        ## Add the 'node-exporter' label\n        ##\n        jobLabel: node-exporter\n    extraArgs:\n        - --collector.filesystem.ignored-mount-points=^/(dev|proc|sys|var/lib/docker/.+)($|/)\n",
    ],
    ['COMMENT_6', 'a:\n    - a\n    # I no longer get duplicated\n    - {}\n', 'a:\n    - a\n    # I no longer get duplicated\n    - {}\n'],
    ['COMMENT_7', 'a:\n    b:\n        c: d\n    # comment\n\ne:\n    - f\n', 'a:\n    b:\n        c: d\n    # comment\ne:\n    - f\n'],
    [
      'COMMENT_INLINE',
      'key1: value1 # inline comment\nkey2: value2\n# head comment\nkey3: value3 # another inline\n',
      'key1: value1 # inline comment\nkey2: value2\n# head comment\nkey3: value3 # another inline\n',
    ],
    ['COMMENT_INLINE_SEQ', 'items:\n    - value1 # inline on list item\n    - value2\n', 'items:\n    - value1 # inline on list item\n    - value2\n'],
    ['COMMENT_INLINE_MIXED', '# heading\nkey1: value1 # inline\nkey2: value2\n', '# heading\nkey1: value1 # inline\nkey2: value2\n'],
    ['COMMENT_INLINE_NESTED', 'parent:\n    child1: value1 # nested inline\n    child2: value2\n', 'parent:\n    child1: value1 # nested inline\n    child2: value2\n'],
    ['Empty3', '{}\n', '{}\n'],
  ];
  it.each(roundTrips)('%s', (_name, input, output) => {
    expect(emit(yaml, load(yaml, input))).toBe(output);
  });

  it('COMMENT_6 and COMMENT_7 trees', () => {
    expect(load(yaml, 'a:\n    - a\n    # I no longer get duplicated\n    - {}\n')).toEqual(
      doc(map(e('a', seq(str('a'), c(' I no longer get duplicated'), map())))),
    );
    expect(load(yaml, 'a:\n    b:\n        c: d\n    # comment\n\ne:\n    - f\n')).toEqual(
      doc(map(e('a', map(e('b', map(e('c', str('d')))), c(' comment'))), e('e', seq(str('f'))))),
    );
  });

  it('INDENT_1 with indent 2', () => {
    const src = "## Configuration\n##\nprometheus-node-exporter:\n  podLabels:\n    ## Add the label\n    ##\n\n    jobLabel: node-exporter\n  extraArgs:\n    - --a=b\n";
    expect(emit(new YamlStore({ indent: 2 }), load(yaml, src))).toBe(
      '## Configuration\n##\nprometheus-node-exporter:\n  podLabels:\n    ## Add the label\n    ##\n    jobLabel: node-exporter\n  extraArgs:\n    - --a=b\n',
    );
  });

  it('Empty: no document', () => {
    expect(load(yaml, '')).toEqual(doc());
    expect(emit(yaml, doc())).toBe('');
  });

  it('duplicate keys are rejected', () => {
    const err = secretsError(() => load(yaml, '\nhello: Sops config file\nhello: Duplicates are not ok\nrootunique:\n  key2: "value"\n  key2: "foo"\n'));
    expect(err.code).toBe('SOPS_FORMAT_INVALID');
    expect(err.message).toContain('line 3: mapping key "hello" already defined at line 2');
  });

  it('a non-sops file has no metadata', () => {
    expect(secretsError(() => yaml.loadEncrypted(bytes('hello: 2'))).code).toBe('SOPS_METADATA_NOT_FOUND');
  });
});

describe('YAML loading: comment placement (go-yaml node comments as sops flattens them)', () => {
  it('go-yaml node_test: comments around a sequence item mapping', () => {
    // go-yaml: "# HM" is the head of the item mapping (sops puts it in the list), "# HB1/# HB2" the head
    // of key b, "# IB" the line comment of key b (a plain comment), "# IC" the line comment of c (inline)
    const src = 'a:\n  # HM\n  - # HB1\n    # HB2\n    b: # IB\n      c # IC\n';
    expect(load(yaml, src)).toEqual(doc(map(e('a', seq(c(' HM'), map(c(' HB1'), c(' HB2'), c(' IB'), ic(' IC'), e('b', str('c'))))))));
  });

  it('go-yaml node_test: comments next to mapping keys', () => {
    const src = 'a: | # IA\n  str\nb: >- # IB\n  str\nc: # IC\n  - str\nd: # ID\n  str:\n';
    expect(load(yaml, src)).toEqual(
      doc(map(ic(' IA'), e('a', str('str\n')), ic(' IB'), e('b', str('str')), c(' IC'), e('c', seq(str('str'))), c(' ID'), e('d', map(e('str', nul))))),
    );
  });

  it('go-yaml node_test: head, line and foot comments of a mapping', () => {
    const src = '# DH1\n\n# DH2\n\n# HA1\n# HA2\nka: va # IA\n# FA1\n# FA2\n\n# HB1\n# HB2\nkb: vb # IB\n# FB1\n# FB2\n\n# DF1\n\n# DF2\n';
    expect(load(yaml, src)).toEqual(
      doc(
        map(
          ...[' DH1', ' DH2', ' HA1', ' HA2'].map(c),
          ic(' IA'),
          e('ka', str('va')),
          ...[' FA1', ' FA2', ' HB1', ' HB2'].map(c),
          ic(' IB'),
          e('kb', str('vb')),
          ...[' FB1', ' FB2', ' DF1', ' DF2'].map(c),
        ),
      ),
    );
  });

  it('go-yaml node_test: nested blocks with foot comments at each level', () => {
    const src =
      '# DH1\n\n# HA1\nka:\n  # HB1\n  kb:\n    # HC1\n    # HC2\n    - lc # IC\n    # FC1\n    # FC2\n\n    # HD1\n    - ld # ID\n    # FD1\nke: ve\n\n# DF1\n';
    expect(load(yaml, src)).toEqual(
      doc(
        map(
          c(' DH1'),
          c(' HA1'),
          e(
            'ka',
            map(c(' HB1'), e('kb', seq(c(' HC1'), c(' HC2'), ic(' IC'), str('lc'), c(' FC1'), c(' FC2'), c(' HD1'), ic(' ID'), str('ld'), c(' FD1')))),
          ),
          e('ke', str('ve')),
          c(' DF1'),
        ),
      ),
    );
  });

  it('comments before and after a nested list item', () => {
    expect(load(yaml, '# HL1\n- - la\n  # HB1\n  - lb\n'.replace(/^/, 'k:\n').replace(/\n(?=.)/g, '\n  '))).toEqual(
      doc(map(e('k', seq(c(' HL1'), seq(str('la'), c(' HB1'), str('lb')))))),
    );
  });

  it('a comment between a key and its scalar value on the next line goes before the entry', () => {
    expect(load(yaml, 'a:\n  # c\n  x\nb: y\n')).toEqual(doc(map(c(' c'), e('a', str('x')), e('b', str('y')))));
  });

  it('a comment after a flow collection is the first item of that collection', () => {
    expect(load(yaml, 'a: [x, y] # c\nb: {k: v} # d\n')).toEqual(doc(map(e('a', seq(c(' c'), str('x'), str('y'))), e('b', map(c(' d'), e('k', str('v')))))));
  });

  it('gives a comment at the key column after an indentless sequence to the enclosing mapping', () => {
    expect(load(yaml, 'g:\n- h\n- i: j\n# c\nk: 1\n')).toEqual(doc(map(e('g', seq(str('h'), map(e('i', str('j'))))), c(' c'), e('k', int(1)))));
    expect(load(yaml, 'g:\n- h\n  # in\n- i\n')).toEqual(doc(map(e('g', seq(str('h'), c(' in'), str('i'))))));
  });

  it('keeps the text after "#" verbatim, including trailing spaces', () => {
    expect(load(yaml, '#  two  \r\na: b #x\r\n')).toEqual(doc(map(c('  two  '), ic('x'), e('a', str('b')))));
  });
});

describe('YAML loading: documents', () => {
  it('rejects sequence and scalar documents with sops wording', () => {
    expect(secretsError(() => load(yaml, '- a\n')).message).toContain('YAML documents that are sequences are not supported');
    expect(secretsError(() => load(yaml, 'a: 1\n---\n- a\n')).message).toContain('YAML documents that are sequences are not supported');
    expect(secretsError(() => load(yaml, 'hello\n')).message).toContain('YAML documents that are values are not supported');
    expect(secretsError(() => load(yaml, '1\n')).code).toBe('SOPS_FORMAT_INVALID');
  });

  it('empty and null documents are empty branches; an empty stream has none', () => {
    expect(load(yaml, '---\n')).toEqual(doc(map()));
    expect(load(yaml, 'null\n')).toEqual(doc(map()));
    expect(load(yaml, '~\n')).toEqual(doc(map()));
    expect(load(yaml, 'a: 1\n---\n')).toEqual(doc(map(e('a', int(1))), map()));
    expect(load(yaml, '')).toEqual(doc());
    expect(load(yaml, '# only a comment\n')).toEqual(doc());
    expect(load(yaml, '\ufeffa: 1\n')).toEqual(doc(map(e('a', int(1)))));
  });

  it('reports syntax errors with a line number', () => {
    const err = secretsError(() => load(yaml, 'a:\n\tb: 1\n'));
    expect(err.code).toBe('SOPS_FORMAT_INVALID');
    expect(err.message).toMatch(/line 2/);
    expect(secretsError(() => load(yaml, 'a: "x\n')).code).toBe('SOPS_FORMAT_INVALID');
    expect(secretsError(() => yaml.loadPlain(new Uint8Array([0x61, 0x3a, 0x20, 0xff]))).code).toBe('SOPS_FORMAT_INVALID');
  });

  it('reads UTF-16 with a byte order mark, as go-yaml does', () => {
    const utf16 = new Uint8Array([0xff, 0xfe, ...Array.from('a: 1\n').flatMap((ch) => [ch.charCodeAt(0), 0])]);
    expect(yaml.loadPlain(utf16)).toEqual(doc(map(e('a', int(1)))));
  });
});

describe('YAML loading: scalar types (go-yaml v3 resolution)', () => {
  const table: [string, Value][] = [
    ['true', bool(true)],
    ['True', bool(true)],
    ['FALSE', bool(false)],
    ['yes', str('yes')],
    ['on', str('on')],
    ['~', nul],
    ['null', nul],
    ['', nul],
    ['0', int(0)],
    ['-0', int(0)],
    ['0x1F', int(31)],
    ['0X1f', int(31)],
    ['-0x10', int(-16)],
    ['012', int(10)], // leading-zero octal (YAML 1.1 style, still decoded by go-yaml v3)
    ['0o17', int(15)],
    ['0b101', int(5)],
    ['08', float(8)], // not a valid octal: ParseInt fails, the float pattern matches
    ['1_000', int(1000)],
    ['+12', int(12)],
    ['9223372036854775807', int(9223372036854775807n)],
    ['9223372036854775808', int(9223372036854775808n)], // uint64
    ['18446744073709551616', float(18446744073709551616)],
    ['1e3', float(1000)],
    ['1.5', float(1.5)],
    ['.5', float(0.5)],
    ['-.5', float(-0.5)],
    ['1.', float(1)],
    ['.inf', float(Infinity)],
    ['-.Inf', float(-Infinity)],
    ['+.INF', float(Infinity)],
    ['.nan', float(NaN)],
    ['1e400', str('1e400')],
    ['0x', str('0x')],
    ['2001-12-14', time('2001-12-14T00:00:00Z')],
    ['2001-12-14T21:59:43.10-05:00', time('2001-12-14T21:59:43.1-05:00')],
    ['2001-12-14t21:59:43.10+00:00', time('2001-12-14T21:59:43.1Z')],
    ['2001-12-14 21:59:43.10', time('2001-12-14T21:59:43.1Z')],
    ['2001-1-2T3:4:5Z', time('2001-01-02T03:04:05Z')],
    ['2002-02-29', str('2002-02-29')], // day out of range
    ['2001-12-14 21:59:43.10 -5', str('2001-12-14 21:59:43.10 -5')],
    ['"1"', str('1')],
    ["'true'", str('true')],
    ['!!str 1', str('1')],
    ['!!int "12"', int(12)],
    ['!!float 1', float(1)],
    ['!!bool true', bool(true)],
    ['!!null ""', nul],
    ['!!timestamp 2001-12-14', time('2001-12-14T00:00:00Z')],
    ['!!binary aGVsbG8=', str('hello')],
    ['! 12', int(12)],
    ['!foo 12', str('12')],
    ['<<', str('<<')],
    ['!!merge <<', str('<<')],
    ['!!set {x}', { kind: 'map', items: [{ kind: 'entry', key: 'x', value: nul }] }], // collection tags are ignored
    ['!!omap [x: 1]', { kind: 'seq', items: [{ kind: 'map', items: [{ kind: 'entry', key: 'x', value: int(1) }] }] }],
    ['!foo [1]', { kind: 'seq', items: [int(1)] }],
    ['|\n  a\n  b\n', str('a\nb\n')],
    ['>-\n  a\n  b\n', str('a b')],
    ['"a\\tb\\u00e9\\U0001F600"', str('a\tbé\u{1F600}')],
  ];
  it.each(table)('k: %s', (src, expected) => {
    expect(loadOne(`k: ${src}\n`)).toEqual(expected);
  });

  it('rejects explicit tags that do not fit', () => {
    const err = secretsError(() => loadOne('k: !!int abc\n'));
    expect(err.message).toContain('line 1: cannot decode !!str value as a !!int');
    expect(err.message).not.toContain('abc');
    expect(secretsError(() => loadOne('k: !!binary a*b\n')).message).toContain('invalid base64');
  });
});

describe('YAML loading: keys, duplicates, aliases and merges', () => {
  it('rejects non-string keys (sops: Tree contains a non-string key)', () => {
    for (const src of ['1: x\n', 'true: x\n', 'null: x\n', '~: x\n', '2001-12-14: x\n', '1.5: x\n', '? [a]\n: x\n', '? {a: b}\n: x\n']) {
      const err = secretsError(() => load(yaml, src));
      expect(err.code).toBe('SOPS_FORMAT_INVALID');
      expect(err.message).toContain('non-string key');
    }
    expect(load(yaml, '"1": x\nyes: y\n? |\n  a\n: z\n')).toEqual(doc(map(e('1', str('x')), e('yes', str('y')), e('a\n', str('z')))));
  });

  it('rejects duplicate keys with go-yaml rule (same kind and text), at any depth', () => {
    expect(secretsError(() => load(yaml, '1: a\n"1": b\n')).message).toContain('mapping key "1" already defined at line 1');
    expect(secretsError(() => load(yaml, 'a:\n  b: 1\n  b: 2\n')).message).toContain('line 3');
    expect(secretsError(() => load(yaml, 'a: 1\n---\nb: 1\nb: 2\n')).code).toBe('SOPS_FORMAT_INVALID');
    expect(secretsError(() => load(yaml, '{a: 1, a: 2}')).code).toBe('SOPS_FORMAT_INVALID');
  });

  it('expands aliases, also across documents (go-yaml keeps anchors for the whole stream)', () => {
    expect(load(yaml, 'a: &x {b: [1, 2]}\nc: *x\n---\nd: *x\n')).toEqual(
      doc(map(e('a', map(e('b', seq(int(1), int(2))))), e('c', map(e('b', seq(int(1), int(2)))))), map(e('d', map(e('b', seq(int(1), int(2))))))),
    );
    expect(load(yaml, 'a: &k key\n*k : v\n')).toEqual(doc(map(e('a', str('key')), e('key', str('v')))));
    // The anchor's name is not quoted: an unquoted password starting with '*' is an alias (adversarial suite).
    expect(secretsError(() => load(yaml, 'a: *nope\n')).message).toBe('error unmarshaling input YAML: line 1: unknown anchor referenced');
    expect(secretsError(() => load(yaml, 'password: *Secret!Pw\n')).message).not.toContain('Secret');
    expect(secretsError(() => load(yaml, 'a: &x [1, *x]\n')).message).toContain("an anchor's value contains itself");
  });

  it('keeps a merge key as an ordinary "<<" entry, as sops does', () => {
    expect(load(yaml, 'base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n')).toEqual(
      doc(map(e('base', map(e('x', int(1)))), e('c', map(e('<<', map(e('x', int(1)))), e('y', int(2)))))),
    );
    expect(load(yaml, 'a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n').branches[0]!.items).toHaveLength(3);
    expect(secretsError(() => load(yaml, 'a:\n  <<: 5\n')).message).toContain('map merge requires map or sequence of maps as the value');
    expect(load(yaml, 'a:\n  "<<": 5\n')).toEqual(doc(map(e('a', map(e('<<', int(5)))))));
  });
});

describe('YAML store: metadata', () => {
  it('takes sops from the first document and removes it from all, and appends it to every document', () => {
    const src = 'a: 1\nsops:\n    version: 3.13.2\n---\nb: 2\nsops:\n    version: other\n';
    const { document, metadata } = yaml.loadEncrypted(bytes(src));
    expect(metadata).toEqual(map(e('version', str('3.13.2'))));
    expect(document).toEqual(doc(map(e('a', int(1))), map(e('b', int(2)))));
    expect(text(yaml.emitEncrypted(document, metadata))).toBe('a: 1\nsops:\n    version: 3.13.2\n---\nb: 2\nsops:\n    version: 3.13.2\n');
  });

  it('rejects a second sops key, a non-mapping sops value and a reserved key in data', () => {
    expect(secretsError(() => yaml.loadEncrypted(bytes('sops: 1\n'))).code).toBe('SOPS_METADATA_INVALID');
    expect(secretsError(() => yaml.emitEncrypted(doc(map(e('sops', int(1)))), map())).code).toBe('SOPS_VALUE_INVALID');
  });

  it('quotes lastmodified (a timestamp) and writes the age armor as a literal block', () => {
    const md = map(
      e('age', seq(map(e('enc', str('-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n')), e('recipient', str('age1xyz'))))),
      e('lastmodified', str('2026-08-01T09:00:14Z')),
      e('mac', str('ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]')),
      e('version', str('3.13.3')),
    );
    expect(text(yaml.emitEncrypted(doc(map(e('k', str('v')))), md))).toBe(
      'k: v\nsops:\n    age:\n        - enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdl\n            -----END AGE ENCRYPTED FILE-----\n          recipient: age1xyz\n    lastmodified: "2026-08-01T09:00:14Z"\n    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n    version: 3.13.3\n',
    );
  });
});
