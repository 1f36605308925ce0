/**
 * Public key lines in every form users paste: .pub, authorized_keys with options, known_hosts with host
 * lists, markers and hashed hosts, ssh-keyscan output; and the blob rules (RFC 4253 §6.6, RFC 8709).
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_RSA_BITS,
  findKeyOnLine,
  formatSshPublicKey,
  isSshKeyType,
  parseSshPublicKey,
  parseSshPublicKeyBlob,
} from '../../src/ssh/index.js';
import { WireWriter } from '../../src/ssh/wire.js';
import { errorOf, fixture, fixtures, shownText } from './helpers.js';

const ed = fixture('ed25519-plain.pub').trim();
const [edType, edBlob] = ed.split(' ') as [string, string];
const rsa = fixture('rsa-2048-plain.pub').trim();
const ecdsa = fixture(fixtures.ecdsa_public).trim();
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
/** A blob that starts with `type` and holds `rest` (enough to be recognised). */
const blobOf = (type: string, ...rest: Uint8Array[]): string => {
  const w = new WireWriter().string(type);
  for (const r of rest) w.string(r);
  return b64(w.finish());
};

describe('one line', () => {
  it.each([
    ['bare', `${edType} ${edBlob}`, ''],
    ['a comment with spaces kept as written', `${edType} ${edBlob}  my  laptop key `, 'my  laptop key'],
    ['tabs as separators', `${edType}\t${edBlob}\tc`, 'c'],
    ['a trailing newline', `${edType} ${edBlob} c\n`, 'c'],
    ['CRLF', `${edType} ${edBlob} c\r\n`, 'c'],
    ['leading whitespace', `  \t${edType} ${edBlob}`, ''],
    ['authorized_keys options', `no-pty,no-port-forwarding ${edType} ${edBlob} c`, 'c'],
    ['options with quoted spaces', `command="echo a b",no-pty ${edType} ${edBlob} c`, 'c'],
    ['options with escaped quotes', `command="echo \\"ssh-rsa x\\" y",from="a,b" ${edType} ${edBlob} c`, 'c'],
    ['a known_hosts host list', `host1,host2,10.0.0.1 ${edType} ${edBlob}`, ''],
    ['a known_hosts [host]:port', `[git.example]:2222 ${edType} ${edBlob}`, ''],
    ['a hashed known_hosts host', `|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ${edType} ${edBlob}`, ''],
    ['@cert-authority', `@cert-authority *.example ${edType} ${edBlob} ca`, 'ca'],
    ['@revoked', `@revoked host ${edType} ${edBlob}`, ''],
  ])('%s', (_name, line, comment) => {
    const key = parseSshPublicKey(line);
    expect(formatSshPublicKey(key, false)).toBe(`${edType} ${edBlob}`);
    expect(key.comment).toBe(comment);
  });

  it('reports known_hosts markers', () => {
    expect(findKeyOnLine(`@revoked h ${edType} ${edBlob}`)).toMatchObject({ kind: 'key', marker: '@revoked' });
    expect(findKeyOnLine(`@cert-authority h ${ecdsa}`)).toMatchObject({ kind: 'unsupported', keyType: 'ecdsa-sha2-nistp256', marker: '@cert-authority' });
    expect(findKeyOnLine(ed)).toMatchObject({ kind: 'key', marker: null });
    expect(findKeyOnLine('@bogus h ' + ed)).toEqual({ kind: 'none' });
  });

  it('gives ed25519 keys as 32 bytes and the wire blob', () => {
    const key = parseSshPublicKey(ed);
    if (key.type !== 'ssh-ed25519') throw new Error('type');
    expect(key.key.length).toBe(32);
    expect(b64(key.wire)).toBe(edBlob);
    expect(Buffer.from(key.wire.subarray(-32)).equals(Buffer.from(key.key))).toBe(true);
  });

  it('parses RSA into e, n and bits, and formats it back byte for byte', () => {
    const key = parseSshPublicKey(rsa);
    if (key.type !== 'ssh-rsa') throw new Error('type');
    expect([key.bits, Buffer.from(key.e).toString('hex'), key.n.length, key.n[0] !== 0]).toEqual([2048, '010001', 256, true]);
    expect(formatSshPublicKey(key)).toBe(rsa);
    expect(formatSshPublicKey({ ...key, comment: '' })).toBe(rsa.split(' ').slice(0, 2).join(' '));
  });
});

