/**
 * The key-source seam without real programs: the PGP source's gpg command lines, its limits and error
 * text (gpg's words escaped, no secret), SOPS_GPG_EXEC; a deploy tool's own source substituted by kind;
 * PGP keys in the metadata model (read, written as sops 3.13 writes them, extra fields kept).
 */
import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import type { ProcessOptions, ProcessResult } from '../../src/process.js';
import { createSopsFile, openSopsFile } from '../../src/sops/file.js';
import type { KeySource } from '../../src/sops/key-source.js';
import { readMetadata } from '../../src/sops/metadata-read.js';
import { writeMetadataCurrentLayout } from '../../src/sops/metadata-write.js';
import { type MasterKey } from '../../src/sops/metadata.js';
import { pgpKeySource } from '../../src/sops/pgp-source.js';
import { e, map, seq, str } from './tree-helpers.js';

const FP = '7FB89715AADA920D65D25E63F9BA9DEBD03F57C0';
const ARMORED = '-----BEGIN PGP MESSAGE-----\n\nhQEMA\n=abcd\n-----END PGP MESSAGE-----';
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A runner that records its calls and answers with the given result. */
function fakeRunner(answer: (argv: readonly string[], options: ProcessOptions) => ProcessResult | Error) {
  const calls: { argv: readonly string[]; input: string; env: Readonly<Record<string, string>> }[] = [];
  const run = async (argv: readonly string[], options: ProcessOptions): Promise<ProcessResult> => {
    calls.push({ argv, input: Buffer.from(options.input ?? new Uint8Array()).toString('hex'), env: options.env });
    const result = answer(argv, options);
    if (result instanceof Error) throw result;
    return result;
  };
  return { calls, run };
}
const ok = (stdout: string | Uint8Array): ProcessResult => ({ status: 0, stdout: typeof stdout === 'string' ? enc(stdout) : stdout, stderr: new Uint8Array(), killed: false });
const failed = (stderr: string): ProcessResult => ({ status: 2, stdout: new Uint8Array(), stderr: enc(stderr), killed: false });

