/**
 * A key that does not match is answered by the native path: one X25519 per stanza, no typage fallback.
 * The full path (`decrypt-session.ts`) is wrapped in a spy to count how often it runs; its answer for the
 * same input is computed directly to show the native "no identity matched" error is the same error.
 */
import { Encrypter } from 'age-encryption';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as session from '../../src/age/decrypt-session.js';
import { decryptAge, encryptAge, generateX25519Identity, identityToRecipient, parseIdentities, parseRecipient, type AgeIdentity } from '../../src/age/index.js';
import { SecretsError } from '../../src/errors.js';
import { createSopsFile, openSopsFile } from '../../src/sops/file.js';
import { rekeySopsFile } from '../../src/sops/rekey.js';
import type { Document } from '../../src/sops/tree.js';

vi.mock('../../src/age/decrypt-session.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/age/decrypt-session.js')>();
  return { ...original, decryptWithSession: vi.fn(original.decryptWithSession) };
});
const fullPath = vi.mocked(session.decryptWithSession);
const { decryptWithSession } = await vi.importActual<typeof import('../../src/age/decrypt-session.js')>('../../src/age/decrypt-session.js');

async function keys(n: number): Promise<{ identities: AgeIdentity[]; recipients: string[] }> {
  const identities: AgeIdentity[] = [];
  const recipients: string[] = [];
  for (let i = 0; i < n; i++) {
    const secret = await generateX25519Identity();
    identities.push(...parseIdentities(`${secret}\n`, `key${i}`));
    recipients.push(await identityToRecipient(secret));
  }
  return { identities, recipients };
}

const data = new TextEncoder().encode('the secret');
const doc: Document = { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'k', value: { kind: 'string', value: 'v' } }] }] };

async function failure(promise: Promise<unknown>): Promise<SecretsError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SecretsError);
  return error as SecretsError;
}

describe('a key that does not match (native path)', () => {
  beforeEach(() => {
    fullPath.mockClear();
  });

  it('answers "no identity matched" without the full path, with the full path\'s exact error', async () => {
    const { identities, recipients } = await keys(5);
    const cases: { file: Uint8Array; ids: AgeIdentity[] }[] = [
      // one stanza, one identity
      { file: await encryptAge(data, [parseRecipient(recipients[0] as string)]), ids: [identities[1] as AgeIdentity] },
      // several stanzas, several identities, armored
      { file: await encryptAge(data, recipients.slice(0, 3).map((r) => parseRecipient(r)), { armor: true }), ids: identities.slice(3) },
    ];
    // a stanza of another type beside the X25519 one (typage's grease-free writer, an scrypt-free mix)
    const e = new Encrypter();
    e.addRecipient(recipients[0] as string);
    e.addRecipient(recipients[1] as string);
    cases.push({ file: await e.encrypt(data), ids: identities.slice(2, 4) });
    for (const { file, ids } of cases) {
      const native = await failure(decryptAge(file, ids));
      expect(fullPath).not.toHaveBeenCalled();
      const full = await failure(decryptWithSession(file, ids, {}));
      expect({ code: native.code, message: native.message, hints: native.hints, details: native.details }).toEqual({
        code: full.code,
        message: full.message,
        hints: full.hints,
        details: full.details,
      });
      expect(native.code).toBe('AGE_NO_IDENTITY_MATCHED');
    }
  });

  it('opens with the key listed after keys that do not match, without the full path', async () => {
    const { identities, recipients } = await keys(3);
    const file = await encryptAge(data, [parseRecipient(recipients[2] as string)]);
    expect(new TextDecoder().decode(await decryptAge(file, identities))).toBe('the secret');
    expect(fullPath).not.toHaveBeenCalled();
  });

  it('sops: decrypt and rekey with your key listed last of 6 never run the full path', async () => {
    const { identities, recipients } = await keys(7);
    const mine = identities[5] as AgeIdentity;
    const file = await createSopsFile(doc, { format: 'yaml', keyGroups: [recipients.slice(0, 6).map((r) => parseRecipient(r))], now: new Date('2026-01-01T00:00:00Z') });
    const opened = await openSopsFile(file, { format: 'yaml', identities: [mine] });
    expect(opened.document).toEqual(doc);
    await rekeySopsFile(file, { format: 'yaml', identities: [mine], keyGroups: [recipients.map((r) => parseRecipient(r))] });
    expect(fullPath).not.toHaveBeenCalled();
    // and a key that is in none of them: every entry tried natively, the report as before
    const error = await failure(openSopsFile(file, { format: 'yaml', identities: [identities[6] as AgeIdentity] }));
    expect(error.code).toBe('SOPS_DATA_KEY_UNAVAILABLE');
    expect(error.hints.filter((h) => h.includes('no identity matched (stanza X25519)'))).toHaveLength(6);
    expect(error.hints).toContain('identities tried:');
    expect(fullPath).not.toHaveBeenCalled();
  });

  it('still leaves SSH identities and malformed stanzas to the full path', async () => {
    const { identities, recipients } = await keys(2);
    const file = await encryptAge(data, [parseRecipient(recipients[0] as string)]);
    // a share of the wrong length: the full path calls the stanza malformed
    const text = new TextDecoder().decode(file);
    const broken = new TextEncoder().encode(text.replace(/-> X25519 ([A-Za-z0-9+/]{43})/, '-> X25519 $1AAAA'));
    await expect(decryptAge(broken, [identities[1] as AgeIdentity])).rejects.toMatchObject({ code: 'AGE_FILE_INVALID' });
    expect(fullPath).toHaveBeenCalledTimes(1);
  });
});
