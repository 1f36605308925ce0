// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * The node:crypto age path against typage (the full path): files written by one open with the other, for
 * X25519 and ssh-ed25519 recipients and multi-chunk payloads; the native decrypter answers only what it
 * fully handles and leaves everything else (null) to the full path.
 */
import { Decrypter, Encrypter, armor } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { decryptAge, encryptAge, parseIdentities, parseRecipient, type AgeIdentity } from '../../src/age/index.js';
import { decryptWithSession } from '../../src/age/decrypt-session.js';
import { encryptWithTypage } from '../../src/age/encrypt-typage.js';
import { nativeDecrypt, nativeEncrypt } from '../../src/age/native.js';
import { hex, vectorText } from './helpers.js';

const X_IDENTITY = parseIdentities(vectorText('sops-nix/age-keys.txt'), 'x');
const X_RECIPIENT = parseRecipient('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw');
const SSH_IDENTITY = parseIdentities(vectorText('agenix/example_keys/user1'), 'user1');
const SSH_RECIPIENT = parseRecipient(vectorText('agenix/example_keys/user1.pub'));
const opened = (r: ReturnType<typeof nativeDecrypt>): Uint8Array => (r !== null && 'opened' in r ? r.opened : new Uint8Array([0xde, 0xad]));
const secretOf = (id: AgeIdentity): string => (id as { secret: string }).secret;

const sizes = [0, 1, 32, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 3 * 64 * 1024];
const payload = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

describe('native age', () => {
  it.each(sizes)('native encryption of %i bytes opens with typage and with the full path', async (n) => {
    const data = payload(n);
    const file = nativeEncrypt(data, [X_RECIPIENT, SSH_RECIPIENT], false);
    expect(file).not.toBeNull();
    const d = new Decrypter();
    d.addIdentity(secretOf(X_IDENTITY[0] as AgeIdentity));
    expect(hex(await d.decrypt(file as Uint8Array))).toBe(hex(data));
    expect(hex(await decryptWithSession(file as Uint8Array, SSH_IDENTITY, {}))).toBe(hex(data));
  });

  it.each(sizes)('typage encryption of %i bytes opens natively', async (n) => {
    const data = payload(n);
    const e = new Encrypter();
    e.addRecipient(X_RECIPIENT.text);
    const file = await e.encrypt(data);
    expect(hex(opened(nativeDecrypt(file, X_IDENTITY)))).toBe(hex(data));
    expect(hex(opened(nativeDecrypt(new TextEncoder().encode(armor.encode(file)), X_IDENTITY)))).toBe(hex(data));
  });

  it('writes armor exactly as typage does', async () => {
    const file = await encryptWithTypage(payload(100), [X_RECIPIENT], false);
    const ours = new TextDecoder().decode(nativeEncrypt(payload(100), [X_RECIPIENT], true));
    expect(ours).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n([A-Za-z0-9+/]{64}\n)+[A-Za-z0-9+/=]{4,64}\n-----END AGE ENCRYPTED FILE-----\n$/);
    expect(ours.split('\n').length).toBe(armor.encode(file).split('\n').length);
  });

  it('leaves to the full path what it does not fully handle', async () => {
    const data = payload(10);
    const file = (await encryptAge(data, [X_RECIPIENT, SSH_RECIPIENT]));
    // an SSH identity first: it may need a prompt, so the full path decides
    expect(nativeDecrypt(file, [...SSH_IDENTITY, ...X_IDENTITY])).toBeNull();
    expect(hex(await decryptAge(file, [...SSH_IDENTITY, ...X_IDENTITY]))).toBe(hex(data));
    // no X25519 identity matches: answered here, with what was tried (native-miss.test.ts)
    const other = parseIdentities(vectorText('ragenix/keys/key.txt'), 'other');
    expect(nativeDecrypt(file, other)).toMatchObject({ unmatched: [{ origin: 'other line 3', kind: 'x25519' }] });
    await expect(decryptAge(file, other)).rejects.toMatchObject({ code: 'AGE_NO_IDENTITY_MATCHED' });
    // a payload bit flip: the full path reports it
    const broken = file.slice();
    broken[broken.length - 1] = (broken[broken.length - 1] as number) ^ 1;
    expect(nativeDecrypt(broken, X_IDENTITY)).toBeNull();
    await expect(decryptAge(broken, X_IDENTITY)).rejects.toMatchObject({ code: 'AGE_FILE_INVALID' });
    // a header MAC mismatch
    const text = new TextDecoder().decode(file);
    const macAt = text.indexOf('\n--- ') + 5;
    const tampered = new TextEncoder().encode(text.slice(0, macAt) + (text[macAt] === 'A' ? 'B' : 'A') + text.slice(macAt + 1));
    expect(nativeDecrypt(tampered, X_IDENTITY)).toBeNull();
    await expect(decryptAge(tampered, X_IDENTITY)).rejects.toMatchObject({ code: 'AGE_FILE_INVALID' });
  });

  it('draws fresh randomness for every file and stanza (the pool never hands out the same bytes twice)', () => {
    // 300 files × 2 stanzas: more than one pool's worth of file keys, nonces and ephemeral scalars.
    const shares = new Set<string>();
    const nonces = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const file = nativeEncrypt(payload(1), [X_RECIPIENT, SSH_RECIPIENT], false) as Uint8Array;
      const text = Buffer.from(file).toString('latin1');
      for (const m of text.matchAll(/^-> (?:X25519|ssh-ed25519 \S+) (\S+)$/gm)) shares.add(m[1] as string);
      const headerEnd = text.indexOf('\n', text.indexOf('\n--- ')) + 1;
      nonces.add(hex(file.subarray(headerEnd, headerEnd + 16)));
    }
    expect(shares.size).toBe(600);
    expect(nonces.size).toBe(300);
  });

  it('declines recipients it does not implement', () => {
    const rsa = parseRecipient(/ssh-rsa [A-Za-z0-9+/=]+/.exec(vectorText('ragenix/secrets.nix'))?.[0] as string);
    expect(nativeEncrypt(payload(1), [X_RECIPIENT, rsa], false)).toBeNull();
  });
});
