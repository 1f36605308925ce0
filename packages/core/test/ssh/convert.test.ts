/**
 * ssh-ed25519 → age conversion: Edwards point decoding exactly as Go's filippo.io/edwards25519 SetBytes
 * (which ssh-to-age uses), cross-checked against noble (ZIP 215 decoding accepts the same set), X25519
 * consistency of identity and recipient, and convertPublicKeys on multi-line input.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bech32 } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  convertPublicKeys,
  ed25519PrivateKeyToAgeIdentity,
  ed25519PublicKeyToAgeRecipient,
  ed25519SeedToX25519Scalar,
  parseSshPublicKey,
  sshPublicKeyToAgeRecipient,
} from '../../src/ssh/index.js';
import type { SshEd25519PrivateKey, SshEd25519PublicKey } from '../../src/ssh/index.js';
import { WireWriter } from '../../src/ssh/wire.js';
import { errorOf, fixture, fixtureKey, fixtures, shownText } from './helpers.js';

const numRuns = process.env['SLOW'] ? 2000 : 100;
const P = (1n << 255n) - 19n;

function pointKey(key: Uint8Array): SshEd25519PublicKey {
  const wire = new WireWriter().string('ssh-ed25519').string(key).finish();
  return { type: 'ssh-ed25519', key, wire, comment: '' };
}
function le(n: bigint, topBit = false): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  if (topBit) out[31] = (out[31] as number) | 0x80;
  return out;
}
const recipientOfU = (u: bigint): string => bech32.encode('age', bech32.toWords(le(u)), false);
const line = (key: Uint8Array): string => `ssh-ed25519 ${Buffer.from(pointKey(key).wire).toString('base64')}`;

describe('Edwards → Montgomery, as Go decodes points', () => {
  it.each([
    // [name, encoding, u or null for "not a point"]
    ['the identity (y = 1): Go gives u = 0', le(1n), 0n],
    ['y = −1 (order 2)', le(P - 1n), 0n],
    ['x = 0 with the sign bit set (accepted by Go)', le(1n, true), 0n],
    ['non-canonical y = p + 1 ≡ 1 (accepted by Go)', le(P + 1n), 0n],
    ['non-canonical y = p ≡ 0: x² = −1 has a root, u = 1', le(P), 1n],
    ['y = 0', le(0n), 1n],
    ['y = 2^255 − 1 ≡ 18 (all bits set)', new Uint8Array(32).fill(0xff), ((1n + 18n) * modInverse(P + 1n - 18n)) % P],
    ['y = 2: (y²−1)/(dy²+1) is not a square', le(2n), null],
    ['y = 7: not a square either', le(7n), null],
  ])('%s', (_name, encoded, u) => {
    if (u === null) {
      const e = errorOf(() => ed25519PublicKeyToAgeRecipient(pointKey(encoded)));
      expect([e.code, e.message]).toEqual(['SSH_KEY_INVALID', 'invalid ssh-ed25519 public key: not a point on the curve']);
      expect(errorOf(() => convertPublicKeys(`# x\n${line(encoded)}\n`)).message).toBe('line 2: invalid ssh-ed25519 public key: not a point on the curve');
    } else {
      expect(ed25519PublicKeyToAgeRecipient(pointKey(encoded))).toBe(recipientOfU(u));
    }
  });

  it('accepts exactly the encodings noble accepts with ZIP 215 rules, with the same u', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        let nobleU: Uint8Array | null;
        try {
          const { y } = ed25519.Point.fromBytes(bytes, true).toAffine();
          nobleU = le((((1n + y) % P) * modInverse((P + 1n - y) % P)) % P);
        } catch {
          nobleU = null;
        }
        if (nobleU === null) expect(errorOf(() => ed25519PublicKeyToAgeRecipient(pointKey(bytes))).code).toBe('SSH_KEY_INVALID');
        else expect(ed25519PublicKeyToAgeRecipient(pointKey(bytes))).toBe(bech32.encode('age', bech32.toWords(nobleU), false));
      }),
      { numRuns },
    );
  });

  it('for real keys: recipient = bech32(noble toMontgomery(pub)) = X25519(identity scalar) (clamped by X25519)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const pub = ed25519.getPublicKey(seed);
        const recipient = ed25519PublicKeyToAgeRecipient(pointKey(pub));
        expect(recipient).toBe(bech32.encode('age', bech32.toWords(ed25519.utils.toMontgomery(pub)), false));
        const scalar = ed25519SeedToX25519Scalar(seed);
        expect(recipient).toBe(bech32.encode('age', bech32.toWords(x25519.getPublicKey(scalar)), false));
        // The identity carries that scalar unclamped.
        const key: SshEd25519PrivateKey = { type: 'ssh-ed25519', seed, publicKey: pointKey(pub), comment: '' };
        const decoded = bech32.decode(ed25519PrivateKeyToAgeIdentity(key).toLowerCase() as `${string}1${string}`, false);
        expect(decoded.prefix).toBe('age-secret-key-');
        expect(Buffer.from(bech32.fromWords(decoded.words)).equals(Buffer.from(scalar))).toBe(true);
      }),
      { numRuns: Math.min(numRuns, 50) },
    );
  });
});

function modInverse(a: bigint): bigint {
  let result = 1n;
  let b = a % P;
  for (let e = P - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

describe('identities', () => {
  it('are upper case with the checksum of the lower-case hrp, and never clamped', () => {
    const k = fixtureKey('ed25519-plain');
    const seed = new Uint8Array(Buffer.from(k.seed_hex as string, 'hex'));
    const identity = ed25519PrivateKeyToAgeIdentity({ type: 'ssh-ed25519', seed, publicKey: parseSshPublicKey(k.public_key) as SshEd25519PublicKey, comment: '' });
    expect(identity).toBe(k.age_identity);
    expect(identity).toBe(identity.toUpperCase());
    expect(bech32.decode(identity.toLowerCase() as `${string}1${string}`, false).prefix).toBe('age-secret-key-');
  });

  it('refuse other key types and bad seeds with SecretsError', () => {
    const rsa = parseSshPublicKey(fixture('rsa-2048-plain.pub'));
    expect(errorOf(() => sshPublicKeyToAgeRecipient(rsa)).message).toBe('got ssh-rsa key type, but only ed25519 keys are supported');
    expect(errorOf(() => ed25519SeedToX25519Scalar(new Uint8Array(31))).code).toBe('SSH_KEY_INVALID');
    expect(errorOf(() => ed25519PrivateKeyToAgeIdentity({ type: 'ssh-rsa' } as never)).code).toBe('SSH_KEY_UNSUPPORTED');
  });
});

describe('convertPublicKeys on multi-line text', () => {
  const ed = fixture('ed25519-plain.pub').trim();
  const recipient = fixtureKey('ed25519-plain').age_recipient as string;
  const other = fixture('ed25519-aes256-ctr.pub').trim();
  const otherRecipient = fixtureKey('ed25519-aes256-ctr').age_recipient as string;
  const rsa = fixture('rsa-2048-plain.pub').trim();
  const ecdsa = fixture(fixtures.ecdsa_public).trim();
  const rsaNote = 'got ssh-rsa key type, but only ed25519 keys are supported';

  it('converts in order, keeps duplicates, numbers skipped lines from 1', () => {
    const text = `# comment\n\n${ed}\n${rsa}\n${other}\n   # indented comment\n \t \n${ed}\r\n${ecdsa}`;
    expect(convertPublicKeys(text)).toEqual({
      recipients: [recipient, otherRecipient, recipient],
      skipped: [
        { line: 4, keyType: 'ssh-rsa', message: rsaNote },
        { line: 9, keyType: 'ecdsa-sha2-nistp256', message: 'got ecdsa-sha2-nistp256 key type, but only ed25519 keys are supported' },
      ],
    });
  });

  it('reads authorized_keys, known_hosts and ssh-keyscan forms together', () => {
    const [t, b] = ed.split(' ') as [string, string];
    const text = [
      `command="echo a b",no-pty ${ed}`,
      `host1,host2 ${t} ${b}`,
      `|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ${t} ${b}`,
      `@cert-authority *.example ${t} ${b}`,
      `@revoked old.example ${t} ${b}`, // converted, as ssh-to-age (x/crypto ParseKnownHosts) does
      `eve.example ${rsa}`,
    ].join('\n');
    const out = convertPublicKeys(text);
    expect(out.recipients).toEqual([recipient, recipient, recipient, recipient, recipient]);
    expect(out.skipped).toEqual([{ line: 6, keyType: 'ssh-rsa', message: rsaNote }]);
  });

  it('empty input gives nothing', () => {
    expect(convertPublicKeys('')).toEqual({ recipients: [], skipped: [] });
    expect(convertPublicKeys('\n\n# only comments\n')).toEqual({ recipients: [], skipped: [] });
  });

  it('fails on a line without a key, naming its number only', () => {
    for (const junk of ['not a key TOPSECRET', 'AGE-SECRET-KEY-1TOPSECRET', '-----BEGIN OPENSSH PRIVATE KEY-----', 'ssh-ed25519']) {
      const e = errorOf(() => convertPublicKeys(`${ed}\n\n${junk}\n${ed}`));
      expect(e.code).toBe('SSH_KEY_INVALID');
      expect(e.message).toMatch(/^line 3[ :]/);
      expect(e.details['line']).toBe(3);
      expect(shownText(e)).not.toContain('TOPSECRET');
    }
    expect(errorOf(() => convertPublicKeys('x\nnot a key')).message).toBe('line 1 holds no SSH public key');
  });

  it('fails on a malformed key, naming the line and never the blob', () => {
    const [t, b] = ed.split(' ') as [string, string];
    const e = errorOf(() => convertPublicKeys(`${ed}\n${t} ${b.slice(0, 30)}`));
    expect(e.message).toBe('line 2: malformed SSH public key: a length field exceeds the data');
    expect(shownText(e)).not.toContain(b.slice(0, 30));
  });
});
