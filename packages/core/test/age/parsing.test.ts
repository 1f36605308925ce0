// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * Recipient and identity parsing (sops' rules), key helpers, and the strict header reader.
 */
import { inspect } from 'node:util';
import { generateHybridIdentity, identityToRecipient as typageIdentityToRecipient } from 'age-encryption';
import { bech32 } from '@scure/base';
import { describe, expect, it } from 'vitest';
import {
  describeIdentity,
  encryptAge,
  generateX25519Identity,
  identityToRecipient,
  inspectAgeHeader,
  isArmored,
  parseIdentities,
  parseRecipient,
  summarizeStanzas,
} from '../../src/age/index.js';
import { enc, failure, readVector, vectorText } from './helpers.js';

const AGE_KEY = vectorText('sops-nix/age-keys.txt').split('\n')[2] as string;
const AGE_RECIPIENT = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';
const RAGENIX_KEY = vectorText('ragenix/keys/key.txt').split('\n')[2] as string;
const SMALL_RSA =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDRjZ8w0sPV8Jm0OCn2v3C9SOhzQp3Xbo4gn6lBaXcM9SCBrSrIQAUhTJKLTzdaHx8n86exHIqgmr8V85GqLVRX9vhU3KF1TpxSBkoSs0HwtLA7wE4HbyeoEdomKfqSxm6GHntlnuSnCunXLUeRD84ydgD5h1b5ZCd1EmOGtbeLvQ==';

describe('parseRecipient (sops parseRecipient rules)', () => {
  it('X25519, trimmed, text kept', () => {
    expect(parseRecipient(`  ${AGE_RECIPIENT}\n`)).toEqual({ kind: 'x25519', text: AGE_RECIPIENT });
  });

  it('SSH keys keep their comment verbatim (sops stores it)', () => {
    const line = vectorText('sops-nix/ssh-ed25519-key.pub').trim();
    const r = parseRecipient(line);
    expect(r.kind).toBe('ssh-ed25519');
    expect(r.text).toBe(line);
    const rsa = vectorText('ragenix/secrets.nix').match(/ssh-rsa [A-Za-z0-9+/=]+/)?.[0] as string;
    expect(parseRecipient(`${rsa} admin@host`)).toMatchObject({ kind: 'ssh-rsa', text: `${rsa} admin@host` });
  });

  it('age1pq1 is hybrid, validated', async () => {
    const recipient = await typageIdentityToRecipient(await generateHybridIdentity());
    expect(parseRecipient(recipient)).toEqual({ kind: 'hybrid', text: recipient });
    // Change the last checksum character (to something else: replacing a 'q' by 'q' would change nothing).
    const corrupted = `${recipient.slice(0, -1)}${recipient.endsWith('q') ? 'p' : 'q'}`;
    expect((await failure(() => parseRecipient(corrupted))).code).toBe('AGE_RECIPIENT_INVALID');
  });

  it('plugin recipients (more than one "1") name their plugin; a bad checksum is refused', async () => {
    const e = await failure(() => parseRecipient('age1yubikey1qwertyqwerty'));
    expect(e.code).toBe('AGE_RECIPIENT_INVALID');
    expect(e.message).toBe('invalid age plugin recipient "age1yubikey1qwertyqwerty" (bad bech32 checksum or case)');
    const valid = bech32.encode('age1yubikey', bech32.toWords(new Uint8Array(33).fill(2)), false);
    expect(parseRecipient(valid)).toEqual({ kind: 'plugin', text: valid, plugin: 'yubikey' });
  });

  it('bad X25519: checksum, length, upper case', async () => {
    for (const bad of [`${AGE_RECIPIENT.slice(0, -1)}x`, 'age1qqqqqqqq', AGE_RECIPIENT.toUpperCase()]) {
      expect((await failure(() => parseRecipient(bad))).code).toBe('AGE_RECIPIENT_INVALID');
    }
  });

  it('RSA under 2048 bits is refused at parse time (agessh.ParseRecipient does)', async () => {
    const e = await failure(() => parseRecipient(SMALL_RSA));
    expect(e.code).toBe('AGE_RECIPIENT_INVALID');
    expect(e.message).toBe('ssh-rsa key of 1024 bits is too small: age needs at least 2048');
  });

  it('secret keys pasted as recipients are refused without being echoed', async () => {
    const secrets = [
      AGE_KEY,
      `# comment\n${AGE_KEY}`,
      AGE_KEY.toLowerCase(),
      'AGE-PLUGIN-YUBIKEY-1QQQQQQ',
      vectorText('agenix/example_keys/user1'),
      vectorText('agenix/example_keys/user1').split('\n').slice(1, 3).join(''),
    ];
    for (const s of secrets) {
      const e = await failure(() => parseRecipient(s));
      expect(e.code).toBe('AGE_RECIPIENT_INVALID');
      expect(e.message).toBe('this looks like a secret key, not a recipient');
      expect(JSON.stringify({ m: e.message, h: e.hints, d: e.details })).not.toContain(s.slice(20, 40));
    }
  });

  it('unknown types are quoted; empty input and bad SSH keys explained', async () => {
    expect((await failure(() => parseRecipient('pgp:ABCDEF'))).message).toBe('unknown recipient type: "pgp:ABCDEF"');
    const ecdsa = await failure(() => parseRecipient('ecdsa-sha2-nistp256 AAAAE2VjZHNh'));
    expect(ecdsa.hints[0]).toMatch(/ssh-ed25519 and ssh-rsa keys only/);
    expect((await failure(() => parseRecipient('   '))).message).toBe('empty recipient');
    const broken = await failure(() => parseRecipient('ssh-ed25519 AAAAnotbase64!!'));
    expect(broken.code).toBe('AGE_RECIPIENT_INVALID');
    expect(broken.message).toMatch(/^invalid SSH recipient: /);
  });
});

