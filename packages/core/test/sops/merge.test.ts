/**
 * Three-way merge of sops files: tree rules (maps, lists, comments, deletions, conflicts), stable
 * ciphertext for values one side or neither changed, key groups merged (one side, both sides, rotation),
 * the encrypted conflict record and its conflict markers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateX25519Identity, identityToRecipient, parseIdentities, parseRecipient } from '../../src/age/index.js';
import { createSopsFile, openSopsFile, rotateSopsFile, updateSopsFile } from '../../src/sops/file.js';
import { conflictMarkerText, hasConflictMarkers, hasMergeConflict, openMergeConflict } from '../../src/sops/merge-conflict.js';
import { mergeSopsFiles } from '../../src/sops/merge-file.js';
import { mergeDocuments } from '../../src/sops/merge-tree.js';
import { rekeySopsFile } from '../../src/sops/rekey.js';
import { storeFor, type Format } from '../../src/sops/stores/store.js';
import type { Document, Entry } from '../../src/sops/tree.js';

const now = new Date('2026-12-01T10:00:00Z');
const later = new Date('2026-12-02T10:00:00Z');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function person(): Promise<{ identity: ReturnType<typeof parseIdentities>; recipient: ReturnType<typeof parseRecipient> }> {
  const secret = await generateX25519Identity();
  return { identity: parseIdentities(secret, 'test'), recipient: parseRecipient(await identityToRecipient(secret)) };
}

const alice = await person();
const bob = await person();
const carol = await person();
const ids = [...alice.identity, ...bob.identity, ...carol.identity];

async function create(text: string, format: Format = 'yaml', recipients = [alice.recipient]): Promise<Uint8Array> {
  return createSopsFile(storeFor(format).loadPlain(enc(text)), { format, keyGroups: [recipients], now });
}
async function change(file: Uint8Array, text: string, format: Format = 'yaml'): Promise<Uint8Array> {
  const opened = await openSopsFile(file, { format, identities: ids });
  return updateSopsFile(opened, storeFor(format).loadPlain(enc(text)), { now: later });
}
async function plain(file: Uint8Array, format: Format = 'yaml'): Promise<string> {
  return dec(storeFor(format).emitPlain((await openSopsFile(file, { format, identities: ids })).document));
}
const merge = (base: Uint8Array, ours: Uint8Array, theirs: Uint8Array, format: Format = 'yaml') => mergeSopsFiles({ base, ours, theirs }, { format, identities: ids, now: new Date('2026-12-03T10:00:00Z') });
const encLine = (file: Uint8Array, key: string): string => (dec(file).split('\n').find((l) => l.trimStart().startsWith(`${key}:`)) as string).trim();

describe('mergeDocuments', () => {
  const doc = (text: string) => storeFor('yaml').loadPlain(enc(text));
  const show = (d: ReturnType<typeof doc>) => dec(storeFor('yaml').emitPlain(d));
  it('takes each side\'s change, keeps ours order, places their new keys after their predecessor', () => {
    const r = mergeDocuments(doc('a: 1\nb: 2\nc: 3\n'), doc('a: 10\nb: 2\nc: 3\nd: 4\n'), doc('a: 1\nb: 2\nx: 9\nc: 30\n'));
    expect(r.conflicts).toEqual([]);
    expect(show(r.ours)).toBe('a: 10\nb: 2\nx: 9\nc: 30\nd: 4\n');
  });
  it('nested maps merge per key; a deletion on one side wins over no change', () => {
    const r = mergeDocuments(doc('db:\n    user: u\n    pw: p\nold: 1\n'), doc('db:\n    user: u2\n    pw: p\nold: 1\n'), doc('db:\n    user: u\n    pw: p2\n'));
    expect(r.conflicts).toEqual([]);
    expect(show(r.ours)).toBe('db:\n    user: u2\n    pw: p2\n');
  });
  it('both changed one value: conflict, with both answers', () => {
    const r = mergeDocuments(doc('a: 1\nb: 2\n'), doc('a: ours\nb: 2\n'), doc('a: theirs\nb: 3\n'));
    expect(r.conflicts).toEqual([['a']]);
    expect(show(r.ours)).toBe('a: ours\nb: 3\n');
    expect(show(r.theirs)).toBe('a: theirs\nb: 3\n');
  });
  it('deleted on one side and changed on the other: conflict; same change on both sides: none', () => {
    const r = mergeDocuments(doc('a: 1\nb: 2\n'), doc('b: 2\n'), doc('a: 5\nb: 2\n'));
    expect(r.conflicts).toEqual([['a']]);
    expect(show(r.ours)).toBe('b: 2\n');
    expect(mergeDocuments(doc('a: 1\n'), doc('a: 2\n'), doc('a: 2\n')).conflicts).toEqual([]);
  });
  it('lists of the same length merge per index; other list changes on both sides conflict', () => {
    const same = mergeDocuments(doc('l:\n    - a\n    - b\n'), doc('l:\n    - A\n    - b\n'), doc('l:\n    - a\n    - B\n'));
    expect(show(same.ours)).toBe('l:\n    - A\n    - B\n');
    expect(mergeDocuments(doc('l:\n    - a\n'), doc('l:\n    - a\n    - b\n'), doc('l:\n    - c\n')).conflicts).toEqual([['l']]);
  });
  it('large mappings merge in linear time (no quadratic key lookups)', () => {
    const many = (n: number, tweak: (i: number) => string) => doc(Array.from({ length: n }, (_, i) => `k${i}: ${tweak(i)}\n`).join(''));
    const n = 20_000;
    const r = mergeDocuments(many(n, () => 'v'), many(n, (i) => (i === 1 ? 'o' : 'v')), many(n, (i) => (i === n - 1 ? 't' : 'v')));
    expect(r.conflicts).toEqual([]);
    const items = (r.ours.branches[0]?.items ?? []) as unknown as { key: string; value: { value: string } }[];
    expect([items[1]?.value.value, items[n - 1]?.value.value, items.length]).toEqual(['o', 't', n]);
  });
  it('comments travel with their key; an unchanged NaN is no conflict', () => {
    const r = mergeDocuments(doc('# about a\na: 1\nx: .nan\n'), doc('# about a, edited\na: 1\nx: .nan\n'), doc('# about a\na: 2\nx: .nan\n'));
    expect(r.conflicts).toEqual([]);
    expect(show(r.ours)).toBe('# about a, edited\na: 2\nx: .nan\n');
  });
});

describe('mergeSopsFiles', () => {
  it('different values changed: merged plaintext; untouched values keep their ciphertext, changed ones the changing side\'s', async () => {
    const base = await create('a: 1\nb: 2\nc: 3\n');
    const ours = await change(base, 'a: 10\nb: 2\nc: 3\n');
    const theirs = await change(base, 'a: 1\nb: 2\nc: 30\n');
    const r = await merge(base, ours, theirs);
    expect(r.conflicts).toEqual([]);
    expect(await plain(r.bytes)).toBe('a: 10\nb: 2\nc: 30\n');
    expect(encLine(r.bytes, 'b')).toBe(encLine(base, 'b'));
    expect(encLine(r.bytes, 'a')).toBe(encLine(ours, 'a'));
    expect(encLine(r.bytes, 'c')).toBe(encLine(theirs, 'c'));
    expect(hasMergeConflict((await openSopsFile(r.bytes, { format: 'yaml', identities: ids })).metadata)).toBe(false);
  });
  it('one side unchanged: the other side\'s file byte for byte', async () => {
    const base = await create('a: 1\n');
    const theirs = await change(base, 'a: 2\n');
    expect(dec((await merge(base, base, theirs)).bytes)).toBe(dec(theirs));
  });
  it('dotenv, INI, JSON: per key', async () => {
    for (const [format, b, o, t, want] of [
      ['dotenv', 'A=1\nB=2\n', 'A=10\nB=2\n', 'A=1\nB=20\n', 'A=10\nB=20\n'],
      ['ini', '[s]\na = 1\nb = 2\n', '[s]\na = 10\nb = 2\n', '[s]\na = 1\nb = 20\n', '[s]\na = 10\nb = 20\n'],
      ['json', '{"a": 1, "b": 2}', '{"a": 10, "b": 2}', '{"a": 1, "b": 20}', '{\n\t"a": 10,\n\t"b": 20\n}'],
    ] as const) {
      const base = await create(b, format);
      const r = await merge(base, await change(base, o, format), await change(base, t, format), format);
      expect(r.conflicts).toEqual([]);
      expect((await plain(r.bytes, format)).trim()).toBe(want.trim());
    }
  });
  it('binary: conflict when both changed, the other side when one did', async () => {
    const base = await create('one', 'binary');
    const ours = await change(base, 'two', 'binary');
    expect((await merge(base, ours, await change(base, 'three', 'binary'), 'binary')).conflicts).toEqual(['["data"]']);
    expect(await plain((await merge(base, ours, base, 'binary')).bytes, 'binary')).toBe('two');
  });
  it('recipients added on one side are kept while the other side changes a value (enc block byte for byte)', async () => {
    const base = await create('a: 1\nb: 2\n');
    const ours = await rekeySopsFile(base, { format: 'yaml', identities: ids, keyGroups: [[alice.recipient, bob.recipient]] });
    const theirs = await change(base, 'a: 1\nb: 20\n');
    const r = await merge(base, ours, theirs);
    const opened = await openSopsFile(r.bytes, { format: 'yaml', identities: bob.identity });
    expect(dec(storeFor('yaml').emitPlain(opened.document))).toBe('a: 1\nb: 20\n');
    const bobEnc = (f: Uint8Array) => (dec(f).match(/recipient: age1[\s\S]*?-----END AGE ENCRYPTED FILE-----/g) ?? []).find((m) => m.includes(bob.recipient.text));
    expect(bobEnc(r.bytes)).toBe(bobEnc(ours));
  });
  it('recipients changed on both sides merge as sets; a rotation on one side gives its data key', async () => {
    const base = await create('a: 1\n', 'yaml', [alice.recipient, bob.recipient]);
    const ours = await rekeySopsFile(base, { format: 'yaml', identities: ids, keyGroups: [[alice.recipient, bob.recipient, carol.recipient]] });
    const rotated = await rotateSopsFile(await openSopsFile(base, { format: 'yaml', identities: ids }), { keyGroups: [[alice.recipient]], now: later });
    const r = await merge(base, ours, rotated);
    const m = (await openSopsFile(r.bytes, { format: 'yaml', identities: alice.identity })).metadata;
    expect(m.keyGroups[0]?.map((k) => (k.type === 'age' ? k.recipient : ''))).toEqual([alice.recipient.text, carol.recipient.text]);
    const theirKey = (await openSopsFile(rotated, { format: 'yaml', identities: ids })).dataKey;
    expect((await openSopsFile(r.bytes, { format: 'yaml', identities: carol.identity })).dataKey).toEqual(theirKey);
    await expect(openSopsFile(r.bytes, { format: 'yaml', identities: bob.identity })).rejects.toMatchObject({ code: 'SOPS_DATA_KEY_UNAVAILABLE' });
  });
  it('both rotated: a new data key', async () => {
    const base = await create('a: 1\n', 'yaml', [alice.recipient, bob.recipient, carol.recipient]);
    const opened = await openSopsFile(base, { format: 'yaml', identities: ids });
    const ours = await rotateSopsFile(opened, { keyGroups: [[alice.recipient, bob.recipient]], now: later });
    const theirs = await rotateSopsFile(opened, { keyGroups: [[alice.recipient, carol.recipient]], now: later });
    const r = await merge(base, ours, theirs);
    const key = (f: Uint8Array) => openSopsFile(f, { format: 'yaml', identities: alice.identity }).then((o) => Buffer.from(o.dataKey).toString('hex'));
    const merged = await openSopsFile(r.bytes, { format: 'yaml', identities: alice.identity });
    expect(merged.metadata.keyGroups[0]?.length).toBe(1);
    expect([await key(ours), await key(theirs)]).not.toContain(Buffer.from(merged.dataKey).toString('hex'));
  });
  it('a conflict: our side in the values, their side in an encrypted record; markers around the difference only', async () => {
    const base = await create('a: 1\nb: 2\nc: 3\n');
    const ours = await change(base, 'a: ours\nb: 2\nc: 3\n');
    const theirs = await change(base, 'a: theirs\nb: 2\nc: 30\n');
    const r = await merge(base, ours, theirs);
    expect(r.conflicts).toEqual(['["a"]']);
    expect(dec(r.bytes)).not.toContain('theirs');
    expect(dec(r.bytes)).toMatch(/^ {4}merge_conflict: ENC\[AES256_GCM,/m);
    const opened = await openSopsFile(r.bytes, { format: 'yaml', identities: ids });
    expect(dec(storeFor('yaml').emitPlain(opened.document))).toBe('a: ours\nb: 2\nc: 30\n');
    const conflict = openMergeConflict(opened.metadata, opened.dataKey);
    expect(conflict?.paths).toEqual(['["a"]']);
    const text = conflictMarkerText(storeFor('yaml').emitPlain(opened.document), conflict?.theirs as Uint8Array);
    expect(dec(text)).toBe('<<<<<<< ours\na: ours\n=======\na: theirs\n>>>>>>> theirs\nb: 2\nc: 30\n');
    expect(hasConflictMarkers(text)).toBe(true);
    expect(hasConflictMarkers(enc('a: "=======x"\n'))).toBe(false);
    // A side that still has a conflict is not merged again.
    await expect(merge(base, r.bytes, theirs)).rejects.toMatchObject({ code: 'SOPS_MERGE_CONFLICT' });
  });
  it('the conflict record survives every store (flattened metadata included)', async () => {
    for (const [format, b, o, t] of [
      ['dotenv', 'A=1\n', 'A=2\n', 'A=3\n'],
      ['ini', '[s]\na = 1\n', '[s]\na = 2\n', '[s]\na = 3\n'],
      ['json', '{"a": 1}', '{"a": 2}', '{"a": 3}'],
      ['binary', 'one', 'two', 'three'],
    ] as const) {
      const base = await create(b, format);
      const r = await merge(base, await change(base, o, format), await change(base, t, format), format);
      expect(r.conflicts.length).toBe(1);
      const opened = await openSopsFile(r.bytes, { format, identities: ids });
      const conflict = openMergeConflict(opened.metadata, opened.dataKey);
      expect(dec(conflict?.theirs as Uint8Array)).toContain(format === 'binary' ? 'three' : '3');
      expect(await plain(r.bytes, format)).toContain(format === 'binary' ? 'two' : '2');
    }
  });
  it('a record copied into another version of the file does not open', async () => {
    const base = await create('a: 1\n');
    const r = await merge(base, await change(base, 'a: 2\n'), await change(base, 'a: 3\n'));
    const opened = await openSopsFile(r.bytes, { format: 'yaml', identities: ids });
    expect(() => openMergeConflict({ ...opened.metadata, lastmodified: '2027-01-01T00:00:00Z' }, opened.dataKey)).toThrow(/does not open/);
  });
  it('added on both sides (empty base): values and recipients merged, a new data key', async () => {
    const ours = await create('a: 1\nb: 2\n', 'yaml', [alice.recipient]);
    const theirs = await create('a: 1\nc: 3\n', 'yaml', [bob.recipient]);
    const r = await merge(new Uint8Array(0), ours, theirs);
    expect(r.conflicts).toEqual([]);
    const opened = await openSopsFile(r.bytes, { format: 'yaml', identities: bob.identity });
    expect(dec(storeFor('yaml').emitPlain(opened.document))).toBe('a: 1\nc: 3\nb: 2\n'); // c after a, where they put it
    expect(opened.metadata.keyGroups[0]?.length).toBe(2);
  });
  it('Shamir groups changed on one side are taken; changed on both sides, refused', async () => {
    const doc = storeFor('yaml').loadPlain(enc('a: 1\n'));
    const base = await createSopsFile(doc, { format: 'yaml', keyGroups: [[alice.recipient], [bob.recipient]], shamirThreshold: 2, now });
    const rekey = (groups: ReturnType<typeof parseRecipient>[][]) => rekeySopsFile(base, { format: 'yaml', identities: ids, keyGroups: groups, shamirThreshold: 2 });
    const ours = await rekey([[alice.recipient, carol.recipient], [bob.recipient]]);
    const oneSide = await merge(base, ours, await change(base, 'a: 2\n'));
    const opened = await openSopsFile(oneSide.bytes, { format: 'yaml', identities: ids });
    expect([dec(storeFor('yaml').emitPlain(opened.document)), opened.metadata.keyGroups.map((g) => g.length)]).toEqual(['a: 2\n', [2, 1]]);
    await expect(merge(base, ours, await rekey([[alice.recipient], [bob.recipient, carol.recipient]]))).rejects.toMatchObject({ code: 'SOPS_MERGE_CONFLICT', message: expect.stringContaining('Shamir') });
  });
  it('selection rules changed differently on both sides: refused', async () => {
    const withRule = (regex: string) => createSopsFile(storeFor('yaml').loadPlain(enc('a: 1\n')), { format: 'yaml', keyGroups: [[alice.recipient]], rules: { encryptedRegex: regex }, now });
    const base = await create('a: 1\n');
    await expect(merge(base, await withRule('^a$'), await withRule('^b$'))).rejects.toMatchObject({ code: 'SOPS_MERGE_CONFLICT', message: expect.stringContaining('encryption rules') });
  });
  it('no key: fails before producing anything', async () => {
    const base = await create('a: 1\n');
    await expect(mergeSopsFiles({ base, ours: base, theirs: base }, { format: 'yaml', identities: [], now })).rejects.toMatchObject({ code: 'AGE_NO_IDENTITIES' });
  });
});

describe('properties (fixed seed)', () => {
  const runs = { numRuns: process.env['SLOW'] ? 500 : 100 };

  /** Keeps one side of every conflict hunk. */
  function resolve(text: string, side: 'ours' | 'theirs'): string {
    let out = '';
    let state: 'plain' | 'ours' | 'theirs' = 'plain';
    for (const line of text.split(/(?<=\n)/)) {
      if (line === '<<<<<<< ours\n') state = 'ours';
      else if (line === '=======\n' && state === 'ours') state = 'theirs';
      else if (line === '>>>>>>> theirs\n' && state === 'theirs') state = 'plain';
      else if (state === 'plain' || state === side) out += line;
    }
    return out;
  }

  it('conflict markers: keeping one side of every hunk gives that side back exactly', () => {
    const text = fc.array(fc.constantFrom('a: 1', 'b: 2', 'c: 3', '    d: x', ''), { maxLength: 12 }).map((lines) => lines.map((l) => `${l}\n`).join(''));
    fc.assert(
      fc.property(text, text, (ours, theirs) => {
        const marked = dec(conflictMarkerText(enc(ours), enc(theirs)));
        expect(resolve(marked, 'ours')).toBe(ours);
        expect(resolve(marked, 'theirs')).toBe(theirs);
        expect(hasConflictMarkers(enc(marked))).toBe(ours !== theirs);
      }),
      runs,
    );
  });

  it('flat maps: each key follows the three-way rule; conflicts exactly where both changed it differently', () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const version = fc.array(fc.option(fc.constantFrom('1', '2', '3'), { nil: undefined }), { minLength: keys.length, maxLength: keys.length });
    const toDoc = (values: (string | undefined)[]): Document => ({
      branches: [{ kind: 'map', items: keys.flatMap((k, i): Entry[] => (values[i] === undefined ? [] : [{ kind: 'entry', key: k, value: { kind: 'string', value: values[i] } }])) }],
    });
    fc.assert(
      fc.property(version, version, version, (b, o, t) => {
        const r = mergeDocuments(toDoc(b), toDoc(o), toDoc(t));
        const got = new Map((r.ours.branches[0]?.items ?? []).map((e) => [(e as Entry).key, ((e as Entry).value as { value: string }).value]));
        const conflicts: string[] = [];
        keys.forEach((k, i) => {
          const want = o[i] === t[i] ? o[i] : b[i] === o[i] ? t[i] : b[i] === t[i] ? o[i] : (conflicts.push(k), o[i]);
          expect(got.get(k)).toBe(want);
        });
        // In merged key order, which places a key only they have after its predecessor on their side.
        expect(r.conflicts.map((p) => p[0]).sort()).toEqual(conflicts.sort());
      }),
      runs,
    );
  });
});
