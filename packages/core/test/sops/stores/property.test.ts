// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSecretsError } from '../../../src/errors.js';
import { FORMATS, storeFor } from '../../../src/sops/stores/store.js';
import type { Comment, Document, Entry, MapNode, Scalar, SeqNode, Value } from '../../../src/sops/tree.js';
import { bytes } from './helpers.js';
import { sharedPath } from '../../../../../test/support/shared.js';

const numRuns = process.env.SLOW ? 1000 : 50;
const wellFormed = (s: string): boolean => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

// ---------------------------------------------------------------------------------------------------------
// generators

/** Strings that look like other YAML types, or are otherwise tricky to write. */
const TRICKY = [
  'true', 'False', 'yes', 'no', 'on', 'off', 'y', 'n', '~', 'null', '', ' ', '-', '- a', '---', '...', ':', '?', '#', '#a', 'a #b',
  'a: b', '1', '-1', '+1', '0x1F', '012', '08', '1e3', '1_000', '.5', '.inf', '-.Inf', '.nan', '1:20', '2001-12-14',
  '2001-12-14T21:59:43.10-05:00', '@', '`', "'", '"', '%', '!', '&a', '*a', '[', ']', '{', '}', '|', '>', ',', 'a,b', '\t', 'a\tb',
  '\n', 'a\n', 'a\nb', 'a\n\n', ' a\nb', 'a \nb', '\u0085', '\ufeffx', 'é', '\u{1F600}', '9223372036854775808', '18446744073709551616',
];

