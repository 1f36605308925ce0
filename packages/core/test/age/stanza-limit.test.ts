/**
 * The stanza caps: an age header holds at most MAX_AGE_STANZAS stanzas, a sops file's enc blocks together
 * at most MAX_SOPS_STANZAS. Beyond them a decryption is refused before any stanza is tried (each costs an
 * X25519 exchange per identity), with LIMIT_EXCEEDED instead of "no identity matched" minutes later.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_AGE_STANZAS, decryptAge, encryptAge, generateX25519Identity, identityToRecipient, inspectAgeHeader, parseIdentities, parseRecipient } from '../../src/age/index.js';
import { parseAgeHeader } from '../../src/age/header.js';
import { toBinaryAgeFile } from '../../src/age/armor.js';
import { MAX_SOPS_STANZAS, unwrapDataKey } from '../../src/sops/file.js';
import type { Metadata } from '../../src/sops/metadata.js';
import { SecretsError } from '../../src/errors.js';

const b64 = (n: number): string => randomBytes(n).toString('base64').replace(/=+$/, '');
/** n bogus X25519 stanzas (one random stanza repeated: what they hold does not matter here). */
const bogusStanzas = (n: number): string => `-> X25519 ${b64(32)}\n${b64(32)}\n`.repeat(n);

/** A real age file to `recipient` with `extra` bogus X25519 stanzas inserted before its own. */
async function withBogusStanzas(extra: number, recipient: string): Promise<Uint8Array> {
  const file = Buffer.from(await encryptAge(new TextEncoder().encode('data key'), [parseRecipient(recipient)])).toString('latin1');
  const nl = file.indexOf('\n') + 1;
  return Buffer.from(file.slice(0, nl) + bogusStanzas(extra) + file.slice(nl), 'latin1');
}

async function refusal(promise: Promise<unknown>): Promise<SecretsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SecretsError);
    return error as SecretsError;
  }
  throw new Error('expected a refusal');
}

describe('age header stanza cap', () => {
  it(`parses ${MAX_AGE_STANZAS} stanzas, refuses ${MAX_AGE_STANZAS + 1}`, async () => {
    const who = await identityToRecipient(await generateX25519Identity());
    expect(parseAgeHeader(await withBogusStanzas(MAX_AGE_STANZAS - 1, who)).stanzas).toHaveLength(MAX_AGE_STANZAS);
    const over = await withBogusStanzas(MAX_AGE_STANZAS, who);
    expect(() => parseAgeHeader(over)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    expect(() => inspectAgeHeader(over)).toThrow(/more than 1000 recipient stanzas/);
  });

  it('decryptAge refuses a header over the cap before trying any stanza (100 000 stanzas)', async () => {
    const identity = await generateX25519Identity();
    const file = await withBogusStanzas(100_000, await identityToRecipient(identity));
    const error = await refusal(decryptAge(file, parseIdentities(new TextEncoder().encode(`${identity}\n`), 'test')));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.details).toMatchObject({ limit: 'ageStanzas', max: MAX_AGE_STANZAS });
  });
});

describe('sops: stanzas over all enc blocks', () => {
  const armorOf = (binary: Uint8Array): string => {
    // Armor by hand (PEM-like, 64 columns), as sops stores enc.
    const body = Buffer.from(binary).toString('base64').replace(/(.{64})/g, '$1\n');
    return `-----BEGIN AGE ENCRYPTED FILE-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END AGE ENCRYPTED FILE-----\n`;
  };
  const metadata = (encs: readonly string[], recipient: string): Metadata => ({ keyGroups: [encs.map((enc) => ({ type: 'age', recipient, enc }))], shamirThreshold: 0 }) as unknown as Metadata;

  it('one enc block with 5000 stanzas: LIMIT_EXCEEDED, not a per-key failure', async () => {
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const enc = armorOf(await withBogusStanzas(5000, await identityToRecipient(await generateX25519Identity())));
    expect(toBinaryAgeFile(new TextEncoder().encode(enc)).length).toBeGreaterThan(5000 * 50);
    const error = await refusal(unwrapDataKey(metadata([enc], recipient), parseIdentities(new TextEncoder().encode(`${identity}\n`), 'test')));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.details).toMatchObject({ limit: 'sopsStanzas', max: MAX_SOPS_STANZAS });
  });

  it(`keys spread over many enc blocks count together; a real file (one stanza per key) still opens`, async () => {
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const ids = parseIdentities(new TextEncoder().encode(`${identity}\n`), 'test');
    const stranger = await identityToRecipient(await generateX25519Identity());
    const oneStanza = armorOf(await withBogusStanzas(0, stranger));
    const mine = armorOf(await encryptAge(randomBytes(32), [parseRecipient(recipient)]));
    // 51 keys, ours last (the largest real file in the corpus has 51).
    expect(await unwrapDataKey(metadata([...Array<string>(50).fill(oneStanza), mine], recipient), ids)).toHaveLength(32);
    // 20 blocks of 60 stanzas: 1200 in all.
    const sixty = armorOf(await withBogusStanzas(59, stranger));
    const error = await refusal(unwrapDataKey(metadata([...Array<string>(20).fill(sixty), mine], recipient), ids));
    expect(error.code).toBe('LIMIT_EXCEEDED');
  });
});