describe('the PGP key source over an injected runner', () => {
  it('wraps as sops runs gpg: the raw secret on stdin, the long key ID trusted, output trimmed', async () => {
    const runner = fakeRunner(() => ok(`\n${ARMORED}\n\n`));
    const source = pgpKeySource({ run: runner.run, env: { GNUPGHOME: '/g', SOPS_GPG_EXEC: '' } });
    const key = await source.wrap({ type: 'pgp', fingerprint: FP }, new Uint8Array([1, 2, 255]), { now: new Date('2026-01-02T03:04:05.678Z') });
    expect(runner.calls).toEqual([
      { argv: ['gpg', '--batch', '--no-default-recipient', '--yes', '--encrypt', '-a', '-r', FP, '--trusted-key', 'F9BA9DEBD03F57C0', '--no-encrypt-to'], input: '0102ff', env: { GNUPGHOME: '/g', SOPS_GPG_EXEC: '' } },
    ]);
    expect(key).toMatchObject({ type: 'pgp', fingerprint: FP, enc: ARMORED });
    // written as sops 3.13 writes a new PGP key
    const node = writeMetadataCurrentLayout({ keyGroups: [[key]], shamirThreshold: 0, lastmodified: '2026-01-02T03:04:05Z', mac: '', version: '3.13.3', rules: {}, unknown: [] });
    expect(node.items.find((i) => i.kind === 'entry' && i.key === 'pgp')).toEqual(e('pgp', seq(map(e('created_at', str('2026-01-02T03:04:05Z')), e('enc', str(ARMORED)), e('fp', str(FP))))));
  });

  it('unwraps with gpg --decrypt, the enc on stdin; SOPS_GPG_EXEC names the program', async () => {
    const runner = fakeRunner(() => ok(new Uint8Array(32).fill(7)));
    const source = pgpKeySource({ run: runner.run, env: { SOPS_GPG_EXEC: '/opt/gpg2' } });
    const key: MasterKey = { type: 'pgp', fingerprint: FP, enc: ARMORED, fields: map() };
    expect(await source.unwrap(key)).toEqual(new Uint8Array(32).fill(7));
    expect(runner.calls.map((c) => [c.argv, Buffer.from(c.input, 'hex').toString('utf8')])).toEqual([[['/opt/gpg2', '--decrypt'], ARMORED]]);
    // a pinentry that cannot be shown: the hint sops users know
    const noTty = pgpKeySource({ run: fakeRunner(() => failed('gpg: public key decryption failed: Inappropriate ioctl for device\ngpg: decryption failed: No secret key')).run, env: {} });
    await expect(noTty.unwrap(key)).rejects.toThrow('(for a passphrase prompt on this terminal: export GPG_TTY=$(tty))');
    // never asking (git textconv): batch mode, and a pinentry request is an error
    const quiet = fakeRunner(() => ok(new Uint8Array(32)));
    await pgpKeySource({ run: quiet.run, env: {}, noPrompt: true }).unwrap(key);
    expect(quiet.calls[0]?.argv).toEqual(['gpg', '--batch', '--pinentry-mode', 'error', '--decrypt']);
  });

  it("failures: gpg's words escaped and capped, a missing program said once, a hostile enc never reaches gpg", async () => {
    const runner = fakeRunner(() => failed('gpg: encrypted with RSA key, ID F9BA9DEBD03F57C0\n      "x"\ngpg: decryption failed: No secret key\u001b[31m\n'));
    const source = pgpKeySource({ run: runner.run, env: {} });
    const key: MasterKey = { type: 'pgp', fingerprint: FP, enc: ARMORED, fields: map() };
    await expect(source.unwrap(key)).rejects.toThrow('gpg could not decrypt it: gpg: encrypted with RSA key, ID F9BA9DEBD03F57C0; gpg: decryption failed: No secret key\\x1b[31m');
    await expect(source.unwrap({ ...key, enc: 'not armored' })).rejects.toThrow('its enc is not an armored PGP message');
    await expect(source.unwrap({ ...key, enc: `${ARMORED}${'x'.repeat(70_000)}` })).rejects.toThrow('its enc is larger than 65536 bytes');
    expect(runner.calls).toHaveLength(1);
    const missing = fakeRunner(() => Object.assign(new Error('spawn gpg ENOENT'), { code: 'ENOENT' }));
    const gone = pgpKeySource({ run: missing.run, env: {} });
    await expect(gone.wrap({ type: 'pgp', fingerprint: FP }, new Uint8Array(32), { now: new Date() })).rejects.toMatchObject({ code: 'KEY_WRAP_FAILED', message: 'could not run "gpg": gpg is not installed' });
    await expect(gone.unwrap(key)).rejects.toThrow('gpg could not be run');
    // a fingerprint from a hostile config: refused before gpg runs
    await expect(source.wrap({ type: 'pgp', fingerprint: '--homedir\n/x' }, new Uint8Array(32), { now: new Date() })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const refusing = pgpKeySource({ run: fakeRunner(() => failed('gpg: 0123: skipped: No public key\ngpg: [stdin]: encryption failed: No public key')).run, env: {} });
    const error = await refusing.wrap({ type: 'pgp', fingerprint: '0123' }, new Uint8Array(32).fill(9), { now: new Date() }).catch((x: unknown) => x as SecretsError);
    expect(error).toMatchObject({ code: 'KEY_WRAP_FAILED', message: 'could not encrypt the data key to PGP key 0123: gpg said: gpg: 0123: skipped: No public key; gpg: [stdin]: encryption failed: No public key' });
  });
});

describe('a deploy tool substitutes its own source for a kind', () => {
  it('wraps and unwraps PGP keys through it (no gpg), and reads the file back with it', async () => {
    const vault = new Map<string, Uint8Array>();
    const mine: KeySource = {
      describe: (key) => (key.type === 'pgp' ? key.fingerprint : '?'),
      async wrap(target, secret, context) {
        const id = `-----BEGIN PGP MESSAGE-----\nref-${vault.size}\n-----END PGP MESSAGE-----`;
        vault.set(id, secret.slice());
        return { type: 'pgp', fingerprint: target.type === 'pgp' ? target.fingerprint : '?', enc: id, fields: map(e('created_at', str(context.now.toISOString()))) };
      },
      async unwrap(key) {
        return key.type === 'pgp' ? (vault.get(key.enc) ?? null) : null;
      },
    };
    const document = { branches: [map(e('a', str('b')))] };
    const file = await createSopsFile(document, { format: 'yaml', keyGroups: [[{ type: 'pgp', fingerprint: FP }]], now: new Date('2026-01-01T00:00:00Z'), keySources: { pgp: mine } });
    expect(Buffer.from(file).toString('utf8')).toContain(`fp: ${FP}`);
    const opened = await openSopsFile(file, { format: 'yaml', keySources: { pgp: mine } });
    expect(opened.document).toEqual(document);
    const metadata = readMetadata(opened.metadataNode);
    expect(metadata.keyGroups[0]?.[0]).toMatchObject({ type: 'pgp', fingerprint: FP });
  });
});

describe('PGP keys in the metadata', () => {
  it('read as typed keys; fields sops does not know are kept, the rest in sops 3.13 order', () => {
    const node = map(
      e('pgp', seq(map(e('fp', str(FP)), e('created_at', str('2020-07-03T08:21:00Z')), e('enc', str(ARMORED)), e('comment', str('kept'))))),
      e('lastmodified', str('2020-07-03T08:21:21Z')),
      e('mac', str('')),
      e('version', str('3.5.0')),
    );
    const m = readMetadata(node);
    expect(m.keyGroups).toEqual([[{ type: 'pgp', fingerprint: FP, enc: ARMORED, fields: expect.anything() as unknown }]]);
    expect(writeMetadataCurrentLayout(m).items.find((i) => i.kind === 'entry' && i.key === 'pgp')).toEqual(e('pgp', seq(map(e('comment', str('kept')), e('created_at', str('2020-07-03T08:21:00Z')), e('enc', str(ARMORED)), e('fp', str(FP))))));
  });
});
