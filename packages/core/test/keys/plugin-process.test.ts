/**
 * The Node runner for age plugins, with the project's test plugin (test/fixtures/plugins): PATH searched
 * in absolute directories only (C2SP age-plugin), the real process driven through both state machines,
 * a missing plugin named, a failing one quoted.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptAge, encryptAge, inspectAgeHeader, parseIdentities, parseRecipient, type AgePluginHost } from '../../src/age/index.js';
import { discoverIdentities } from '../../src/keys/discover.js';
import { findOnPath, nodeAgePluginRunner } from '../../src/keys/plugin-process.js';
import { secretstest } from '../age/plugin-fake.js';

const PLUGINS = fileURLToPath(new URL('../../../../test/fixtures/plugins', import.meta.url));
const PATH = `${PLUGINS}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
const key = new Uint8Array(32).fill(5);
const text = new TextEncoder().encode('through a real plugin process');
const host = (env: Record<string, string> = {}): AgePluginHost => ({ run: nodeAgePluginRunner({ env: { PATH, ...env } }), ui: null });

const scratch = mkdtempSync(join(tmpdir(), 'plugin-path-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('findOnPath', () => {
  it('searches absolute PATH entries only, and only executable files', () => {
    expect(findOnPath('age-plugin-secretstest', PATH)).toBe(join(PLUGINS, 'age-plugin-secretstest'));
    // The same directory as a relative entry, and an empty entry (both mean the working directory to a shell).
    expect(findOnPath('age-plugin-secretstest', `${relative(process.cwd(), PLUGINS)}::.`)).toBeNull();
    writeFileSync(join(scratch, 'age-plugin-noexec'), '#!/bin/sh\n');
    chmodSync(join(scratch, 'age-plugin-noexec'), 0o644);
    expect(findOnPath('age-plugin-noexec', scratch)).toBeNull();
    expect(findOnPath('../age-plugin-secretstest', PATH)).toBeNull();
  });
});

describe('nodeAgePluginRunner with age-plugin-secretstest', () => {
  it('encrypts and decrypts through the real plugin process', async () => {
    const file = await encryptAge(text, [parseRecipient(secretstest.recipient(key))], { plugins: host() });
    expect(inspectAgeHeader(file).stanzas).toEqual([{ type: 'secretstest', args: [secretstest.tag(key)] }]);
    expect(await decryptAge(file, parseIdentities(secretstest.identity(key), 'id'), { plugins: host() })).toEqual(text);
  });

  it('names a plugin that is not installed', async () => {
    const run = nodeAgePluginRunner({ env: { PATH: '/nonexistent' } });
    const error = await encryptAge(text, [parseRecipient(secretstest.recipient(key))], { plugins: { run, ui: null } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FILE_NOT_FOUND', message: 'age-plugin-secretstest was not found on PATH' });
  });

  it('quotes a failing plugin, escaped', async () => {
    const error = await encryptAge(text, [parseRecipient(secretstest.recipient(key))], { plugins: host({ SECRETSTEST_FAIL: 'card \x1b[2J gone' }) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AGE_RECIPIENT_INVALID', message: 'age-plugin-secretstest: could not wrap the file key: card \\x1b[2J gone' });
  });

  it('a plugin identity in a keys.txt found by discovery opens the file', async () => {
    const file = await encryptAge(text, [parseRecipient(secretstest.recipient(key))], { plugins: host() });
    const keysTxt = join(scratch, 'keys.txt');
    writeFileSync(keysTxt, `# created: by age-plugin-secretstest\n${secretstest.identity(key)}\n`, { mode: 0o600 });
    const found = await discoverIdentities({ env: { SOPS_AGE_KEY_FILE: keysTxt }, homedir: '', platform: 'linux' });
    expect(found.identities.map((i) => i.kind)).toEqual(['plugin']);
    expect(await decryptAge(file, found.identities, { plugins: host() })).toEqual(text);
  });
});