/** Any well-formed string; YAML excludes U+2028/U+2029, which go-yaml (YAML 1.1) and the parser here (1.2) read differently. */
const anyString = (yaml: boolean): fc.Arbitrary<string> =>
  fc
    .oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
      { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
      { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', ' ', '\n', ':', '#', '-', '\t', "'", '"'), maxLength: 8 }) },
    )
    .filter((s) => wellFormed(s) && (!yaml || yamlReadable(s)));

/**
 * Strings go-yaml cannot write readably everywhere: U+2028/U+2029 (YAML 1.1 line breaks for go-yaml, content
 * for the YAML 1.2 parser here), and multi-line strings starting with a space or line break, whose literal
 * block gets an indentation indicator (the configured indent) that does not match the indentation go-yaml
 * actually uses inside sequences (sops writes such files and cannot read them back either).
 */
function yamlReadable(s: string): boolean {
  if (/[\u2028\u2029]/.test(s)) return false;
  return !(s.includes('\n') && /^[ \n]/.test(s));
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Canonical RFC3339Nano texts, as go-yaml's time.Time marshals them. */
const timeText: fc.Arbitrary<string> = fc
  .record({
    y: fc.integer({ min: 0, max: 9999 }),
    mo: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
    s: fc.integer({ min: 0, max: 59 }),
    ns: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 999_999_999 })),
    off: fc.oneof(fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })),
  })
  .map(({ y, mo, d, h, mi, s, ns, off }) => {
    const frac = ns === 0 ? '' : '.' + pad(ns, 9).replace(/0+$/, '');
    const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60), 2)}:${pad(Math.abs(off) % 60, 2)}`;
    return `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac}${zone}`;
  });

/** Scalars YAML keeps as they are (integral floats read back as ints, so they are left out). */
const yamlScalar: fc.Arbitrary<Scalar> = fc.oneof(
  { weight: 4, arbitrary: anyString(true).map((value): Scalar => ({ kind: 'string', value })) },
  { weight: 1, arbitrary: fc.bigInt({ min: INT64_MIN, max: UINT64_MAX }).map((value): Scalar => ({ kind: 'int', value })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.double(), fc.constantFrom(Infinity, -Infinity, NaN, 0.1, 1.5e-7, 1e-300))
      .filter((v) => !Number.isInteger(v))
      .map((value): Scalar => ({ kind: 'float', value })),
  },
  { weight: 1, arbitrary: fc.boolean().map((value): Scalar => ({ kind: 'bool', value })) },
  { weight: 1, arbitrary: fc.constant<Scalar>({ kind: 'null' }) },
  { weight: 1, arbitrary: timeText.map((value): Scalar => ({ kind: 'time', value })) },
);

const commentText = fc.string({ unit: 'binary', maxLength: 10 }).filter((s) => wellFormed(s) && !/[\r\n\u0085\u2028\u2029]/.test(s));
const heads = fc.array(commentText.map((text): Comment => ({ kind: 'comment', text })), { maxLength: 2 });
const inline = fc.option(commentText.map((text): Comment => ({ kind: 'comment', text, inline: true })), { nil: undefined });

const isCollection = (v: Value): v is MapNode | SeqNode => v.kind === 'map' || v.kind === 'seq';

/**
 * YAML trees in the comment layouts that go-yaml writes and reads back unchanged: comments before an item,
 * at most one inline comment before a scalar item, foot comments after a mapping (or after a scalar that
 * ends a list), and no leading comments inside a collection that is itself a list item.
 */
function yamlTree(): { map: fc.Arbitrary<MapNode>; seq: fc.Arbitrary<SeqNode> } {
  const tree = fc.letrec<{ value: Value; map: MapNode; seq: SeqNode }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, yamlScalar, tie('map'), tie('seq')),
    map: fc
      .record({
        entries: fc.uniqueArray(
          fc.record({
            key: anyString(true).filter((k) => k !== '<<'),
            value: tie('value'),
            heads,
            inline,
          }),
          { selector: (x) => x.key, maxLength: 4 },
        ),
        foot: heads,
      })
      .map(({ entries, foot }): MapNode => {
        const items: (Entry | Comment)[] = [];
        for (const en of entries) {
          items.push(...en.heads);
          if (en.inline && !isCollection(en.value)) items.push(en.inline);
          items.push({ kind: 'entry', key: en.key, value: en.value });
        }
        if (entries.length > 0) items.push(...foot);
        return { kind: 'map', items };
      }),
    seq: fc
      .record({
        values: fc.array(fc.record({ value: tie('value'), heads, inline }), { maxLength: 4 }),
        foot: heads,
      })
      .map(({ values, foot }): SeqNode => {
        const items: (Value | Comment)[] = [];
        for (const v of values) {
          items.push(...v.heads);
          if (v.inline && !isCollection(v.value)) items.push(v.inline);
          items.push(stripLeadingComments(v.value));
        }
        const last = values[values.length - 1]?.value;
        if (last && !isCollection(last)) items.push(...foot);
        return { kind: 'seq', items };
      }),
  }));
  return { map: tree.map, seq: tree.seq };
}

/** A collection that is a list item must not start with comments (go-yaml writes those before its "-"). */
function stripLeadingComments(v: Value): Value {
  if (!isCollection(v)) return v;
  let i = 0;
  while (i < v.items.length && v.items[i]!.kind === 'comment') i++;
  if (i === 0) return v;
  const rest = v.items.slice(i);
  // a collection holding only comments would lose them: keep it empty
  return v.kind === 'map' ? { kind: 'map', items: rest as (Entry | Comment)[] } : { kind: 'seq', items: rest as (Value | Comment)[] };
}

/** Nested collections may not consist of comments only (go-yaml writes them outside the empty {} / []). */
function dropCommentOnly(v: Value): Value {
  if (!isCollection(v)) return v;
  const items = v.items.map((it) => (it.kind === 'entry' ? { ...it, value: dropCommentOnly(it.value) } : it.kind === 'comment' ? it : dropCommentOnly(it)));
  const hasData = items.some((it) => it.kind !== 'comment');
  const kept = hasData ? items : [];
  return v.kind === 'map' ? { kind: 'map', items: kept as (Entry | Comment)[] } : { kind: 'seq', items: kept as (Value | Comment)[] };
}

function normalizeBranch(m: MapNode): MapNode {
  // the top level may hold only comments ("# c\n{}"); nested collections may not
  return { kind: 'map', items: m.items.map((it) => (it.kind === 'entry' ? { ...it, value: dropCommentOnly(it.value) } : it)) };
}

// ---------------------------------------------------------------------------------------------------------
// emitPlain → loadPlain is the identity

describe('property: emitPlain → loadPlain is the identity', () => {
  it('YAML (all scalar kinds, unicode and numeric-looking strings, nesting, comments, several documents)', () => {
    const store = storeFor('yaml');
    const { map } = yamlTree();
    fc.assert(
      fc.property(fc.array(map, { maxLength: 3 }), fc.constantFrom(2, 4, 7), (branches, indent) => {
        const d: Document = { branches: branches.map(normalizeBranch) };
        const s = storeFor('yaml', { indent });
        const out = s.emitPlain(d);
        expect(store.loadPlain(out)).toEqual(d);
        // and the output is stable
        expect(s.emitPlain(store.loadPlain(out))).toEqual(out);
      }),
      { numRuns },
    );
  });

  it('JSON (ints in int64, non-integral floats, strings, nesting, duplicate keys)', () => {
    const store = storeFor('json');
    const scalar: fc.Arbitrary<Scalar> = fc.oneof(
      anyString(false).map((value): Scalar => ({ kind: 'string', value })),
      fc.bigInt({ min: INT64_MIN, max: 2n ** 63n - 1n }).map((value): Scalar => ({ kind: 'int', value })),
      fc
        .double({ noNaN: true, noDefaultInfinity: true })
        .filter((v) => !Number.isInteger(v) || Math.abs(v) >= 2 ** 63)
        .map((value): Scalar => ({ kind: 'float', value })),
      fc.boolean().map((value): Scalar => ({ kind: 'bool', value })),
      fc.constant<Scalar>({ kind: 'null' }),
    );
    const tree = fc.letrec<{ value: Value; map: MapNode }>((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, scalar, tie('map'), fc.array(tie('value'), { maxLength: 4 }).map((items): SeqNode => ({ kind: 'seq', items }))),
      map: fc
        .array(fc.record({ key: anyString(false), value: tie('value') }), { maxLength: 4 })
        .map((es): MapNode => ({ kind: 'map', items: es.map((x): Entry => ({ kind: 'entry', key: x.key, value: x.value })) })),
    }));
    fc.assert(
      fc.property(tree.map, fc.integer({ min: -1, max: 3 }), (m, indent) => {
        const d: Document = { branches: [m] };
        expect(store.loadPlain(storeFor('json', { indent }).emitPlain(d))).toEqual(d);
      }),
      { numRuns },
    );
  });

  it('dotenv (flat strings, untrimmed keys, newlines, comments)', () => {
    const store = storeFor('dotenv');
    const key = fc.string({ unit: 'binary', maxLength: 8 }).filter((k) => wellFormed(k) && !k.includes('=') && !k.includes('\n') && !k.startsWith('#'));
    const value = anyString(false).filter((v) => !v.includes('\\n'));
    const item = fc.oneof(
      fc.record({ key, value }).map(({ key: k, value: v }): Entry => ({ kind: 'entry', key: k, value: { kind: 'string', value: v } })),
      commentText.map((text): Comment => ({ kind: 'comment', text })),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), (items) => {
        const d: Document = { branches: [{ kind: 'map', items }] };
        expect(store.loadPlain(store.emitPlain(d))).toEqual(d);
      }),
      { numRuns },
    );
  });

  it('INI (sections of flat strings, section and key comments)', () => {
    const store = storeFor('ini');
    const word = fc.string({ unit: fc.constantFrom('a', 'B', '7', '_', '.', 'é', '日', ' ', '-'), minLength: 1, maxLength: 6 });
    const key = fc
      .tuple(word, fc.constantFrom('', ':', '=', '"'))
      .map(([w, x]) => w.trim() + x)
      .filter((k) => k.length > 0 && k !== '-' && !/^[#;[]/.test(k));
    const value = fc
      .tuple(
        fc.constantFrom('', ' ', '\n'),
        fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', ';', '#', '=', ':', '`', '/', 'é'), maxLength: 8 }),
        fc.constantFrom('', ' ', '\n'),
      )
      .map(([a, b, cc]) => a + b + cc);
    const comment = fc
      .string({ unit: fc.constantFrom('a', ' ', ';', '#', 'x', 'é'), minLength: 1, maxLength: 8 })
      .map((s) => s.trim())
      .filter((s) => s.length > 0 && !/^[;#]/.test(s));
    const keys = fc.uniqueArray(fc.record({ key, value, comment: fc.option(comment, { nil: undefined }) }), { selector: (k) => k.key, maxLength: 4 });
    const section = (withComment: boolean): fc.Arbitrary<MapNode> =>
      fc.record({ comment: withComment ? fc.option(comment, { nil: undefined }) : fc.constant(undefined), keys }).map(({ comment: sc, keys: ks }) => {
        const items: (Entry | Comment)[] = sc ? [{ kind: 'comment', text: sc }] : [];
        for (const k of ks) {
          items.push({ kind: 'entry', key: k.key, value: { kind: 'string', value: k.value } });
          if (k.comment) items.push({ kind: 'comment', text: k.comment });
        }
        return { kind: 'map', items };
      });
    const name = word.map((w) => w.replace(/^ +| +$/g, 'x'));
    fc.assert(
      fc.property(section(false), fc.array(fc.record({ name, body: section(true) }), { maxLength: 3 }), (defaults, sections) => {
        const d: Document = {
          branches: [
            {
              kind: 'map',
              items: [{ kind: 'entry', key: 'DEFAULT', value: defaults }, ...sections.map((s): Entry => ({ kind: 'entry', key: s.name, value: s.body }))],
            },
          ],
        };
        expect(store.loadPlain(store.emitPlain(d))).toEqual(d);
      }),
      { numRuns },
    );
  });

  it('binary (any bytes)', () => {
    const store = storeFor('binary');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        expect(store.emitPlain(store.loadPlain(raw))).toEqual(raw);
      }),
      { numRuns },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// loaders only throw SecretsError

