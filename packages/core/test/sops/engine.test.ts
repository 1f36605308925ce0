import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import { decryptDocument, encryptDocument, type EncryptedDocument } from '../../src/sops/engine.js';
import { IvStash } from '../../src/sops/iv-stash.js';
import { canonicalRfc3339 } from '../../src/sops/rfc3339.js';
import { compileRules, type CryptRules } from '../../src/sops/rules.js';
import type { Comment, Document, Entry, MapNode, Scalar, SeqNode, Value } from '../../src/sops/tree.js';
import { encodePlaintext } from '../../src/sops/plaintext-encoding.js';
import { encryptValue } from '../../src/sops/value-cipher.js';
import { formatEncValue, isEncValue, parseEncValue } from '../../src/sops/enc-value.js';
import { walkDocument } from '../../src/sops/walk.js';
import { c, doc, e, failure, int, map, seq, str } from './tree-helpers.js';

const RUNS = process.env.SLOW ? 1000 : 50;
const KEY = new Uint8Array(32).map((_, i) => 255 - i);
const LASTMODIFIED = '2026-11-23T10:00:00Z';
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));


// ---- arbitraries ----------------------------------------------------------------------------------

const keyArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.integer({ min: -5, max: 1000 }).map(String),
  fc.constantFrom('a_unencrypted', 'x_enc', 'plain', '0x1F', '1e3', 'true', 'null', '', 'a:b', 'ключ', '鍵'),
);
const commentArb: fc.Arbitrary<Comment> = fc
  .tuple(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom(' sops:enc', ' sops:plain', '')), fc.boolean())
  .map(([text, inline]) => (inline ? { kind: 'comment', text, inline } : { kind: 'comment', text }));
const scalarArb: fc.Arbitrary<Scalar> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 16 }).map((value): Scalar => ({ kind: 'string', value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value): Scalar => ({ kind: 'int', value })),
  fc.double().map((value): Scalar => ({ kind: 'float', value })),
  fc.boolean().map((value): Scalar => ({ kind: 'bool', value })),
  fc
    .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
    .map((d): Scalar => ({ kind: 'time', value: canonicalRfc3339(d.toISOString(), true) as string })),
  fc.constant<Scalar>({ kind: 'null' }),
  // raw bytes that are not UTF-8 (what decrypting a binary value gives back)
  fc.uint8Array({ maxLength: 6 }).map((b): Scalar => ({ kind: 'bytes', value: Uint8Array.of(0xff, ...b) })),
);
const { tree: valueArb } = fc.letrec<{ tree: Value; map: MapNode; seq: SeqNode }>((tie) => ({
  tree: fc.oneof({ maxDepth: 3, depthIdentifier: 'tree' }, scalarArb, tie('map'), tie('seq')),
  map: fc.array(fc.oneof(fc.tuple(keyArb, tie('tree')).map(([k, v]): Entry => e(k, v)), commentArb), { maxLength: 5 }).map((items): MapNode => ({ kind: 'map', items })),
  seq: fc.array(fc.oneof(tie('tree'), commentArb), { maxLength: 4 }).map((items): SeqNode => ({ kind: 'seq', items })),
}));
const documentArb: fc.Arbitrary<Document> = fc.array(
  fc.array(fc.oneof(fc.tuple(keyArb, valueArb).map(([k, v]): Entry => e(k, v)), commentArb), { minLength: 1, maxLength: 6 }).map((items): MapNode => ({ kind: 'map', items })),
  { minLength: 1, maxLength: 2 },
).map((branches) => ({ branches }));
const rulesArb: fc.Arbitrary<CryptRules> = fc.constantFrom<CryptRules>(
  {},
  { encryptedSuffix: '_enc' },
  { unencryptedRegex: '^(plain|[0-9]+)$' },
  { encryptedRegex: '(?i)^X|ключ' },
  { encryptedCommentRegex: 'sops:enc' },
  { unencryptedCommentRegex: 'sops:plain' },
  { macOnlyEncrypted: true },
  { encryptedSuffix: '_enc', macOnlyEncrypted: true },
);

