/**
 * `secrets ssh-to-age`: the ssh-to-age tool, byte for byte in its output, without its sharp edges
 * (it never echoes key material in errors, writes secret output 0600, and reads GCM/ChaCha keys).
 */
import {
  SecretsError,
  convertPublicKeys,
  decryptOpenSshPrivateKey,
  ed25519PrivateKeyToAgeIdentity,
  inspectOpenSshPrivateKey,
} from '@secrets/core';
import type { Context } from '../context.js';
import { readInput, writeOutput } from '../io.js';

/** Options of `secrets ssh-to-age`, named like ssh-to-age's flags. */
export interface SshToAgeOptions {
  /** Input file, `-` for stdin (ssh-to-age `-i`). */
  readonly input: string;
  /** Output file, `-` for stdout (ssh-to-age `-o`). */
  readonly output: string;
  /** Convert a private key to an age identity (ssh-to-age `-private-key`). */
  readonly privateKey: boolean;
  /** Read the passphrase from stdin (ssh-to-age `-stdinpass`). */
  readonly stdinPass: boolean;
}

/** The env var ssh-to-age reads a private key's passphrase from. */
export const PASSPHRASE_ENV = 'SSH_TO_AGE_PASSPHRASE';

async function passphraseFor(ctx: Context, options: SshToAgeOptions, encrypted: boolean): Promise<string | undefined> {
  const fromEnv = ctx.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (options.stdinPass) {
    // ssh-to-age -stdinpass: all of stdin, trailing CR/LF removed.
    const raw = Buffer.from(await readInput(ctx, '-')).toString('utf8');
    return raw.replace(/[\r\n]+$/, '');
  }
  if (!encrypted) return undefined;
  if (ctx.prompt) return ctx.prompt('Enter passphrase for the SSH key: ', { secret: true });
  throw new SecretsError('SSH_PASSPHRASE_REQUIRED', 'this private key is passphrase protected', {
    hints: [`set ${PASSPHRASE_ENV}, pass --stdinpass with the passphrase on stdin, or run on a terminal to be asked`],
  });
}

/**
 * Runs `secrets ssh-to-age`.
 *
 * @returns the exit status
 * @throws SecretsError for bad keys, passphrases or I/O
 */
export async function sshToAge(ctx: Context, options: SshToAgeOptions): Promise<number> {
  if (options.stdinPass && options.input === '-') {
    // Exact text asserted by ssh-to-age's own test (TestStdinPassphraseRequiresFileInput).
    throw new SecretsError('USAGE', 'cannot read both private key and passphrase from stdin', {
      hints: ['give the key with -i FILE'],
    });
  }
  const text = Buffer.from(await readInput(ctx, options.input, { streams: true })).toString('utf8');

  if (!options.privateKey) {
    const { recipients, skipped } = convertPublicKeys(text);
    // ssh-to-age prints this note for each skipped key and carries on; scripts may grep it.
    for (const s of skipped) ctx.stderr.write(`skipped key: ${s.message}\n`);
    await writeOutput(ctx, options.output, recipients.map((r) => `${r}\n`).join(''));
    return 0;
  }

  const file = inspectOpenSshPrivateKey(text);
  // An encrypted PEM/PKCS#8 key shows its type only once decrypted: checked below.
  const typeKnown = !(file.publicKey === null && file.cipherName === 'pem');
  if (typeKnown && file.keyType !== 'ssh-ed25519') {
    throw new SecretsError('SSH_KEY_UNSUPPORTED', `got ${file.keyType} key type, but only ed25519 keys are supported`, {
      hints: ['age identities can only be derived from ssh-ed25519 keys; ssh-rsa keys work directly as age identities'],
    });
  }
  const passphrase = await passphraseFor(ctx, options, file.encrypted);
  const key = decryptOpenSshPrivateKey(text, passphrase);
  if (key.type !== 'ssh-ed25519') throw new SecretsError('SSH_KEY_UNSUPPORTED', `got ${key.type} key type, but only ed25519 keys are supported`);
  const identity = ed25519PrivateKeyToAgeIdentity(key);
  // A secret key: never world-readable (ssh-to-age uses os.Create, i.e. 0666 minus umask).
  await writeOutput(ctx, options.output, `${identity}\n`, { mode: 0o600 });
  return 0;
}
