import { describe, expect, it } from 'vitest';
import { keyName, opaqueKey, type Metadata } from '../../src/sops/metadata.js';
import { readMetadata } from '../../src/sops/metadata-read.js';
import { writeMetadata, writeMetadataCurrentLayout } from '../../src/sops/metadata-write.js';
import type { MapNode, Value } from '../../src/sops/tree.js';
import { e, failure, fromJs, loadYamlVector, map, sopsNixFile, str } from './tree-helpers.js';
import { itShared } from '../../../../test/support/shared.js';


/** The key layout of a tree: keys at every level, sequences shown by their first element. */
function layout(v: Value): unknown {
  if (v.kind === 'map') return v.items.map((i) => (i.kind === 'entry' ? (i.value.kind === 'map' || i.value.kind === 'seq' ? { [i.key]: layout(i.value) } : i.key) : '#'));
  if (v.kind === 'seq') return v.items.length === 0 ? [] : [layout(v.items[0] as Value)];
  return v.kind;
}

const AGE = (recipient: string, enc = 'ENC'): Record<string, string> => ({ recipient, enc });

describe('reading every layout', () => {
  itShared('vectors', 'sops 3.7.1 (struct order, empty kms/gcp_kms/azure_kv/hc_vault lists)', () => {
    const { metadata: node } = loadYamlVector('sops-nix/secrets.yaml');
    const m = readMetadata(node);
    expect(m.keyGroups.length).toBe(1);
    // sops' internal order within a group: kms, gcp_kms, hckms, azure_kv, hc_vault, pgp, age
    expect(m.keyGroups[0]?.map((k) => `${k.type} ${keyName(k)}`)).toEqual([
      'pgp 7FB89715AADA920D65D25E63F9BA9DEBD03F57C0',
      'pgp 2504791468B153B8A3963CC97BA53D1919C5DFD4',
      'age age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw',
      'age age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs',
    ]);
    expect([m.lastmodified, m.version, m.shamirThreshold, m.rules, m.unknown]).toEqual(['2021-09-30T19:49:41Z', '3.7.1', 0, { unencryptedSuffix: '_unencrypted' }, []]);
    expect(m.mac).toMatch(/^ENC\[AES256_GCM,/);
  });

  itShared('vectors', 'sops 3.13.3 (sorted): writing the model gives the same tree back', () => {
    const { metadata: node } = loadYamlVector('sops-nix/secrets-native-ssh.yaml');
    const m = readMetadata(node);
    expect(writeMetadataCurrentLayout(m)).toEqual(node);
  });

  itShared('vectors', 'sops 3.5 JSON with null lists', () => {
    const json = JSON.parse(sopsNixFile('secrets.json').content) as { sops: unknown };
    const m = readMetadata(fromJs(json.sops) as MapNode);
    expect(m.keyGroups[0]?.map((k) => k.type)).toEqual(['pgp']);
  });

  it('all-string values (flattened stores) and key_groups, converted weakly like mapstructure', () => {
    const node = fromJs({
      key_groups: [{ age: [AGE('age1a')] }, { age: AGE('age1b'), hc_vault: [] }],
      shamir_threshold: '2',
      mac_only_encrypted: 'true',
      lastmodified: '2026-01-01T00:00:00Z',
      mac: '',
      version: '3.13.2',
      encrypted_regex: '^data$',
    }) as MapNode;
    const m = readMetadata(node);
    expect(m.keyGroups.map((g) => g.map((k) => keyName(k)))).toEqual([['age1a'], ['age1b']]);
    expect([m.shamirThreshold, m.rules]).toEqual([2, { encryptedRegex: '^data$', macOnlyEncrypted: true }]);
  });

  it('top-level key lists win over key_groups, as in sops', () => {
    const m = readMetadata(fromJs({ age: [AGE('age1top')], key_groups: [{ age: [AGE('age1g')] }], lastmodified: '2026-01-01T00:00:00Z' }) as MapNode);
    expect(m.keyGroups.map((g) => g.map(keyName))).toEqual([['age1top']]);
  });

  it('errors', () => {
    const base = { age: [AGE('age1a')], lastmodified: '2026-01-01T00:00:00Z' };
    const cases: [unknown, string, RegExp][] = [
      [undefined, 'SOPS_METADATA_NOT_FOUND', /^sops metadata not found$/],
      [{ lastmodified: '2026-01-01T00:00:00Z', kms: [] }, 'SOPS_METADATA_INVALID', /no keys found/],
      [{ ...base, lastmodified: 'yesterday' }, 'SOPS_METADATA_INVALID', /lastmodified "yesterday"/],
      [{ ...base, pgp: [{ fp: 'AB', enc: 'x', created_at: '2020' }] }, 'SOPS_METADATA_INVALID', /pgp\[0\]\.created_at "2020"/],
      [{ ...base, pgp: [{ fp: 'AB', enc: 'x' }] }, 'SOPS_METADATA_INVALID', /created_at/],
      [{ ...base, age: 'age1' }, 'SOPS_METADATA_INVALID', /age must be a list|entry of age/],
      [{ ...base, shamir_threshold: 'two' }, 'SOPS_METADATA_INVALID', /shamir_threshold/],
      [{ ...base, mac_only_encrypted: 'maybe' }, 'SOPS_METADATA_INVALID', /mac_only_encrypted/],
      [{ ...base, mac: { x: 1 } }, 'SOPS_METADATA_INVALID', /mac must be a string/],
      [{ ...base, encrypted_suffix: '_s', unencrypted_regex: 'x' }, 'SOPS_RULES_CONFLICT', /at most one/],
    ];
    for (const [input, code, message] of cases) {
      const error = failure(() => readMetadata(input === undefined ? undefined : (fromJs(input) as MapNode)));
      expect([error.code, error.message]).toEqual([code, expect.stringMatching(message)]);
    }
  });
});

describe('writing', () => {
  itShared('vectors', 'an unchanged 3.7 block is written back verbatim; a changed one in the 3.13 layout', () => {
    const { metadata: node } = loadYamlVector('sops-nix/secrets.yaml');
    const m = readMetadata(node);
    expect(writeMetadata(m)).toBe(node);
    expect(writeMetadata({ ...m })).toBe(node);
    const changed = writeMetadata({ ...m, lastmodified: '2026-11-23T10:00:00Z' });
    expect(changed).not.toBe(node);
    expect(layout(changed)).toEqual([{ age: [['enc', 'recipient']] }, 'lastmodified', 'mac', { pgp: [['created_at', 'enc', 'fp']] }, 'unencrypted_suffix', 'version']);
  });

  it('two or more groups: only key_groups, each with age and hc_vault always, keys sorted', () => {
    const m: Metadata = {
      keyGroups: [
        [{ type: 'age', recipient: 'age1a', enc: 'A' }],
        [{ type: 'pgp', fingerprint: 'FP', enc: 'P', fields: map(e('fp', str('FP')), e('enc', str('P')), e('created_at', str('2020-07-12T08:03:51+00:00'))) }],
      ],
      shamirThreshold: 2,
      lastmodified: '2026-01-01T00:00:00Z',
      mac: 'ENC[…]',
      version: '3.13.3',
      rules: { unencryptedSuffix: '_unencrypted', macOnlyEncrypted: true },
      unknown: [],
    };
    const node = writeMetadata(m);
    expect(layout(node)).toEqual([
      { key_groups: [[{ age: [['enc', 'recipient']] }, { hc_vault: [] }]] },
      'lastmodified',
      'mac',
      'mac_only_encrypted',
      'shamir_threshold',
      'unencrypted_suffix',
      'version',
    ]);
    const groups = (node.items[0] as unknown as { value: { items: readonly MapNode[] } }).value.items;
    expect(layout(groups[1] as MapNode)).toEqual([{ age: [] }, { hc_vault: [] }, { pgp: [['created_at', 'enc', 'fp']] }]);
    const pgp = ((groups[1] as MapNode).items[2] as unknown as { value: { items: readonly MapNode[] } }).value.items[0] as MapNode;
    // created_at is written as Go formats it (RFC 3339, Z for UTC)
    expect(pgp.items[0]).toEqual(e('created_at', str('2020-07-12T08:03:51Z')));
    expect(node.items.find((i) => i.kind === 'entry' && i.key === 'shamir_threshold')).toEqual(e('shamir_threshold', { kind: 'int', value: 2n }));
    expect(node.items.find((i) => i.kind === 'entry' && i.key === 'mac_only_encrypted')).toEqual(e('mac_only_encrypted', { kind: 'bool', value: true }));
  });

  it('other key types keep their values; sops fields are completed, unknown fields kept; unknown top-level keys kept', () => {
    const node = fromJs({
      attention: 'This section contains key material that should only be modified with extra care.',
      kms: [{ enc: 'K', arn: 'arn:aws:kms:x', created_at: '2020-01-01T00:00:00Z', role: '', context: { b: '2', a: '1' }, extra: 'kept' }],
      lastmodified: '2020-01-01T00:00:00Z',
      mac: 'M',
      version: '2.0.0',
    }) as MapNode;
    const m = readMetadata(node);
    expect(m.unknown.map((u) => u.key)).toEqual(['attention']);
    const out = writeMetadataCurrentLayout(m);
    expect(layout(out)).toEqual(['attention', { kms: [['arn', 'aws_profile', { context: ['a', 'b'] }, 'created_at', 'enc', 'extra']] }, 'lastmodified', 'mac', 'unencrypted_suffix', 'version']);
    expect(readMetadata(out).keyGroups).toEqual([[opaqueKey('kms', (out.items[1] as unknown as { value: { items: readonly MapNode[] } }).value.items[0] as MapNode)]]);
  });

  it('keys sort bytewise (code point order, not UTF-16 order)', () => {
    const m = readMetadata(fromJs({ age: [AGE('age1a')], lastmodified: '2026-01-01T00:00:00Z', '\u{1F600}': 1, '\uFF21': 2 }) as MapNode);
    const keys = writeMetadataCurrentLayout({ ...m }).items.map((i) => (i.kind === 'entry' ? i.key : ''));
    expect(keys.slice(-2)).toEqual(['\uFF21', '\u{1F600}']);
  });

  it('refuses to write metadata without key groups', () => {
    expect(failure(() => writeMetadata({ keyGroups: [], shamirThreshold: 0, lastmodified: '2026-01-01T00:00:00Z', mac: '', version: '', rules: {}, unknown: [] })).code).toBe('SOPS_METADATA_INVALID');
  });

  it('keyName follows sops ToString for every type', () => {
    const f = (o: Record<string, string>): MapNode => fromJs(o) as MapNode;
    expect(keyName(opaqueKey('azure_kv', f({ vault_url: 'https://v', name: 'k', version: '1' })))).toBe('https://v/keys/k/1');
    expect(keyName(opaqueKey('hc_vault', f({ vault_address: 'https://h', engine_path: 'transit', key_name: 'k' })))).toBe('https://h/v1/transit/keys/k');
    expect(keyName(opaqueKey('gcp_kms', f({ resource_id: 'projects/p' })))).toBe('projects/p');
    expect(keyName(opaqueKey('hckms', f({ key_id: 'r:id' })))).toBe('r:id');
  });
});
