/**
 * Valid files for the adversarial suite, with what they must decrypt to: real files from sops, sops-nix,
 * agenix and ragenix (../shared/vectors), and files we encrypt here with every value type. Every
 * plaintext token contains '!', which base64 never does, so finding one in output is never a chance hit.
 */
import {
  createSopsFile,
  encryptAge,
  openSopsFile,
  parseIdentities,
  parseRecipient,
  storeFor,
  type AgeIdentity,
  type Document,
  type Format,
  type Value,
} from '@secrets/core';
import { enc, repoFile, vector, vectorText } from './support.js';

/** The X25519 key of the sops-nix vectors (opens shared secrets.yaml and the files made here). */
export const AGE_KEYS_TXT = 'sops-nix/age-keys.txt';
export const AGE_RECIPIENT = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';

/** Identities that together open every file of the corpora below. */
export const identities: readonly AgeIdentity[] = [
  ...parseIdentities(vector(AGE_KEYS_TXT), 'age-keys.txt'),
  ...parseIdentities(vector('sops-nix/ssh-ed25519-key'), 'ssh-ed25519-key'),
  ...parseIdentities(repoFile('examples/keys/admin_michael.agekey'), 'admin key'),
  ...parseIdentities(vector('agenix/example_keys/user1'), 'user1'),
  ...parseIdentities(vector('ragenix/keys/key.txt'), 'ragenix key.txt'),
  ...parseIdentities(vector('ragenix/keys/id_rsa'), 'ragenix id_rsa'),
];

/** Secret strings that must never appear in an error: identities and every plaintext token. */
export const KEY_SECRETS: readonly string[] = [
  ...[AGE_KEYS_TXT, 'ragenix/keys/key.txt'].flatMap((p) => vectorText(p).split('\n').filter((l) => l.startsWith('AGE-SECRET-KEY-'))),
  ...['sops-nix/ssh-ed25519-key', 'agenix/example_keys/user1', 'ragenix/keys/id_rsa'].flatMap((p) => vectorText(p).split('\n').filter((l) => /^[A-Za-z0-9+/]{40,}$/.test(l))),
];

export const YAML_PLAIN = `# a comment!c1
password: hunter2!tok1
port: 5432
ratio: 0.25
enabled: true
when: 2024-01-02T03:04:05Z
list:
    - alpha!tok2
    - 42
    - false
nested:
    deep:
        key: s3cr3t!tok3
    # another!c2
    multi: |
        line one!tok4
        line two
token_unencrypted: plain!tok5
empty: ""
`;

export const JSON_PLAIN = JSON.stringify(
  { password: 'hunter2!tok6', port: 5432, ratio: -1.5e-7, enabled: false, list: ['beta!tok7', 7, true, { inner: 'x!tok8' }], nested: { deep: { key: 'deep!tok9' } }, big: 9007199254740993 }, // eslint-disable-line no-loss-of-precision -- as written in files; JSON numbers past 2^53
  null,
  '\t',
);
export const DOTENV_PLAIN = '# note!c3\nDB_PASSWORD=hunter2!tok10\nAPI_TOKEN=abc!tok11\nEMPTY=\n';
export const INI_PLAIN = '[database]\npassword = hunter2!tok12\nuser = admin!tok13\n\n[api]\ntoken = t0k!tok14\n';
export const BINARY_PLAIN = new Uint8Array([...enc('binary!tok15\n'), 0, 1, 2, 0xff, 0xfe, ...enc('\nend!tok16')]);

/** An encrypted sops file and what it decrypts to. */
export interface SopsCase {
  readonly name: string;
  readonly format: Format;
  readonly bytes: Uint8Array;
  readonly document: Document;
  /** Secrets that must not leak: plaintext strings and the data key in base64 and hex. */
  readonly secrets: readonly string[];
}

/**
 * Every scalar leaf with its path, in order: what a MAC-verified decryption must reproduce exactly. Null
 * leaves and empty strings are left out: sops never encrypts them and they add no bytes to the MAC, so
 * the format itself cannot protect them (nor comments, which are not in the MAC either). The key of a
 * plaintext `…_unencrypted` value is not authenticated either (the MAC hashes values, and only encrypted
 * values carry their path as AAD), so such keys are compared by their suffix only.
 */
