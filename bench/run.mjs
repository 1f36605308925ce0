/**
 * `npm run bench`: our speed and memory against peers, measured side by side in one run on this machine,
 * printed as one table. What each row measures and why: docs/benchmarks.md.
 *
 * Everything runs on the built packages (the script builds first) in a scratch directory under the OS
 * temp dir, with HOME pointed there so no real key of the user is ever read.
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/secrets.js');
const KEY_FILE = join(ROOT, 'examples/keys/admin_michael.agekey');
const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const { decryptSops } = await import('sops-age');

const SCRATCH = mkdtempSync(join(tmpdir(), 'secrets-bench-'));
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: SCRATCH, SOPS_AGE_KEY_FILE: KEY_FILE };
const keyText = readFileSync(KEY_FILE, 'utf8');
const secretKey = keyText.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'));
const identities = core.parseIdentities(keyText, 'admin');
const admin = core.parseRecipient(await core.identityToRecipient(secretKey));
const rows = [];
const log = (s) => process.stderr.write(`bench: ${s}\n`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (n, unit = '') => `${n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)}${unit}`;
const row = (name, ours, peer, ratio, target, pass) => rows.push({ name, ours, peer, ratio, target, pass });

function run(argv, options = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env: ENV, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30, timeout: 300_000, ...options });
  const elapsed = ms(t0);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${String(r.stderr).slice(0, 500)}`);
  return { elapsed, stdout: r.stdout };
}

// ---- 1. CLI cold start ------------------------------------------------------------------------------

function coldStart() {
  const example = 'examples/batchn/secrets/example.yaml';
  const ours = ['node', BIN, 'decrypt', example];
  const node = ['node', '-e', '0'];
  if (!String(run(ours).stdout).startsWith('hello: Welcome to SOPS!')) throw new Error('secrets decrypt printed something unexpected');
  for (let i = 0; i < 3; i++) run(ours), run(node); // page cache, CPU frequency
  const a = [];
  const b = [];
  for (let i = 0; i < 41; i++) {
    a.push(run(ours).elapsed);
    b.push(run(node).elapsed);
  }
  const ratio = median(a) / median(b);
  row('CLI cold start: `secrets decrypt` of example.yaml vs `node -e 0` (median of 41 alternating runs)', fmt(median(a), ' ms'), fmt(median(b), ' ms'), `${ratio.toFixed(2)}x`, '<= 1.8x', ratio <= 1.8);
}

// ---- 2. in-process decrypt of 3,000 leaves -----------------------------------------------------------

/** A plaintext YAML document of `groups × 10` leaves: mostly strings, some ints, floats and bools. */
function plainYaml(groups, valueBytes) {
  const lines = [];
  for (let g = 0; g < groups; g++) {
    lines.push(`service_${g}:`);
    for (let k = 0; k < 10; k++) {
      const v = k === 7 ? String(g * 1000 + k) : k === 8 ? 'true' : k === 9 ? `${g}.5` : `secret-${g}-${k}-${'x'.repeat(Math.max(0, valueBytes - 16))}`;
      lines.push(`    key_${k}: ${v}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function encryptYaml(text, recipients = [admin]) {
  const doc = core.storeFor('yaml').loadPlain(new TextEncoder().encode(text));
  return core.createSopsFile(doc, { format: 'yaml', keyGroups: [recipients], now: new Date() });
}

async function inProcess() {
  const plain = plainYaml(300, 24);
  const file = await encryptYaml(plain);
  const text = new TextDecoder().decode(file);
  const ours = async () => core.openSopsFile(file, { format: 'yaml', identities });
  const peer = async () => decryptSops(text, { secretKey, fileType: 'yaml' });
  // same answers
  const opened = await ours();
  if (new TextDecoder().decode(core.storeFor('yaml').emitPlain(opened.document)) !== plain) throw new Error('our decryption differs from the plaintext');
  const theirs = await peer();
  if (theirs.service_299.key_3 !== 'secret-299-3-xxxxxxxx' || theirs.service_12.key_7 !== 12007) throw new Error('sops-age decrypted something else');
  for (let i = 0; i < 5; i++) await ours(), await peer();
  const a = [];
  const b = [];
  for (let i = 0; i < 25; i++) {
    let t0 = process.hrtime.bigint();
    await ours();
    a.push(ms(t0));
    t0 = process.hrtime.bigint();
    await peer();
    b.push(ms(t0));
  }
  const ratio = median(b) / median(a);
  row(`in-process decrypt, 3,000 leaves (${(file.length / 1024).toFixed(0)} KiB YAML), MAC verified vs sops-age 4.0.2 (median of 25)`, fmt(median(a), ' ms'), fmt(median(b), ' ms'), `${ratio.toFixed(2)}x faster`, '>= 3x', ratio >= 3);
}

// ---- 3. rekey: secrets rekey vs agenix's age -d | age -e per file -----------------------------------

function sshRecipient() {
  const { publicKey } = generateKeyPairSync('ed25519', { publicKeyEncoding: { format: 'der', type: 'spki' } });
  const raw = publicKey.subarray(publicKey.length - 32);
  const str = (b) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  const wire = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  return `ssh-ed25519 ${wire.toString('base64')} bench`;
}

async function x25519Recipient() {
  return core.identityToRecipient(await core.generateX25519Identity());
}

async function rekey() {
  const xs = [admin.text, await x25519Recipient(), await x25519Recipient()];
  const sshs = [sshRecipient(), sshRecipient(), sshRecipient()];
  const six = [xs[0], sshs[0], xs[1], sshs[1], xs[2], sshs[2]];
  const three = six.slice(0, 3);
  const FILES = 500;

  // the sops side: files encrypted to the admin alone; .sops.yaml names the new recipient set
  const pristine = join(SCRATCH, 'rekey-pristine');
  mkdirSync(join(pristine, 'secrets'), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const name = `secrets/s${String(i).padStart(3, '0')}.yaml`;
    writeFileSync(join(pristine, name), await encryptYaml(`db_password: hunter-${i}\napi_token: token-${i}-abcdef\nport: ${5000 + i}\n`));
  }
  const config = (recipients) =>
    `creation_rules:\n  - path_regex: ^secrets/[^/]+\\.yaml$\n    key_groups:\n      - age:\n${recipients.map((r) => `          - ${JSON.stringify(r)}`).join('\n')}\n`;
  const repo = join(SCRATCH, 'rekey-repo');
  const secretsRekey = (recipients, count) => {
    rmSync(repo, { recursive: true, force: true });
    mkdirSync(join(repo, 'secrets'), { recursive: true });
    for (let i = 0; i < count; i++) {
      const name = `secrets/s${String(i).padStart(3, '0')}.yaml`;
      cpSync(join(pristine, name), join(repo, name));
    }
    writeFileSync(join(repo, '.sops.yaml'), config(recipients));
    const { elapsed } = run(['node', BIN, 'rekey', '-y'], { cwd: repo });
    return elapsed;
  };
  // check once: the same data key (values and MAC untouched), now wrapped for six recipients
  secretsRekey(six, FILES);
  const before = readFileSync(join(pristine, 'secrets/s007.yaml'), 'utf8');
  const after = readFileSync(join(repo, 'secrets/s007.yaml'), 'utf8');
  const values = (t) => t.split('\nsops:')[0];
  if (values(before) !== values(after) || (after.match(/^ +recipient: /gm) ?? []).length !== 6) throw new Error('rekey did not keep the data key or set six recipients');

  const times = (recipients, count) => median([0, 1, 2, 3, 4].map(() => secretsRekey(recipients, count)));
  const t500x6 = times(six, FILES);
  const t250x6 = times(six, FILES / 2);
  const t500x3 = times(three, FILES);

  // the agenix side: one age -d and one age -e process per file, piped, from a shell loop (agenix is a
  // shell script). Not from node's spawnSync: forking this process costs more than age itself.
  const ageDir = join(SCRATCH, 'agenix');
  mkdirSync(ageDir, { recursive: true });
  writeFileSync(join(ageDir, 'recipients.txt'), `${six.join('\n')}\n`);
  const payload = new TextEncoder().encode('hunter2-and-a-token-of-about-the-same-size-as-the-sops-values\n');
  for (let i = 0; i < FILES; i++) writeFileSync(join(ageDir, `s${String(i).padStart(3, '0')}.age`), await core.encryptAge(payload, [admin]));
  writeFileSync(join(ageDir, 'rekey.sh'), `set -eu\nfor f in s*.age; do age -d -i "$KEY" "$f" | age -e -R recipients.txt -o "$f.new"; done\n`);
  const { elapsed: tAgenix } = run(['bash', 'rekey.sh'], { cwd: ageDir, env: { ...ENV, KEY: KEY_FILE } });
  if (!spawnSync('age', ['-d', '-i', KEY_FILE, join(ageDir, 's007.age.new')]).stdout.equals(Buffer.from(payload))) throw new Error('age round trip failed');

  const ratio = tAgenix / t500x6;
  row(
    `rekey ${FILES} files × 6 recipients (3 X25519, 3 ssh-ed25519): \`secrets rekey -y\` process vs agenix way (bash: age -d | age -e per file); files/s`,
    `${fmt(t500x6, ' ms')} (${fmt((FILES / t500x6) * 1000)}/s)`,
    `${fmt(tAgenix, ' ms')} (${fmt((FILES / tAgenix) * 1000)}/s)`,
    `${ratio.toFixed(2)}x faster`,
    '>= 5x',
    ratio >= 5,
  );
  const files = t500x6 / t250x6;
  // Linear plus a fixed part (process start, configuration): at most 2, and well above 1.
  row('rekey scaling with files: time(500 files) / time(250 files), 6 recipients', fmt(t500x6, ' ms'), fmt(t250x6, ' ms'), `${files.toFixed(2)}`, '1.5–2 (linear + fixed)', files >= 1.5 && files <= 2.2);
  const recips = t500x6 / t500x3;
  row('rekey scaling with recipients: time(6 recipients) / time(3 recipients), 500 files', fmt(t500x6, ' ms'), fmt(t500x3, ' ms'), `${recips.toFixed(2)}`, '1–2 (linear + fixed per file)', recips >= 1 && recips <= 2.2);
}

// ---- 4. peak memory decrypting 50 MB ------------------------------------------------------------------

async function memory() {
  // ~1 KiB values: 50 MB of sops YAML is about 37,000 leaves (10,780 bytes of YAML per group of ten)
  const groups = 4650;
  const file = await encryptYaml(plainYaml(groups, 1024));
  const path = join(SCRATCH, 'big.yaml');
  writeFileSync(path, file);
  const size = statSync(path).size;
  const hook = join(SCRATCH, 'rss.mjs');
  // maxRSS of the whole CLI process, reported as it exits
  writeFileSync(hook, "process.on('exit', () => process.stderr.write(`maxrss ${process.resourceUsage().maxRSS}\\n`));\n");
  const out = await new Promise((resolve, reject) => {
    const child = spawn('node', ['--import', hook, BIN, 'decrypt', path], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    let bytes = 0;
    let err = '';
    child.stdout.on('data', (d) => (bytes += d.length));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ bytes, err }) : reject(new Error(`decrypt failed: ${err}`))));
  });
  const rss = Number(/maxrss (\d+)/.exec(out.err)?.[1]) * 1024;
  if (out.bytes < size / 2) throw new Error('the decrypted output is too short');
  const multiple = rss / size;
  row(`peak memory (maxRSS) of \`secrets decrypt\` on a ${(size / 1e6).toFixed(1)} MB sops YAML file, as a multiple of its size`, `${(rss / 1e6).toFixed(0)} MB`, '-', `${multiple.toFixed(2)}x`, '< 8x', multiple < 8);
}

// ---- the table ----------------------------------------------------------------------------------------

try {
  log(`node ${process.version}, scratch ${SCRATCH}`);
  log('1/4 CLI cold start');
  coldStart();
  log('2/4 in-process decrypt');
  await inProcess();
  log('3/4 rekey');
  await rekey();
  log('4/4 peak memory');
  await memory();
} finally {
  rmSync(SCRATCH, { recursive: true, force: true });
}

const head = ['measurement', 'ours', 'peer', 'ratio', 'target', 'result'];
const body = rows.map((r) => [r.name, r.ours, r.peer, r.ratio, r.target, r.pass ? 'pass' : 'FAIL']);
const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const b of body) console.log(line(b));
process.exitCode = rows.every((r) => r.pass) ? 0 : 1;