describe('unsupported but recognised key types', () => {
  it.each([
    ['ecdsa-sha2-nistp256', ecdsa],
    ['ssh-dss', `ssh-dss ${blobOf('ssh-dss', new Uint8Array(1))} c`],
    ['sk-ssh-ed25519@openssh.com', `sk-ssh-ed25519@openssh.com ${blobOf('sk-ssh-ed25519@openssh.com', new Uint8Array(32))}`],
    ['ssh-ed25519-cert-v01@openssh.com', `ssh-ed25519-cert-v01@openssh.com ${blobOf('ssh-ed25519-cert-v01@openssh.com', new Uint8Array(32))}`],
    ['ssh-rsa-cert-v01@openssh.com', `host ssh-rsa-cert-v01@openssh.com ${blobOf('ssh-rsa-cert-v01@openssh.com')}`],
    ['sk-ssh-ed25519-cert-v01@openssh.com', `sk-ssh-ed25519-cert-v01@openssh.com ${blobOf('sk-ssh-ed25519-cert-v01@openssh.com')}`],
  ])('%s', (type, line) => {
    const e = errorOf(() => parseSshPublicKey(line));
    expect(e.code).toBe('SSH_KEY_UNSUPPORTED');
    expect(e.message).toBe(`got ${type} key type, but only ed25519 keys are supported`);
    expect(e.details).toEqual({ keyType: type });
  });

  it('knows the names', () => {
    for (const t of ['ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'sk-ecdsa-sha2-nistp256@openssh.com', 'ecdsa-sha2-nistp256-cert-v01@openssh.com']) {
      expect(isSshKeyType(t)).toBe(true);
    }
    for (const t of ['ssh-foo', 'rsa-sha2-256', 'AAAAC3Nza', 'ssh-foo-cert-v01@openssh.com', '']) expect(isSshKeyType(t)).toBe(false);
  });
});

describe('malformed lines and blobs', () => {
  it.each([
    ['the blob of another type', `ssh-ed25519 ${rsa.split(' ')[1] as string}`, 'SSH_KEY_INVALID', 'malformed ssh-ed25519 public key: the encoded key is of another type'],
    ['a missing blob', 'ssh-ed25519', 'SSH_KEY_INVALID', 'malformed ssh-ed25519 public key: the base64 key is missing'],
    ['bad base64', 'ssh-ed25519 AAAA!!!!', 'SSH_KEY_INVALID', 'malformed ssh-ed25519 public key: the key is not valid base64'],
    ['a 31-byte ed25519 key', `ssh-ed25519 ${blobOf('ssh-ed25519', new Uint8Array(31))}`, 'SSH_KEY_INVALID', 'malformed SSH public key: an ssh-ed25519 key must be 32 bytes'],
    ['trailing bytes', `ssh-ed25519 ${blobOf('ssh-ed25519', new Uint8Array(32), new Uint8Array(1))}`, 'SSH_KEY_INVALID', 'malformed SSH public key: unexpected trailing data'],
    ['a truncated blob', `ssh-ed25519 ${edBlob.slice(0, 40)}`, 'SSH_KEY_INVALID', 'malformed SSH public key: a length field exceeds the data'],
    ['an unknown type', `ssh-foo ${blobOf('ssh-foo')}`, 'SSH_KEY_INVALID', 'not an SSH public key'],
    ['no key at all', 'hello world TOPSECRET', 'SSH_KEY_INVALID', 'not an SSH public key'],
    ['an empty line', '   ', 'SSH_KEY_INVALID', 'not an SSH public key'],
    ['a private key', fixture('ed25519-plain').split('\n')[0] as string, 'SSH_KEY_INVALID', 'not an SSH public key'],
    ['several lines', `${ed}\n${ed}\n`, 'SSH_KEY_INVALID', 'expected one SSH public key line, got several lines'],
  ])('%s', (_name, line, code, message) => {
    const e = errorOf(() => parseSshPublicKey(line));
    expect([e.code, e.message]).toEqual([code, message]);
    expect(shownText(e)).not.toContain('TOPSECRET');
    expect(shownText(e)).not.toContain(edBlob.slice(20, 40));
  });

  it('RSA: zero values and moduli over OpenSSH’s 16384-bit limit are refused', () => {
    const rsaBlob = (e: Uint8Array, n: Uint8Array): Uint8Array => new WireWriter().string('ssh-rsa').mpint(e).mpint(n).finish();
    expect(errorOf(() => parseSshPublicKeyBlob(rsaBlob(new Uint8Array(0), new Uint8Array([1])))).message).toBe('malformed SSH public key: zero RSA exponent or modulus');
    const big = new Uint8Array(MAX_RSA_BITS / 8 + 1);
    big[0] = 1;
    expect(errorOf(() => parseSshPublicKeyBlob(rsaBlob(new Uint8Array([3]), big))).message).toBe(`malformed SSH public key: RSA modulus larger than ${MAX_RSA_BITS} bits`);
    const max = new Uint8Array(MAX_RSA_BITS / 8).fill(0xff);
    const key = parseSshPublicKeyBlob(rsaBlob(new Uint8Array([3]), max), 'c');
    expect(key.type === 'ssh-rsa' && key.bits).toBe(MAX_RSA_BITS);
    expect(key.comment).toBe('c');
  });

  it('a blob for an unsupported type is SSH_KEY_UNSUPPORTED at the blob level too', () => {
    expect(errorOf(() => parseSshPublicKeyBlob(Buffer.from(ecdsa.split(' ')[1] as string, 'base64'))).code).toBe('SSH_KEY_UNSUPPORTED');
  });
});
