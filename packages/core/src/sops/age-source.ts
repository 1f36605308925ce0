/**
 * The age key source: one armored age file per recipient (age/keysource.go MasterKey.Encrypt), and
 * decryption with the identities at hand. Age plugin recipients are age keys here, as sops stores them;
 * the age layer decides what it can encrypt to.
 */
import { SecretsError, isSecretsError } from '../errors.js';
import { utf8 } from '../bytes.js';
import { decryptParsedAge, encryptAgeArmored, parseAgeFile, parseRecipient, recipientLabel, recipientLabels, type AgeIdentity, type AgeRecipient, type ParsedAgeFile, type PassphraseRequest, type PluginFileKeys } from '../age/index.js';
import type { KeySource } from './key-source.js';
import type { MasterKey } from './metadata.js';

/**
 * The most age stanzas tried in one sops file, over all its `enc` blocks. sops writes one stanza per
 * block (age/keysource.go encrypts to a single recipient) and a real file has a few dozen keys (51 at
 * most in our corpus); every stanza costs about an X25519 exchange per identity, so a file with
 * thousands of bogus stanzas, in one block or spread over many keys, is refused instead.
 */
export const MAX_SOPS_STANZAS = 1000;

/** The identities to open files with, or a function loading them when an age key is first tried. */
export type IdentitySupply = readonly AgeIdentity[] | (() => Promise<readonly AgeIdentity[]>);

/** Options of {@link ageKeySource}. */
export interface AgeSourceOptions {
  readonly identities?: IdentitySupply;
  readonly passphrase?: (request: PassphraseRequest) => Promise<string>;
  /** Recipients already parsed (wrapping reuses them instead of parsing their text again). */
  readonly recipients?: readonly AgeRecipient[];
  /** Plugins' answers for many files at once ({@link askPluginsForDataKeys}), used instead of running them per file. */
  readonly pluginFileKeys?: PluginFileKeys;
}

const ageOnly = (key: { type: string }): never => {
  throw new SecretsError('INTERNAL', `the age key source was given a ${key.type} key`);
};

/**
 * The age key source. Unwrapping stops with LIMIT_EXCEEDED once the `enc` blocks tried hold more than
 * {@link MAX_SOPS_STANZAS} stanzas; identities given as a function are loaded once, when an age key is
 * first tried (a file another source opens needs no age identity).
 *
 * @param options - identities, passphrase callback, parsed recipients
 */
export function ageKeySource(options: AgeSourceOptions = {}): KeySource {
  let firstError: SecretsError | undefined;
  let stanzaBudget = MAX_SOPS_STANZAS;
  let ours: Set<string> | undefined;
  let loaded: Promise<readonly AgeIdentity[]> | undefined;
  const supply = options.identities ?? [];
  const identities = (): Promise<readonly AgeIdentity[]> => (loaded ??= typeof supply === 'function' ? supply() : Promise.resolve(supply));
  return {
    describe: (key) => (key.type === 'age' ? key.recipient : ageOnly(key)),
    async likelyOpens(key) {
      if (key.type !== 'age') return false;
      if (ours === undefined) {
        try {
          ours = new Set((await identities()).flatMap((id) => recipientLabels(id)));
        } catch {
          // no identities (reported when the key is tried): nothing to put first
          ours = new Set();
        }
      }
      return ours.has(recipientLabel(key.recipient));
    },
    async wrap(target, secret) {
      if (target.type !== 'age') return ageOnly(target);
      const parsed = options.recipients?.find((r) => r.text === target.recipient) ?? parseRecipient(target.recipient);
      return { type: 'age', recipient: target.recipient, enc: await encryptAgeArmored(secret, [parsed]) };
    },
    async unwrap(key: MasterKey) {
      if (key.type !== 'age') return ageOnly(key);
      try {
        // Read once: to count the stanzas against the file's budget, and to decrypt.
        let file: ParsedAgeFile;
        try {
          file = parseAgeFile(utf8(key.enc), { maxStanzas: stanzaBudget });
          stanzaBudget -= file.header.stanzas.length;
        } catch (error) {
          if (!isSecretsError(error) || error.code !== 'LIMIT_EXCEEDED') throw error;
          throw new SecretsError('LIMIT_EXCEEDED', `the file's enc blocks hold more than ${MAX_SOPS_STANZAS} age stanzas (sops writes one per key)`, {
            hints: ['a real sops file has one stanza per key and a few dozen keys; this one was made to waste time'],
            details: { limit: 'sopsStanzas', max: MAX_SOPS_STANZAS },
          });
        }
        return await decryptParsedAge(file, await identities(), {
          ...(options.passphrase ? { passphrase: options.passphrase } : {}),
          ...(options.pluginFileKeys ? { pluginFileKeys: options.pluginFileKeys } : {}),
        });
      } catch (error) {
        if (!isSecretsError(error)) throw error;
        firstError ??= error;
        if (error.code !== 'AGE_NO_IDENTITY_MATCHED') throw error;
        const stanzas = error.hints[0]?.replace('the file has stanzas: ', 'stanza ') ?? '';
        throw new SecretsError(error.code, `no identity matched (${stanzas})`, { cause: error });
      }
    },
    explainFailure() {
      const tried = firstError?.code === 'AGE_NO_IDENTITY_MATCHED' ? firstError.hints.filter((h) => h.startsWith('  ')).map((h) => `  ${h.trim()}`) : [];
      return tried.length > 0 ? ['identities tried:', ...tried] : [];
    },
  };
}