export function leaves(doc: Document): string[] {
  const out: string[] = [];
  const walk = (v: Value, path: string): void => {
    if (v.kind === 'map') {
      for (const i of v.items) if (i.kind === 'entry') walk(i.value, `${path}/${i.key.endsWith('_unencrypted') ? '…_unencrypted' : JSON.stringify(i.key)}`);
    } else if (v.kind === 'seq') {
      v.items.forEach((i, n) => {
        if (i.kind !== 'comment') walk(i, `${path}[${n}]`);
      });
    }
    else if (v.kind !== 'null' && !(v.kind === 'string' && v.value === '')) out.push(`${path}=${v.kind}:${v.kind === 'bytes' ? Buffer.from(v.value).toString('hex') : String(v.value)}`);
  };
  doc.branches.forEach((b, n) => walk(b, `#${n}`));
  return out;
}

function stringsOf(doc: Document): string[] {
  const out: string[] = [];
  const walk = (v: Value): void => {
    if (v.kind === 'map') {
      for (const i of v.items) {
        if (i.kind === 'entry') walk(i.value);
        else out.push(i.text);
      }
    } else if (v.kind === 'seq') {
      for (const i of v.items) {
        if (i.kind === 'comment') out.push(i.text);
        else walk(i);
      }
    }
    else if (v.kind === 'string') out.push(v.value);
    else if (v.kind === 'bytes') out.push(Buffer.from(v.value).toString('latin1'));
  };
  doc.branches.forEach(walk);
  return out.flatMap((s) => s.split('\n')).map((s) => s.trim()).filter((s) => s.includes('!'));
}

const now = new Date('2026-01-02T03:04:05Z');

async function make(name: string, format: Format, plain: Uint8Array): Promise<SopsCase> {
  const document = storeFor(format).loadPlain(plain);
  const bytes = await createSopsFile(document, { format, keyGroups: [[parseRecipient(AGE_RECIPIENT)]], now });
  return open(name, format, bytes);
}

async function open(name: string, format: Format, bytes: Uint8Array): Promise<SopsCase> {
  const opened = await openSopsFile(bytes, { format, identities });
  const key = Buffer.from(opened.dataKey);
  return { name, format, bytes, document: opened.document, secrets: [...stringsOf(opened.document), key.toString('base64'), key.toString('hex')] };
}

let cache: Promise<SopsCase[]> | undefined;

/** The sops corpus: one encrypted file per format made here, plus the real files that age keys open. */
export function sopsCorpus(): Promise<SopsCase[]> {
  cache ??= Promise.all([
    make('generated.yaml', 'yaml', enc(YAML_PLAIN)),
    make('generated.json', 'json', enc(JSON_PLAIN)),
    make('generated.env', 'dotenv', enc(DOTENV_PLAIN)),
    make('generated.ini', 'ini', enc(INI_PLAIN)),
    make('generated.bin', 'binary', BINARY_PLAIN),
    open('sops-nix/secrets.yaml', 'yaml', vector('sops-nix/secrets.yaml')),
    open('sops-nix/secrets-native-ssh.yaml', 'yaml', vector('sops-nix/secrets-native-ssh.yaml')),
    open('examples/batchn/secrets/example.yaml', 'yaml', repoFile('examples/batchn/secrets/example.yaml')),
  ]);
  return cache;
}

/** An age file and its plaintext. */
export interface AgeCase {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly plaintext: Uint8Array;
}

let ageCache: Promise<AgeCase[]> | undefined;

/** The age corpus: agenix and ragenix files (X25519, ssh-ed25519, ssh-rsa, grease), plus our own. */
export function ageCorpus(): Promise<AgeCase[]> {
  ageCache ??= (async () => {
    const plaintext = enc('age plaintext!tok20\n');
    const x = parseRecipient(AGE_RECIPIENT);
    const ssh = parseRecipient(vectorText('sops-nix/ssh-ed25519-key.pub').trim());
    const real = await Promise.all(
      ['agenix/example/secret1.age', 'agenix/example/secret2.age', 'agenix/example/armored-secret.age', 'ragenix/root.passwd.age', 'ragenix/github-runner.token.age'].map(async (name) => {
        const { decryptAge } = await import('@secrets/core');
        const bytes = vector(name);
        return { name, bytes, plaintext: await decryptAge(bytes, identities) };
      }),
    );
    return [
      ...real,
      { name: 'x25519.age', bytes: await encryptAge(plaintext, [x]), plaintext },
      { name: 'x25519-armored.age', bytes: await encryptAge(plaintext, [x], { armor: true }), plaintext },
      { name: 'ssh-ed25519+x25519.age', bytes: await encryptAge(plaintext, [ssh, x], { armor: true }), plaintext },
    ];
  })();
  return ageCache;
}
