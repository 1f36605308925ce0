/**
 * The PGP key source: data keys wrapped to PGP keys through the real `gpg`, as sops does when its
 * built-in OpenPGP reader finds no legacy keyring (pgp/keysource.go, GnuPG ≥ 2.1):
 *
 * - wrap: `gpg --no-default-recipient --yes --encrypt -a -r FP --trusted-key FP[-16:] --no-encrypt-to`
 *   with the raw secret (the 32-byte data key, or a Shamir share) on stdin; the armored message, trimmed
 *   of surrounding whitespace, is the key's `enc`. `--batch` is added: wrapping needs no secret, so gpg
 *   has nothing to ask.
 * - unwrap: `gpg --decrypt` with `enc` on stdin, in the user's environment, so the user's keyring,
 *   agent, pinentry and smartcards work as for sops (GNUPGHOME, GPG_TTY are gpg's own business).
 * - `SOPS_GPG_EXEC` names the program instead of `gpg`, as in sops.
 *
 * gpg runs through an injected {@link ProcessRunner}: nothing here starts a process.
 */
import { SecretsError } from '../errors.js';
import { escapeControl } from '../escape.js';
import type { ProcessResult, ProcessRunner } from '../process.js';
import type { KeySource } from './key-source.js';
import { pgpKey, type MasterKey } from './metadata.js';

/** How gpg is run. */
export interface GpgOptions {
  /** Runs a program; `runProcess` from `@secrets/core` is the real one. */
  readonly run: ProcessRunner;
  /** The user's environment, handed to gpg whole (GNUPGHOME, GPG_TTY, DISPLAY…); SOPS_GPG_EXEC is read from it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How long one gpg run may take, pinentry included (default 5 minutes). */
  readonly timeoutMs?: number;
  /**
   * Never ask: decrypt with `--batch --pinentry-mode error`, so only keys needing no passphrase (or
   * one the agent has cached) open (for git's textconv, which must not prompt).
   */
  readonly noPrompt?: boolean;
}

/** The largest `enc` handed to gpg: sops writes well under 2 KiB per key. */
export const MAX_PGP_ENC_BYTES = 64 * 1024;

const MAX_OUTPUT_BYTES = 1024 * 1024;
const ARMOR = '-----BEGIN PGP MESSAGE-----';

/** The program sops runs: SOPS_GPG_EXEC when set and not empty, else gpg (pgp/keysource.go gpgBinary). */
export function gpgProgram(env: Readonly<Record<string, string | undefined>>): string {
  const named = env['SOPS_GPG_EXEC'];
  return named !== undefined && named !== '' ? named : 'gpg';
}

/** What gpg said, without its chatter: the `gpg:` lines (the last two), escaped, capped. */
export function gpgSaid(stderr: Uint8Array): string {
  const lines = new TextDecoder().decode(stderr).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const said = lines.filter((l) => /^gpg\S*:/.test(l));
  const text = (said.length > 0 ? said : lines).slice(-2).join('; ');
  const shown = escapeControl(text);
  return shown.length > 300 ? `${shown.slice(0, 300)}…` : shown || 'nothing';
}

function checkFingerprint(fingerprint: string): void {
  // gpg takes the value after -r whatever it is; a config still may not smuggle in control characters.
  if (fingerprint === '' || /[\u0000-\u001f\u007f]/.test(fingerprint) || fingerprint.startsWith('-')) {
    throw new SecretsError('CONFIG_INVALID', `invalid PGP fingerprint ${JSON.stringify(escapeControl(fingerprint))}`, { hints: ['give the key\'s fingerprint: gpg --list-keys --with-colons prints it on its fpr: line'] });
  }
}

/** sops shortenFingerprint: the last 16 characters (17 with a trailing "!"), the long key ID. */
function longKeyId(fingerprint: string): string {
  const length = fingerprint.endsWith('!') ? 17 : 16;
  return fingerprint.length > length ? fingerprint.slice(fingerprint.length - length) : fingerprint;
}

/**
 * The PGP key source over gpg.
 *
 * @param options - the runner and the user's environment
 */
