// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * Ground truth: files written by real sops (Mic92/sops-nix test assets, ../shared/vectors), opened with
 * their known data keys. Every ENC value decrypts with the AAD sops used, the MAC recomputes, and an
 * unchanged tree re-encrypts to the very same ciphertext with the IV stash.
 *
 * The trees are built with the `yaml` package (and by hand for dotenv/INI), not with our stores, so
 * that these tests exercise only the engine.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptAge, parseIdentities } from '../../src/age/index.js';
import { decryptDocument, encryptDocument } from '../../src/sops/engine.js';
import { MacHasher, macAad } from '../../src/sops/mac.js';
import { readMetadata } from '../../src/sops/metadata-read.js';
import type { MapNode, SeqNode, Value } from '../../src/sops/tree.js';
import { decryptValue } from '../../src/sops/value-cipher.js';
import { c, doc, e, hex, loadYamlVector, map, sopsNixFile, str, toJs, vectorText } from './tree-helpers.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function leafText(tree: MapNode, ...path: (string | number)[]): string {
  let node: Value = tree;
  for (const p of path) {
    if (typeof p === 'number') node = (node as SeqNode).items.filter((i) => i.kind !== 'comment')[p] as Value;
    else node = ((node as MapNode).items.find((i) => i.kind === 'entry' && i.key === p) as { value: Value }).value;
  }
  if (node.kind !== 'string') throw new Error('not a string');
  return node.value;
}

describe('sops-nix secrets.yaml (sops 3.7.1)', () => {
  const vector = sopsNixFile('secrets.yaml');
  const dataKey = hex(vector.data_key_hex as string);
  const { document, metadata: node } = loadYamlVector('sops-nix/secrets.yaml');
  const root = document.branches[0] as MapNode;
  const metadata = readMetadata(node);

  it('every ENC value decrypts with the AAD sops used', () => {
    const cases: [string, (string | number)[], string][] = [
      ['test_key:', ['test_key'], 'test_value'],
      ['a_list:', ['a_list', 0], 'e1'],
      ['a_list:', ['a_list', 1], 'e3'],
      ['nested:test:file:', ['nested', 'test', 'file'], 'another value'],
    ];
    expect(vector.aad_per_leaf).toEqual({ test_key: 'test_key:', 'a_list items': 'a_list:', 'nested/test/file': 'nested:test:file:' });
    for (const [aad, path, plain] of cases) {
      const d = decryptValue(leafText(root, ...path), dataKey, aad);
      expect(d.value).toEqual({ kind: 'string', value: plain });
      expect(d.iv.length).toBe(32);
      // The wrong AAD (a moved value) does not authenticate.
      expect(() => decryptValue(leafText(root, ...path), dataKey, `x${aad}`)).toThrow(/failed authentication/);
    }
  });

  it('the MAC is SHA-512 over the values in walk order, encrypted with lastmodified as AAD', () => {
    const h = new MacHasher(false);
    for (const v of ['test_value', 'e1', 'e3', 'another value']) h.add(utf8(v), true);
    const computed = h.hex();
    expect(computed).toBe(createHash('sha512').update('test_valuee1e3another value').digest('hex').toUpperCase());
    expect(macAad(metadata.lastmodified)).toBe('2021-09-30T19:49:41Z');
    expect(decryptValue(metadata.mac, dataKey, '2021-09-30T19:49:41Z').value).toEqual({ kind: 'string', value: computed });
  });

  it('decryptDocument gives the plaintext with the MAC verified', () => {
    const out = decryptDocument(document, { dataKey, metadata });
    expect(out.macVerified).toBe(true);
    expect(out.warnings).toEqual([]);
    expect(toJs(out.document.branches[0] as MapNode)).toEqual(vector.plaintext);
    expect(out.ivStash.size).toBe(5); // four values and the MAC
  });

  it('re-encrypting the unchanged tree with the stash reproduces every ciphertext and the MAC', () => {
    const out = decryptDocument(document, { dataKey, metadata });
    const again = encryptDocument(out.document, { dataKey, rules: metadata.rules, lastmodified: metadata.lastmodified, ivStash: out.ivStash, random });
    expect(again.document).toEqual(document);
    expect(again.mac).toBe(metadata.mac);
    // Without the stash every IV is fresh.
    const fresh = encryptDocument(out.document, { dataKey, rules: metadata.rules, lastmodified: metadata.lastmodified, random });
    expect(leafText(fresh.document.branches[0] as MapNode, 'test_key')).not.toBe(leafText(root, 'test_key'));
  });

  it('a wrong data key fails on the first value, releasing nothing', () => {
    const wrong = new Uint8Array(dataKey);
    wrong[0] = (wrong[0] as number) ^ 1;
    expect(() => decryptDocument(document, { dataKey: wrong, metadata })).toThrow(/could not decrypt the value at "test_key:"/);
  });
});

