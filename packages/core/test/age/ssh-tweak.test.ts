/**
 * The native ssh-ed25519 wrap (`native-encrypt.ts`) multiplies the ephemeral scalar with the tweaked
 * point X25519(tweak, P), computed once per recipient, where agessh computes X25519(tweak, X25519(e, P)).
 * Checked byte for byte against that straightforward computation (noble, agessh's order), for any key and
 * ephemeral scalar (fast-check, fixed seed); X25519 stanzas likewise against RFC 7748 + C2SP age; keys of
 * small order are still refused as agessh refuses them. Debian's age opens what the native path writes:
 * test/age-interop.test.ts.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bech32 } from '@scure/base';
import { encryptAge, parseRecipient, sshTag, type AgeRecipient } from '../../src/age/index.js';
import { nativeWrapWithScalar } from '../../src/age/native-encrypt.js';
import { concatBytes, toBase64, utf8 } from '../../src/bytes.js';
import { isSecretsError } from '../../src/errors.js';

const SSH_LABEL = utf8('age-encryption.org/v1/ssh-ed25519');
const X_LABEL = utf8('age-encryption.org/v1/X25519');
const RUNS = { seed: 1717, numRuns: process.env['SLOW'] ? 2000 : 200 };

/** The SSH wire form of an ed25519 public key: string "ssh-ed25519", string key. */
function wire(key: Uint8Array): Uint8Array {
  const field = (b: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0, 0, 0, b.length), b);
  return concatBytes(field(utf8('ssh-ed25519')), field(key));
}

function sshRecipient(key: Uint8Array): AgeRecipient | null {
  try {
    return parseRecipient(`ssh-ed25519 ${toBase64(wire(key))} test`);
  } catch (error) {
    expect(isSecretsError(error)).toBe(true);
    return null;
  }
}

/** agessh's Wrap, step by step: ss = X25519(e, Rm), ss' = X25519(tweak, ss). Null where agessh errs. */
function agesshStanza(key: Uint8Array, e: Uint8Array, fileKey: Uint8Array): { args: string[]; body: Uint8Array } | null {
  let rm: Uint8Array;
  let ss: Uint8Array;
  try {
    rm = ed25519.utils.toMontgomery(key);
    ss = x25519.scalarMult(e, rm); // noble refuses an all-zero result, as Go's curve25519.X25519 does
  } catch {
    return null;
  }
  const w = wire(key);
  const tweak = hkdf(sha256, new Uint8Array(0), w, SSH_LABEL, 32);
  const tweaked = x25519.scalarMult(tweak, ss);
  const share = x25519.getPublicKey(e);
  const wrapKey = hkdf(sha256, tweaked, concatBytes(share, rm), SSH_LABEL, 32);
  return { args: ['ssh-ed25519', sshTag(w), toBase64(share, false)], body: chacha20poly1305(wrapKey, new Uint8Array(12)).encrypt(fileKey) };
}

const plain = (s: { args: readonly string[]; body: Uint8Array } | null): unknown => (s === null ? null : { args: [...s.args], body: toBase64(s.body) });

describe('ssh-ed25519 wrap with the tweak applied to the recipient once', () => {
  it('equals agessh X25519(tweak, X25519(e, P)) byte for byte, for valid keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (seed, e, fileKey) => {
        const key = ed25519.getPublicKey(seed);
        const recipient = sshRecipient(key) as AgeRecipient;
        expect(plain(nativeWrapWithScalar(recipient, fileKey, e))).toEqual(plain(agesshStanza(key, e, fileKey)));
      }),
      RUNS,
    );
  });

  it('for any 32 bytes as the key: the same stanza, or left to the full path', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (key, e, fileKey) => {
        const recipient = sshRecipient(key);
        if (recipient === null) return;
        const ours = nativeWrapWithScalar(recipient, fileKey, e);
        // Declining is always allowed (typage and our agessh stanzas decide); answering must be exact.
        if (ours !== null) expect(plain(ours)).toEqual(plain(agesshStanza(key, e, fileKey)));
      }),
      RUNS,
    );
  });

  // The eight points of order dividing 8 (encodings as listed by libsodium's blocklist), plus their
  // sign-flipped forms: X25519 with any clamped scalar gives all zeros, which agessh refuses.
  const smallOrder = [
    '0100000000000000000000000000000000000000000000000000000000000000',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0000000000000000000000000000000000000000000000000000000000000080',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  ];
  it.each(smallOrder)('a key of small order (%s) is not wrapped natively, and refused as agessh does', async (hexKey) => {
    const key = Uint8Array.from(Buffer.from(hexKey, 'hex'));
    // age parses such keys (agessh too) and refuses them when wrapping.
    const recipient = sshRecipient(key) as AgeRecipient;
    expect(recipient).not.toBeNull();
    expect(agesshStanza(key, new Uint8Array(32).fill(9), new Uint8Array(16))).toBeNull();
    expect(nativeWrapWithScalar(recipient, new Uint8Array(16), new Uint8Array(32).fill(9))).toBeNull();
    await expect(encryptAge(new Uint8Array(1), [recipient])).rejects.toMatchObject({ code: 'AGE_RECIPIENT_INVALID' });
  });
});

describe('X25519 wrap', () => {
  it('equals RFC 7748 + C2SP age byte for byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (secret, e, fileKey) => {
        const point = x25519.getPublicKey(secret);
        const recipient = parseRecipient(bech32.encode('age', bech32.toWords(point), false));
        const share = x25519.getPublicKey(e);
        const wrapKey = hkdf(sha256, x25519.scalarMult(e, point), concatBytes(share, point), X_LABEL, 32);
        const expected = { args: ['X25519', toBase64(share, false)], body: chacha20poly1305(wrapKey, new Uint8Array(12)).encrypt(fileKey) };
        expect(plain(nativeWrapWithScalar(recipient, fileKey, e))).toEqual(plain(expected));
      }),
      RUNS,
    );
  });
});
