// @needs-shared vectors: the sops-nix and ragenix test keys open the files it rekeys.
/**
 * Rekey without re-emitting: the new `sops` block spliced after the unchanged data is byte-identical to a
 * full emit (property, fixed seed, every store); staying recipients keep their `enc` byte for byte; files
 * whose block is not where the store writes it are emitted in full; Shamir files are re-split.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIdentities, parseRecipient } from '../../src/age/index.js';
import { createSopsFile, openSopsFile } from '../../src/sops/file.js';
import { writeMetadata } from '../../src/sops/metadata-write.js';
import { type AgeKey } from '../../src/sops/metadata.js';
import { loadSopsFile, rekeySopsFile, spliceMetadata } from '../../src/sops/rekey.js';
import { storeFor, type Format } from '../../src/sops/stores/store.js';
import type { Comment, Document, Entry, MapNode, Value } from '../../src/sops/tree.js';
import { pathToFileURL } from 'node:url';
import { sharedPath } from '../../../../test/support/shared.js';

const SHARED = pathToFileURL(`${sharedPath('vectors')}/`);
const text = (p: string): string => readFileSync(new URL(p, SHARED), 'utf8');
const identities = parseIdentities(text('sops-nix/age-keys.txt'), 'age-keys.txt');
const recipient = parseRecipient('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw');
const other = parseIdentities(text('ragenix/keys/key.txt'), 'ragenix key.txt');
const otherRecipient = parseRecipient('age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk');
const third = parseRecipient('age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p');
const now = new Date('2026-11-23T12:00:00Z');
const numRuns = process.env['SLOW'] ? 200 : 25;
const runs = { numRuns, seed: 17 };

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
const key = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('123', 'true', 'ключ', 'a b', 'x_unencrypted')).filter((k) => !k.startsWith('sops') && k !== '<<' && k.trim() === k && !CONTROL.test(k) && !k.includes('\n'));
const leaf: fc.Arbitrary<Value> = fc.oneof(
  fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', 'multi\nline\n', '#c', 'sops:')).filter((s) => !CONTROL.test(s)).map((value) => ({ kind: 'string' as const, value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ kind: 'int' as const, value })),
  fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
  fc.constant({ kind: 'null' as const }),
);
const comment = fc.string({ minLength: 1, maxLength: 12 }).filter((t) => !/[\n\r]/.test(t) && !CONTROL.test(t) && t.trim() === t).map((t): Comment => ({ kind: 'comment', text: ` ${t}` }));
const mapOf = (value: fc.Arbitrary<Value>, comments: boolean): fc.Arbitrary<MapNode> =>
  fc.uniqueArray(fc.tuple(key, value, comments ? fc.option(comment) : fc.constant(null)), { maxLength: 5, selector: ([k]) => k }).map((pairs) => ({
    kind: 'map',
    items: pairs.flatMap(([k, v, c]): (Entry | Comment)[] => [...(c ? [c] : []), { kind: 'entry', key: k, value: v }]),
  }));
const tree = (comments: boolean): fc.Arbitrary<MapNode> =>
  fc.letrec<{ value: Value; map: MapNode; itemMap: MapNode }>((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, tie('map'), fc.array(fc.oneof(leaf, tie('itemMap')), { maxLength: 3 }).map((items) => ({ kind: 'seq' as const, items }))),
    map: mapOf(tie('value'), comments),
    itemMap: mapOf(tie('value'), false),
  })).map;
const flat = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/).filter((k) => !k.startsWith('sops')), fc.string({ maxLength: 16 }).filter((s) => !/[\u0000-\u001f\u007f\u2028\u2029]/.test(s))), { maxLength: 5, selector: ([k]) => k }).map(
  (pairs): MapNode => ({ kind: 'map', items: pairs.map(([k, v]) => ({ kind: 'entry', key: k, value: { kind: 'string', value: v } })) }),
);

/** A document of each format from the same generated material. */
const documents = fc.tuple(tree(true), fc.option(comment), tree(false), flat, fc.string({ maxLength: 40 })).map(([withComments, last, plain, pairs, data]): [Format, Document][] => [
  // a comment after the last entry too: it ends up right before the block
  ['yaml', { branches: [{ kind: 'map', items: [...withComments.items, ...(last ? [last] : [])] }] }],
  ['json', { branches: [plain] }],
  ['dotenv', { branches: [pairs] }],
  ...(pairs.items.length > 0 ? [['ini', { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'section', value: pairs }] }] }] as [Format, Document]] : []),
  ['binary', { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'data', value: { kind: 'string', value: data } }] }] }],
]);

const ageKeys = (file: Uint8Array, format: Format): AgeKey[] => loadSopsFile(file, format).metadata.keyGroups.flat().filter((k): k is AgeKey => k.type === 'age');

