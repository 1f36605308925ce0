/**
 * The direct writer of a YAML `sops:` block gives exactly what the general emitter gives, or declines
 * (property, fixed seed); the blocks rekey writes take it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRecipient } from '../../../src/age/index.js';
import { createSopsFile } from '../../../src/sops/file.js';
import { loadSopsFile } from '../../../src/sops/rekey.js';
import { storeFor } from '../../../src/sops/stores/store.js';
import { emitDataDirect, emitSopsBlock } from '../../../src/sops/stores/yaml-sops-block.js';
import type { Entry, MapNode, Value } from '../../../src/sops/tree.js';

const runs = { numRuns: process.env['SLOW'] ? 2000 : 300, seed: 23 };
const general = (block: MapNode, indent: number): string =>
  Buffer.from(storeFor('yaml', { indent }).emitPlain({ branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'sops', value: block }] }] })).toString('utf8');

const armor = fc.array(fc.stringMatching(/^[A-Za-z0-9+/=-]{1,64}$/), { minLength: 1, maxLength: 5 }).map((lines) => `-----BEGIN AGE ENCRYPTED FILE-----\n${lines.join('\n')}\n-----END AGE ENCRYPTED FILE-----\n`);
const b64 = (max: number, min = 1): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[A-Za-z0-9+/=]{${min},${max}}$`));
// The shapes the writer styles without analysis (age armor, sops values), and near misses of them.
const sopsShaped = fc.oneof(
  fc.array(b64(64), { minLength: 1, maxLength: 6 }).map((lines) => `-----BEGIN AGE ENCRYPTED FILE-----\n${lines.join('\n')}\n-----END AGE ENCRYPTED FILE-----\n`),
  fc.tuple(b64(40, 0), b64(24), b64(24), fc.constantFrom('str', 'int', 'bool', 'bytes', 'comment')).map(([d, iv, tag, t]) => `ENC[AES256_GCM,data:${d},iv:${iv},tag:${tag},type:${t}]`),
  fc.tuple(fc.constantFrom('ENC[AES256_GCM,data:', 'ENC[AES256_GCM,data: ', 'ENC[AES256_GCM,data:#'), b64(10, 0), fc.constantFrom(',iv:a,tag:b,type:str]', ',iv:a,tag:b,type:str] #', ',iv: a,tag:b,type:str]', ',iv:a,tag:b,type:str]\n')).map((parts) => parts.join('')),
);
const tricky = fc.constantFrom('', ' ', 'n', 'y', 'no', 'true', 'null', '~', '123', '0x1F', '1.5', '.inf', '2026-12-06T03:50:23Z', '2026-12-06', 'a: b', 'a #b', '#c', '- x', '? q', "it's", 'say "hi"', 'back\\slash', ' lead', 'trail ', '@at', '`tick', '%pct', '&amp', '*star', '!bang', '|pipe', '>gt', '[x]', '{y}', 'a,b', 'ключ', 'emoji 😀', '\u00a0nbsp', 'tab\there', 'ctl\u0001', 'two\nlines', 'end\n\n', '\nstart', 'x'.repeat(70), 'k'.repeat(130), 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]', 'age1qqq', 'ssh-ed25519 AAAAC3Nza host', '3.13.3', '_unencrypted', '<<');
const text = fc.oneof(tricky, fc.string({ maxLength: 12 }), fc.stringMatching(/^[ -~]{0,20}$/), armor, sopsShaped);
const scalar: fc.Arbitrary<Value> = fc.oneof(
  { weight: 8, arbitrary: text.map((value) => ({ kind: 'string' as const, value })) },
  { weight: 1, arbitrary: fc.bigInt({ min: -5n, max: 5n }).map((value) => ({ kind: 'int' as const, value })) },
  { weight: 1, arbitrary: fc.boolean().map((value) => ({ kind: 'bool' as const, value })) },
);
const keyText = fc.oneof(tricky, fc.stringMatching(/^[a-z_]{1,12}$/));
const entries = (value: fc.Arbitrary<Value>, max: number): fc.Arbitrary<Entry[]> =>
  fc.uniqueArray(fc.tuple(keyText, value), { maxLength: max, selector: ([k]) => k }).map((pairs) => pairs.map(([key, v]) => ({ kind: 'entry' as const, key, value: v })));
const blockOf = (value: fc.Arbitrary<Value>): fc.Arbitrary<MapNode> =>
  entries(fc.oneof(value, fc.array(entries(value, 3).map((items) => ({ kind: 'map' as const, items })), { maxLength: 3 }).map((items) => ({ kind: 'seq' as const, items }))), 6).map((items) => ({ kind: 'map', items }));
const block = blockOf(scalar);
// What sops blocks hold: printable one-line strings (some needing quotes) and armor
const printable = fc.oneof(tricky.filter((t) => /^[ -~]*$/.test(t) && t !== '<<'), fc.stringMatching(/^[ -~]{0,20}$/), armor, sopsShaped, sopsShaped).map((value): Value => ({ kind: 'string', value }));

describe('the sops block written directly', () => {
  it('is what the general emitter writes, or declines (property, fixed seed)', () => {
    let written = 0;
    fc.assert(
      fc.property(block, fc.constantFrom(4, 4, 4, 2), (node, indent) => {
        const fast = emitSopsBlock(node, indent);
        if (fast === null) return;
        written++;
        expect(fast).toBe(general(node, indent));
      }),
      runs,
    );
    expect(written).toBeGreaterThan(runs.numRuns / 20);
    // blocks of what sops writes are handled more often: compared here
    written = 0;
    fc.assert(
      fc.property(blockOf(printable), (node) => {
        const fast = emitSopsBlock(node, 4);
        if (fast === null) return;
        written++;
        expect(fast).toBe(general(node, 4));
      }),
      runs,
    );
    expect(written).toBeGreaterThan(runs.numRuns / 10);
  });

  it('a whole file: data then the block written directly is the full emit (property, fixed seed)', () => {
    const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
    const key = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('123', 'true', 'ключ', 'a b', '<<')).filter((k) => k !== 'sops' && !CONTROL.test(k) && !k.includes('\n'));
    const leaf: fc.Arbitrary<Value> = fc.oneof(
      fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', 'multi\nline\n', '#c', 'sops:', 'end\n\n')).filter((t) => !CONTROL.test(t)).map((value) => ({ kind: 'string' as const, value })),
      fc.bigInt({ min: -100n, max: 100n }).map((value) => ({ kind: 'int' as const, value })),
      fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
      fc.constant({ kind: 'null' as const }),
    );
    const comment = fc.string({ minLength: 1, maxLength: 12 }).filter((t) => !/[\n\r]/.test(t) && !CONTROL.test(t) && t.trim() === t).map((t) => ({ kind: 'comment' as const, text: ` ${t}` }));
    const tree = fc.letrec<{ value: Value; map: MapNode }>((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, tie('map'), fc.array(fc.oneof(leaf, tie('map')), { maxLength: 3 }).map((items) => ({ kind: 'seq' as const, items }))),
      map: fc
        .uniqueArray(fc.tuple(key, tie('value'), fc.option(comment)), { maxLength: 4, selector: ([k]) => k })
        .map((pairs) => ({ kind: 'map' as const, items: pairs.flatMap(([k, v, c]) => [...(c ? [c] : []), { kind: 'entry' as const, key: k, value: v }]) })),
    })).map;
    let direct = 0;
    fc.assert(
      fc.property(tree, fc.option(comment), blockOf(printable), fc.constantFrom(4, 4, 2), (data, last, node, indent) => {
        const items = [...data.items, ...(last ? [last] : [])];
        const doc = { branches: [{ kind: 'map' as const, items }] };
        const store = storeFor('yaml', { indent });
        const full = Buffer.from(store.emitPlain({ branches: [{ kind: 'map', items: [...items, { kind: 'entry', key: 'sops', value: node }] }] })).toString('utf8');
        if (emitSopsBlock(node, indent) !== null) direct++;
        expect(Buffer.from(store.emitEncrypted(doc, node)).toString('utf8')).toBe(full);
      }),
      runs,
    );
    expect(direct).toBeGreaterThan(runs.numRuns / 20);
  });

  it('data of strings and mappings written directly is the full emit (property, fixed seed)', () => {
    const leaf = fc.oneof({ weight: 3, arbitrary: sopsShaped }, { weight: 2, arbitrary: text }).map((value): Value => ({ kind: 'string', value }));
    const tree = fc.letrec<{ value: Value; map: MapNode }>((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, leaf, tie('map')),
      map: fc.uniqueArray(fc.tuple(keyText, tie('value')), { minLength: 1, maxLength: 4, selector: ([k]) => k }).map((pairs) => ({ kind: 'map' as const, items: pairs.map(([key, value]) => ({ kind: 'entry' as const, key, value })) })),
    })).map;
    let direct = 0;
    fc.assert(
      fc.property(tree, blockOf(printable), fc.constantFrom(4, 4, 4, 2), (data, node, indent) => {
        const store = storeFor('yaml', { indent });
        const fast = emitDataDirect(data, indent);
        if (fast !== null) {
          direct++;
          expect(fast).toBe(Buffer.from(store.emitPlain({ branches: [data] })).toString('utf8'));
        }
        if (data.items.some((i) => i.kind === 'entry' && i.key === 'sops')) return;
        const full = Buffer.from(store.emitPlain({ branches: [{ kind: 'map', items: [...data.items, { kind: 'entry', key: 'sops', value: node }] }] })).toString('utf8');
        expect(Buffer.from(store.emitEncrypted({ branches: [data] }, node)).toString('utf8')).toBe(full);
      }),
      runs,
    );
    expect(direct).toBeGreaterThan(runs.numRuns / 10);
    // a sops key in the data stays the general path's error
    expect(emitDataDirect({ kind: 'map', items: [{ kind: 'entry', key: 'sops', value: { kind: 'string', value: 'x' } }] }, 4)).toBeNull();
  });

  it('handles the blocks sops and rekey write, and the store uses it for a block alone', async () => {
    const doc = storeFor('yaml').loadPlain(new TextEncoder().encode('a: b\n'));
    const recipients = ['age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGADrskfxZRCt1sRDXYyKfunyExp3w2+9xTY9/NCd68k host'].map((r) => parseRecipient(r));
    const file = await createSopsFile(doc, { format: 'yaml', keyGroups: [recipients], now: new Date('2026-12-06T00:00:00Z') });
    const { metadataNode } = loadSopsFile(file, 'yaml');
    const fast = emitSopsBlock(metadataNode, 4);
    expect(fast).not.toBeNull();
    expect(fast).toBe(general(metadataNode, 4));
    expect(Buffer.from(file).toString('utf8').endsWith(fast as string)).toBe(true);
    expect(Buffer.from(storeFor('yaml').emitEncrypted({ branches: [{ kind: 'map', items: [] }] }, metadataNode)).toString('utf8')).toBe(fast);
    // Shamir key groups (nested lists) are the general emitter's
    expect(emitSopsBlock({ kind: 'map', items: [{ kind: 'entry', key: 'key_groups', value: { kind: 'seq', items: [{ kind: 'map', items: [{ kind: 'entry', key: 'age', value: { kind: 'seq', items: [] } }] }] } }] }, 4)).toBeNull();
  });
});