describe('parseIdentities', () => {
  it('keys.txt: comments, blank lines, CRLF, several keys; origins carry line numbers', () => {
    const text = `${vectorText('sops-nix/age-keys.txt')}\r\n\r\n${vectorText('ragenix/keys/key.txt').replace(/\n/g, '\r\n')}`;
    const ids = parseIdentities(text, 'SOPS_AGE_KEY_FILE (/k.txt)');
    expect(ids.map((i) => [i.kind, i.origin])).toEqual([
      ['x25519', 'SOPS_AGE_KEY_FILE (/k.txt) line 3'],
      ['x25519', 'SOPS_AGE_KEY_FILE (/k.txt) line 8'],
    ]);
  });

  it('whitespace-separated keys on one line (SOPS_AGE_KEY)', () => {
    const ids = parseIdentities(`${AGE_KEY} \t${RAGENIX_KEY}`, 'SOPS_AGE_KEY');
    expect(ids.map((i) => i.origin)).toEqual(['SOPS_AGE_KEY line 1 key 1', 'SOPS_AGE_KEY line 1 key 2']);
  });

  it('bytes and text give the same result; a BOM is ignored', () => {
    expect(parseIdentities(enc(`\uFEFF${AGE_KEY}\n`), 'k')).toHaveLength(1);
  });

  it('bad lines fail naming origin and line, never the content', async () => {
    const bad = await failure(() => parseIdentities(`# ok\nAGE-SECRET-KEY-1NOTVALIDNOTVALIDSECRETISH\n`, 'k.txt'));
    expect(bad.code).toBe('AGE_IDENTITY_INVALID');
    expect(bad.message).toBe('k.txt line 2: malformed age identity (bad bech32 checksum or length)');
    expect((await failure(() => parseIdentities('hello there\n', 'k.txt'))).message).toBe('k.txt line 1 key 1: unknown identity type');
    expect((await failure(() => parseIdentities(`${AGE_RECIPIENT}\n`, 'k.txt'))).message).toBe('k.txt line 1: this is a recipient (a public key), not an identity');
    const lower = await failure(() => parseIdentities(AGE_KEY.toLowerCase(), 'k.txt'));
    expect(lower.message).toBe('k.txt line 1: age identities are upper case (AGE-SECRET-KEY-1…)');
    expect(JSON.stringify([lower.message, lower.hints])).not.toContain(AGE_KEY.toLowerCase().slice(16, 40));
  });

  it('plugin identities are parsed (the secret kept out of enumeration); a bad checksum is refused', () => {
    const id = bech32.encode('AGE-PLUGIN-YUBIKEY-', bech32.toWords(new Uint8Array(20).fill(4)), false).toUpperCase();
    expect(parseIdentities(`${id}\n`, 'k')).toEqual([{ kind: 'plugin', origin: 'k line 1', plugin: 'yubikey' }]);
    expect(() => parseIdentities('AGE-PLUGIN-YUBIKEY-1QQQQQQ\n', 'k')).toThrow('k line 1: malformed age plugin identity (bad bech32 checksum or case)');
  });

  it('post-quantum identities', async () => {
    const pq = await generateHybridIdentity();
    const [id] = parseIdentities(`# pq\n${pq}\n`, 'pq.txt');
    expect(id?.kind).toBe('hybrid');
    const flipped = `${pq.slice(0, -1)}${pq.endsWith('Q') ? 'P' : 'Q'}`;
    expect((await failure(() => parseIdentities(flipped, 'pq.txt'))).code).toBe('AGE_IDENTITY_INVALID');
  });

  it('OpenSSH private keys: ed25519 and RSA, with the public key from the clear envelope', () => {
    const [ed] = parseIdentities(readVector('ragenix/keys/id_ed25519'), '~/.ssh/id_ed25519');
    expect(ed).toMatchObject({ kind: 'ssh-ed25519', origin: '~/.ssh/id_ed25519', encrypted: false });
    const [rsa] = parseIdentities(vectorText('ragenix/keys/id_rsa'), '~/.ssh/id_rsa');
    expect(rsa).toMatchObject({ kind: 'ssh-rsa', encrypted: false });
    const [locked] = parseIdentities(vectorText('ssh-to-age/id_ed25519_passphrase'), 'locked');
    expect(locked).toMatchObject({ kind: 'ssh-ed25519', encrypted: true });
  });

  it('SSH key errors name the origin', async () => {
    const e = await failure(() => parseIdentities('-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n', '/etc/ssh/old_key'));
    expect(e.code).toBe('SSH_KEY_INVALID'); // PEM keys are read; this one is truncated
    expect(e.message).toMatch(/^\/etc\/ssh\/old_key: /);
  });

  it('encrypted identity files are detected from their first bytes (binary or armored)', () => {
    for (const source of ['age-encryption.org/v1\n-> scrypt …', '\n  -----BEGIN AGE ENCRYPTED FILE-----\n…']) {
      expect(parseIdentities(source, 'keys.age')[0]?.kind).toBe('encrypted-file');
    }
  });

  it('secrets are not enumerable: logging or serializing an identity does not print the key', () => {
    const [x] = parseIdentities(AGE_KEY, 'k');
    const [ssh] = parseIdentities(vectorText('agenix/example_keys/user1'), 'u');
    for (const id of [x, ssh]) {
      expect(JSON.stringify(id)).not.toMatch(/AGE-SECRET-KEY|PRIVATE KEY/);
      expect(inspect(id, { depth: 5 })).not.toMatch(/AGE-SECRET-KEY|PRIVATE KEY/);
    }
    expect(x?.kind === 'x25519' && x.secret).toBe(AGE_KEY);
  });
});

