/**
 * Hostile input: random bytes, random text and mutations of real key files fed to every parser. They may
 * succeed or fail, but a failure is always a SecretsError (never a TypeError, RangeError or a crash), and
 * never quotes the input. `SLOW=1` runs 2000 cases per property instead of 100.
 */
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import {
  convertPublicKeys,
  decryptOpenSshPrivateKey,
  findKeyOnLine,
  formatSshPublicKey,
  inspectOpenSshPrivateKey,
  parseSshPublicKey,
  parseSshPublicKeyBlob,
} from '../../src/ssh/index.js';
import { WireWriter } from '../../src/ssh/wire.js';
import { SHARED_DIR, armor, fixture, fixtures, unarmor } from './helpers.js';
import { itShared } from '../../../../test/support/shared.js';

const numRuns = process.env['SLOW'] ? 2000 : 100;

/** Runs `fn`; any exception must be a SecretsError whose text does not contain `secret` (when given). */
function onlySecretsErrors(fn: () => unknown, secret?: string): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof SecretsError)) throw error;
    if (secret) expect(`${error.message}${error.hints.join('')}`).not.toContain(secret);
  }
}

/** Mutates `body`: flip, set or delete a byte, or truncate. */
const mutation = (length: number): fc.Arbitrary<(b: Uint8Array) => Uint8Array> =>
  fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => (b: Uint8Array) => {
      const m = b.slice();
      m[i] = (m[i] as number) ^ x;
      return m;
    }),
    fc.tuple(fc.integer({ min: 0, max: length - 1 }), fc.constantFrom(0x00, 0x7f, 0x80, 0xff)).map(([i, v]) => (b: Uint8Array) => {
      const m = b.slice();
      m[i] = v;
      return m;
    }),
    fc.integer({ min: 0, max: length - 1 }).map((i) => (b: Uint8Array) => new Uint8Array([...b.subarray(0, i), ...b.subarray(i + 1)])),
    fc.integer({ min: 0, max: length }).map((n) => (b: Uint8Array) => b.slice(0, n)),
  );

describe('private key files', () => {
  const cases: [string, string | undefined][] = [
    ['ed25519-plain', undefined],
    ['rsa-2048-plain', undefined],
    ['ecdsa', undefined],
    ['ed25519-aes256-ctr-a1', fixtures.passphrase], // 1 KDF round keeps this affordable
  ];
  for (const [file, passphrase] of cases) {
    it(`mutations of ${file}`, () => {
      const body = unarmor(fixture(file));
      fc.assert(
        fc.property(fc.array(mutation(body.length), { minLength: 1, maxLength: 3 }), (mutations) => {
          const mutated = mutations.reduce((b, m) => (b.length > 0 ? m(b) : b), body);
          const pem = armor(mutated);
          onlySecretsErrors(() => inspectOpenSshPrivateKey(pem));
          onlySecretsErrors(() => decryptOpenSshPrivateKey(pem, passphrase));
        }),
        { numRuns },
      );
    });
  }

  it('random bodies and random text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.string({ maxLength: 300 }), (bytes, text) => {
        onlySecretsErrors(() => decryptOpenSshPrivateKey(armor(bytes)));
        onlySecretsErrors(() => decryptOpenSshPrivateKey(armor(new Uint8Array([...new TextEncoder().encode('openssh-key-v1\0'), ...bytes])), 'pass'));
        onlySecretsErrors(() => inspectOpenSshPrivateKey(text), text.length > 8 ? text : undefined);
      }),
      { numRuns },
    );
  });

  it('structured garbage: a valid envelope around random private sections', () => {
    const pub = new WireWriter().string('ssh-ed25519').string(new Uint8Array(32)).finish();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('none', 'aes256-ctr', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'), (secret, cipher) => {
        const w = new WireWriter().raw(new TextEncoder().encode('openssh-key-v1\0')).string(cipher);
        if (cipher === 'none') w.string('none').string(new Uint8Array(0));
        else w.string('bcrypt').string(new WireWriter().string(new Uint8Array(16)).uint32(1).finish());
        w.uint32(1).string(pub).string(secret);
        if (cipher.includes('@')) w.raw(new Uint8Array(16));
        onlySecretsErrors(() => decryptOpenSshPrivateKey(armor(w.finish()), cipher === 'none' ? undefined : 'pass'));
      }),
      { numRuns },
    );
  });
});

describe('public keys', () => {
  const typeArb = fc.constantFrom('ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ssh-dss', 'sk-ssh-ed25519@openssh.com', 'ssh-ed25519-cert-v01@openssh.com', 'ssh-foo');

  it('random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        onlySecretsErrors(() => convertPublicKeys(text), text.length > 8 ? text : undefined);
        onlySecretsErrors(() => parseSshPublicKey(text), text.length > 8 ? text : undefined);
        onlySecretsErrors(() => findKeyOnLine(text));
      }),
      { numRuns },
    );
  });

  it('random blobs, raw and behind every key type name', () => {
    fc.assert(
      fc.property(typeArb, fc.uint8Array({ maxLength: 200 }), fc.boolean(), (type, bytes, prefixed) => {
        const blob = prefixed ? new Uint8Array([...new WireWriter().string(type).finish(), ...bytes]) : bytes;
        const line = `${type} ${Buffer.from(blob).toString('base64')} comment`;
        onlySecretsErrors(() => parseSshPublicKeyBlob(blob));
        onlySecretsErrors(() => parseSshPublicKey(line));
        onlySecretsErrors(() => convertPublicKeys(`host ${line}\n${line}`));
      }),
      { numRuns },
    );
  });

  itShared('vectors', 'character mutations of ssh-keyscan output', () => {
    const keyscan = (JSON.parse(readFileSync(`${SHARED_DIR}ssh-to-age/vectors.json`, 'utf8')) as { multi_line_vectors: { input: string }[] }).multi_line_vectors[0]?.input as string;
    const alphabet = fc.constantFrom(' ', '\t', '\n', '#', '"', '@', '|', '=', 'A', '/', '+', '\0', 'é');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: keyscan.length - 1 }), alphabet), { minLength: 1, maxLength: 4 }), (edits) => {
        const chars = Array.from(keyscan); // code points: the edits replace whole characters
        for (const [i, c] of edits) chars[i] = c;
        onlySecretsErrors(() => convertPublicKeys(chars.join('')));
      }),
      { numRuns },
    );
  });

  it('valid keys survive format → parse → format, options and hosts included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.stringMatching(/^[a-z0-9@.-]{0,20}$/), fc.constantFrom('', 'no-pty ', 'command="a b" ', 'host,h2 ', '@revoked h '), (seed, comment, prefix) => {
        const pub = ed25519.getPublicKey(seed);
        const wire = new WireWriter().string('ssh-ed25519').string(pub).finish();
        const text = formatSshPublicKey({ type: 'ssh-ed25519', key: pub, wire, comment });
        const again = parseSshPublicKey(`${prefix}${text}`);
        expect(formatSshPublicKey(again)).toBe(text);
        expect(convertPublicKeys(`${prefix}${text}`).recipients).toHaveLength(1);
      }),
      { numRuns },
    );
  });
});
