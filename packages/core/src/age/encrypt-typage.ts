/**
 * Encryption to any mix of recipients on typage: it writes the header, MAC and STREAM payload; X25519
 * and hybrid stanzas are typage's own, the SSH stanzas ours, plugin stanzas their plugin's (one process
 * per plugin for all its recipients). The path behind `encryptAge` (see `encrypt.ts`) for what the
 * native path does not cover, loaded on demand.
 */
import { Encrypter, Stanza, type Recipient } from 'age-encryption';
import { SecretsError } from '../errors.js';
import { utf8 } from '../bytes.js';
import { armorEncode } from './armor.js';
import { pluginWrap } from './plugin-session.js';
import { resolvePluginHost, type AgePluginHost } from './plugin-host.js';
import type { AgeRecipient } from './recipients.js';
import { SshEd25519Recipient } from './ssh-ed25519.js';
import { SshRsaRecipient } from './ssh-rsa.js';

function toTypage(recipient: Exclude<AgeRecipient, { kind: 'plugin' }>): Recipient | string {
  switch (recipient.kind) {
    case 'ssh-ed25519':
      return new SshEd25519Recipient(recipient.key);
    case 'ssh-rsa':
      return new SshRsaRecipient(recipient.key);
    case 'x25519':
    case 'hybrid':
      return recipient.text; // typage's native implementations, validated by parseRecipient
  }
}

const setText = (labels: ReadonlySet<string>): string => (labels.size === 0 ? 'none' : [...labels].sort().join(', '));

/**
 * The recipients of one plugin as one typage recipient. C2SP age-plugin `extension-labels`: every stanza
 * of a file must carry the same label set; X25519 and SSH stanzas carry none, post-quantum ones
 * `postquantum`. `expected` is shared by every plugin of the file: the implicit set of the native
 * recipients, else the first plugin's.
 */
function pluginRecipient(plugin: string, recipients: readonly string[], host: AgePluginHost, expected: { labels: ReadonlySet<string> | null }): Recipient {
  return {
    async wrapFileKey(fileKey: Uint8Array) {
      const { stanzas, labels } = await pluginWrap(plugin, recipients, fileKey, host);
      const want = expected.labels;
      if (want === null) expected.labels = labels;
      else if (want.size !== labels.size || [...labels].some((l) => !want.has(l))) {
        throw new SecretsError('AGE_RECIPIENT_INVALID', `age-plugin-${plugin}'s stanzas carry the labels ${JSON.stringify(setText(labels))}, the file's other recipients ${JSON.stringify(setText(want))}: they cannot share one file`, {
          hints: ['encrypt to these recipients in separate files, or choose recipients of the same kind (post-quantum or classic)'],
        });
      }
      return stanzas.map((s) => new Stanza([...s.args], s.body));
    },
  };
}

/**
 * Encrypts with typage (recipients already checked by `encryptAge`).
 *
 * @internal
 */
export async function encryptWithTypage(plaintext: Uint8Array, recipients: readonly AgeRecipient[], armor: boolean, host?: AgePluginHost): Promise<Uint8Array> {
  const e = new Encrypter();
  const plugins = new Map<string, string[]>();
  let file: Uint8Array;
  try {
    // typage throws plain Errors for malformed strings (a hand-built AgeRecipient); ours throw SecretsError.
    for (const r of recipients) {
      if (r.kind === 'plugin') {
        const texts = plugins.get(r.plugin) ?? [];
        if (!texts.includes(r.text)) texts.push(r.text);
        plugins.set(r.plugin, texts);
      } else e.addRecipient(toTypage(r));
    }
    const native = recipients.filter((r) => r.kind !== 'plugin');
    const expected = { labels: native.length === 0 ? null : new Set(native.some((r) => r.kind === 'hybrid') ? ['postquantum'] : []) };
    for (const [plugin, texts] of plugins) e.addRecipient(pluginRecipient(plugin, texts, resolvePluginHost(host, plugin), expected));
    file = await e.encrypt(plaintext);
  } catch (error) {
    if (error instanceof SecretsError) throw error;
    throw new SecretsError('AGE_RECIPIENT_INVALID', 'invalid recipient: it could not wrap the file key', { cause: error });
  }
  return armor ? utf8(armorEncode(file)) : file;
}
