// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * `secrets ssh-to-age` against every entry of ssh-to-age's own vectors (../shared/vectors/ssh-to-age),
 * through the built CLI as a real process: exact stdout, exact stderr notes, exit codes, file modes,
 * and no key material in any error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grammarViolations, runProcess, SHARED } from './support/cli.js';

interface KeyVector {
  input: string;
  passphrase?: string | null;
  expected_output?: string;
  expected_age_secret_key?: string;
  expected_age_public_key?: string;
  public_input?: string;
  matching_age_public_key?: string;
}
interface MultiVector {
  input: string;
  expected_stdout: string;
  expected_stderr: string;
  exit_code: number;
}
interface Vectors {
  private_key_vectors: KeyVector[];
  public_key_vectors: KeyVector[];
  multi_line_vectors: MultiVector[];
  negative_vectors: { case: string }[];
  cross_repo_vectors: KeyVector[];
}

const vectors = JSON.parse(readFileSync(join(SHARED, 'vectors/ssh-to-age/vectors.json'), 'utf8')) as Vectors & Record<string, unknown>;
const KNOWN = ['_about', 'source', 'algorithm', 'private_key_vectors', 'public_key_vectors', 'multi_line_vectors', 'negative_vectors', 'cross_repo_vectors'];
const work = mkdtempSync(join(tmpdir(), 'secrets-ssh-to-age-'));
let fileCounter = 0;
function tempFile(content: string): string {
  const path = join(work, `input-${fileCounter++}`);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** Every base64 run of 16+ chars in a private key's body: none may appear in an error. */
function keyMaterial(pem: string): string[] {
  return pem
    .split('\n')
    .filter((l) => !l.startsWith('-----') && l.length >= 16)
    .map((l) => l.slice(0, 16));
}

function expectCleanError(stderr: string, secretInput: string): void {
  expect(grammarViolations(stderr)).toEqual([]);
  for (const chunk of keyMaterial(secretInput)) expect(stderr).not.toContain(chunk);
}

describe('ssh-to-age vectors through the real CLI', () => {
  it('covers every section of vectors.json (a new section must get a test)', () => {
    expect(Object.keys(vectors).filter((k) => !KNOWN.includes(k))).toEqual([]);
    expect(vectors.private_key_vectors.length).toBeGreaterThan(0);
    expect(vectors.negative_vectors.length).toBeGreaterThan(0);
  });

  for (const [i, v] of vectors.public_key_vectors.entries()) {
    it(`public key vector ${i}: stdin → exact age recipient`, async () => {
      const r = await runProcess(['ssh-to-age'], { stdin: v.input });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(v.expected_output);
      expect(r.status).toBe(0);
    });
  }

  for (const [i, v] of vectors.multi_line_vectors.entries()) {
    it(`multi-line vector ${i}: keyscan output → every ed25519 key, exact skip notes`, async () => {
      const r = await runProcess(['ssh-to-age', '-i', tempFile(v.input)]);
      expect(r.stdout).toBe(v.expected_stdout);
      expect(r.stderr).toBe(v.expected_stderr);
      expect(r.status).toBe(v.exit_code);
    });
  }

  for (const [i, v] of vectors.private_key_vectors.entries()) {
    it(`private key vector ${i}: exact AGE-SECRET-KEY (go-style -private-key flag)`, async () => {
      const env = v.passphrase ? { SSH_TO_AGE_PASSPHRASE: v.passphrase } : {};
      const r = await runProcess(['ssh-to-age', '-private-key', '-i', tempFile(v.input)], { env });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(v.expected_output);
      expect(r.status).toBe(0);
    });
    if (v.passphrase) {
      it(`private key vector ${i}: passphrase from stdin with -stdinpass (trailing newline trimmed)`, async () => {
        const r = await runProcess(['ssh-to-age', '-private-key', '-stdinpass', '-i', tempFile(v.input)], { stdin: `${v.passphrase}\r\n` });
        expect(r.stdout).toBe(v.expected_output);
        expect(r.status).toBe(0);
      });
      it(`private key vector ${i}: no passphrase and no terminal → clear error, no key material`, async () => {
        const r = await runProcess(['ssh-to-age', '--private-key', '-i', tempFile(v.input)]);
        expect(r.status).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain('secrets: error: this private key is passphrase protected');
        expect(r.stderr).toContain('secrets: hint: set SSH_TO_AGE_PASSPHRASE');
        expectCleanError(r.stderr, v.input);
      });
      it(`private key vector ${i}: wrong passphrase → clear error, no key material`, async () => {
        const r = await runProcess(['ssh-to-age', '--private-key', '-i', tempFile(v.input)], { env: { SSH_TO_AGE_PASSPHRASE: 'wrong' } });
        expect(r.status).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^secrets: error: .*incorrect passphrase/m);
        expectCleanError(r.stderr, v.input);
      });
    }
  }

  for (const [i, v] of vectors.cross_repo_vectors.entries()) {
    it(`cross-repo vector ${i}: private and public conversions agree with the other tools`, async () => {
      const priv = await runProcess(['ssh-to-age', '--private-key', '-i', tempFile(v.input)]);
      expect(priv.stdout).toBe(`${v.expected_age_secret_key}\n`);
      // Not every entry carries its .pub line (the core test checks the envelope's public key then).
      if (v.public_input) {
        const pub = await runProcess(['ssh-to-age'], { stdin: v.public_input });
        expect(pub.stdout).toBe(`${v.expected_age_public_key}\n`);
      }
    });
  }

  describe('negative vectors', () => {
    const byCase = new Map(vectors.negative_vectors.map((n) => [n.case, n as Record<string, string>]));
    const handled = new Set<string>();
    const negative = (name: string): Record<string, string> => {
      const n = byCase.get(name);
      if (!n) throw new Error(`negative vector ${JSON.stringify(name)} is missing from vectors.json`);
      handled.add(name);
      return n;
    };
    const plainKey = vectors.private_key_vectors.find((v) => !v.passphrase) as KeyVector;

    it('clamping is not applied', async () => {
      const n = negative('clamping must NOT be applied');
      const r = await runProcess(['ssh-to-age', '--private-key', '-i', tempFile(plainKey.input)]);
      expect(r.stdout).toBe(`${n['correct_output']}\n`);
      expect(r.stdout).not.toContain(n['wrong_output_if_clamped']);
    });

    it('-private-key -stdinpass without -i is refused with the exact ssh-to-age text', async () => {
      const n = negative('-private-key -stdinpass without -i');
      const r = await runProcess(['ssh-to-age', '-private-key', '-stdinpass'], { stdin: plainKey.input });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`secrets: error: ${n['expected_error']}`);
    });

    it('a passphrase for an unencrypted key is an error, as in ssh-to-age', async () => {
      negative('passphrase given but key is unencrypted');
      const r = await runProcess(['ssh-to-age', '--private-key', '-i', tempFile(plainKey.input)], { env: { SSH_TO_AGE_PASSPHRASE: 'x' } });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^secrets: error: .*not password protected/m);
      expectCleanError(r.stderr, plainKey.input);
    });

    it('an encrypted key without a passphrase is an error (covered per vector above)', () => {
      negative('encrypted key, no passphrase');
      expect(vectors.private_key_vectors.some((v) => v.passphrase)).toBe(true);
    });

    it('a wrong passphrase is an error (covered per vector above)', () => {
      negative('wrong passphrase');
      expect(vectors.private_key_vectors.some((v) => v.passphrase)).toBe(true);
    });

    it('chacha20-poly1305 and aes256-gcm keys CONVERT (ssh-to-age fails on them)', async () => {
      negative('key encrypted with chacha20-poly1305@openssh.com or aes*-gcm');
      const dir = join(import.meta.dirname, '../packages/core/test/vectors/ssh');
      const fixtures = JSON.parse(readFileSync(join(dir, 'vectors.json'), 'utf8')) as {
        keys: { file: string; cipher: string; passphrase: string | null; age_identity?: string }[];
      };
      const modern = fixtures.keys.filter((k) => /gcm|chacha/.test(k.cipher) && k.age_identity);
      expect(modern.map((k) => k.cipher).sort()).toEqual(expect.arrayContaining(['aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com']));
      for (const k of modern) {
        const r = await runProcess(['ssh-to-age', '--private-key', '-i', join(dir, k.file)], { env: { SSH_TO_AGE_PASSPHRASE: k.passphrase ?? '' } });
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe(`${k.age_identity}\n`);
      }
    });

    it('an RSA private key is refused: only ed25519 keys convert', async () => {
      negative('RSA private key with -private-key');
      const rsa = (vectors as unknown as { cross_repo_vectors: KeyVector[] }).cross_repo_vectors;
      expect(rsa.length).toBeGreaterThan(0);
      const pem = readFileSync(join(SHARED, 'vectors/sops-nix/ssh-key'), 'utf8');
      const r = await runProcess(['ssh-to-age', '--private-key', '-i', tempFile(pem)]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('secrets: error: got ssh-rsa key type, but only ed25519 keys are supported');
      expectCleanError(r.stderr, pem);
    });

    it('a PKCS#8 Ed25519 key converts to the identity of the same key in OpenSSH format (ssh-to-age fails on it by a bug, sops-nix#915)', async () => {
      negative("PKCS#8 ('BEGIN PRIVATE KEY') ed25519 key");
      const dir = join(import.meta.dirname, '../packages/core/test/vectors/ssh');
      const fixtures = JSON.parse(readFileSync(join(dir, 'vectors.json'), 'utf8')) as { pkcs8: string; pkcs8_same_key_as: string };
      const pkcs8 = await runProcess(['ssh-to-age', '--private-key', '-i', tempFile(readFileSync(join(dir, fixtures.pkcs8), 'utf8'))]);
      const twin = await runProcess(['ssh-to-age', '--private-key', '-i', tempFile(readFileSync(join(dir, fixtures.pkcs8_same_key_as), 'utf8'))]);
      expect(pkcs8.status).toBe(0);
      expect(pkcs8.stdout).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+\n$/);
      expect(pkcs8.stdout).toBe(twin.stdout);
    });

    it('ecdsa / security-key lines are skipped with a note, not fatal (deliberately lenient)', async () => {
      negative('public line \'ecdsa-sha2-nistp256 AAAA... comment\' (or sk-ssh-ed25519@openssh.com, or leading whitespace)');
      const ed = vectors.public_key_vectors[0] as KeyVector;
      const ecdsa = readFileSync(join(import.meta.dirname, '../packages/core/test/vectors/ssh/ecdsa.pub'), 'utf8').trim();
      const r = await runProcess(['ssh-to-age'], { stdin: `${ecdsa}\n   ${ed.input}` });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(ed.expected_output);
      expect(r.stderr).toBe('skipped key: got ecdsa-sha2-nistp256 key type, but only ed25519 keys are supported\n');
    });

    it('authorized_keys options with spaces parse (deliberately lenient)', async () => {
      negative('authorized_keys line with options containing spaces, e.g. command="a b" ssh-ed25519 ...');
      const ed = vectors.public_key_vectors[0] as KeyVector;
      const r = await runProcess(['ssh-to-age'], { stdin: `command="echo a b",no-pty ${ed.input}` });
      expect(r.stdout).toBe(ed.expected_output);
      expect(r.status).toBe(0);
    });

    it('every negative vector has a test', () => {
      expect([...byCase.keys()].filter((k) => !handled.has(k))).toEqual([]);
    });
  });

  it('junk input fails with the line number only, never the line', async () => {
    const r = await runProcess(['ssh-to-age'], { stdin: '# fine\nthis is not a key SECRETSECRETSECRET\n' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^secrets: error: .*line 2/m);
    expect(r.stderr).not.toContain('SECRETSECRETSECRET');
  });

  it('-o writes a converted private key with mode 0600 and a public one normally', async () => {
    const plain = vectors.private_key_vectors.find((v) => !v.passphrase) as KeyVector;
    const out = join(work, 'identity.txt');
    const r = await runProcess(['ssh-to-age', '--private-key', '-i', tempFile(plain.input), '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(plain.expected_output);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('asks for the passphrase on the terminal, without echo, when nothing else gives it', () => {
    const dir = join(import.meta.dirname, '../packages/core/test/vectors/ssh');
    const fixtures = JSON.parse(readFileSync(join(dir, 'vectors.json'), 'utf8')) as { keys: { file: string; passphrase: string | null; age_identity?: string }[] };
    const key = fixtures.keys.find((k) => k.passphrase && k.age_identity) as { file: string; passphrase: string; age_identity: string };
    // util-linux `script` gives the CLI a real pty; the passphrase is typed after the prompt appears.
    const cli = join(import.meta.dirname, '../packages/cli/bin/secrets.js');
    const r = spawnSync('sh', ['-c', `(sleep 1; printf '%s\\r' "$PASS") | script -qec "node ${cli} ssh-to-age --private-key -i ${join(dir, key.file)}" /dev/null`], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], PASS: key.passphrase, HOME: '/nonexistent-home' },
      timeout: 20_000,
    });
    expect(r.stdout).toContain('Enter passphrase for the SSH key: ');
    expect(r.stdout).toContain(key.age_identity);
    expect(r.stdout).not.toContain(key.passphrase);
  });

  it('--help shows an example and both flag spellings', async () => {
    const r = await runProcess(['ssh-to-age', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('-private-key');
  });
});
