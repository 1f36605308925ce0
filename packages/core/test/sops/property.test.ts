// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * Properties of the whole engine: random trees through encrypt → decrypt are the identity in every
 * store; any tampering (a flipped character, swapped values, a removed key) is detected and releases no
 * plaintext; rekey keeps values; rotate changes the data key.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIdentities, parseRecipient } from '../../src/age/index.js';
import { SecretsError } from '../../src/errors.js';
import { createSopsFile, openSopsFile, rotateSopsFile } from '../../src/sops/file.js';
import { rekeySopsFile } from '../../src/sops/rekey.js';
import { readMetadata } from '../../src/sops/metadata-read.js';
import { writeMetadata } from '../../src/sops/metadata-write.js';
import { storeFor, type Format } from '../../src/sops/stores/store.js';
import type { Comment, Document, Entry, MapNode, Value } from '../../src/sops/tree.js';
import { sharedPath } from '../../../../test/support/shared.js';
import { pathToFileURL } from 'node:url';

const SHARED = pathToFileURL(`${sharedPath('vectors')}/`);
const text = (p: string): string => readFileSync(new URL(p, SHARED), 'utf8');
const identities = parseIdentities(text('sops-nix/age-keys.txt'), 'age-keys.txt');
const recipient = parseRecipient('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw');
const other = parseIdentities(text('ragenix/keys/key.txt'), 'ragenix key.txt');
const otherRecipient = parseRecipient('age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk');
const numRuns = process.env['SLOW'] ? 300 : 20;
const now = new Date('2026-11-23T12:00:00Z');

const key = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('123', '1e3', 'true', 'null', '0x1F', 'ключ', '🔑', 'a b', 'x_unencrypted'))// `<<` is YAML's merge key: go-yaml writes it as `!!merge <<`, so it cannot be an ordinary key in sops YAML.
  .filter((k) => !k.startsWith('sops') && k !== '<<' && k.trim() === k && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(k));
const str = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', 'true', '1.5', '012', '~', '- a', 'a: b', '#c', 'multi\nline\n', 'é\u00e9', '0x10')).filter((s) => !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(s));
const leaf: fc.Arbitrary<Value> = fc.oneof(
  str.map((value) => ({ kind: 'string' as const, value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ kind: 'int' as const, value })),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((v) => !Number.isInteger(v)).map((value) => ({ kind: 'float' as const, value })),
  fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
  fc.constant({ kind: 'null' as const }),
);
const comment = fc.string({ minLength: 1, maxLength: 12 }).filter((t) => !/[\n\r\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(t) && t.trim() === t).map((t): Comment => ({ kind: 'comment', text: ` ${t}` }));

function mapOf(value: fc.Arbitrary<Value>, withComments: boolean): fc.Arbitrary<MapNode> {
  return fc.uniqueArray(fc.tuple(key, value, withComments ? fc.option(comment) : fc.constant(null)), { maxLength: 5, selector: ([k]) => k }).map((pairs) => ({
    kind: 'map',
    items: pairs.flatMap(([k, v, c]): (Entry | Comment)[] => [...(c ? [c] : []), { kind: 'entry', key: k, value: v }]),
  }));
}

// Maps that are list items carry no comments: go-yaml cannot place a head comment on the first key of a
// mapping inside a sequence (it writes `- # c`), so such a tree has no YAML form sops could write either.
// go-yaml resolves plain timestamps to time.Time (type:time); only YAML has them.
const time = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
  // canonical RFC3339Nano, as Go marshals it: trailing fractional zeros trimmed (.600Z → .6Z)
  .map((d) => ({ kind: 'time' as const, value: d.toISOString().replace(/(\.\d*?)0+Z$/, '$1Z').replace(/\.Z$/, 'Z') }));

const tree = (withComments: boolean): fc.Arbitrary<MapNode> =>
  fc.letrec<{ value: Value; map: MapNode; itemMap: MapNode }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, withComments ? fc.oneof(leaf, time) : leaf, tie('map'), fc.array(fc.oneof(leaf, tie('itemMap')), { maxLength: 3 }).map((items) => ({ kind: 'seq' as const, items }))),
    map: mapOf(tie('value'), withComments),
    itemMap: mapOf(tie('value'), false),
  })).map;

const flatStrings = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/).filter((k) => !k.startsWith('sops')), fc.string({ maxLength: 16 }).filter((s) => !/[\u0000-\u001f\u007f\u2028\u2029]/.test(s))), { maxLength: 5, selector: ([k]) => k }).map(
  (pairs): MapNode => ({ kind: 'map', items: pairs.map(([k, v]) => ({ kind: 'entry', key: k, value: { kind: 'string', value: v } })) }),
);

