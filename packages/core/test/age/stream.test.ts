// @needs-shared vectors: the agenix, sops-nix and ragenix test keys open the streams it decrypts.
/**
 * Streaming age decryption: the same plaintext and the same errors as `decryptAge`, for every chunk
 * boundary around the STREAM chunk size and for input split in any way (property, fixed seed); truncation
 * and corruption at a chunk boundary are caught; armored input and the full path work.
 */
import { Encrypter } from 'age-encryption';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decryptAge, decryptAgeStream, encryptAge, parseIdentities, parseRecipient } from '../../src/age/index.js';
import { SecretsError } from '../../src/errors.js';
import { vectorText } from './helpers.js';

const X_IDENTITY = parseIdentities(vectorText('sops-nix/age-keys.txt'), 'x');
const X_RECIPIENT = parseRecipient('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw');
const SSH_IDENTITY = parseIdentities(vectorText('agenix/example_keys/user1'), 'user1');
const SSH_RECIPIENT = parseRecipient(vectorText('agenix/example_keys/user1.pub'));
const OTHER = parseIdentities(vectorText('ragenix/keys/key.txt'), 'other');
const K = 64 * 1024;
const payload = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + 5) & 0xff);

async function* split(bytes: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes.length > 0 ? (sizes[i % sizes.length] as number) : bytes.length);
    yield bytes.slice(at, at + n);
    at += n;
  }
}

async function streamed(bytes: Uint8Array, ids = X_IDENTITY, sizes: readonly number[] = []): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  for await (const chunk of decryptAgeStream(split(bytes, sizes), ids)) out.push(chunk);
  return Buffer.concat(out);
}

const outcome = async (p: Promise<Uint8Array>): Promise<unknown> =>
  p.then(
    (b) => ({ ok: Buffer.from(b).toString('hex') }),
    (e: unknown) => (e instanceof SecretsError ? { code: e.code, message: e.message } : { other: String(e) }),
  );

describe('decryptAgeStream', () => {
  it.each([0, 1, K - 1, K, K + 1, 2 * K, 3 * K + 7])('%i bytes, split anywhere, decrypt as decryptAge does', async (n) => {
    const file = await encryptAge(payload(n), [X_RECIPIENT]);
    const expected = Buffer.from(await decryptAge(file, X_IDENTITY)).toString('hex');
    for (const sizes of [[], n < 100 ? [1] : [4093], [7, 1000], [K + 16], [K + 17, 3]]) expect(Buffer.from(await streamed(file, X_IDENTITY, sizes)).toString('hex')).toBe(expected);
  });

  it('truncated, extended or corrupted files fail as decryptAge fails (property, fixed seed)', async () => {
    const files = await Promise.all([0, 10, K, K + 5, 2 * K].map(async (n) => encryptAge(payload(n), [X_RECIPIENT])));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: files.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 3 }), fc.array(fc.integer({ min: 1, max: 70000 }), { maxLength: 3 }), async (which, at, how, sizes) => {
        const file = files[which] as Uint8Array;
        const i = at % file.length;
        const bad =
          how === 0 ? file.slice(0, i) : how === 1 ? Buffer.concat([file, Buffer.from([i & 0xff])]) : how === 2 ? Uint8Array.from(file, (b, j) => (j === i ? b ^ 1 : b)) : file.slice(0, file.length - 16 - (i % 32));
        expect(await outcome(streamed(bad, X_IDENTITY, sizes))).toEqual(await outcome(decryptAge(bad, X_IDENTITY)));
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it('armored input, SSH identities (the full path) and a key that does not match', async () => {
    const armored = await encryptAge(payload(1000), [X_RECIPIENT], { armor: true });
    expect(Buffer.from(await streamed(armored, X_IDENTITY, [5])).equals(Buffer.from(payload(1000)))).toBe(true);
    const e = new Encrypter();
    e.addRecipient(X_RECIPIENT.text);
    const typage = await e.encrypt(payload(K + 3));
    const viaSsh = await encryptAge(payload(K + 3), [SSH_RECIPIENT]);
    expect(Buffer.from(await streamed(viaSsh, SSH_IDENTITY, [100])).equals(Buffer.from(payload(K + 3)))).toBe(true);
    expect(Buffer.from(await streamed(typage, X_IDENTITY)).equals(Buffer.from(payload(K + 3)))).toBe(true);
    expect(await outcome(streamed(typage, OTHER))).toEqual(await outcome(decryptAge(typage, OTHER)));
    await expect(streamed(typage, [])).rejects.toMatchObject({ code: 'AGE_NO_IDENTITIES' });
  });

  it('a header that never ends is refused at the limit, without reading further', async () => {
    let reads = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('age-encryption.org/v1\n-> X25519 abc\n');
      for (;;) {
        reads++;
        yield new Uint8Array(1024).fill(0x41);
      }
    }
    const chunks = decryptAgeStream(endless(), X_IDENTITY, { maxHeaderBytes: 100_000 });
    await expect(chunks.next()).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(reads).toBeLessThan(100);
  });
});