// ---- tree addressing for tampering ------------------------------------------------------------------

type Address = readonly number[]; // branch index, then item indexes
interface Leaf {
  readonly address: Address;
  readonly aad: string;
  readonly value: Exclude<Scalar, { kind: 'null' }>;
}

function leaves(d: Document): Leaf[] {
  const out: Leaf[] = [];
  const visit = (v: Value, address: Address, path: string[]): void => {
    if (v.kind === 'map') v.items.forEach((i, k) => i.kind === 'entry' && visit(i.value, [...address, k], [...path, i.key]));
    else if (v.kind === 'seq') v.items.forEach((i, k) => i.kind !== 'comment' && visit(i, [...address, k], path));
    else if (v.kind !== 'null') out.push({ address, aad: `${path.join(':')}:`, value: v });
  };
  d.branches.forEach((b, i) => visit(b, [i], []));
  return out;
}

function entries(d: Document): Address[] {
  const out: Address[] = [];
  const visit = (v: Value, address: Address): void => {
    if (v.kind === 'map') {
      v.items.forEach((i, k) => {
        if (i.kind !== 'entry') return;
        out.push([...address, k]);
        visit(i.value, [...address, k]);
      });
    }
    else if (v.kind === 'seq') v.items.forEach((i, k) => i.kind !== 'comment' && visit(i, [...address, k]));
  };
  d.branches.forEach((b, i) => visit(b, [i]));
  return out;
}

/** Replaces (or, with undefined, removes) the item at an address. */
function update(d: Document, address: Address, replace: Value | undefined): Document {
  const go = (v: Value, rest: readonly number[]): Value => {
    const [k, ...more] = rest as [number, ...number[]];
    if (v.kind !== 'map' && v.kind !== 'seq') throw new Error('bad address');
    const items = [...(v.items as (Entry | Value | Comment)[])];
    const item = items[k] as Entry | Value;
    if (more.length === 0) {
      if (replace === undefined) items.splice(k, 1);
      else items[k] = item.kind === 'entry' ? { ...item, value: replace } : replace;
    } else items[k] = item.kind === 'entry' ? { ...item, value: go(item.value, more) } : go(item, more);
    return { ...v, items } as Value;
  };
  const [b, ...rest] = address as [number, ...number[]];
  return { branches: d.branches.map((branch, i) => (i === b ? (go(branch, rest) as MapNode) : branch)) };
}

/** The bytes the MAC covers, computed independently of the engine. */
function macInput(d: Document, rules: CryptRules): string {
  const h = createHash('sha512');
  walkDocument(d, compileRules(rules), {
    leaf(value, { encrypted }) {
      if (!rules.macOnlyEncrypted || encrypted) h.update(encodePlaintext(value).bytes);
      return value;
    },
    comment: (comment) => comment,
  });
  return h.digest('hex');
}

/** Encrypted items' (AAD, type, plaintext), to know whether an IV stash can be unambiguous. */
function encryptedTriples(d: Document, rules: CryptRules): string[] {
  const out: string[] = [];
  walkDocument(d, compileRules(rules), {
    leaf(value, { encrypted, aad }) {
      const p = encodePlaintext(value);
      if (encrypted && p.bytes.length > 0) out.push(`${aad}|${p.type}|${Buffer.from(p.bytes).toString('hex')}`);
      return value;
    },
    comment(comment, { encrypted, aad }) {
      if (encrypted && comment.text !== '') out.push(`${aad}|comment|${comment.text}`);
      return comment;
    },
  });
  return out;
}

const encrypt = (d: Document, rules: CryptRules, ivStash?: IvStash): EncryptedDocument =>
  encryptDocument(d, { dataKey: KEY, rules, lastmodified: LASTMODIFIED, random, ...(ivStash ? { ivStash } : {}) });
const decrypt = (d: Document, rules: CryptRules, mac: string, ignoreMac = false) =>
  decryptDocument(d, { dataKey: KEY, metadata: { rules, lastmodified: LASTMODIFIED, mac }, ignoreMac });

// ---- properties -----------------------------------------------------------------------------------

