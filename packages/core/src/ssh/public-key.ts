/**
 * SSH public keys: the wire blob (RFC 4253 §6.6 for ssh-rsa, RFC 8709 §4 for ssh-ed25519) and the one-line
 * text forms users paste — `.pub` files and `ssh-keyscan` output (`type base64 [comment]`),
 * authorized_keys lines (`options type base64 [comment]`, sshd(8) "AUTHORIZED_KEYS FILE FORMAT") and
 * known_hosts lines (`[@marker] hosts type base64 [comment]`, sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT").
 *
 * Errors never quote the line: it may be anything the user pasted, a private key included.
 */
import { SecretsError } from '../errors.js';
import { toBase64 } from '../bytes.js';
import type { SshEd25519PublicKey, SshPublicKey, SshRsaPublicKey } from './types.js';
import { WireReader, WireWriter, decodeBase64 } from './wire.js';

/** The key types this project uses. */
const SUPPORTED_TYPES = new Set(['ssh-ed25519', 'ssh-rsa']);

/**
 * Key types OpenSSH knows but we do not use; recognised so that they are reported as unsupported (and
 * skipped by ssh-to-age style conversion) instead of as junk. Certificates are `<type>-cert-v01@openssh.com`.
 */
const UNSUPPORTED_TYPES = new Set([
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-xmss@openssh.com',
]);
const CERT_SUFFIX = '-cert-v01@openssh.com';

/** OpenSSH refuses RSA moduli above 16384 bits (SSH_RSA_MAXIMUM_MODULUS_SIZE in sshkey.h). */
export const MAX_RSA_BITS = 16384;

/** known_hosts markers (sshd(8)). */
const MARKERS = new Set(['@cert-authority', '@revoked']);

/**
 * Whether `name` is an SSH public key type name OpenSSH knows (supported or not).
 *
 * @param name - e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-ed25519-cert-v01@openssh.com`
 * @returns true for a key type name
 */
export function isSshKeyType(name: string): boolean {
  if (SUPPORTED_TYPES.has(name) || UNSUPPORTED_TYPES.has(name)) return true;
  if (!name.endsWith(CERT_SUFFIX)) return false;
  const base = name.slice(0, -CERT_SUFFIX.length);
  // Certificate names drop the "@openssh.com" of sk- base types: sk-ssh-ed25519-cert-v01@openssh.com.
  return SUPPORTED_TYPES.has(base) || UNSUPPORTED_TYPES.has(base) || UNSUPPORTED_TYPES.has(`${base}@openssh.com`);
}

function bitLength(magnitude: Uint8Array): number {
  if (magnitude.length === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0] as number));
}

/**
 * The error for a recognised key type we do not use. The message is ssh-to-age's (convert.go:
 * `got %s key type, but only ed25519 keys are supported`), so that notes built from it read the same.
 */
function unsupported(type: string): SecretsError {
  return new SecretsError('SSH_KEY_UNSUPPORTED', `got ${type} key type, but only ed25519 keys are supported`, {
    details: { keyType: type },
  });
}

/**
 * Parses a public key from its wire blob.
 *
 * @param wire - the blob, what the base64 field of a `.pub` line decodes to
 * @param comment - the comment to attach (default empty)
 * @returns the ssh-ed25519 or ssh-rsa key
 * @throws SecretsError SSH_KEY_INVALID for a malformed blob (ed25519 key not 32 bytes, zero RSA exponent
 *   or modulus, trailing bytes), SSH_KEY_UNSUPPORTED for recognised other key types, SSH_KEY_INVALID for
 *   unknown ones
 */
export function parseSshPublicKeyBlob(wire: Uint8Array, comment = ''): SshPublicKey {
  const r = new WireReader(wire, 'SSH public key');
  const type = r.name();
  if (type === 'ssh-ed25519') {
    // RFC 8709 §4: string "ssh-ed25519", string key (32 bytes).
    const key = r.string();
    r.end();
    if (key.length !== 32) r.fail('an ssh-ed25519 key must be 32 bytes');
    const out: SshEd25519PublicKey = { type, key: key.slice(), wire: wire.slice(), comment };
    return out;
  }
  if (type === 'ssh-rsa') {
    // RFC 4253 §6.6: string "ssh-rsa", mpint e, mpint n.
    const e = r.mpint();
    const n = r.mpint();
    r.end();
    if (e.length === 0 || n.length === 0) r.fail('zero RSA exponent or modulus');
    const bits = bitLength(n);
    if (bits > MAX_RSA_BITS) r.fail(`RSA modulus larger than ${MAX_RSA_BITS} bits`);
    const out: SshRsaPublicKey = { type, e, n, bits, wire: wire.slice(), comment };
    return out;
  }
  if (isSshKeyType(type)) throw unsupported(type);
  throw new SecretsError('SSH_KEY_INVALID', 'malformed SSH public key: unknown key type');
}

/**
 * The wire blob of an RSA public key, `string("ssh-rsa") || mpint(e) || mpint(n)`.
 *
 * @param e - public exponent, big-endian unsigned
 * @param n - modulus, big-endian unsigned
 * @returns the blob
 */
export function rsaPublicWire(e: Uint8Array, n: Uint8Array): Uint8Array {
  return new WireWriter().string('ssh-rsa').mpint(e).mpint(n).finish();
}

