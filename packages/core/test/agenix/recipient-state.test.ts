import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encryptAge, generateX25519Identity, identityToRecipient, inspectAgeHeader, parseRecipient } from '../../src/age/index.js';
import { fileDigest, formatAgenixLock, parseAgenixLock, recipientSetDigest, recipientState } from '../../src/agenix/recipient-state.js';
import { formatSecretsNix, parseSecretsNix } from '../../src/agenix/secrets-nix.js';
import { parseSopsConfig } from '../../src/config/schema.js';
import { SecretsError } from '../../src/errors.js';
import { readVector } from '../age/helpers.js';
import { itShared } from '../../../../test/support/shared.js';

const user1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL0idNvgGiucWgup/mP78zyC23uFjYq0evcWdjGQUaBH';
const system1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPJDyIr/FSz1cJdcoW69R+NrWzwGK/+3gJpqD1t8L2zE';
const state = (file: Uint8Array, keys: readonly string[], entry?: Parameters<typeof recipientState>[3]): ReturnType<typeof recipientState> =>
  recipientState(inspectAgeHeader(file).stanzas, keys.map((k) => parseRecipient(k)), file, entry);

describe('recipient state of .age files', () => {
  itShared('vectors', 'ssh recipients are judged by their stanza tags alone (agenix vectors)', () => {
    const secret1 = readVector('agenix/example/secret1.age');
    expect(state(secret1, [user1, system1])).toEqual({ current: true });
    expect(state(secret1, [system1, `${user1} renamed-comment`])).toEqual({ current: true });
    const dropped = state(secret1, [user1]);
    expect(dropped.current).toBe(false);
    expect(!dropped.current && dropped.reason).toMatch(/^ssh recipients changed \(dropped ssh-ed25519 [A-Za-z0-9+/]{6}\)$/);
    const added = state(readVector('agenix/example/secret2.age'), [user1, system1]);
    expect(!added.current && added.reason).toMatch(/new ssh-ed25519/);
  });

  it('X25519 stanzas are anonymous: current only when secrets.lock vouches for this file and this set', async () => {
    const [ra = '', rb = ''] = await Promise.all([generateX25519Identity(), generateX25519Identity()].map(async (i) => identityToRecipient(await i)));
    const file = await encryptAge(new TextEncoder().encode('x!'), [parseRecipient(ra), parseRecipient(user1)]);
    const entry = { recipients: recipientSetDigest([ra, user1].map((k) => parseRecipient(k))), sha256: fileDigest(file) };
    expect(state(file, [ra, user1], entry)).toEqual({ current: true });
    expect(state(file, [user1, ra], entry)).toEqual({ current: true });
    expect(state(file, [ra, user1])).toEqual({ current: false, reason: 'its X25519 recipients are anonymous and secrets.lock has no record of them', certain: false });
    // a swapped X25519 key: same stanza count and tags, only the record tells
    expect(state(file, [rb, user1], entry)).toEqual({ current: false, reason: 'its X25519 recipients changed (per secrets.lock)', certain: true });
    expect(state(file, [ra, user1], { ...entry, sha256: fileDigest(new Uint8Array([1])) })).toEqual({ current: false, reason: 'the file changed since secrets.lock recorded its recipients', certain: false });
    expect(state(file, [ra, rb, user1], entry)).toEqual({ current: false, reason: '1 X25519 stanza for 2 X25519 recipients', certain: true });
  });

  it('secrets.lock round-trips, sorted, and refuses what it cannot vouch for', () => {
    const entry = { recipients: `sha256:${'a'.repeat(64)}`, sha256: 'b'.repeat(64) };
    const text = formatAgenixLock(new Map([['z.age', entry], ['./a.age', entry]]));
    expect(Object.keys(JSON.parse(text).files)).toEqual(['./a.age', 'z.age']);
    expect([...parseAgenixLock(text, 'secrets.lock').keys()]).toEqual(['a.age', 'z.age']);
    for (const bad of ['', '{"version":2,"files":{}}', '{"version":1,"files":[]}', '{"version":1,"files":{"a.age":{"recipients":"x","sha256":"y"}}}']) {
      expect(() => parseAgenixLock(bad, 'secrets.lock')).toThrow(SecretsError);
    }
  });
});

describe('formatSecretsNix', () => {
  it('writes let bindings named by anchors, sorted rules, armor blocks, and reads back the same', () => {
    const text = formatSecretsNix(
      [
        { name: 'b/x.age', publicKeys: [system1, 'age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup'], armor: false },
        { name: 'a.age', publicKeys: [user1], armor: true },
      ],
      new Map([
        [user1, 'admin-user1'],
        [system1, 'in'],
      ]),
      ['generated'],
    );
    expect(text).toBe(`# generated
let
  admin-user1 = "${user1}";
  in_ = "${system1}";
in
{
  "a.age" = {
    publicKeys = [ admin-user1 ];
    armor = true;
  };
  "b/x.age".publicKeys = [ in_ "age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup" ];
}
`);
  });

  it('property: parseSecretsNix(formatSecretsNix(rules)) gives the rules back, for any names and strings', () => {
    const str = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name: str, publicKeys: fc.array(str, { maxLength: 4 }), armor: fc.boolean() }), { selector: (e) => e.name, maxLength: 6 }),
        fc.array(fc.tuple(str, str), { maxLength: 6 }),
        (entries, named) => {
          const text = formatSecretsNix(entries, new Map(named));
          const back = parseSecretsNix(text, 'secrets.nix');
          const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          expect(back).toEqual(sorted);
          expect(formatSecretsNix([...entries].reverse(), new Map(named))).toBe(text);
        },
      ),
      { numRuns: process.env['SLOW'] ? 5000 : 200 },
    );
  });
});

describe('.sops.yaml names and noted SSH keys', () => {
  it('maps recipients to their anchors, and ssh-to-age recipients to the SSH keys written beside them', () => {
    const config = parseSopsConfig(
      `keys:
  - &admin age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup
  - &host age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl # ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPf2B6VTK1coYAXIXsK0R4l4vzpfU533PY/O/LNsnrzI
creation_rules:
  - age: *admin
`,
      '.sops.yaml',
    );
    expect([...config.names]).toEqual([
      ['age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup', 'admin'],
      ['age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl', 'host'],
    ]);
    expect([...config.sshKeys]).toEqual([['age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPf2B6VTK1coYAXIXsK0R4l4vzpfU533PY/O/LNsnrzI']]);
  });
});