describe('describeIdentity, identityToRecipient, generateX25519Identity', () => {
  it('an SSH ed25519 identity opens its native recipient and its ssh-to-age one', async () => {
    const [id] = parseIdentities(vectorText('sops-nix/ssh-ed25519-key'), 'host key');
    const d = await describeIdentity(id as never);
    const pub = vectorText('sops-nix/ssh-ed25519-key.pub').trim().split(' ').slice(0, 2).join(' ');
    expect(d.recipients).toEqual([pub, 'age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs']);
    expect(await identityToRecipient(id as never)).toBe(pub);
    expect(await identityToRecipient(vectorText('sops-nix/ssh-ed25519-key'))).toBe(pub);
  });

  it('X25519 and post-quantum identities give what age-keygen -y gives', async () => {
    expect(await identityToRecipient(AGE_KEY)).toBe(AGE_RECIPIENT);
    expect(await identityToRecipient(vectorText('ragenix/keys/key.txt'))).toBe('age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk');
    const pq = await generateHybridIdentity();
    expect(await identityToRecipient(pq)).toBe(await typageIdentityToRecipient(pq));
  });

  it('refuses several identities, identity files and plugins', async () => {
    expect((await failure(identityToRecipient(`${AGE_KEY}\n${RAGENIX_KEY}`))).message).toBe('expected exactly one identity, found 2');
    expect((await failure(identityToRecipient('AGE-PLUGIN-X-1QQ'))).code).toBe('AGE_IDENTITY_INVALID');
    const plugin = bech32.encode('AGE-PLUGIN-X-', bech32.toWords(new Uint8Array(20)), false).toUpperCase();
    expect((await failure(identityToRecipient(plugin))).message).toMatch(/known to its plugin only/);
    expect((await failure(identityToRecipient('age-encryption.org/v1\n'))).code).toBe('AGE_IDENTITY_INVALID');
  });

  it('generateX25519Identity gives fresh, valid keys', async () => {
    const a = await generateX25519Identity();
    const b = await generateX25519Identity();
    expect(a).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    expect(a).not.toBe(b);
    expect(parseRecipient(await identityToRecipient(a)).kind).toBe('x25519');
  });
});