async function roundTrip(doc: Document, format: Format): Promise<Document> {
  const file = await createSopsFile(doc, { format, keyGroups: [[recipient]], now });
  return (await openSopsFile(file, { format, identities })).document;
}

describe('encrypt → decrypt is the identity', () => {
  it('YAML: all scalar kinds (time included), unicode and numeric-looking keys, nested maps and lists, comments', async () => {
    await fc.assert(
      fc.asyncProperty(tree(true), async (root) => {
        expect(await roundTrip({ branches: [root] }, 'yaml')).toEqual({ branches: [root] });
      }),
      { numRuns },
    );
  });
  it('JSON: the same without comments', async () => {
    await fc.assert(
      fc.asyncProperty(tree(false), async (root) => {
        expect(await roundTrip({ branches: [root] }, 'json')).toEqual({ branches: [root] });
      }),
      { numRuns },
    );
  });
  it('dotenv and INI (flat strings), binary (one string)', async () => {
    await fc.assert(
      fc.asyncProperty(flatStrings, fc.string({ maxLength: 40 }), async (flat, data) => {
        expect(await roundTrip({ branches: [flat] }, 'dotenv')).toEqual({ branches: [flat] });
        const ini: MapNode = { kind: 'map', items: [{ kind: 'entry', key: 'section', value: flat }] };
        // ini.v1 always has a DEFAULT section; empty, it is not written, so drop it before comparing.
        const withoutEmptyDefault = (d: Document): Document => ({
          branches: d.branches.map((b) => ({ kind: 'map', items: b.items.filter((i) => !(i.kind === 'entry' && i.key === 'DEFAULT' && i.value.kind === 'map' && i.value.items.length === 0)) })),
        });
        if (flat.items.length > 0) expect(withoutEmptyDefault(await roundTrip({ branches: [ini] }, 'ini'))).toEqual({ branches: [ini] });
        const bin: Document = { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'data', value: { kind: 'string', value: data } }] }] };
        expect(await roundTrip(bin, 'binary')).toEqual(bin);
      }),
      { numRuns },
    );
  });
});

/** Paths of the encrypted leaves (strings holding ENC[…]) of a tree. */
function encLeaves(v: Value, path: (string | number)[] = []): (string | number)[][] {
  if (v.kind === 'map') return v.items.flatMap((i) => (i.kind === 'entry' ? encLeaves(i.value, [...path, i.key]) : []));
  if (v.kind === 'seq') return v.items.flatMap((i, n) => (i.kind === 'comment' ? [] : encLeaves(i, [...path, n])));
  return v.kind === 'string' && v.value.startsWith('ENC[') ? [path] : [];
}
function update(v: Value, path: readonly (string | number)[], f: (old: Value) => Value | undefined): Value {
  if (path.length === 0) return f(v) ?? v;
  const [head, ...rest] = path;
  if (v.kind === 'map') {
    return { kind: 'map', items: v.items.flatMap((i) => (i.kind === 'entry' && i.key === head ? (rest.length === 0 && f(i.value) === undefined ? [] : [{ ...i, value: update(i.value, rest, f) }]) : [i])) };
  }
  if (v.kind === 'seq') return { kind: 'seq', items: v.items.map((i, n) => (n === head && i.kind !== 'comment' ? update(i, rest, f) : i)) };
  return v;
}
const get = (v: Value, path: readonly (string | number)[]): Value => path.reduce<Value>((n, p) => (n.kind === 'map' ? (n.items.find((i) => i.kind === 'entry' && i.key === p) as Entry).value : n.kind === 'seq' ? (n.items[p as number] as Value) : n), v);

