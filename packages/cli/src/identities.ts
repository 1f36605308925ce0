/**
 * Identities for a command: the `-i` files the user named, or else discovery in sops' order. Also the
 * passphrase callback (terminal prompt, or a clear error when there is no terminal).
 */
import {
  SecretsError,
  describePlaces,
  discoverIdentities,
  MAX_IDENTITY_SOURCE_BYTES,
  needsPublicKeyFile,
  parseIdentities,
  runProcess,
  type AgeIdentity,
  type GpgOptions,
  type IdentityPlace,
  type KeyAccess,
} from '@secrets/core';
import type { Context } from './context.js';
import { readInput } from './io.js';

/** Identities plus where they were looked for. */
export interface LoadedIdentities {
  readonly identities: readonly AgeIdentity[];
  readonly places: readonly IdentityPlace[];
}

/**
 * Loads identities from explicit files (`-i`), or discovers them like sops when none are given.
 *
 * @param identityOption - how this command takes identity files (`-i FILE`, `--identity FILE`), named in
 *   the no-key hint; null for a command without one, so the hint never names an option it does not have
 * @throws SecretsError AGE_NO_IDENTITIES when none are found, listing every place looked at
 */
export async function loadIdentities(ctx: Context, files: readonly string[], identityOption: string | null, recipient?: string): Promise<LoadedIdentities> {
  let identities: AgeIdentity[] = [];
  let places: IdentityPlace[] = [];
  if (files.length > 0) {
    for (const file of files) {
      const source = await readInput(ctx, file, { max: MAX_IDENTITY_SOURCE_BYTES, streams: true });
      // An encrypted PEM SSH key: its public key comes from FILE.pub, as age reads it.
      const pub = file !== '-' && needsPublicKeyFile(source) ? await readInput(ctx, `${file}.pub`, { max: 64 * 1024 }).catch(() => undefined) : undefined;
      const found = parseIdentities(source, file, pub === undefined ? {} : { publicKeyLine: Buffer.from(pub).toString('utf8') });
      identities.push(...found);
      places.push({ place: file, status: 'loaded', count: found.length });
    }
  } else {
    const found = await discoverIdentities(
      { env: ctx.env, homedir: ctx.homedir, platform: ctx.platform },
      recipient === undefined ? {} : { recipient },
    );
    identities = [...found.identities];
    places = [...found.places];
  }
  if (identities.length === 0) {
    throw new SecretsError('AGE_NO_IDENTITIES', 'no age identities found', {
      hints: [
        'looked in:',
        ...describePlaces(places).map((l) => `  ${l}`),
        identityOption === null
          ? 'set SOPS_AGE_KEY_FILE to your keys.txt, or SOPS_AGE_SSH_PRIVATE_KEY_FILE to an SSH key'
          : `set SOPS_AGE_KEY_FILE to your keys.txt, SOPS_AGE_SSH_PRIVATE_KEY_FILE to an SSH key, or pass ${identityOption}`,
      ],
    });
  }
  return { identities, places };
}

/**
 * gpg for PGP keys: the real one (or SOPS_GPG_EXEC), in the user's environment, so their keyring, agent
 * and smartcards are used.
 */
export function gpgAccess(ctx: Context): { readonly gpg: GpgOptions } {
  return { gpg: { run: runProcess, env: ctx.env } };
}

/** What opens a file's data key, and how to tell the whole story when nothing did. */
export interface FileKeyAccess {
  /** Identities loaded when an age key is first tried (a file gpg opens needs none), the passphrase prompt, gpg. */
  readonly access: KeyAccess;
  /** Adds the places looked at for identities to a "no data key" error. */
  explain(error: unknown): unknown;
}

/**
 * The keys a command opens sops files with: age identities from `-i` files or discovery (on first use),
 * and gpg.
 *
 * @param identityOption - as for {@link loadIdentities}
 */
export function fileKeyAccess(ctx: Context, files: readonly string[], identityOption: string | null): FileKeyAccess {
  let places: readonly IdentityPlace[] = [];
  let loaded: Promise<readonly AgeIdentity[]> | undefined;
  const identities = (): Promise<readonly AgeIdentity[]> =>
    (loaded ??= loadIdentities(ctx, files, identityOption).then((found) => {
      places = found.places;
      return found.identities;
    }));
  return { access: { identities, passphrase: passphrasePrompt(ctx), ...gpgAccess(ctx) }, explain: (error) => withPlaces(error, places) };
}

/** Adds the places looked at to a "no identity matched" / "no data key" error: the whole story. */
export function withPlaces(error: unknown, places: readonly IdentityPlace[]): unknown {
  if (!(error instanceof SecretsError) || (error.code !== 'AGE_NO_IDENTITY_MATCHED' && error.code !== 'SOPS_DATA_KEY_UNAVAILABLE')) return error;
  const unused = places.filter((p) => p.status !== 'loaded');
  if (unused.length === 0) return error;
  return new SecretsError(error.code, error.message, {
    hints: [...error.hints, 'also looked in:', ...describePlaces(unused).map((l) => `  ${l}`)],
    details: error.details,
    cause: error.cause,
  });
}

type PassphrasePrompt = (request: { origin: string; reason: string }) => Promise<string>;

/** The one callback per run (one Context is one run). */
const promptByRun = new WeakMap<Context, PassphrasePrompt>();

/**
 * The passphrase callback for protected SSH keys and identity files: one per run. Answers are remembered
 * per origin for the whole run: commands open one age file per recipient entry or per file (agenix rekey
 * over many files), and a key must not be asked for twice (agenix#4: once per file is its pain). Being the
 * same callback for the whole run, it also lets core keep a key it unlocked for the next file (bcrypt
 * runs once per run, not once per file).
 */
export function passphrasePrompt(ctx: Context): PassphrasePrompt {
  let prompt = promptByRun.get(ctx);
  if (!prompt) promptByRun.set(ctx, (prompt = newPassphrasePrompt(ctx)));
  return prompt;
}

function newPassphrasePrompt(ctx: Context): PassphrasePrompt {
  const remembered = new Map<string, Promise<string>>();
  const ask = async (request: { origin: string; reason: string }): Promise<string> => {
    if (!ctx.prompt) {
      throw new SecretsError('SSH_PASSPHRASE_REQUIRED', `a passphrase is needed for ${request.origin} but there is no terminal to ask on`, {
        hints: ['run on a terminal, or use an unencrypted copy of the key in a private location'],
      });
    }
    return ctx.prompt(`Enter passphrase for ${request.origin}: `, { secret: true });
  };
  return (request) => {
    let answer = remembered.get(request.origin);
    if (!answer) {
      answer = ask(request);
      remembered.set(request.origin, answer);
    }
    return answer;
  };
}