describe('inspectAgeHeader: strict, for diagnostics', () => {
  const valid = async (): Promise<string> => Buffer.from(await encryptAge(enc('x'), [parseRecipient(AGE_RECIPIENT)])).toString('latin1');
  const header = (file: string): string => file.slice(0, file.indexOf('\n---') + 49);

  it('lists types and args (tags for SSH); armored too; summary groups them', async () => {
    const { stanzas } = inspectAgeHeader(readVector('ragenix/root.passwd.age'));
    expect(stanzas.map((s) => s.type).slice(0, 3)).toEqual(['X25519', 'ssh-ed25519', 'ssh-rsa']);
    expect(stanzas[1]?.args[0]).toBe('a6H7Ng');
    expect(summarizeStanzas(stanzas)).toMatch(/^X25519, ssh-ed25519 \(tag a6H7Ng\), ssh-rsa \(tag 1NDNnA\), .*grease/);
    expect(summarizeStanzas([{ type: 'X25519', args: [] }, { type: 'X25519', args: [] }])).toBe('X25519 ×2');
    const armored = vectorText('agenix/example/armored-secret.age');
    expect(isArmored(enc(armored))).toBe(true);
    expect(inspectAgeHeader(enc(armored)).stanzas).toEqual([{ type: 'ssh-ed25519', args: ['V3XmEA', expect.any(String)] }]);
  });

  it('rejects malformed headers with AGE_FILE_INVALID, never quoting the file', async () => {
    const good = header(await valid());
    const bodyLine = good.split('\n')[2] as string;
    const cases: [string, string][] = [
      ['plain text\n', 'not an age file'],
      [good.replace('/v1', '/v2'), 'unsupported version'],
      [good.replace('\n', '\r\n'), 'non-printable byte'],
      [good.replace('-> X25519 ', '-> X25519  '), 'malformed stanza line'],
      [good.replace('-> X25519', '->X25519'), 'malformed stanza line'],
      [good.replace(`${bodyLine}\n`, ''), 'no final short line'],
      [good.replace('\n', '\nhello\n'), 'unexpected line'],
      [good.replace(`${bodyLine}\n`, `${bodyLine}=\n`), 'canonical unpadded base64'],
      [good.replace(/\n--- .*\n$/, '\n--- AAAA\n'), 'malformed header MAC line'],
      [good.replace(/\n--- (.*)\n$/, '\n---$1\n'), 'malformed header MAC line'],
      [good.slice(0, good.indexOf('\n---') + 1), 'truncated'],
      [`age-encryption.org/v1\n--- ${'A'.repeat(43)}\n`, 'no recipient stanza'],
      [`age-encryption.org/v1\n-> x\n${'A'.repeat(64)}\n--- ${'A'.repeat(43)}\n`, 'no final short line'],
      [`age-encryption.org/v1\n-> x\n${'A'.repeat(68)}\n`, 'longer than 64 columns'],
    ];
    for (const [file, why] of cases) {
      const e = await failure(() => inspectAgeHeader(enc(file)));
      expect(e.code, why).toBe('AGE_FILE_INVALID');
      expect(e.message, why).toContain(why);
    }
    // A full 64-column body line followed by an empty final line is valid.
    expect(inspectAgeHeader(enc(`age-encryption.org/v1\n-> x\n${'A'.repeat(64)}\n\n--- ${'A'.repeat(43)}\n`)).stanzas).toEqual([{ type: 'x', args: [] }]);
  });

  it('malformed armor is AGE_FILE_INVALID', async () => {
    const armored = vectorText('agenix/example/armored-secret.age');
    for (const bad of [armored.replace('\nYWdl', '\n YWdl'), `${armored}garbage\n`, armored.replace('-----END AGE ENCRYPTED FILE-----', '')]) {
      expect((await failure(() => inspectAgeHeader(enc(bad)))).code).toBe('AGE_FILE_INVALID');
    }
  });
});