/** A field of a line and where it ends. */
interface Field {
  readonly text: string;
  readonly end: number;
}

/**
 * Splits a line at unquoted spaces and tabs. Double-quoted runs stay inside one field, with `\"` escaping
 * a quote, as sshd reads authorized_keys options (`command="echo a b",no-pty`).
 */
function splitFields(line: string): Field[] {
  const out: Field[] = [];
  let current = '';
  let quoted = false;
  let i = 0;
  for (; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted && ch === '\\' && line[i + 1] === '"') {
      current += '\\"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (!quoted && (ch === ' ' || ch === '\t')) {
      if (current !== '') out.push({ text: current, end: i });
      current = '';
    } else current += ch;
  }
  if (current !== '') out.push({ text: current, end: i });
  return out;
}

/** The result of looking for a key on one line. */
export type KeyLine =
  | {
      readonly kind: 'key';
      readonly key: SshPublicKey;
      /** `@cert-authority` or `@revoked` for such known_hosts lines, else null. */
      readonly marker: string | null;
    }
  | {
      readonly kind: 'unsupported';
      /** The recognised but unsupported key type, e.g. `ecdsa-sha2-nistp256`. */
      readonly keyType: string;
      readonly marker: string | null;
    }
  | { readonly kind: 'none' };

/**
 * Finds the public key on one line of any of the usual formats, by position as sshd reads them:
 * - `type base64 [comment]` (`.pub`, `ssh-keyscan`), when the first field is a key type;
 * - `@marker hosts type base64 [comment]` (known_hosts), when the first field starts with `@`;
 * - otherwise `X type base64 [comment]`, where X is authorized_keys options or a known_hosts host list
 *   (patterns, `[host]:port`, hashed `|1|salt|hash`).
 *
 * @param line - one line; surrounding whitespace and a trailing CR/LF are ignored
 * @returns the key with its comment, an unsupported key type, or none when the line holds no key
 * @throws SecretsError SSH_KEY_INVALID when the line names a key type but the key is malformed (bad base64,
 *   a blob of another type, a wrong length)
 */
export function findKeyOnLine(line: string): KeyLine {
  const text = line.trim();
  const fields = splitFields(text);
  const first = fields[0]?.text;
  if (first === undefined) return { kind: 'none' };
  let at: number;
  let marker: string | null = null;
  if (isSshKeyType(first)) at = 0;
  else if (first.startsWith('@')) {
    if (!MARKERS.has(first)) return { kind: 'none' };
    marker = first;
    at = 2;
  } else at = 1;
  const type = fields[at]?.text;
  const blobField = fields[at + 1];
  if (type === undefined || !isSshKeyType(type)) return { kind: 'none' };
  if (blobField === undefined) throw new SecretsError('SSH_KEY_INVALID', `malformed ${type} public key: the base64 key is missing`);
  const blob = decodeBase64(blobField.text);
  if (blob === null) throw new SecretsError('SSH_KEY_INVALID', `malformed ${type} public key: the key is not valid base64`);
  // The type named on the line must be the one inside the blob (OpenSSH sshkey_read checks this too).
  const inner = new WireReader(blob, `${type} public key`).name();
  if (inner !== type) throw new SecretsError('SSH_KEY_INVALID', `malformed ${type} public key: the encoded key is of another type`);
  if (!SUPPORTED_TYPES.has(type)) return { kind: 'unsupported', keyType: type, marker };
  const comment = text.slice(blobField.end).trim();
  return { kind: 'key', key: parseSshPublicKeyBlob(blob, comment), marker };
}

/**
 * Parses one public key line: `ssh-ed25519 AAAA… comment`, also with authorized_keys options or a
 * known_hosts host field (and marker) before the key type.
 *
 * @param line - the line; one trailing newline is allowed
 * @returns the ssh-ed25519 or ssh-rsa key, with the rest of the line as its comment
 * @throws SecretsError SSH_KEY_UNSUPPORTED for recognised other types (`got ecdsa-sha2-nistp256 key
 *   type, but only ed25519 keys are supported`; callers may skip those), SSH_KEY_INVALID when the text is
 *   not one line holding an SSH public key
 */
export function parseSshPublicKey(line: string): SshPublicKey {
  const single = line.replace(/\r?\n$/, '');
  if (/[\r\n]/.test(single.trim())) {
    throw new SecretsError('SSH_KEY_INVALID', 'expected one SSH public key line, got several lines');
  }
  const found = findKeyOnLine(single);
  if (found.kind === 'key') return found.key;
  if (found.kind === 'unsupported') throw unsupported(found.keyType);
  throw new SecretsError('SSH_KEY_INVALID', 'not an SSH public key', {
    hints: ['expected a line like "ssh-ed25519 AAAAC3Nza… comment", as in a .pub file'],
  });
}

/**
 * Formats a public key as a `.pub` line: `type base64 comment`, the comment omitted when empty.
 *
 * @param key - the key
 * @param withComment - include the comment (default true)
 * @returns the line, without a newline
 */
export function formatSshPublicKey(key: SshPublicKey, withComment = true): string {
  const base = `${key.type} ${toBase64(key.wire)}`;
  return withComment && key.comment !== '' ? `${base} ${key.comment}` : base;
}