describe('tampering is always detected, and no plaintext is released', () => {
  const store = storeFor('yaml');
  async function expectRejected(_original: Document, metadata: MapNode, tampered: Document): Promise<void> {
    const bytes = store.emitEncrypted(tampered, metadata);
    const outcome = await openSopsFile(bytes, { format: 'yaml', identities }).then(
      () => 'opened',
      (e: unknown) => (e instanceof SecretsError ? e.code : `unexpected ${String(e)}`),
    );
    expect(['SOPS_VALUE_INVALID', 'SOPS_MAC_MISMATCH']).toContain(outcome);
  }
  const encrypted = fc.asyncProperty(tree(false), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 2 }), async (root, a, b, mode) => {
    const file = await createSopsFile({ branches: [root] }, { format: 'yaml', keyGroups: [[recipient]], now });
    const { document, metadata } = store.loadEncrypted(file);
    const branch = document.branches[0] as MapNode;
    const leaves = encLeaves(branch);
    fc.pre(leaves.length >= (mode === 1 ? 2 : 1));
    const p = leaves[a % leaves.length] as (string | number)[];
    let tampered: Value;
    if (mode === 0) {
      // flip one character of the base64 data
      tampered = update(branch, p, (old) => {
        const s = (old as { value: string }).value;
        const at = s.indexOf('data:') + 5;
        return { kind: 'string', value: s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1) };
      });
    } else if (mode === 1) {
      const q = leaves.filter((l) => l !== p)[b % (leaves.length - 1)] as (string | number)[];
      const [vp, vq] = [get(branch, p), get(branch, q)];
      // Swapping two equal plaintexts (e.g. two `true` items of one list) changes nothing: not tampering.
      const plaintext = (path: (string | number)[]): string => JSON.stringify(get(root, path), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
      fc.pre(plaintext(p) !== plaintext(q));
      tampered = update(update(branch, p, () => vq), q, () => vp);
    } else {
      // remove a whole top-level key that holds an encrypted value
      fc.pre(typeof p[0] === 'string');
      tampered = { kind: 'map', items: branch.items.filter((i) => !(i.kind === 'entry' && i.key === p[0])) };
    }
    await expectRejected({ branches: [root] }, metadata, { branches: [tampered as MapNode] });
  });
  it('flipped character, swapped values, removed key', async () => {
    await fc.assert(encrypted, { numRuns: numRuns * 2 });
  });
});

describe('rekey and rotate', () => {
  const doc: Document = { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'password', value: { kind: 'string', value: 'hunter2' } }] }] };

  it('rekey adds a recipient: same data key, values/MAC/lastmodified untouched; only the sops block changes', async () => {
    const file = await createSopsFile(doc, { format: 'yaml', keyGroups: [[recipient]], now });
    const rekeyed = await rekeySopsFile(file, { format: 'yaml', identities, keyGroups: [[recipient, otherRecipient]] });
    const before = Buffer.from(file).toString();
    const after = Buffer.from(rekeyed).toString();
    expect(after.split('sops:')[0]).toBe(before.split('sops:')[0]);
    const mac = (s: string): string | undefined => /mac: (ENC\[[^\]]+\])/.exec(s)?.[1];
    expect(mac(after)).toBe(mac(before));
    expect((await openSopsFile(rekeyed, { format: 'yaml', identities: other })).document).toEqual(doc);
    const [o1, o2] = await Promise.all([openSopsFile(file, { format: 'yaml', identities }), openSopsFile(rekeyed, { format: 'yaml', identities: other })]);
    expect(o2.dataKey).toEqual(o1.dataKey);
  });

  it('rotate: a new data key; a removed recipient cannot open the new file', async () => {
    const file = await createSopsFile(doc, { format: 'yaml', keyGroups: [[recipient, otherRecipient]], now });
    const opened = await openSopsFile(file, { format: 'yaml', identities });
    const rotated = await rotateSopsFile(opened, { keyGroups: [[recipient]], now });
    const reopened = await openSopsFile(rotated, { format: 'yaml', identities });
    expect(reopened.document).toEqual(doc);
    expect(reopened.dataKey).not.toEqual(opened.dataKey);
    await expect(openSopsFile(rotated, { format: 'yaml', identities: other })).rejects.toMatchObject({ code: 'SOPS_DATA_KEY_UNAVAILABLE' });
  });

  it('PGP-only files keep their PGP entries unchanged through the metadata model', () => {
    for (const [name, format] of [['secrets.json', 'json'], ['secrets.env', 'dotenv'], ['secrets.ini', 'ini'], ['secrets.bin', 'binary']] as const) {
      const { metadata } = storeFor(format).loadEncrypted(new Uint8Array(readFileSync(new URL(`sops-nix/${name}`, SHARED))));
      const pgp = (m: MapNode): unknown => JSON.stringify((m.items.find((i) => i.kind === 'entry' && i.key === 'pgp') as Entry).value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
      const sorted = (v: string): string => JSON.stringify(JSON.parse(v), (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) && 'items' in x && Array.isArray(x.items) ? { ...x, items: [...x.items].sort((p: Entry, q: Entry) => (p.key < q.key ? -1 : 1)) } : x));
      expect(sorted(pgp(writeMetadata(readMetadata(metadata))) as string)).toBe(sorted(pgp(metadata) as string));
    }
  });
});
