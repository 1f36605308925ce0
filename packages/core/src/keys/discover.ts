/**
 * Identity discovery, in sops' order (age/keysource.go `loadIdentities`), with a record of every place
 * looked at so that a failed decryption can say where it looked and what it found there.
 *
 * This module and `config/` are the only code in core that reads the environment, the disk or runs
 * commands; all of that goes through {@link KeyEnvironment}, so tests can fake it.
 */
import { join } from 'node:path';
import { MAX_IDENTITY_SOURCE_BYTES, needsPublicKeyFile, parseIdentities, type AgeIdentity } from '../age/index.js';
import { SecretsError, isSecretsError } from '../errors.js';
import { readFileCapped } from './read-file.js';
import { shellSplit } from './shlex.js';

/** The environment variables sops reads for age identities (age/keysource.go constants). */
export const IDENTITY_ENV = {
  sshPrivateKeyFile: 'SOPS_AGE_SSH_PRIVATE_KEY_FILE',
  sshPrivateKeyCmd: 'SOPS_AGE_SSH_PRIVATE_KEY_CMD',
  key: 'SOPS_AGE_KEY',
  keyFile: 'SOPS_AGE_KEY_FILE',
  keyCmd: 'SOPS_AGE_KEY_CMD',
  recipient: 'SOPS_AGE_RECIPIENT',
} as const;

/** What discovery may read. Defaults use the real disk and processes. */
export interface KeyEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir: string;
  readonly platform: string;
  /** Reads a whole file; a missing file must reject with an error whose `code` is `ENOENT`. */
  readonly readFile?: (path: string) => Promise<Uint8Array>;
  /** Runs argv without a shell and returns its stdout; rejects on a non-zero exit. */
  readonly runCommand?: (argv: readonly string[], env: Readonly<Record<string, string | undefined>>) => Promise<Uint8Array>;
}

/** One place discovery looked at, and what it found there. Never contains key material. */
export interface IdentityPlace {
  /** Human-readable place, e.g. `SOPS_AGE_KEY_FILE (/home/u/keys.txt)` or `~/.ssh/id_ed25519`. */
  readonly place: string;
  /** `loaded`: identities found; `absent`: not set or no such file; `error`: set but unusable. */
  readonly status: 'loaded' | 'absent' | 'error';
  /** How many identities it gave. */
  readonly count: number;
  /** Why it was unusable (status `error`) or absent. */
  readonly reason?: string;
}

/** The result of {@link discoverIdentities}. */
export interface DiscoveredIdentities {
  readonly identities: readonly AgeIdentity[];
  readonly places: readonly IdentityPlace[];
}

/** Options for {@link discoverIdentities}. */
export interface DiscoverOptions {
  /** Passed to `SOPS_AGE_KEY_CMD` as `SOPS_AGE_RECIPIENT`, as sops does. */
  readonly recipient?: string;
}

/**
 * Reads an identity file of at most {@link MAX_IDENTITY_SOURCE_BYTES}: a larger regular file is refused
 * from its size before it is read (a keys.txt pointing at a huge file must not fill memory). A pipe is
 * read up to the limit: the user's own setting may name one (`SOPS_AGE_KEY_FILE=<(…)`). Synchronous: a
 * few small files, each cheaper than a thread-pool round trip.
 */
async function readIdentityFile(path: string): Promise<Uint8Array> {
  const tooLarge = (): SecretsError => new SecretsError('LIMIT_EXCEEDED', `larger than ${MAX_IDENTITY_SOURCE_BYTES} bytes, too large for an identity file`, { details: { limit: 'identitySourceBytes' } });
  return readFileCapped(path, MAX_IDENTITY_SOURCE_BYTES, tooLarge, { streams: true });
}

async function defaultRunCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<Uint8Array> {
  const [file, ...args] = argv;
  // Loaded here: only key commands need it, and every command discovers identities.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(
      file as string,
      args,
      { env: env, encoding: 'buffer', maxBuffer: 16 << 20 },
      (error: Error | null, stdout: Buffer) => (error ? reject(error) : resolve(new Uint8Array(stdout))),
    );
  });
}

/**
 * The user config directory as Go's `os.UserConfigDir` (plus sops' macOS XDG override) computes it.
 *
 * @returns the directory, or null when it cannot be determined
 */
export function userConfigDir(environment: Pick<KeyEnvironment, 'env' | 'homedir' | 'platform'>): string | null {
  const { env, homedir, platform } = environment;
  const xdg = env['XDG_CONFIG_HOME'];
  if (platform === 'win32') return env['AppData'] ?? env['APPDATA'] ?? null;
  if (platform === 'darwin') {
    // sops: on macOS, os.UserConfigDir() ignores XDG_CONFIG_HOME, so sops honours it by hand.
    if (xdg) return xdg;
    return homedir ? join(homedir, 'Library', 'Application Support') : null;
  }
  // Go: $XDG_CONFIG_HOME if set and absolute, else $HOME/.config.
  if (xdg && xdg.startsWith('/')) return xdg;
  return homedir ? join(homedir, '.config') : null;
}