const seeds: Record<string, Uint8Array[]> = {
  yaml: [
    ...['secrets.yaml', 'secrets-native-ssh.yaml'].map((f) => new Uint8Array(readFileSync(sharedPath('vectors', 'sops-nix', f)))),
    bytes('a: &x [1, {b: "c"}, !!binary aGk=]\nd: *x\n# c\ne: |\n  lit\n---\n? [k]\n: v\n<<: *x\n'),
  ],
  json: [new Uint8Array(readFileSync(sharedPath('vectors', 'sops-nix/secrets.json'))), bytes('{"a": [1, 2.5e-3, "\\u00e9"], "b": {"c": null}}')],
  binary: [new Uint8Array(readFileSync(sharedPath('vectors', 'sops-nix/secrets.bin')))],
  dotenv: [new Uint8Array(readFileSync(sharedPath('vectors', 'sops-nix/secrets.env')))],
  ini: [new Uint8Array(readFileSync(sharedPath('vectors', 'sops-nix/secrets.ini'))), bytes('k = """a\nb"""\n[s]\nx: `y;z` ; c\n')],
};

const SPECIAL = Array.from('\n\r\t "\'`#;:=[]{}&*!|>-?,%@\\\u0000', (c) => c.charCodeAt(0)).concat([0xff, 0xc3, 0xe2, 0x80]);

const mutated = (base: Uint8Array): fc.Arbitrary<Uint8Array> =>
  fc
    .array(
      fc.tuple(fc.nat({ max: Math.max(base.length - 1, 0) }), fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 })), fc.constantFrom('set', 'insert', 'delete', 'cut')),
      { minLength: 1, maxLength: 6 },
    )
    .map((ops) => {
      let b = Array.from(base);
      for (const [pos, byte, op] of ops) {
        const p = Math.min(pos, b.length);
        if (op === 'set' && p < b.length) b[p] = byte;
        else if (op === 'insert') b.splice(p, 0, byte);
        else if (op === 'delete') b.splice(p, 1);
        else b = b.slice(0, p);
      }
      return new Uint8Array(b);
    });

describe('property: loaders only ever throw SecretsError on mutated input', () => {
  for (const format of FORMATS) {
    it(format, () => {
      const store = storeFor(format);
      for (const seed of seeds[format]!) {
        fc.assert(
          fc.property(mutated(seed), (input) => {
            for (const load of [() => store.loadPlain(input), () => store.loadEncrypted(input)]) {
              try {
                load();
              } catch (err) {
                if (!isSecretsError(err)) throw err;
              }
            }
          }),
          { numRuns },
        );
      }
    });
  }
});
