/**
 * The age plugin client (C2SP age-plugin recipient-v1 / identity-v1) against in-memory plugins: the
 * happy paths through encryptAge/decryptAge, the interactive requests, labels, errors (named, escaped),
 * protocol violations and limits.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptAge, encryptAge, generateX25519Identity, identityToRecipient, inspectAgeHeader, parseIdentities, parseRecipient, setAgePluginHost, type AgePluginUi } from '../../src/age/index.js';
import { pluginUnwrap, pluginWrap } from '../../src/age/plugin-session.js';
import { encodeIpcStanza } from '../../src/age/plugin-protocol.js';
import { isSecretsError, type SecretsError } from '../../src/errors.js';
import { fakeHost, secretstest, secretstestPlugin } from './plugin-fake.js';

const key = new Uint8Array(32).fill(7);
const recipient = secretstest.recipient(key);
const identity = secretstest.identity(key);
const text = new TextEncoder().encode('plugin payload');

async function failure(p: Promise<unknown>): Promise<SecretsError> {
  const error = await p.then(() => null, (e: unknown) => e);
  if (!isSecretsError(error)) throw new Error(`expected a SecretsError, got ${String(error)}`);
  return error;
}

const ui = (answers: { secret?: string | null; confirm?: boolean | null }, log: string[] = []): AgePluginUi => ({
  message: async (plugin, t) => (log.push(`msg ${plugin}: ${t}`), true),
  request: async (plugin, prompt, secret) => (log.push(`${secret ? 'secret' : 'public'} ${plugin}: ${prompt}`), answers.secret ?? null),
  confirm: async (plugin, prompt, yes, no) => (log.push(`confirm ${plugin}: ${prompt} [${yes}/${no}]`), answers.confirm ?? null),
});

afterEach(() => setAgePluginHost(null));

describe('age plugins: round trips through encryptAge / decryptAge', () => {
  it('wraps with recipient-v1 and unwraps with identity-v1, beside an X25519 recipient', async () => {
    const host = fakeHost(secretstestPlugin);
    const x = await generateX25519Identity();
    const file = await encryptAge(text, [parseRecipient(recipient), parseRecipient(await identityToRecipient(x))], { plugins: host });
    expect(inspectAgeHeader(file).stanzas.map((s) => s.type).sort()).toEqual(['X25519', 'secretstest']);
    expect(host.sessions).toEqual([{ plugin: 'secretstest', program: 'age-plugin-secretstest', stateMachine: 'recipient-v1' }]);
    expect(await decryptAge(file, parseIdentities(identity, 'id'), { plugins: host })).toEqual(text);
    expect(await decryptAge(file, parseIdentities(x, 'x'), { plugins: host })).toEqual(text);
  });

  it('uses the host set with setAgePluginHost when a call gives none, and says so when none is set', async () => {
    expect((await failure(encryptAge(text, [parseRecipient(recipient)]))).message).toMatch(/no age plugin host is set/);
    setAgePluginHost(fakeHost(secretstestPlugin));
    const file = await encryptAge(text, [parseRecipient(recipient)]);
    expect(await decryptAge(file, parseIdentities(identity, 'id'))).toEqual(text);
  });

  it('starts one process per plugin for all of its recipients and identities', async () => {
    const other = new Uint8Array(32).fill(9);
    const host = fakeHost(secretstestPlugin);
    const file = await encryptAge(text, [parseRecipient(recipient), parseRecipient(secretstest.recipient(other))], { plugins: host });
    expect(inspectAgeHeader(file).stanzas).toHaveLength(2);
    const ids = parseIdentities(`${secretstest.identity(new Uint8Array(32).fill(1))}\n${secretstest.identity(other)}\n`, 'ids');
    expect(await decryptAge(file, ids, { plugins: host })).toEqual(text);
    expect(host.sessions.map((s) => s.stateMachine)).toEqual(['recipient-v1', 'identity-v1']);
  });

  it('tries plugin identities after the plain ones (no PIN or touch when a plain key opens the file)', async () => {
    const host = fakeHost(secretstestPlugin);
    const x = await generateX25519Identity();
    const file = await encryptAge(text, [parseRecipient(await identityToRecipient(x))]);
    const ids = [...parseIdentities(identity, 'plugin'), ...parseIdentities(x, 'x')];
    expect(await decryptAge(file, ids, { plugins: host })).toEqual(text);
    expect(host.sessions).toEqual([]);
  });

  it('explains a plugin that opens nothing, with what it said', async () => {
    const host = fakeHost(async (side) => {
      await side.phase1();
      await side.ask(['error', 'identity', '0'], new TextEncoder().encode('YubiKey not \x1b[31minserted'));
      side.send(['done']);
    });
    const file = await encryptAge(text, [parseRecipient(recipient)], { plugins: fakeHost(secretstestPlugin) });
    const error = await failure(decryptAge(file, parseIdentities(identity, 'keys.txt'), { plugins: host }));
    expect(error.code).toBe('AGE_NO_IDENTITY_MATCHED');
    expect(error.hints.join('\n')).toContain('keys.txt line 1 (age plugin secretstest): age-plugin-secretstest said: YubiKey not \\x1b[31minserted');
  });
});

describe('age plugins: interaction', () => {
  const asking = (kind: 'secret' | 'confirm') =>
    fakeHost(async (side) => {
      const commands = await side.phase1();
      await side.ask(['msg'], new TextEncoder().encode('touch it'));
      const r =
        kind === 'secret'
          ? await side.ask(['request-secret'], new TextEncoder().encode('PIN:'))
          : await side.ask(['confirm', Buffer.from('yes please').toString('base64').replace(/=+$/, ''), Buffer.from('skip').toString('base64').replace(/=+$/, '')], new TextEncoder().encode('Use it?'));
      const granted = kind === 'secret' ? r.args[0] === 'ok' && new TextDecoder().decode(r.body) === '1234' : r.args.join(' ') === 'ok yes';
      if (granted) {
        const k = secretstest.keyOf(commands.find((c) => c.args[0] === 'add-identity')?.args[1] as string);
        const s = commands.find((c) => c.args[0] === 'recipient-stanza') as { body: Uint8Array };
        await side.ask(['file-key', '0'], secretstest.open(k, s.body) as Uint8Array);
      } else await side.ask(['error', 'identity', '0'], new TextEncoder().encode(`refused: ${r.args.join(' ')}`));
      side.send(['done']);
    });

  it('puts msg, request-secret and confirm to the UI and sends back its answers', async () => {
    const file = await encryptAge(text, [parseRecipient(recipient)], { plugins: fakeHost(secretstestPlugin) });
    const log: string[] = [];
    expect(await decryptAge(file, parseIdentities(identity, 'id'), { plugins: { ...asking('secret'), ui: ui({ secret: '1234' }, log) } })).toEqual(text);
    expect(log).toEqual(['msg secretstest: touch it', 'secret secretstest: PIN:']);
    expect(await decryptAge(file, parseIdentities(identity, 'id'), { plugins: { ...asking('confirm'), ui: ui({ confirm: true }, log) } })).toEqual(text);
    expect(log.at(-1)).toBe('confirm secretstest: Use it? [yes please/skip]');
    const no = await failure(decryptAge(file, parseIdentities(identity, 'id'), { plugins: { ...asking('confirm'), ui: ui({ confirm: false }) } }));
    expect(no.hints.join('\n')).toContain('refused: ok no');
  });

  it('answers fail when there is no one to ask, and names the question', async () => {
    const file = await encryptAge(text, [parseRecipient(recipient)], { plugins: fakeHost(secretstestPlugin) });
    const error = await failure(decryptAge(file, parseIdentities(identity, 'id'), { plugins: asking('secret') }));
    expect(error.hints.join('\n')).toContain('refused: fail');
    expect(error.hints.join('\n')).toContain('age-plugin-secretstest asked "PIN:" and there is no terminal to ask on');
  });

  it('answers unsupported to a command it does not know (bi-directional phase rule)', async () => {
    const host = fakeHost(async (side) => {
      await side.phase1();
      const r = await side.ask(['grease-xyz', 'a'], new Uint8Array(5));
      await side.ask(['error', 'internal'], new TextEncoder().encode(`response: ${r.args.join(' ')}`));
      side.send(['done']);
    });
    const error = await failure(pluginWrap('secretstest', [recipient], randomBytes(16), host));
    expect(error.message).toBe('age-plugin-secretstest: could not wrap the file key: response: unsupported');
  });
});

describe('age plugins: labels, errors, protocol violations', () => {
  const wrapping = (extra: (side: Parameters<Parameters<typeof fakeHost>[0]>[0]) => Promise<void>) =>
    fakeHost(async (side) => {
      const commands = await side.phase1();
      expect(commands.map((c) => c.args[0])).toEqual(['add-recipient', 'wrap-file-key', 'extension-labels']);
      await extra(side);
      side.send(['done']);
    });

  it('refuses stanzas whose labels differ from the other recipients\' (C2SP extension-labels)', async () => {
    const host = wrapping(async (side) => {
      await side.ask(['labels', 'postquantum']);
      await side.ask(['recipient-stanza', '0', 'secretstest', 'AAAA'], new Uint8Array(32));
    });
    const x = parseRecipient(await identityToRecipient(await generateX25519Identity()));
    const error = await failure(encryptAge(text, [parseRecipient(recipient), x], { plugins: host }));
    expect(error.code).toBe('AGE_RECIPIENT_INVALID');
    expect(error.message).toMatch(/labels "postquantum", the file's other recipients "none"/);
    // Alone, its labels are the file's.
    expect(inspectAgeHeader(await encryptAge(text, [parseRecipient(recipient)], { plugins: host })).stanzas).toHaveLength(1);
  });

  it('names the plugin and the recipient in a wrap error, control characters escaped', async () => {
    const host = wrapping(async (side) => {
      await side.ask(['error', 'recipient', '0'], new TextEncoder().encode('no such key\nsecrets: hint: forged'));
    });
    const error = await failure(encryptAge(text, [parseRecipient(recipient)], { plugins: host }));
    expect(error.message).toBe(`age-plugin-secretstest: could not wrap the file key: recipient ${recipient}: no such key\\nsecrets: hint: forged`);
  });

  it('refuses a plugin that returns no stanza, an scrypt stanza, or a malformed one', async () => {
    expect((await failure(pluginWrap('secretstest', [recipient], randomBytes(16), wrapping(async () => undefined)))).message).toMatch(/returned no stanza/);
    const scrypt = wrapping(async (side) => {
      await side.ask(['recipient-stanza', '0', 'scrypt', 'salt', '18'], new Uint8Array(32));
    });
    expect((await failure(pluginWrap('secretstest', [recipient], randomBytes(16), scrypt))).message).toMatch(/scrypt stanza/);
    const wrongFile = wrapping(async (side) => {
      await side.ask(['recipient-stanza', '1', 'secretstest'], new Uint8Array(32));
    });
    expect((await failure(pluginWrap('secretstest', [recipient], randomBytes(16), wrongFile))).message).toMatch(/malformed recipient-stanza/);
  });

  it('refuses broken framing and an early exit, with the end of its standard error as hints', async () => {
    const broken = fakeHost(async (side) => {
      await side.phase1();
      side.stderr('panic: \x1b]0;owned\x07 out of memory\n');
      side.raw(new TextEncoder().encode('-> recipient-stanza 0 x\n!!!!\n'));
    });
    const error = await failure(pluginWrap('secretstest', [recipient], randomBytes(16), broken));
    expect(error.message).toBe('age-plugin-secretstest: the plugin broke the protocol: a body that is not canonical unpadded base64');
    expect(error.hints).toEqual(['age-plugin-secretstest said: panic: \\x1b]0;owned\\x07 out of memory']);
    const early = fakeHost(async (side) => {
      await side.phase1();
    });
    expect((await failure(pluginUnwrap('secretstest', [identity], [], early))).message).toBe('age-plugin-secretstest: the plugin broke the protocol: it ended the conversation early');
  });

  it('refuses a file key of the wrong length, a second file key, and endless output', async () => {
    const badKey = fakeHost(async (side) => {
      await side.phase1();
      await side.ask(['file-key', '0'], new Uint8Array(15));
    });
    expect((await failure(pluginUnwrap('secretstest', [identity], [], badKey))).message).toMatch(/malformed or second file-key/);
    const flood = fakeHost(async (side) => {
      await side.phase1();
      const line = encodeIpcStanza(['msg'], new Uint8Array(0));
      for (let i = 0; i < 5000; i++) side.raw(line);
      for (;;) await side.next(); // reads our answers until we hang up
    });
    const error = await failure(pluginUnwrap('secretstest', [identity], [], { ...flood, ui: ui({}) }));
    expect(error.code).toBe('LIMIT_EXCEEDED');
  });
});
