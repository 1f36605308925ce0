/**
 * A first `.sops.yaml`, in the shape the sops-nix README shows and real repositories keep (see the
 * corpus): the admin's key under `keys:` with an anchor, and creation rules whose one key group names it
 * by alias:
 *
 * ```yaml
 * keys:
 *   - &admin_alice age1…
 * creation_rules:
 *   - path_regex: secrets/[^/]+\.(yaml|json|env|ini)$
 *     key_groups:
 *       - age:
 *           - *admin_alice
 * ```
 *
 * Hosts are then added with the same text splices `secrets hosts add` uses (./edit.ts), and the result
 * is read back with the sops-compatible parser and must mean exactly what was asked.
 */
import { describeIdentity, parseRecipient, type AgeIdentity } from '../age/index.js';
import { SecretsError } from '../errors.js';
import { ed25519PublicKeyToAgeRecipient, formatSshPublicKey } from '../ssh/index.js';
import { compileRe2 } from '../re2.js';
import { addKey } from './edit.js';
import { parseSopsConfig } from './schema.js';

/** The sops-nix README's rule: every YAML, JSON, dotenv and INI file directly under `secrets/`. */
export const DEFAULT_PATH_REGEX = 'secrets/[^/]+\\.(yaml|json|env|ini)$';

/** A key for the first `.sops.yaml`: a name (the anchor's) and its recipient. */
export interface InitialKey {
  /** Letters, digits, `-`, `_`; the anchor becomes `admin_NAME` / `server_NAME`. */
  readonly name: string;
  /** `age1…`, `age1pq1…`, or an SSH public key (`ssh-ed25519 …`, `ssh-rsa …`). */
  readonly recipient: string;
  /** A comment for the key's line, e.g. the SSH key an `age1…` recipient was converted from. */
  readonly note?: string;
}

/** What {@link initialSopsConfig} writes. */
export interface InitialConfigOptions {
  /** The admin: the person running `init`, who edits the secrets. */
  readonly admin: InitialKey;
  /** One creation rule per path regex (Go RE2 syntax, as sops); at least one. */
  readonly pathRegexes: readonly string[];
  /** Hosts that decrypt every rule's files on deploy. */
  readonly hosts?: readonly InitialKey[];
}

