// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * Tampering with sops files (YAML and JSON, every value type): each byte of every ENC value's data, IV
 * and tag, of the MAC, and of the age file wrapping the data key; values swapped, moved, dropped, added;
 * the metadata edited. All are rejected with the sops-compatible code and no plaintext anywhere:
 * exhaustively in-process, through the CLI (in-process) for every structural case, and through the real
 * CLI process for a representative sample.
 *
 * What the sops format itself does not authenticate, and sops accepts too, is pinned at the end (and
 * listed in docs/security.md): comments, null values, empty strings and empty containers, the `type:`
 * name, and informational metadata such as the recipient string.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { armor } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSopsFile, readMetadata, storeFor, type Comment, type Document, type MapNode, type Value } from '@secrets/core';
import { decryptDocument } from '../../packages/core/src/sops/engine.js';
import { toBinaryAgeFile } from '../../packages/core/src/age/armor.js';
import { exitCodeFor } from '../../packages/cli/src/exit-codes.js';
import { grammarViolations, runInProcess, runProcess } from '../support/cli.js';
import { AGE_KEYS_TXT, identities, leaves, sopsCorpus, type SopsCase } from './fixtures.js';
import { SLOW, VECTORS, dec, expectCleanError } from './support.js';

const KEY_FILE = join(VECTORS, AGE_KEYS_TXT);
const work = mkdtempSync(join(tmpdir(), 'secrets-tamper-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A loaded sops file: the tree, the metadata block, the data key. */
interface Loaded {
  readonly base: SopsCase;
  readonly document: Document;
  readonly metadata: MapNode;
  readonly dataKey: Uint8Array;
}

let files: Loaded[] = [];
beforeAll(async () => {
  const corpus = await sopsCorpus();
  files = await Promise.all(
    corpus
      .filter((c) => c.name === 'generated.yaml' || c.name === 'generated.json')
      .map(async (base) => {
        const { document, metadata } = storeFor(base.format).loadEncrypted(base.bytes);
        const { dataKey } = await openSopsFile(base.bytes, { format: base.format, identities });
        // emitting what was loaded reproduces the file: tampered files below differ only where tampered
        expect(dec(storeFor(base.format).emitEncrypted(document, metadata))).toBe(dec(base.bytes));
        return { base, document, metadata, dataKey };
      }),
  );
});

// ---- tree surgery -----------------------------------------------------------------------------------

/** Every string or comment holding `ENC[`, in walk order, with a way to replace it. */
function encSites(root: MapNode): { text: string; comment: boolean; replace: (text: string) => MapNode }[] {
  const sites: { text: string; comment: boolean; index: number }[] = [];
  let counter = 0;
  const visit = (v: Value | Comment): void => {
    if (v.kind === 'map') for (const i of v.items) visit(i.kind === 'entry' ? i.value : i);
    else if (v.kind === 'seq') for (const i of v.items) visit(i);
    else if (v.kind === 'comment' && v.text.includes('ENC[')) sites.push({ text: v.text, comment: true, index: counter++ });
    else if (v.kind === 'string' && v.value.startsWith('ENC[')) sites.push({ text: v.value, comment: false, index: counter++ });
  };
  visit(root);
  return sites.map((s) => ({
    text: s.text,
    comment: s.comment,
    replace: (text: string) => {
      let n = 0;
      const rewrite = <T extends Value | Comment>(v: T): T => {
        if (v.kind === 'map') return { ...v, items: v.items.map((i) => (i.kind === 'entry' ? { ...i, value: rewrite(i.value) } : rewrite(i))) };
        if (v.kind === 'seq') return { ...v, items: v.items.map((i) => rewrite(i)) };
        const isSite = (v.kind === 'comment' && v.text.includes('ENC[')) || (v.kind === 'string' && v.value.startsWith('ENC['));
        if (!isSite || n++ !== s.index) return v;
        return (v.kind === 'comment' ? { ...v, text } : { kind: 'string', value: text }) as T;
      };
      return rewrite(root);
    },
  }));
}

/** The ENC text with one byte of one part flipped (re-encoded as Go writes base64: padded, standard). */
function flip(text: string, part: 'data' | 'iv' | 'tag', index: number): string {
  return text.replace(new RegExp(`${part}:([^,\\]]*)`), (_, b64: string) => {
    const bytes = Buffer.from(b64, 'base64');
    bytes[index] = (bytes[index] as number) ^ 0x01;
    return `${part}:${bytes.toString('base64')}`;
  });
}
const partLength = (text: string, part: string): number => Buffer.from(new RegExp(`${part}:([^,\\]]*)`).exec(text)?.[1] ?? '', 'base64').length;

const top = (f: Loaded): MapNode => f.document.branches[0] as MapNode;
const withTop = (f: Loaded, root: MapNode): Document => ({ branches: [root, ...f.document.branches.slice(1)] });
const setMeta = (meta: MapNode, key: string, value: Value | undefined): MapNode => ({
  ...meta,
  items: value === undefined ? meta.items.filter((i) => !(i.kind === 'entry' && i.key === key)) : meta.items.map((i) => (i.kind === 'entry' && i.key === key ? { ...i, value } : i)),
});
/** The entries of the metadata's `age` list. */
const ageEntries = (meta: MapNode): MapNode[] => {
  const item = meta.items.find((i) => i.kind === 'entry' && i.key === 'age');
  return item?.kind === 'entry' && item.value.kind === 'seq' ? (item.value.items as MapNode[]) : [];
};
const metaString = (meta: MapNode, key: string): string => ((meta.items.find((i) => i.kind === 'entry' && i.key === key) as { value: { value: string } }).value.value);

/** The code decryption with the known data key ends in ('ok' when it opens). */
function engineOutcome(f: Loaded, document: Document, metadata: MapNode): string {
  try {
    const out = decryptDocument(document, { dataKey: f.dataKey, metadata: readMetadata(metadata) });
    expect(leaves(out.document)).toEqual(leaves(f.base.document));
    return 'ok';
  } catch (error) {
    return expectCleanError(error, f.base.secrets).code;
  }
}

describe('every byte of every ENC value, and of the MAC', () => {
  it.each(['generated.yaml', 'generated.json'])('%s: values → SOPS_VALUE_INVALID (25), MAC → SOPS_MAC_MISMATCH (51), comments kept with a warning', (name) => {
    const f = files.find((x) => x.base.name === name) as Loaded;
    let cases = 0;
    for (const site of encSites(top(f))) {
      for (const part of ['data', 'iv', 'tag'] as const) {
        for (let i = 0; i < partLength(site.text, part); i++) {
          const tampered = withTop(f, site.replace(flip(site.text, part, i)));
          cases++;
          if (site.comment) {
            // sops: a comment that does not decrypt is kept as it is (old files had plaintext comments)
            const out = decryptDocument(tampered, { dataKey: f.dataKey, metadata: readMetadata(f.metadata) });
            expect(out.warnings.some((w) => w.includes('could not be decrypted'))).toBe(true);
            expect(leaves(out.document)).toEqual(leaves(f.base.document));
          } else {
            expect(engineOutcome(f, tampered, f.metadata)).toBe('SOPS_VALUE_INVALID');
          }
        }
      }
    }
    const mac = metaString(f.metadata, 'mac');
    for (const part of ['data', 'iv', 'tag'] as const) {
      for (let i = 0; i < partLength(mac, part); i++) {
        cases++;
        expect(engineOutcome(f, f.document, setMeta(f.metadata, 'mac', { kind: 'string', value: flip(mac, part, i) }))).toBe('SOPS_MAC_MISMATCH');
      }
    }
    expect(cases).toBeGreaterThan(name.endsWith('yaml') ? 800 : 600);
    expect(exitCodeFor('SOPS_VALUE_INVALID')).toBe(25);
    expect(exitCodeFor('SOPS_MAC_MISMATCH')).toBe(51);
  });
});

describe('every byte of the age file that wraps the data key', () => {
  // Each case is a full open (~10 ms): every byte with SLOW=1, every 4th byte in CI.
  const stride = SLOW ? 1 : 4;
  it.each(['generated.yaml', 'generated.json'])('%s: SOPS_DATA_KEY_UNAVAILABLE (128)', async (name) => {
    const f = files.find((x) => x.base.name === name) as Loaded;
    const ageList = ageEntries(f.metadata);
    const entry = ageList[0] as MapNode;
    const armored = metaString(entry, 'enc');
    const binary = toBinaryAgeFile(new TextEncoder().encode(armored));
    const store = storeFor(f.base.format);
    const codes = new Map<string, number>();
    for (let i = name.endsWith('json') ? 1 : 0; i < binary.length; i += stride) {
      const b = binary.slice();
      b[i] = (b[i] as number) ^ 0x01;
      const newEntry = setMeta(entry, 'enc', { kind: 'string', value: armor.encode(b) });
      const metadata = setMeta(f.metadata, 'age', { kind: 'seq', items: [newEntry, ...ageList.slice(1)] });
      const bytes = store.emitEncrypted(f.document, metadata);
      const code = await openSopsFile(bytes, { format: f.base.format, identities }).then(
        () => 'ok',
        (e: unknown) => expectCleanError(e, f.base.secrets).code,
      );
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect([...codes.keys()]).toEqual(['SOPS_DATA_KEY_UNAVAILABLE']);
    expect(exitCodeFor('SOPS_DATA_KEY_UNAVAILABLE')).toBe(128);
  });
});

/** Structural tampering: a name, the tampered file, and the code it must fail with. */
function structural(f: Loaded): { name: string; document: Document; metadata: MapNode; code: string }[] {
  const root = top(f);
  const entries = root.items.filter((i) => i.kind === 'entry');
  const byKey = (k: string): Value => (entries.find((e) => e.key === k) as { value: Value }).value;
  const replaceKey = (k: string, value: Value): MapNode => ({ ...root, items: root.items.map((i) => (i.kind === 'entry' && i.key === k ? { ...i, value } : i)) });
  const out: { name: string; document: Document; metadata: MapNode; code: string }[] = [];
  const add = (name: string, r: MapNode, code: string, metadata = f.metadata): void => void out.push({ name, document: withTop(f, r), metadata, code });

  // swap two values of the same type: strings, then ints (the list holds a second int)
  const list = byKey('list') as { kind: 'seq'; items: Value[] };
  const swappedStrings = replaceKey('password', list.items[0] as Value);
  add('swap two strings', { ...swappedStrings, items: swappedStrings.items.map((i) => (i.kind === 'entry' && i.key === 'list' ? { ...i, value: { ...list, items: [byKey('password'), ...list.items.slice(1)] } } : i)) }, 'SOPS_VALUE_INVALID');
  const swappedInts = replaceKey('port', list.items[1] as Value);
  add('swap two ints', { ...swappedInts, items: swappedInts.items.map((i) => (i.kind === 'entry' && i.key === 'list' ? { ...i, value: { ...list, items: [list.items[0] as Value, byKey('port'), ...list.items.slice(2)] } } : i)) }, 'SOPS_VALUE_INVALID');
  // list items share their list's AAD (sops: the path has no index), so only the MAC sees their order
  add('swap two list items', replaceKey('list', { ...list, items: [list.items[1] as Value, list.items[0] as Value, ...list.items.slice(2)] }), 'SOPS_MAC_MISMATCH');
  // move a value to another key
  add('rename a key', { ...root, items: root.items.map((i) => (i.kind === 'entry' && i.key === 'password' ? { ...i, key: 'passw0rd' } : i)) }, 'SOPS_VALUE_INVALID');
  add('move a value under a new key, old key dropped', { ...root, items: [...root.items.filter((i) => !(i.kind === 'entry' && i.key === 'password')), { kind: 'entry', key: 'stolen', value: byKey('password') }] }, 'SOPS_VALUE_INVALID');
  add('copy a value to a second key', { ...root, items: [...root.items, { kind: 'entry', key: 'copy', value: byKey('password') }] }, 'SOPS_VALUE_INVALID');
  add('reorder two keys', { ...root, items: [...root.items].reverse() }, 'SOPS_MAC_MISMATCH');
  // drop keys: each top-level key in turn (those that hold authenticated values)
  for (const e of entries) {
    if (leaves({ branches: [{ kind: 'map', items: [e] }] }).length === 0) continue;
    add(`drop ${JSON.stringify(e.key)}`, { ...root, items: root.items.filter((i) => i !== e) }, 'SOPS_MAC_MISMATCH');
  }
  // add keys
  add('add a plaintext value under an unencrypted key', { ...root, items: [...root.items, { kind: 'entry', key: 'extra_unencrypted', value: { kind: 'string', value: 'x' } }] }, 'SOPS_MAC_MISMATCH');
  add('add a plaintext value under an encrypted key', { ...root, items: [...root.items, { kind: 'entry', key: 'extra', value: { kind: 'string', value: 'x' } }] }, 'SOPS_VALUE_INVALID');
  add('add a plaintext number', { ...root, items: [...root.items, { kind: 'entry', key: 'extra', value: { kind: 'int', value: 1n } }] }, 'SOPS_VALUE_INVALID');
  // metadata
  add('lastmodified changed', root, 'SOPS_MAC_MISMATCH', setMeta(f.metadata, 'lastmodified', { kind: 'string', value: '2030-01-01T00:00:00Z' }));
  add('MAC removed', root, 'SOPS_MAC_MISMATCH', setMeta(f.metadata, 'mac', { kind: 'string', value: '' }));
  add('MAC replaced by a value', root, 'SOPS_MAC_MISMATCH', setMeta(f.metadata, 'mac', byKey('password')));
  // a file with a plaintext `…_unencrypted` value: the rule change makes it look like a bad ENC value
  if (entries.some((e) => e.key.endsWith('_unencrypted'))) add('unencrypted_suffix changed', root, 'SOPS_VALUE_INVALID', setMeta(f.metadata, 'unencrypted_suffix', { kind: 'string', value: '_plain' }));
  return out;
}

describe('structural tampering', () => {
  it.each(['generated.yaml', 'generated.json'])('%s: rejected with the right code, in-process and through the CLI', async (name) => {
    const f = files.find((x) => x.base.name === name) as Loaded;
    const cases = structural(f);
    expect(cases.length).toBeGreaterThan(15);
    const store = storeFor(f.base.format);
    for (const c of cases) {
      const bytes = store.emitEncrypted(c.document, c.metadata);
      const code = await openSopsFile(bytes, { format: f.base.format, identities }).then(
        () => 'ok',
        (e: unknown) => expectCleanError(e, f.base.secrets).code,
      );
      expect(`${c.name}: ${code}`).toBe(`${c.name}: ${c.code}`);
      const path = join(work, `${c.name.replace(/\W+/g, '-')}.${f.base.format}`);
      writeFileSync(path, bytes);
      const r = await runInProcess(['decrypt', path], { env: { SOPS_AGE_KEY_FILE: KEY_FILE } });
      expect(`${c.name}: ${r.status}`).toBe(`${c.name}: ${exitCodeFor(c.code as never)}`);
      expect(r.stdout).toBe('');
      expect(grammarViolations(r.stderr)).toEqual([]);
      for (const s of f.base.secrets) expect(r.stderr).not.toContain(s);
    }
  });
});

describe('through the real CLI process (a representative sample)', () => {
  it('value, MAC and data-key tampering: exit 25 / 51 / 128, nothing on stdout; --ignore-mac opens only a MAC-only change', async () => {
    const f = files.find((x) => x.base.name === 'generated.yaml') as Loaded;
    const g = files.find((x) => x.base.name === 'generated.json') as Loaded;
    const site = encSites(top(f)).find((s) => !s.comment) as ReturnType<typeof encSites>[number];
    const ageEntry = ageEntries(f.metadata)[0] as MapNode;
    const badStanza = toBinaryAgeFile(new TextEncoder().encode(metaString(ageEntry, 'enc')));
    badStanza[40] = (badStanza[40] as number) ^ 1;
    const write = (n: string, x: Loaded, document: Document, metadata: MapNode): string => {
      const p = join(work, n);
      writeFileSync(p, storeFor(x.base.format).emitEncrypted(document, metadata));
      return p;
    };
    const macFlip = setMeta(f.metadata, 'mac', { kind: 'string', value: flip(metaString(f.metadata, 'mac'), 'tag', 3) });
    const jsonDrop = structural(g).find((c) => c.name === 'drop "password"') as { document: Document; metadata: MapNode };
    const cases: [string[], number][] = [
      [['decrypt', write('value.yaml', f, withTop(f, site.replace(flip(site.text, 'data', 0))), f.metadata)], 25],
      [['decrypt', write('mac.yaml', f, f.document, macFlip)], 51],
      [['decrypt', write('stanza.yaml', f, f.document, setMeta(f.metadata, 'age', { kind: 'seq', items: [setMeta(ageEntry, 'enc', { kind: 'string', value: armor.encode(badStanza) })] }))], 128],
      [['decrypt', write('drop.json', g, jsonDrop.document, jsonDrop.metadata)], 51],
      [['decrypt', '--ignore-mac', write('value2.yaml', f, withTop(f, site.replace(flip(site.text, 'iv', 5))), f.metadata)], 25],
    ];
    const results = await Promise.all(cases.map(([args]) => runProcess(args, { env: { SOPS_AGE_KEY_FILE: KEY_FILE } })));
    results.forEach((r, n) => {
      expect(r.status).toBe(cases[n]?.[1]);
      expect(r.stdout).toBe('');
      expect(grammarViolations(r.stderr)).toEqual([]);
      expect(r.stderr).not.toMatch(/^\s+at |internal error/m);
      for (const s of [...f.base.secrets, ...g.base.secrets]) expect(r.stderr).not.toContain(s);
    });
    const ignored = await runProcess(['decrypt', '--ignore-mac', join(work, 'mac.yaml')], { env: { SOPS_AGE_KEY_FILE: KEY_FILE } });
    expect(ignored.status).toBe(0);
    expect(leaves(storeFor('yaml').loadPlain(ignored.stdoutBytes))).toEqual(leaves(f.base.document));
  });
});

describe('what the sops format does not authenticate (accepted, as by sops)', () => {
  it('adding a null, an empty string or an empty map, or editing the recipient string, still opens', async () => {
    const f = files.find((x) => x.base.name === 'generated.yaml') as Loaded;
    const root = top(f);
    const undetected: [string, Document, MapNode][] = [
      ['a null', withTop(f, { ...root, items: [...root.items, { kind: 'entry', key: 'n', value: { kind: 'null' } }] }), f.metadata],
      ['an empty string', withTop(f, { ...root, items: [...root.items, { kind: 'entry', key: 'e', value: { kind: 'string', value: '' } }] }), f.metadata],
      ['an empty map', withTop(f, { ...root, items: [...root.items, { kind: 'entry', key: 'm', value: { kind: 'map', items: [] } }] }), f.metadata],
      ['the recipient string', f.document, setMeta(f.metadata, 'age', { kind: 'seq', items: [setMeta(ageEntries(f.metadata)[0] as MapNode, 'recipient', { kind: 'string', value: 'age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq' })] })],
    ];
    for (const [, document, metadata] of undetected) {
      const opened = await openSopsFile(storeFor('yaml').emitEncrypted(document, metadata), { format: 'yaml', identities });
      expect(leaves(opened.document)).toEqual(leaves(f.base.document));
    }
  });
});
