/**
 * Plugin recipients and identities as strings, and the IPC framing: names checked against the spec's
 * charset before they become a program name, strict Bech32, strict stanza framing with limits.
 */
import { bech32 } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { isValidPluginName, parseIdentities, parseRecipient, pluginBinaryName } from '../../src/age/index.js';
import { DEFAULT_IPC_LIMITS, encodeIpcStanza, IpcReader } from '../../src/age/plugin-protocol.js';
import { SecretsError } from '../../src/errors.js';
import { secretstest } from './plugin-fake.js';

const key = new Uint8Array(32).fill(3);
const words = bech32.toWords(key);

describe('plugin names', () => {
  it('accepts the spec charset and nothing else', () => {
    for (const name of ['yubikey', 'fido2-hmac', 'se', 'a.b_c+d', 'TPM']) expect(isValidPluginName(name)).toBe(true);
    for (const name of ['', '../x', 'a/b', 'a b', 'a\\b', 'x'.repeat(65), 'é']) expect(isValidPluginName(name)).toBe(false);
    expect(pluginBinaryName('YubiKey')).toBe('age-plugin-yubikey');
    expect(() => pluginBinaryName('../../bin/sh')).toThrow(SecretsError);
  });

  it('parses plugin recipients as sops does (a second "1"), checksum and case checked', () => {
    expect(parseRecipient(`  ${secretstest.recipient(key)} `)).toEqual({ kind: 'plugin', text: secretstest.recipient(key), plugin: 'secretstest' });
    // A name with digits, and one with a "1" in it: the last "1" separates the data.
    expect(parseRecipient(bech32.encode('age1fido2-hmac', words, false))).toMatchObject({ kind: 'plugin', plugin: 'fido2-hmac' });
    expect(parseRecipient(bech32.encode('age1tpm1', words, false))).toMatchObject({ kind: 'plugin', plugin: 'tpm1' });
    expect(() => parseRecipient(`${secretstest.recipient(key).slice(0, -1)}q`)).toThrow(/bad bech32 checksum/);
    expect(() => parseRecipient(secretstest.recipient(key).toUpperCase())).toThrow(/unknown recipient type|bad bech32/);
  });

  it('never lets a hostile name with a valid checksum through (age1../../x1…)', () => {
    for (const hrp of ['age1../../x', 'age1a/b', 'age1a\\b']) {
      const text = bech32.encode(hrp, words, false);
      expect(() => parseRecipient(text)).toThrow(/invalid age plugin name/);
    }
    const id = bech32.encode('AGE-PLUGIN-../../X-', words, false).toUpperCase();
    expect(() => parseIdentities(id, 'keys.txt')).toThrow(/keys\.txt line 1: invalid age plugin name/);
  });

  it('parses plugin identities (upper case) among other keys, secret kept out of enumeration', () => {
    const ids = parseIdentities(`# yubikey\n${secretstest.identity(key)}\n`, 'keys.txt');
    expect(ids).toHaveLength(1);
    expect(ids[0]).toEqual({ kind: 'plugin', origin: 'keys.txt line 2', plugin: 'secretstest' });
    expect(JSON.stringify(ids)).not.toContain('AGE-PLUGIN');
    expect(() => parseIdentities(secretstest.identity(key).toLowerCase(), 'k')).toThrow(/malformed age plugin identity/);
    expect(() => parseIdentities(`${secretstest.identity(key).slice(0, -1)}Q`, 'k')).toThrow(/malformed age plugin identity/);
  });
});

describe('plugin IPC framing', () => {
  const readAll = (bytes: Uint8Array, limits = DEFAULT_IPC_LIMITS): IpcReader => {
    let sent = false;
    return new IpcReader(
      async () => (sent ? null : ((sent = true), bytes)),
      (why, code) => new SecretsError(code ?? 'AGE_FILE_INVALID', why),
      limits,
    );
  };

  it('round-trips bodies of every length class (the final line is shorter than 64, maybe empty)', async () => {
    for (const n of [0, 1, 47, 48, 49, 96, 100]) {
      const body = new Uint8Array(n).map((_, i) => i);
      const encoded = encodeIpcStanza(['cmd', 'a', 'b'], body);
      expect(new TextDecoder().decode(encoded).endsWith('\n')).toBe(true);
      expect(await readAll(encoded).next()).toEqual({ args: ['cmd', 'a', 'b'], body });
    }
    expect(new TextDecoder().decode(encodeIpcStanza(['done']))).toBe('-> done\n\n');
  });

  it('rejects malformed framing and enforces its limits', async () => {
    const bad = async (text: string, limits = DEFAULT_IPC_LIMITS): Promise<string> => (await readAll(new TextEncoder().encode(text), limits).next().then(() => 'ok', (e: unknown) => (e as Error).message));
    expect(await bad('-> ok\nAA=\n')).toMatch(/canonical/);
    expect(await bad('-> ok  x\n\n')).toMatch(/arguments/);
    expect(await bad('ok\n\n')).toMatch(/expected "-> "/);
    expect(await bad('-> ok\n')).toMatch(/ended the conversation early/);
    expect(await bad(`-> ok\n${'A'.repeat(65)}\n`)).toMatch(/longer than 64/);
    expect(await bad(`-> ${'x'.repeat(100)}\n\n`, { ...DEFAULT_IPC_LIMITS, maxLineBytes: 50 })).toMatch(/longer than 50 bytes/);
    expect(await bad(`-> ok\n${`${'A'.repeat(64)}\n`.repeat(10)}\n`, { ...DEFAULT_IPC_LIMITS, maxBodyBytes: 100 })).toMatch(/larger than 100 bytes/);
    expect(() => encodeIpcStanza(['a b'])).toThrow(SecretsError);
  });
});