/** A YAML scalar for `value`: plain where YAML reads it back unchanged, else double-quoted. */
function yamlScalar(value: string): string {
  const plain = /^[A-Za-z0-9_.\\/^(][^\s#:]*$/.test(value) && !/[:#]/.test(value) && !/^(true|false|null|yes|no|on|off|~|[-+]?\d[\d_.e+-]*)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new SecretsError('USAGE', `invalid name ${JSON.stringify(name)}: use letters, digits, - and _`);
}

/**
 * Checks what {@link initialSopsConfig} would refuse of the names and path regexes, before a key is made.
 *
 * @throws SecretsError USAGE for a bad admin or host name or path regex (not RE2, empty, or with control characters)
 */
export function checkInitialConfig(options: { readonly name?: string; readonly hostNames?: readonly string[]; readonly pathRegexes: readonly string[] }): void {
  if (options.name !== undefined) checkName(options.name);
  for (const host of options.hostNames ?? []) checkName(host);
  if (options.pathRegexes.length === 0) throw new SecretsError('USAGE', 'no path regex for the creation rule');
  for (const re of options.pathRegexes) {
    if (re === '' || /[\u0000-\u001f\u007f]/.test(re)) throw new SecretsError('USAGE', `invalid path regex ${JSON.stringify(re)}: empty or with control characters`);
    try {
      compileRe2(re);
    } catch (error) {
      throw new SecretsError('USAGE', `invalid path regex ${JSON.stringify(re)}: ${error instanceof Error ? error.message : String(error)}`, { hints: ['path regexes are Go (RE2) regular expressions, as in sops, e.g. secrets/.*\\.yaml$'] });
    }
  }
}

/**
 * The text of a first `.sops.yaml`.
 *
 * @param options - the admin, the path regexes, hosts
 * @returns the file's text (LF line endings, ending in a newline)
 * @throws SecretsError USAGE for a bad name, recipient or path regex (not RE2, or not one line)
 */
export function initialSopsConfig(options: InitialConfigOptions): string {
  const { admin, pathRegexes } = options;
  checkInitialConfig({ name: admin.name, pathRegexes });
  parseRecipient(admin.recipient);
  if (admin.note !== undefined && /[\r\n]/.test(admin.note)) throw new SecretsError('USAGE', 'a key note must be one line');
  const anchor = `admin_${admin.name}`;
  const recipient = /[:#,[\]{}'"]/.test(admin.recipient) ? JSON.stringify(admin.recipient) : admin.recipient;
  const lines = ['keys:', `  - &${anchor} ${recipient}${admin.note ? ` # ${admin.note}` : ''}`, 'creation_rules:'];
  for (const re of pathRegexes) lines.push(`  - path_regex: ${yamlScalar(re)}`, '    key_groups:', '      - age:', `          - *${anchor}`);
  let text = `${lines.join('\n')}\n`;
  for (const host of options.hosts ?? []) {
    for (let index = 0; index < pathRegexes.length; index++) text = addKey(text, 'host', host.name, host.recipient, { index }, host.note).text;
  }
  verify(text, options);
  return text;
}

/** The written text, read as sops reads it, must hold exactly the rules and recipients asked for. */
function verify(text: string, options: InitialConfigOptions): void {
  const config = parseSopsConfig(text, '.sops.yaml');
  const wanted = [options.admin, ...(options.hosts ?? [])].map((k) => parseRecipient(k.recipient).text);
  const ok =
    config.creationRules.length === options.pathRegexes.length &&
    config.creationRules.every((rule, i) => {
      const got = rule.keyGroups.flat().map((k) => (k.type === 'age' ? parseRecipient(k.recipient).text : k.value));
      return rule.pathRegex === options.pathRegexes[i] && rule.keyGroups.length === 1 && got.length === wanted.length && got.every((r, j) => r === wanted[j]);
    });
  if (!ok) throw new SecretsError('INTERNAL', 'the .sops.yaml written does not read back as asked: not written');
}

/** The admin key `init` found among the user's identities, and where. */
export interface FoundAdminKey extends Omit<InitialKey, 'name'> {
  /** Where the identity came from (`SOPS_AGE_KEY_FILE (/home/alice/keys.txt) line 3`, `~/.ssh/id_ed25519`). */
  readonly origin: string;
}

const KIND_ORDER: readonly AgeIdentity['kind'][] = ['x25519', 'hybrid', 'ssh-ed25519', 'ssh-rsa'];

/**
 * The key a first `.sops.yaml` names the admin by, from the identities the user decrypts with: an age
 * key first (what `age-keygen` or an earlier sops setup made), else an ssh-ed25519 key as its ssh-to-age
 * recipient (the sops-nix README's way, the SSH key noted beside it), else an ssh-rsa key as itself.
 * Within a kind, discovery's order (sops') decides.
 *
 * @param identities - as discovered (or read from the file the user named)
 * @returns the key, or null when none of them has a recipient of its own
 */
export async function adminKeyOf(identities: readonly AgeIdentity[]): Promise<FoundAdminKey | null> {
  for (const kind of KIND_ORDER) {
    const identity = identities.find((i) => i.kind === kind);
    if (identity === undefined) continue;
    if (identity.kind === 'ssh-ed25519' || identity.kind === 'ssh-rsa') {
      const ssh = formatSshPublicKey(identity.publicKey, false);
      const origin = identity.origin;
      return identity.kind === 'ssh-rsa' ? { origin, recipient: ssh } : { origin, recipient: ed25519PublicKeyToAgeRecipient(identity.publicKey), note: ssh };
    }
    const [recipient] = (await describeIdentity(identity)).recipients;
    if (recipient !== undefined) return { origin: identity.origin, recipient };
  }
  return null;
}

/**
 * A new age key file as `age-keygen` writes it: `# created:` (RFC 3339), `# public key:`, the key.
 *
 * @param identity - `AGE-SECRET-KEY-1…`
 * @param recipient - its `age1…` recipient
 * @param now - the creation time
 */
export function ageKeyFileText(identity: string, recipient: string, now: Date): string {
  return `# created: ${now.toISOString().replace(/\.\d+Z$/, 'Z')}\n# public key: ${recipient}\n${identity}\n`;
}
