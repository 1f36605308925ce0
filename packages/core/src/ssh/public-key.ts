/**
 * SSH public keys: the wire blob (RFC 4253 §6.6, RFC 8709) and the one-line text forms users paste —
 * authorized_keys lines (with options), known_hosts lines (with host patterns and markers) and the bare
 * `type base64 comment` form of `*.pub` files and `ssh-keyscan`.
 */
import { SecretsError } from '../errors.js';
import { concatBytes, fromBase64, toBase64 } from '../bytes.js';
import type { SshEd25519PublicKey, SshPublicKey, SshRsaPublicKey } from './types.js';
import { WireReader, wireMpint, wireString } from './wire.js';

/**
 * Key type names OpenSSH knows. We use ed25519 and RSA; the rest are recognised so that they can be
 * reported as unsupported instead of as junk.
 */
const KNOWN_TYPES = /^(ssh-ed25519|ssh-rsa|ssh-dss|ssh-ed448|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com|[a-z0-9-]+-cert-v01@openssh\.com|rsa-sha2-(256|512))$/;

/** Whether `name` is an SSH public key type name. */
export function isSshKeyType(name: string): boolean {
  return KNOWN_TYPES.test(name);
}

function bitLength(magnitude: Uint8Array): number {
  if (magnitude.length === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0] as number));
}

/**
 * Parses a public key from its wire blob.
 *
 * @param wire - the blob (what the base64 field of a `.pub` line decodes to)
 * @param comment - the comment to attach
 * @returns the key
 * @throws SecretsError SSH_KEY_INVALID for a malformed blob, SSH_KEY_UNSUPPORTED for other key types
 */
export function parseSshPublicKeyBlob(wire: Uint8Array, comment = ''): SshPublicKey {
  const r = new WireReader(wire, 'SSH public key');
  const type = r.text();
  if (type === 'ssh-ed25519') {
    const key = r.string();
    r.end();
    if (key.length !== 32) throw new SecretsError('SSH_KEY_INVALID', `malformed ssh-ed25519 public key: ${key.length} bytes instead of 32`);
    const out: SshEd25519PublicKey = { type, key: key.slice(), wire: wire.slice(), comment };
    return out;
  }
  if (type === 'ssh-rsa') {
    const e = r.mpint().slice();
    const n = r.mpint().slice();
    r.end();
    if (e.length === 0 || n.length === 0) throw new SecretsError('SSH_KEY_INVALID', 'malformed ssh-rsa public key: zero exponent or modulus');
    const out: SshRsaPublicKey = { type, e, n, bits: bitLength(n), wire: wire.slice(), comment };
    return out;
  }
  throw unsupported(type);
}

function unsupported(type: string): SecretsError {
  return new SecretsError('SSH_KEY_UNSUPPORTED', `got ${type} key type, but only ed25519 keys are supported`, {
    details: { keyType: type },
  });
}

/** Builds the wire blob of an RSA key from its parts (used by the private-key parser). */
export function rsaPublicWire(e: Uint8Array, n: Uint8Array): Uint8Array {
  return concatBytes(wireString('ssh-rsa'), wireMpint(e), wireMpint(n));
}

/**
 * Splits a line into whitespace-separated fields, keeping double-quoted runs (authorized_keys options such
 * as `command="echo a b"`) inside one field.
 */
function fields(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '\\' && quoted && i + 1 < line.length) {
      current += ch + (line[i + 1] as string);
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (!quoted && (ch === ' ' || ch === '\t')) {
      if (current !== '') out.push(current);
      current = '';
    } else current += ch;
  }
  if (current !== '') out.push(current);
  return out;
}

/** The result of looking for a key on one line. */
export type KeyLine =
  | { readonly kind: 'key'; readonly key: SshPublicKey }
  | { readonly kind: 'unsupported'; readonly keyType: string }
  | { readonly kind: 'none' };

/**
 * Finds the public key on one line of any of the common formats: `type base64 [comment]`,
 * `options type base64 [comment]` (authorized_keys), `[@marker] hosts type base64 [comment]`
 * (known_hosts, ssh-keyscan). The key is the first field that names a key type and is followed by a
 * base64 blob of that same type.
 *
 * @param line - one line, without its newline
 * @returns the key, an unsupported key type, or none when the line holds no key
 * @throws SecretsError SSH_KEY_INVALID when a field names a key type but its blob is malformed
 */
export function findKeyOnLine(line: string): KeyLine {
  const f = fields(line.trim());
  for (let i = 0; i < f.length - 1; i++) {
    const type = f[i] as string;
    if (!isSshKeyType(type)) continue;
    const blob = fromBase64(f[i + 1] as string, 'optional');
    if (blob === null) continue;
    const inner = new WireReader(blob, 'SSH public key').text();
    if (inner !== type) {
      throw new SecretsError('SSH_KEY_INVALID', `malformed SSH public key: the line says ${type} but the key inside is ${JSON.stringify(inner)}`);
    }
    if (type !== 'ssh-ed25519' && type !== 'ssh-rsa') return { kind: 'unsupported', keyType: type };
    return { kind: 'key', key: parseSshPublicKeyBlob(blob, f.slice(i + 2).join(' ')) };
  }
  return { kind: 'none' };
}

/**
 * Parses one public key line (`ssh-ed25519 AAAA… comment`, optionally with authorized_keys options or a
 * known_hosts host field before it).
 *
 * @param line - the line
 * @returns the key
 * @throws SecretsError SSH_KEY_UNSUPPORTED for recognised but unsupported types (ecdsa, dss, sk-…),
 *   SSH_KEY_INVALID when the line holds no SSH public key
 */
export function parseSshPublicKey(line: string): SshPublicKey {
  const found = findKeyOnLine(line.replace(/\r?\n$/, ''));
  if (found.kind === 'key') return found.key;
  if (found.kind === 'unsupported') throw unsupported(found.keyType);
  throw new SecretsError('SSH_KEY_INVALID', 'not an SSH public key', {
    hints: ['expected a line like "ssh-ed25519 AAAAC3Nza… comment", as in a .pub file'],
  });
}

/**
 * Formats a public key as a `.pub` line: `type base64 [comment]`.
 *
 * @param key - the key
 * @param withComment - include the comment (default true)
 */
export function formatSshPublicKey(key: SshPublicKey, withComment = true): string {
  const base = `${key.type} ${toBase64(key.wire)}`;
  return withComment && key.comment !== '' ? `${base} ${key.comment}` : base;
}