export function pgpKeySource(options: GpgOptions): KeySource {
  const program = gpgProgram(options.env);
  // Copied when gpg first runs: a source is made per file, most files have no PGP key, and enumerating
  // the caller's environment object (the real one is slow to enumerate) is not free.
  let env: Record<string, string> | undefined;
  const gpgEnv = (): Record<string, string> => {
    if (env === undefined) {
      env = {};
      for (const [name, value] of Object.entries(options.env)) if (value !== undefined) env[name] = value;
    }
    return env;
  };
  // gpg reads no file relative to its directory; '/' always exists (a missing HOME would fail the spawn as ENOENT).
  const cwd = '/';
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  let missing = false;
  let tried = false;

  async function gpg(args: readonly string[], input: Uint8Array, what: string): Promise<ProcessResult> {
    try {
      const result = await options.run([program, ...args], { env: gpgEnv(), cwd, timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES, input });
      if (result.killed) throw new SecretsError('KEY_WRAP_FAILED', `gpg took longer than ${timeoutMs / 1000} s or printed too much while ${what}`);
      return result;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT' && (error as { code?: unknown }).code !== 'EACCES') throw error;
      missing = true;
      throw new SecretsError('KEY_WRAP_FAILED', `could not run ${JSON.stringify(escapeControl(program))}: ${program === 'gpg' ? 'gpg is not installed' : 'SOPS_GPG_EXEC names no program'}`, {
        hints: ['install GnuPG (Debian: gnupg), or set SOPS_GPG_EXEC to the gpg program'],
      });
    }
  }

  return {
    describe: (key) => (key.type === 'pgp' ? key.fingerprint : ''),
    async wrap(target, secret, context) {
      if (target.type !== 'pgp') throw new SecretsError('INTERNAL', `the PGP key source was given a ${target.type} key`);
      checkFingerprint(target.fingerprint);
      const args = ['--batch', '--no-default-recipient', '--yes', '--encrypt', '-a', '-r', target.fingerprint, '--trusted-key', longKeyId(target.fingerprint), '--no-encrypt-to'];
      const result = await gpg(args, secret, `encrypting to ${target.fingerprint}`);
      const armored = new TextDecoder().decode(result.stdout).trim();
      if (result.status !== 0 || !armored.startsWith(ARMOR)) {
        throw new SecretsError('KEY_WRAP_FAILED', `could not encrypt the data key to PGP key ${escapeControl(target.fingerprint)}: gpg said: ${gpgSaid(result.stderr)}`, {
          hints: ['the public key must be in your keyring: gpg --list-keys FINGERPRINT; import it with gpg --import'],
        });
      }
      return pgpKey(target.fingerprint, armored, context.now);
    },
    async unwrap(key: MasterKey) {
      if (key.type !== 'pgp') throw new SecretsError('INTERNAL', `the PGP key source was given a ${key.type} key`);
      tried = true;
      if (missing) throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', 'gpg could not be run (see above)');
      const enc = new TextEncoder().encode(key.enc);
      if (enc.length > MAX_PGP_ENC_BYTES || !key.enc.trimStart().startsWith(ARMOR)) {
        throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', enc.length > MAX_PGP_ENC_BYTES ? `its enc is larger than ${MAX_PGP_ENC_BYTES} bytes` : 'its enc is not an armored PGP message');
      }
      let result: ProcessResult;
      try {
        result = await gpg(options.noPrompt === true ? ['--batch', '--pinentry-mode', 'error', '--decrypt'] : ['--decrypt'], enc, `decrypting for ${key.fingerprint}`);
      } catch (error) {
        throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', (error as Error).message, { cause: error });
      }
      if (result.status !== 0) {
        const said = gpgSaid(result.stderr);
        // gpg's agent needs the terminal's name for a terminal pinentry; stdin here is a pipe (as for sops).
        const tty = /pinentry|inappropriate ioctl/i.test(said) && options.noPrompt !== true ? ' (for a passphrase prompt on this terminal: export GPG_TTY=$(tty))' : '';
        throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', `gpg could not decrypt it: ${said}${tty}`);
      }
      if (result.stdout.length === 0) throw new SecretsError('SOPS_DATA_KEY_UNAVAILABLE', 'gpg decrypted it to nothing');
      return result.stdout;
    },
    explainFailure() {
      if (!tried) return [];
      const home = options.env['GNUPGHOME'];
      const shown = program === 'gpg' ? 'gpg' : `gpg (${escapeControl(program)})`;
      return [`${shown} used the keyring in ${home !== undefined && home !== '' ? escapeControl(home) : '~/.gnupg'}; gpg --list-secret-keys shows its keys`];
    },
  };
}
