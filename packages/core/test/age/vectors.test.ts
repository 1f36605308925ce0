// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * Real age files written by other tools (agenix, ragenix, sops), opened with each listed key alone, and
 * refused with a full explanation by keys they are not for.
 */
import { createDecipheriv } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decryptAge, inspectAgeHeader, parseIdentities } from '../../src/age/index.js';
import { SOPS_NIX_DATA_KEY, VECTORS, dec, enc, expected, failure, hex, readVector, sopsAgeBlocks, vectorText } from './helpers.js';

async function open(file: Uint8Array, keyPath: string): Promise<Uint8Array> {
  return decryptAge(file, parseIdentities(readVector(keyPath), keyPath));
}

describe('agenix vectors (ssh-ed25519 recipients, native stanzas)', () => {
  it('every .age file in the folder is listed in expected.json', () => {
    const files = readdirSync(new URL('agenix/example/', VECTORS)).filter((f) => f.endsWith('.age'));
    expect(files.sort()).toEqual(expected.agenix.files.map((f) => f.file.replace('example/', '')).sort());
  });

  for (const v of expected.agenix.files) {
    for (const who of v.recipients.filter((r) => !r.startsWith('+'))) {
      it(`${v.file} opens with ${who} alone`, async () => {
        expect(dec(await open(readVector(`agenix/${v.file}`), `agenix/example_keys/${who}`))).toBe(v.plaintext);
      });
    }
  }

  it('a key the file is not for: AGE_NO_IDENTITY_MATCHED listing the stanzas, tags and why', async () => {
    // secret2.age is for user1 only; system1 tries it.
    const e = await failure(open(readVector('agenix/example/secret2.age'), 'agenix/example_keys/system1'));
    const tags = expected.agenix.ssh_ed25519_stanza_tags;
    expect(e.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(e.message).toBe("no identity matched any of the file's recipients");
    expect(e.hints[0]).toBe(`the file has stanzas: ssh-ed25519 (tag ${tags['user1']})`);
    expect(e.hints[1]).toBe('identities tried:');
    const line = e.hints.find((h) => h.startsWith('  agenix/example_keys/system1 '));
    expect(line).toBe(
      `  agenix/example_keys/system1 (ssh-ed25519, tag ${tags['system1']}): no ssh-ed25519 stanza with this tag (the file's ssh-ed25519 stanza is tagged ${tags['user1']}); ` +
        'as its ssh-to-age recipient age1' + (line?.split('age1')[1]?.split(':')[0] ?? '') + ': the file has no X25519 stanza',
    );
    expect(e.details['stanzas']).toEqual([{ type: 'ssh-ed25519', tag: tags['user1'] }]);
    expect(JSON.stringify(e)).not.toMatch(/PRIVATE KEY|AGE-SECRET-KEY/);
  });

  it('the header lists both tags and the grease stanza of passwordfile-user1.age', () => {
    const { stanzas } = inspectAgeHeader(readVector('agenix/example/passwordfile-user1.age'));
    expect(stanzas.filter((s) => s.type === 'ssh-ed25519').map((s) => s.args[0]).sort()).toEqual(['KLPP8w', 'V3XmEA']);
    expect(stanzas.length).toBe(3);
  });
});

describe('ragenix vectors: X25519 + ssh-ed25519 + ssh-rsa (3072) + grease in one file', () => {
  for (const v of expected.ragenix.files) {
    const path = `ragenix/${v.file.replace(/^example\//, '')}`;
    for (const key of ['ragenix/keys/key.txt', 'ragenix/keys/id_ed25519', 'ragenix/keys/id_rsa']) {
      it(`${v.file} opens with ${key} alone`, async () => {
        expect(dec(await open(readVector(path), key))).toBe(v.plaintext);
      });
    }
    it(`${v.file}: the armored copy in expected.json opens too, and the header matches the listed stanzas`, async () => {
      const armored = (v as unknown as { content: string }).content;
      expect(dec(await open(enc(armored), 'ragenix/keys/id_rsa'))).toBe(v.plaintext);
      const { stanzas } = inspectAgeHeader(enc(armored));
      expect(stanzas.map((s) => (s.type.endsWith('grease') ? 'grease' : s.type.startsWith('ssh-') ? `${s.type} ${s.args[0]}` : s.type))).toEqual(v.stanzas);
    });
  }

  it('a plugin identity alone is explained, not fatal', async () => {
    const e = await failure(open(readVector('ragenix/root.passwd.age'), 'ragenix/keys/example_plugin_key.txt'));
    expect(e.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(e.hints).toContain('  ragenix/keys/example_plugin_key.txt line 3 (age plugin unencrypted): age plugin "unencrypted" cannot run: no age plugin host is set');
  });
});

describe('sops-nix data keys (armored age blocks inside sops YAML)', () => {
  const blocks = sopsAgeBlocks('sops-nix/secrets.yaml');
  const sshKey = (): ReturnType<typeof parseIdentities> => parseIdentities(vectorText('sops-nix/ssh-ed25519-key'), 'ssh-ed25519-key');
  const ageKeys = (): ReturnType<typeof parseIdentities> => parseIdentities(vectorText('sops-nix/age-keys.txt'), 'age-keys.txt');
  const block = (recipient: string): Uint8Array => enc(blocks.find((b) => b.recipient === recipient)?.armored ?? '');

  it('secrets.yaml has the two X25519 recipients', () => {
    expect(blocks.map((b) => b.recipient)).toEqual([
      'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw',
      'age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs',
    ]);
  });

  it('age-keys.txt opens the block for age1yt3t…', async () => {
    expect(hex(await decryptAge(block('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw'), ageKeys()))).toBe(SOPS_NIX_DATA_KEY);
  });

  it('the SSH host key opens the X25519 block for its ssh-to-age recipient age1a8pk… (what sops itself cannot)', async () => {
    expect(hex(await decryptAge(block('age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs'), sshKey()))).toBe(SOPS_NIX_DATA_KEY);
  });

  it('each identity opens exactly its own block, and the miss names the converted recipient', async () => {
    const e = await failure(decryptAge(block('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw'), sshKey()));
    expect(e.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(e.hints.join('\n')).toContain(
      "as its ssh-to-age recipient age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs: not the recipient of the file's X25519 stanza",
    );
    expect((await failure(decryptAge(block('age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs'), ageKeys()))).code).toBe('AGE_NO_IDENTITY_MATCHED');
  });

  it('secrets-native-ssh.yaml (sops 3.13): the SSH key opens its native ssh-ed25519 stanza', async () => {
    const [native] = sopsAgeBlocks('sops-nix/secrets-native-ssh.yaml');
    expect(native?.recipient).toBe(vectorText('sops-nix/ssh-ed25519-key.pub').trim().split(' ').slice(0, 2).join(' '));
    const dataKey = await decryptAge(enc(native?.armored ?? ''), sshKey());
    expect(dataKey).toHaveLength(32);
    // Independent check that the key is sops's data key: it opens test_key (AES-256-GCM, 32-byte IV,
    // additional data = the key path + ':', sops-format.md §1).
    const m = /test_key: ENC\[AES256_GCM,data:([^,]+),iv:([^,]+),tag:([^,]+),type:str\]/.exec(vectorText('sops-nix/secrets-native-ssh.yaml'));
    const [data, iv, tag] = [m?.[1], m?.[2], m?.[3]].map((x) => Buffer.from(x ?? '', 'base64')) as [Buffer, Buffer, Buffer];
    const gcm = createDecipheriv('aes-256-gcm', dataKey, iv);
    gcm.setAAD(Buffer.from('test_key:'));
    gcm.setAuthTag(tag);
    expect(Buffer.concat([gcm.update(data), gcm.final()]).length).toBe(data.length);
  });

  it('CRLF and surrounding whitespace around the armor are tolerated', async () => {
    const armored = blocks[0]?.armored ?? '';
    const mangled = `\r\n  \t${armored.replace(/\n/g, '\r\n')}\r\n\n  `;
    expect(hex(await decryptAge(enc(mangled), ageKeys()))).toBe(SOPS_NIX_DATA_KEY);
  });
});