function describeError(error: unknown): string {
  if (isSecretsError(error)) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOENT') return 'no such file';
  if (typeof code === 'number') return `command exited with status ${code}`;
  return 'could not be read';
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/**
 * Finds every age identity sops would use, in sops' order:
 * `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`,
 * `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, then `<user config dir>/sops/age/keys.txt`.
 * All sources found are combined. A source that is set but unusable is recorded, not fatal, so that one
 * broken source does not hide a working one; callers show the record when nothing matches.
 *
 * @param environment - env, home directory, platform and (optionally) fake disk/process access
 * @param options - the recipient to announce to `SOPS_AGE_KEY_CMD`
 * @returns the identities (possibly none) and the places looked at
 */
export async function discoverIdentities(environment: KeyEnvironment, options: DiscoverOptions = {}): Promise<DiscoveredIdentities> {
  const { env, homedir } = environment;
  const read = environment.readFile ?? readIdentityFile;
  const run = environment.runCommand ?? defaultRunCommand;
  const identities: AgeIdentity[] = [];
  const places: IdentityPlace[] = [];

  const take = (place: string, source: string | Uint8Array, publicKeyLine?: string): void => {
    try {
      const found = parseIdentities(source, place, publicKeyLine === undefined ? {} : { publicKeyLine });
      identities.push(...found);
      places.push({ place, status: 'loaded', count: found.length });
    } catch (error) {
      places.push({ place, status: 'error', count: 0, reason: describeError(error) });
    }
  };

  const fromFile = async (place: string, path: string, required: boolean): Promise<void> => {
    let bytes: Uint8Array;
    try {
      bytes = await read(path);
    } catch (error) {
      if (isMissing(error) && !required) places.push({ place, status: 'absent', count: 0, reason: 'no such file' });
      else places.push({ place, status: 'error', count: 0, reason: describeError(error) });
      return;
    }
    // An encrypted PEM SSH key has no public key in clear: age and sops read KEY.pub beside it.
    let publicKeyLine: string | undefined;
    if (needsPublicKeyFile(bytes)) publicKeyLine = await read(`${path}.pub`).then((b) => Buffer.from(b).toString('utf8'), () => undefined);
    take(place, bytes, publicKeyLine);
  };

  const fromCommand = async (place: string, line: string, extraEnv: Record<string, string>): Promise<void> => {
    let stdout: Uint8Array;
    try {
      const argv = shellSplit(line);
      if (argv.length === 0) throw new SecretsError('USAGE', 'empty command');
      stdout = await run(argv, { ...env, ...extraEnv });
    } catch (error) {
      places.push({ place, status: 'error', count: 0, reason: describeError(error) });
      return;
    }
    take(place, stdout);
  };

  const home = (...parts: string[]): string => join(homedir, ...parts);

  // 1. SSH keys (sops ≥ 3.10: loadAgeSSHIdentities).
  const sshFile = env[IDENTITY_ENV.sshPrivateKeyFile];
  if (sshFile !== undefined) await fromFile(`${IDENTITY_ENV.sshPrivateKeyFile} (${sshFile})`, sshFile, true);
  const sshCmd = env[IDENTITY_ENV.sshPrivateKeyCmd];
  if (sshCmd !== undefined) await fromCommand(`${IDENTITY_ENV.sshPrivateKeyCmd} (${sshCmd})`, sshCmd, {});
  if (homedir) {
    await fromFile('~/.ssh/id_ed25519', home('.ssh', 'id_ed25519'), false);
    await fromFile('~/.ssh/id_rsa', home('.ssh', 'id_rsa'), false);
  }

  // 2–4. The age sources proper.
  const inline = env[IDENTITY_ENV.key];
  if (inline !== undefined) take(IDENTITY_ENV.key, inline);
  const keyFile = env[IDENTITY_ENV.keyFile];
  if (keyFile !== undefined) await fromFile(`${IDENTITY_ENV.keyFile} (${keyFile})`, keyFile, true);
  const keyCmd = env[IDENTITY_ENV.keyCmd];
  if (keyCmd !== undefined) {
    const extra: Record<string, string> = options.recipient ? { [IDENTITY_ENV.recipient]: options.recipient } : {};
    await fromCommand(`${IDENTITY_ENV.keyCmd} (${keyCmd})`, keyCmd, extra);
  }

  // 5. The default keys.txt, read in addition when it exists.
  const configDir = userConfigDir(environment);
  if (configDir) {
    const path = join(configDir, 'sops', 'age', 'keys.txt');
    await fromFile(path, path, false);
  }

  return { identities, places };
}

/**
 * Formats the places looked at as hint lines for an error message.
 *
 * @param places - from {@link discoverIdentities}
 * @returns one line per place, e.g. `SOPS_AGE_KEY_FILE (/x): 2 identities`
 */
export function describePlaces(places: readonly IdentityPlace[]): string[] {
  return places.map((p) => {
    if (p.status === 'loaded') return `${p.place}: ${p.count} ${p.count === 1 ? 'identity' : 'identities'}`;
    return `${p.place}: ${p.reason ?? p.status}`;
  });
}