describe('properties (random trees: every scalar kind, unicode and numeric-looking keys, nested lists, comments)', () => {
  it('encrypt → decrypt is the identity, under every rule', () => {
    fc.assert(
      fc.property(documentArb, rulesArb, (d, rules) => {
        const enc = encrypt(d, rules);
        const out = decrypt(enc.document, rules, enc.mac);
        expect(out.document).toEqual(d);
        expect(out.macVerified).toBe(true);
        expect(out.warnings).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('with the IV stash, re-encryption under the same key is byte-identical', () => {
    fc.assert(
      fc.property(documentArb, rulesArb, (d, rules) => {
        const first = encrypt(d, rules);
        const opened = decrypt(first.document, rules, first.mac);
        const second = encrypt(opened.document, rules, opened.ivStash);
        expect(second.mac).toBe(first.mac);
        const triples = encryptedTriples(d, rules);
        // sops' stash keeps one IV per (AAD, type, plaintext): repeated equal values converge on one ciphertext.
        if (new Set(triples).size === triples.length) expect(second.document).toEqual(first.document);
        const again = decrypt(second.document, rules, second.mac);
        expect(encrypt(again.document, rules, again.ivStash)).toEqual(second);
      }),
      { numRuns: RUNS },
    );
  });

  it('a flipped byte in any encrypted value is always detected', () => {
    fc.assert(
      fc.property(documentArb, rulesArb, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (d, rules, pick, at, bit) => {
        const enc = encrypt(d, rules);
        const targets = leaves(enc.document).filter((l) => l.value.kind === 'string' && isEncValue(l.value.value));
        fc.pre(targets.length > 0);
        const target = targets[pick % targets.length] as Leaf;
        const parsed = parseEncValue((target.value as { value: string }).value);
        const all = [...parsed.data, ...parsed.iv, ...parsed.tag];
        const i = at % all.length;
        all[i] = (all[i] as number) ^ (1 << bit);
        const n = parsed.data.length;
        const tampered = formatEncValue({ ...parsed, data: Uint8Array.from(all.slice(0, n)), iv: Uint8Array.from(all.slice(n, n + 32)), tag: Uint8Array.from(all.slice(n + 32)) });
        const error = failure(() => decrypt(update(enc.document, target.address, str(tampered)), rules, enc.mac, true));
        expect(error.code).toBe('SOPS_VALUE_INVALID');
        expect(error.message).not.toContain(tampered);
      }),
      { numRuns: RUNS },
    );
  });

  it('swapped values are detected: by GCM across paths, by the MAC within a list', () => {
    fc.assert(
      fc.property(documentArb, rulesArb, fc.nat(), fc.nat(), (d, rules, p1, p2) => {
        const enc = encrypt(d, rules);
        const all = leaves(enc.document);
        fc.pre(all.length >= 2);
        const a = all[p1 % all.length] as Leaf;
        const b = all[p2 % all.length] as Leaf;
        fc.pre(a !== b && JSON.stringify(a.value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) !== JSON.stringify(b.value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
        const swapped = update(update(enc.document, a.address, b.value), b.address, a.value);
        const bothEncrypted = [a, b].every((l) => l.value.kind === 'string' && isEncValue(l.value.value));
        let opened;
        try {
          opened = decrypt(swapped, rules, enc.mac, true);
        } catch (error) {
          expect(error).toBeInstanceOf(SecretsError);
          expect((error as SecretsError).code).toBe('SOPS_VALUE_INVALID');
          return;
        }
        expect(bothEncrypted && a.aad !== b.aad).toBe(false); // GCM binds a value to its path
        // Whatever changed what the MAC covers fails the MAC (sops' MAC has no separators: swapping "a"
        // and "aa" in one list is invisible to it, by design of the format).
        if (macInput(opened.document, rules) !== macInput(d, rules)) {
          expect(opened.macVerified).toBe(false);
          expect(failure(() => decrypt(swapped, rules, enc.mac)).code).toBe('SOPS_MAC_MISMATCH');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a removed key is detected whenever it held anything the MAC covers', () => {
    fc.assert(
      fc.property(documentArb, rulesArb, fc.nat(), (d, rules, pick) => {
        const enc = encrypt(d, rules);
        const targets = entries(enc.document);
        fc.pre(targets.length > 0);
        const target = targets[pick % targets.length] as Address;
        const removed = update(enc.document, target, undefined);
        let opened;
        try {
          opened = decrypt(removed, rules, enc.mac, true);
        } catch (error) {
          // Removing an entry can merge comment runs and change what the comment rules select.
          expect((error as SecretsError).code).toBe('SOPS_VALUE_INVALID');
          return;
        }
        expect(opened.macVerified).toBe(macInput(opened.document, rules) === macInput(d, rules));
        if (macInput(update(d, target, undefined), rules) !== macInput(d, rules)) {
          expect(opened.macVerified).toBe(false);
          expect(failure(() => decrypt(removed, rules, enc.mac)).code).toBe('SOPS_MAC_MISMATCH');
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- behaviours -----------------------------------------------------------------------------------

describe('engine behaviours', () => {
  it('AAD: keys joined with ":" plus ":", list indexes not included, comments use their container', () => {
    const d = doc(map(c(' top'), e('a', map(e('b', seq(str('x'), c(' in list'), map(e('c', str('y'))))))), e('k:colon', str('z'))));
    const seen: string[] = [];
    walkDocument(d, compileRules({}), {
      leaf: (v, { aad }) => (seen.push(`${(v as { value: string }).value}@${aad}`), v),
      comment: (cm, { aad }) => (seen.push(`#${cm.text.trim()}@${aad}`), cm),
    });
    expect(seen).toEqual(['#top@:', 'x@a:b:', '#in list@a:b:', 'y@a:b:c:', 'z@k:colon:']);
  });

  it('a plaintext comment where an encrypted one is expected is kept, with a warning (old sops files)', () => {
    const enc = encrypt(doc(map(e('a', str('1')))), {});
    const withComment = doc({ kind: 'map', items: [c(' written by sops 2'), ...(enc.document.branches[0]?.items ?? [])] });
    const out = decrypt(withComment, {}, enc.mac);
    expect(out.document).toEqual(doc(map(c(' written by sops 2'), e('a', str('1')))));
    expect(out.warnings).toEqual(['a comment at ":" could not be decrypted and is kept as it is (older sops versions wrote comments in plaintext)']);
  });

  it('a non-string where an encrypted value is expected, or a value that does not decrypt, is an error that leaks nothing', () => {
    const enc = encrypt(doc(map(e('a', str('hunter2')))), {});
    expect(failure(() => decrypt(doc(map(e('a', int(5)))), {}, enc.mac)).message).toBe('expected an encrypted value at "a:", found a int');
    const notEnc = failure(() => decrypt(doc(map(e('a', str('hunter2')))), {}, enc.mac));
    expect([notEnc.code, notEnc.message.includes('hunter2')]).toEqual(['SOPS_VALUE_INVALID', false]);
    const moved = doc(map(e('b', (enc.document.branches[0]?.items[0] as Entry).value)));
    expect(failure(() => decrypt(moved, {}, enc.mac)).message).toMatch(/^could not decrypt the value at "b:": value failed authentication/);
  });

  it('a value encrypted as a comment is refused', () => {
    const text = encryptValue({ kind: 'comment', text: 'x' }, KEY, 'a:', () => random(32));
    expect(failure(() => decrypt(doc(map(e('a', str(text)))), {}, '')).message).toBe('the value at "a:" is an encrypted comment');
  });

  it('ignoreMac returns the tree and says the MAC did not match', () => {
    const enc = encrypt(doc(map(e('a', str('1')))), {});
    const out = decrypt(enc.document, {}, '', true);
    expect([out.macVerified, out.document]).toEqual([false, doc(map(e('a', str('1'))))]);
    expect(failure(() => decrypt(enc.document, {}, '')).code).toBe('SOPS_MAC_MISMATCH');
  });

  it('a stash is tied to its data key: under another key (rotate) every IV is fresh', () => {
    const d = doc(map(e('a', str('1'))));
    const enc = encrypt(d, {});
    const { ivStash } = decrypt(enc.document, {}, enc.mac);
    const other = new Uint8Array(32).fill(1);
    const rotated = encryptDocument(d, { dataKey: other, rules: {}, lastmodified: LASTMODIFIED, ivStash, random: () => new Uint8Array(32) });
    const iv = parseEncValue((rotated.document.branches[0]?.items[0] as { value: { value: string } }).value.value).iv;
    expect(iv).toEqual(new Uint8Array(32));
    expect(IvStash.EMPTY.size).toBe(0);
  });

  it('non-canonical plaintexts (e.g. "+5", "true") are decrypted but their IVs are not reused', () => {
    const iv = new Uint8Array(32).fill(4);
    const { sealEncValue } = { sealEncValue: (p: string, t: string): string => formatEncValue({ ...parseEncValue(encryptValue({ kind: 'string', value: p }, KEY, 'a:', () => iv)), type: t }) };
    const d = doc(map(e('a', str(sealEncValue('+5', 'int')))));
    const h = createHash('sha512').update('5').digest('hex').toUpperCase();
    const mac = encryptValue({ kind: 'string', value: h }, KEY, LASTMODIFIED, () => random(32));
    const out = decrypt(d, {}, mac);
    expect(out.document).toEqual(doc(map(e('a', int(5)))));
    expect(out.ivStash.size).toBe(1); // only the MAC
  });

  it('values are opened in batches, yet the first bad item in walk order is the one reported', () => {
    const enc = encrypt(doc(map(e('a', str('1')), e('b', str('2')))), {});
    const [a, b] = (enc.document.branches[0]?.items ?? []).map((i) => ((i as Entry).value as { value: string }).value) as [string, string];
    const broken = (text: string): string => text.replace(/data:(.)/, (_, ch: string) => `data:${ch === 'A' ? 'B' : 'A'}`);
    const message = (items: Entry[]): string => failure(() => decrypt(doc(map(...items)), {}, enc.mac)).message;
    expect(message([e('a', str(broken(a))), e('b', str('not encrypted'))])).toMatch(/^could not decrypt the value at "a:": value failed authentication/);
    expect(message([e('a', str('not encrypted')), e('b', str(broken(b)))])).toMatch(/^could not decrypt the value at "a:": value does not match/);
    expect(message([e('a', str(broken(a))), e('b', int(5))])).toMatch(/^could not decrypt the value at "a:"/);
    expect(message([e('a', int(5)), e('b', str(broken(b)))])).toBe('expected an encrypted value at "a:", found a int');
    expect(message([e('x_unencrypted', int(2n ** 64n)), e('b', str(broken(b)))])).toBe('integer value does not fit in 64 bits');
  });

  it('a tree larger than a batch round-trips, with large values and comments; a bad value in a later batch is found', () => {
    const items: (Entry | Comment)[] = [c(' top')];
    for (let i = 0; i < 5000; i++) items.push(e(`k${i}`, i % 1000 === 7 ? str(`big ${'x'.repeat(9000)}`) : i % 3 === 0 ? int(i) : str(`value ${i} é`)));
    const d = doc(map(...items));
    const enc = encrypt(d, {});
    expect(decrypt(enc.document, {}, enc.mac).document).toEqual(d);
    const late = enc.document.branches[0]?.items[4801] as Entry;
    const text = (late.value as { value: string }).value.replace(/,tag:(.)/, (_, ch: string) => `,tag:${ch === 'A' ? 'B' : 'A'}`);
    const tampered = doc(map(...(enc.document.branches[0]?.items ?? []).map((item, i) => (i === 4801 ? e(late.key, str(text)) : item))));
    expect(failure(() => decrypt(tampered, {}, enc.mac)).message).toMatch(/^could not decrypt the value at "k4800:": value failed authentication/);
  });

  it('encryption refuses a bad lastmodified before doing anything', () => {
    expect(failure(() => encryptDocument(doc(map()), { dataKey: KEY, rules: {}, lastmodified: 'now', random })).code).toBe('SOPS_METADATA_INVALID');
  });
});
