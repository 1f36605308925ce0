/**
 * Age plugins asked once for many files (`pluginUnwrapFiles`, `askPluginsForDataKeys`): one
 * `identity-v1` session offers the stanzas of every file under its own index, and the decryptions that
 * follow take its answers instead of running the plugin again, with the same data keys as before.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { askPluginsForAgeFiles, decryptAge, encryptAge, generateX25519Identity, identityToRecipient, parseAgeFile, parseIdentities, parseRecipient, setAgePluginHost, type AgeIdentity } from '../../src/age/index.js';
import { pluginUnwrapFiles } from '../../src/age/plugin-session.js';
import { isSecretsError } from '../../src/errors.js';
import { createSopsFile, unwrapDataKey } from '../../src/sops/file.js';
import { askPluginsForDataKeys } from '../../src/sops/plugin-prefetch.js';
import { loadSopsFile } from '../../src/sops/rekey.js';
import type { Document } from '../../src/sops/tree.js';
import { fakeHost, secretstest, secretstestPlugin } from './plugin-fake.js';

afterEach(() => setAgePluginHost(null));

const pluginKey = new Uint8Array(32).fill(3);
const pluginIds = (): AgeIdentity[] => parseIdentities(secretstest.identity(pluginKey), 'yubikey');
const doc: Document = { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'k', value: { kind: 'string', value: 'v' } }] }] };

describe('pluginUnwrapFiles', () => {
  it('offers several files in one session and returns each file key under its index', async () => {
    const host = fakeHost(secretstestPlugin);
    const other = new Uint8Array(32).fill(4);
    const files = await Promise.all(
      [pluginKey, other, pluginKey].map(async (k) => parseAgeFile(await encryptAge(new Uint8Array([1]), [parseRecipient(secretstest.recipient(k))], { plugins: host })).header.stanzas),
    );
    host.sessions.length = 0;
    const { fileKeys } = await pluginUnwrapFiles('secretstest', [secretstest.identity(pluginKey)], files, host);
    expect(host.sessions.map((s) => s.stateMachine)).toEqual(['identity-v1']);
    expect(fileKeys.map((k) => k?.length ?? null)).toEqual([16, null, 16]);
  });

  it('refuses a file-key for a file it was not offered, or under a non-canonical index', async () => {
    for (const index of ['1', '01', '-0', '+0']) {
      const host = fakeHost(async (side) => {
        await side.phase1();
        await side.ask(['file-key', index], new Uint8Array(16));
        side.send(['done']);
      });
      const error = await pluginUnwrapFiles('secretstest', [secretstest.identity(pluginKey)], [[{ type: 'secretstest', args: ['x'], body: new Uint8Array(32) }]], host).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isSecretsError(error) && error.message).toMatch(/malformed or second file-key/);
    }
  });
});

describe('askPluginsForDataKeys', () => {
  async function repository(admin: string): Promise<{ metadata: ReturnType<typeof loadSopsFile>['metadata'] }[]> {
    setAgePluginHost(fakeHost(secretstestPlugin));
    const keyGroups = [[parseRecipient(admin), parseRecipient(secretstest.recipient(pluginKey))]];
    const files = await Promise.all([0, 1, 2].map(() => createSopsFile(doc, { format: 'yaml', keyGroups, now: new Date() })));
    return files.map((f) => loadSopsFile(f, 'yaml'));
  }

  it('runs the plugin once for every file, and decryption takes its answers: the same data keys', async () => {
    const admin = await generateX25519Identity();
    const files = await repository(await identityToRecipient(admin));
    const host = fakeHost(secretstestPlugin);
    setAgePluginHost(host);
    const expected = await Promise.all(files.map((f) => unwrapDataKey(f.metadata, { identities: pluginIds() })));
    expect(host.sessions).toHaveLength(6); // per file, one per age key, as before
    host.sessions.length = 0;
    const identities = pluginIds();
    const asked = await askPluginsForDataKeys(files, { identities });
    expect(asked).toBeDefined();
    expect(host.sessions.map((s) => s.stateMachine)).toEqual(['identity-v1']);
    const keys = await Promise.all(files.map((f) => unwrapDataKey(f.metadata, { identities, ...(asked ? { pluginFileKeys: asked } : {}) })));
    expect(host.sessions).toHaveLength(1);
    expect(keys).toEqual(expected);
    asked?.dispose();
  });

  it('asks nothing ahead when a plain identity opens the files, or with identities of other kinds', async () => {
    const admin = await generateX25519Identity();
    const files = await repository(await identityToRecipient(admin));
    const host = fakeHost(secretstestPlugin);
    setAgePluginHost(host);
    const both = [...parseIdentities(admin, 'admin'), ...pluginIds()];
    expect(await askPluginsForDataKeys(files, { identities: both })).toBeUndefined();
    expect(await askPluginsForDataKeys(files, { identities: parseIdentities(admin, 'admin') })).toBeUndefined();
    // An SSH key may open a file before any plugin (after a passphrase): nothing is asked ahead then.
    const dir = mkdtempSync(join(tmpdir(), 'secrets-plugin-prefetch-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
      const ssh = parseIdentities(readFileSync(join(dir, 'id'), 'utf8'), 'id_ed25519');
      expect(ssh.map((id) => id.kind)).toEqual(['ssh-ed25519']);
      expect(await askPluginsForDataKeys(files, { identities: [...ssh, ...pluginIds()] })).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(host.sessions).toHaveLength(0);
  });

  it('does not load the identities when no file has an age key (loading may run a command)', async () => {
    const files = await repository(await identityToRecipient(await generateX25519Identity()));
    const pgpOnly = files.map((f) => ({ metadata: { ...f.metadata, keyGroups: [[{ type: 'pgp' as const, fp: 'ABCD', enc: 'x', createdAt: '2026-12-06T00:00:00Z' }]] } }));
    let loads = 0;
    const supply = async (): Promise<AgeIdentity[]> => (loads++, pluginIds());
    expect(await askPluginsForDataKeys(pgpOnly as unknown as typeof files, { identities: supply })).toBeUndefined();
    expect(loads).toBe(0);
    (await askPluginsForDataKeys(files, { identities: supply }))?.dispose();
    expect(loads).toBe(1);
  });

  it('keeps a plugin that opened nothing from being run again per file', async () => {
    const files = await repository(await identityToRecipient(await generateX25519Identity()));
    const host = fakeHost(secretstestPlugin);
    setAgePluginHost(host);
    const stranger = parseIdentities(secretstest.identity(new Uint8Array(32).fill(9)), 'other yubikey');
    const asked = await askPluginsForDataKeys(files, { identities: stranger });
    expect(host.sessions).toHaveLength(1);
    for (const f of files) await expect(unwrapDataKey(f.metadata, { identities: stranger, ...(asked ? { pluginFileKeys: asked } : {}) })).rejects.toThrow(/could not decrypt the data key/);
    expect(host.sessions).toHaveLength(1);
  });
});

describe('askPluginsForDataKeys: what is offered', () => {
  it('with Shamir groups, offers only the groups no plain key opens; decryption needs no other run', async () => {
    let offeredFiles = 0;
    const host = fakeHost((side) =>
      secretstestPlugin({
        ...side,
        phase1: async () => {
          const commands = await side.phase1();
          offeredFiles = new Set(commands.filter((c) => c.args[0] === 'recipient-stanza').map((c) => c.args[1])).size;
          return commands;
        },
      }),
    );
    setAgePluginHost(host);
    const admin = await generateX25519Identity();
    const toPlugin = parseRecipient(secretstest.recipient(pluginKey));
    // Group 1: the admin's key; group 2: the plugin's only. Both needed (threshold 2).
    const file = loadSopsFile(await createSopsFile(doc, { format: 'yaml', keyGroups: [[parseRecipient(await identityToRecipient(admin))], [toPlugin]], shamirThreshold: 2, now: new Date() }), 'yaml');
    host.sessions.length = 0;
    const identities = [...parseIdentities(admin, 'admin'), ...pluginIds()];
    const asked = await askPluginsForDataKeys([file], { identities });
    expect(host.sessions).toHaveLength(1);
    expect(offeredFiles).toBe(1); // group 2's enc only
    const key = await unwrapDataKey(file.metadata, { identities, ...(asked ? { pluginFileKeys: asked } : {}) });
    expect(key).toHaveLength(32);
    expect(host.sessions).toHaveLength(1);
  });

  it('leaves out a file whose enc does not parse, and offers the rest', async () => {
    const host = fakeHost(secretstestPlugin);
    setAgePluginHost(host);
    const toPlugin = parseRecipient(secretstest.recipient(pluginKey));
    const good = loadSopsFile(await createSopsFile(doc, { format: 'yaml', keyGroups: [[toPlugin]], now: new Date() }), 'yaml');
    const broken = { metadata: { ...good.metadata, keyGroups: [[{ ...(good.metadata.keyGroups[0]?.[0] as { type: 'age'; recipient: string; enc: string }), enc: 'not an age file' }]] } };
    let offered = 0;
    const counting = fakeHost(async (side) => {
      const commands = await side.phase1();
      offered = new Set(commands.filter((c) => c.args[0] === 'recipient-stanza').map((c) => c.args[1])).size;
      side.send(['done']);
    });
    setAgePluginHost(counting);
    (await askPluginsForDataKeys([broken, good], { identities: pluginIds() }))?.dispose();
    expect(offered).toBe(1);
  });
});

describe('askPluginsForAgeFiles', () => {
  it('asks once for the files no plain identity opens; decryption takes the answers', async () => {
    const host = fakeHost(secretstestPlugin);
    const admin = await generateX25519Identity();
    const toPlugin = parseRecipient(secretstest.recipient(pluginKey));
    const files = [
      await encryptAge(new Uint8Array([1]), [toPlugin], { plugins: host }),
      await encryptAge(new Uint8Array([2]), [toPlugin], { plugins: host }),
      await encryptAge(new Uint8Array([3]), [toPlugin, parseRecipient(await identityToRecipient(admin))], { plugins: host }),
    ];
    host.sessions.length = 0;
    const identities = [...parseIdentities(admin, 'admin'), ...pluginIds()];
    const asked = await askPluginsForAgeFiles(files, identities, { plugins: host });
    expect(host.sessions).toHaveLength(1);
    const plaintexts = await Promise.all(files.map((f) => decryptAge(f, identities, { plugins: host, ...(asked ? { pluginFileKeys: asked } : {}) })));
    expect(plaintexts).toEqual([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])]);
    expect(host.sessions).toHaveLength(1);
    asked?.dispose();
    // The third file, which the plain key opens, was not offered: nothing to ask when that is every file.
    expect(await askPluginsForAgeFiles(files.slice(2), identities, { plugins: host })).toBeUndefined();
    expect(host.sessions).toHaveLength(1);
  });
});