describe('rekey splices the new sops block', () => {
  it('the spliced file is byte-identical to a full emit, in every store (property, fixed seed)', async () => {
    let withOffset = 0;
    await fc.assert(
      fc.asyncProperty(documents, fc.integer({ min: 0, max: 3 }), async (docs, change) => {
        for (const [format, doc] of docs) {
          const file = await createSopsFile(doc, { format, keyGroups: [[recipient]], now });
          const loaded = loadSopsFile(file, format);
          const kept = ageKeys(file, format)[0] as AgeKey;
          const added: AgeKey = { type: 'age', recipient: otherRecipient.text, enc: kept.enc };
          const groups = [[kept, added], [added], [added, kept], [kept]][change] as AgeKey[];
          const node = writeMetadata({ ...loaded.metadata, keyGroups: [groups] });
          const store = storeFor(format);
          const full = Buffer.from(store.emitEncrypted(loaded.document, node)).toString('utf8');
          // YAML: where the store says the block starts, and (as for the other stores) where the old block
          // emitted again is found
          const ways = format === 'yaml' ? [loaded, { ...loaded, metadataOffset: undefined }] : [loaded];
          if (loaded.metadataOffset !== undefined) withOffset++;
          for (const way of ways) {
            const spliced = spliceMetadata(way, node, store);
            expect(spliced, format).not.toBeNull();
            expect(Buffer.from(spliced as Uint8Array).toString('utf8')).toBe(full);
          }
        }
      }),
      runs,
    );
    // about half the generated YAML is within the fast reader's subset: its offsets are tested
    expect(withOffset).toBeGreaterThan(numRuns / 4);
  });

  it('keeps the enc of staying recipients byte for byte and wraps only the new one', async () => {
    const doc: Document = { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'password', value: { kind: 'string', value: 'hunter2' } }] }] };
    for (const format of ['yaml', 'json'] as const) {
      const file = await createSopsFile(doc, { format, keyGroups: [[recipient, third]], now });
      const rekeyed = await rekeySopsFile(loadSopsFile(file, format), { format, identities, keyGroups: [[third, recipient, otherRecipient]] });
      const [a, b] = ageKeys(file, format);
      const after = ageKeys(rekeyed, format);
      expect(after.map((k) => k.recipient)).toEqual([third.text, recipient.text, otherRecipient.text]);
      expect(after[0]?.enc).toBe(b?.enc);
      expect(after[1]?.enc).toBe(a?.enc);
      expect((await openSopsFile(rekeyed, { format, identities: other })).document).toEqual(doc);
      // the data part is untouched: everything before the block is the same bytes
      const cut = format === 'yaml' ? '\nsops:' : '\n\t"sops":';
      const head = (f: Uint8Array): string => Buffer.from(f).toString('utf8').split(cut)[0] as string;
      expect(head(rekeyed)).toBe(head(file));
      // a removed recipient: the others keep theirs
      const removed = await rekeySopsFile(rekeyed, { format, identities: other, keyGroups: [[recipient, otherRecipient]] });
      expect(ageKeys(removed, format).map((k) => k.enc)).toEqual([after[1]?.enc, after[2]?.enc]);
    }
  });

  it('emits in full when the block is not where the store writes it', async () => {
    const doc: Document = { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'a', value: { kind: 'string', value: 'b' } }] }] };
    const yaml = Buffer.from(await createSopsFile(doc, { format: 'yaml', keyGroups: [[recipient]], now })).toString('utf8');
    const [data, block] = yaml.split(/(?=^sops:)/m) as [string, string];
    const cases: [Format, string][] = [
      ['yaml', `${block}${data}`], // sops block first
      ['yaml', `# a\tcomment\n${data}${block.replace(/^ {4}/gm, '  ')}`], // another indentation, and a tab: the full reader's
      ['yaml', `${data}# trailing\n${block}# after\n`], // a comment after the block
    ];
    for (const [format, input] of cases) {
      const bytes = new TextEncoder().encode(input);
      const loaded = loadSopsFile(bytes, format);
      expect(loaded.metadataOffset).toBeUndefined();
      const node = writeMetadata({ ...loaded.metadata, keyGroups: [[...loaded.metadata.keyGroups.flat(), { type: 'age', recipient: third.text, enc: 'x' }]] });
      expect(spliceMetadata(loaded, node, storeFor(format)), input.slice(0, 40)).toBeNull();
    }
    // a block the store would write otherwise (another indentation, an older sops' key order), a BOM,
    // non-ASCII data: the fast reader says where it starts, and only the block is written anew
    const older = block.replace(/^( {4}lastmodified: .*\n)((?:.*\n)*?)( {4}version: .*\n)$/m, '$3$2$1');
    for (const input of [`${data}${block.replace(/^ {4}/gm, '  ')}`, `\ufeff${data}${older}`, `ключ: ü\n${data}${block}`]) {
      const bytes = new TextEncoder().encode(input);
      const loaded = loadSopsFile(bytes, 'yaml');
      expect(loaded.metadataOffset).toBe(Buffer.byteLength(input.slice(0, input.indexOf('sops:'))));
      const node = writeMetadata({ ...loaded.metadata, keyGroups: [[...loaded.metadata.keyGroups.flat(), { type: 'age', recipient: third.text, enc: 'x' }]] });
      const spliced = Buffer.from(spliceMetadata(loaded, node, storeFor('yaml')) as Uint8Array);
      const head = input.slice(0, input.indexOf('sops:'));
      expect(spliced.toString('utf8')).toBe(`${head}${Buffer.from(storeFor('yaml').emitEncrypted({ branches: [{ kind: 'map', items: [] }] }, node)).toString('utf8')}`);
      if (!input.startsWith('\ufeff')) expect(spliced.toString('utf8')).toBe(Buffer.from(storeFor('yaml').emitEncrypted(loaded.document, node)).toString('utf8'));
    }
    // a file sops wrote (sops-nix's vectors): spliced or not, the same bytes as a full emit
    for (const [name, format] of [['secrets.yaml', 'yaml'], ['secrets.json', 'json'], ['secrets.env', 'dotenv'], ['secrets.ini', 'ini'], ['secrets.bin', 'binary']] as const) {
      const loaded = loadSopsFile(new Uint8Array(readFileSync(new URL(`sops-nix/${name}`, SHARED))), format);
      const node = writeMetadata({ ...loaded.metadata, keyGroups: [[...loaded.metadata.keyGroups.flat(), { type: 'age', recipient: third.text, enc: 'x' }]] });
      const spliced = spliceMetadata(loaded, node, storeFor(format));
      if (spliced) expect(Buffer.from(spliced).toString('utf8'), name).toBe(Buffer.from(storeFor(format).emitEncrypted(loaded.document, node)).toString('utf8'));
    }
    // and the result of rekey is then the full emit
    const bytes = new TextEncoder().encode(`${block}${data}`);
    const rekeyed = await rekeySopsFile(bytes, { format: 'yaml', identities, keyGroups: [[recipient, otherRecipient]] });
    const loaded = loadSopsFile(rekeyed, 'yaml');
    expect(Buffer.from(rekeyed).toString('utf8')).toBe(Buffer.from(storeFor('yaml').emitEncrypted(loaded.document, loaded.metadataNode)).toString('utf8'));
    expect(Buffer.from(rekeyed).toString('utf8').startsWith(data)).toBe(true);
  });

  it('the same recipients give back the file byte for byte, an older layout included', async () => {
    const doc: Document = { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'password', value: { kind: 'string', value: 'hunter2' } }] }] };
    for (const format of ['yaml', 'json'] as const) {
      const file = await createSopsFile(doc, { format, keyGroups: [[recipient, third]], now });
      expect(await rekeySopsFile(file, { format, identities, keyGroups: [[recipient, third]] })).toEqual(file);
    }
    // sops ≤ 3.9 wrote version before lastmodified and empty lists: kept as it is when nothing changes
    const yaml = Buffer.from(await createSopsFile(doc, { format: 'yaml', keyGroups: [[recipient]], now })).toString('utf8');
    const older = new TextEncoder().encode(yaml.replace(/^( {4}lastmodified: .*\n)((?:.*\n)*?)( {4}version: .*\n)$/m, '    kms: []\n$3$2$1'));
    expect(Buffer.from(older).toString('utf8')).toContain('kms: []');
    expect(await rekeySopsFile(older, { format: 'yaml', identities, keyGroups: [[recipient]] })).toEqual(older);
  });

  it('multi-document YAML and Shamir groups take the full path', async () => {
    const doc: Document = { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'a', value: { kind: 'string', value: 'b' } }] }, { kind: 'map', items: [{ kind: 'entry', key: 'c', value: { kind: 'string', value: 'd' } }] }] };
    const multi = await createSopsFile(doc, { format: 'yaml', keyGroups: [[recipient]], now });
    const rekeyed = await rekeySopsFile(multi, { format: 'yaml', identities, keyGroups: [[recipient, otherRecipient]] });
    expect((await openSopsFile(rekeyed, { format: 'yaml', identities: other })).document).toEqual(doc);
    const shamir = await createSopsFile(doc, { format: 'yaml', keyGroups: [[recipient], [otherRecipient]], shamirThreshold: 2, now });
    const resplit = await rekeySopsFile(shamir, { format: 'yaml', identities: [...identities, ...other], keyGroups: [[recipient], [otherRecipient, third]] });
    const before = ageKeys(shamir, 'yaml');
    const after = ageKeys(resplit, 'yaml');
    expect(after).toHaveLength(3);
    expect(after.some((k) => before.some((b) => b.enc === k.enc))).toBe(false);
    expect((await openSopsFile(resplit, { format: 'yaml', identities: [...identities, ...other] })).document).toEqual(doc);
  });
});