describe('sops-nix secrets-native-ssh.yaml (sops 3.13.3, ssh-ed25519 recipient)', () => {
  it('the data key unwrapped by the age layer decrypts the value and verifies the MAC', async () => {
    const { document, metadata: node } = loadYamlVector('sops-nix/secrets-native-ssh.yaml');
    const metadata = readMetadata(node);
    const key = metadata.keyGroups[0]?.[0];
    if (key?.type !== 'age') throw new Error('expected an age key');
    expect(key.recipient).toMatch(/^ssh-ed25519 AAAA/);
    const identities = parseIdentities(vectorText('sops-nix/ssh-ed25519-key'), 'ssh-ed25519-key');
    const dataKey = await decryptAge(utf8(key.enc), identities);
    expect(dataKey.length).toBe(32);
    const out = decryptDocument(document, { dataKey, metadata });
    expect(out.macVerified).toBe(true);
    expect(toJs(out.document.branches[0] as MapNode)).toEqual({ test_key: 'test_value' });
    const again = encryptDocument(out.document, { dataKey, rules: metadata.rules, lastmodified: metadata.lastmodified, ivStash: out.ivStash, random });
    expect(again.document).toEqual(document);
    expect(again.mac).toBe(metadata.mac);
  });
});

describe('sops-nix secrets.env and secrets.ini (sops 3.7.3, encrypted comments)', () => {
  it('dotenv: a top-level comment (AAD ":") and four values, MAC verified', () => {
    const vector = sopsNixFile('secrets.env');
    const lines = vector.content.split('\n').filter((l) => l !== '' && !l.startsWith('sops_'));
    const tree = doc(map(...lines.map((l) => (l.startsWith('#') ? c(l.slice(1)) : e(l.slice(0, l.indexOf('=')), str(l.slice(l.indexOf('=') + 1)))))));
    const lastmodified = /sops_lastmodified=(.*)/.exec(vector.content)?.[1] as string;
    const mac = /sops_mac=(.*)/.exec(vector.content)?.[1] as string;
    const dataKey = hex(vector.data_key_hex as string);
    const out = decryptDocument(tree, { dataKey, metadata: { rules: { unencryptedSuffix: '_unencrypted' }, lastmodified, mac } });
    const items = (out.document.branches[0] as MapNode).items.map((i) => (i.kind === 'comment' ? ['#comment', i.text] : [i.key, (i.value as { value: string }).value]));
    expect(items).toEqual(vector.plaintext_items);
    const again = encryptDocument(out.document, { dataKey, rules: { unencryptedSuffix: '_unencrypted' }, lastmodified, ivStash: out.ivStash, random });
    expect(again.document).toEqual(tree);
    expect(again.mac).toBe(mac);
  });

  it('INI: a section comment uses the section path as AAD', () => {
    const vector = sopsNixFile('secrets.ini');
    const value = (k: string): string => new RegExp(`^${k} *= (.*)$`, 'm').exec(vector.content)?.[1] as string;
    const comment = /^; (.*)$/m.exec(vector.content)?.[1] as string;
    const tree = doc(map(e('Welcome!', map(c(comment), e('hello', str(value('hello'))), e('example_key', str(value('example_key'))), e('never_gonna', str(value('never_gonna')))))));
    const dataKey = hex(vector.data_key_hex as string);
    const out = decryptDocument(tree, { dataKey, metadata: { rules: {}, lastmodified: value('lastmodified'), mac: value('mac') } });
    const section = (out.document.branches[0] as MapNode).items[0] as { value: MapNode };
    expect(section.value.items[0]).toEqual({ kind: 'comment', text: vector.comment?.text });
    expect(vector.comment?.aad).toBe('Welcome!:');
    expect(toJs(out.document.branches[0] as MapNode)).toEqual(vector.plaintext);
  });
});
