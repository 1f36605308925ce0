/**
 * age plugins end to end through the built CLI, with the project's test plugin
 * (test/fixtures/plugins/age-plugin-secretstest) on PATH:
 * - interop both ways with Debian's age 1.1.1 driving the same plugin;
 * - a sops repository whose .sops.yaml names a plugin recipient: encrypt, decrypt, edit, rekey;
 * - an agenix secrets.nix with a plugin recipient: edit, decrypt, rekey;
 * - the plugin's questions on the terminal (in-process prompts), refused cleanly without one;
 * - a hostile .sops.yaml naming `age1../../x1…` runs nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bech32 } from '@scure/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, grammarViolations, runInProcess, runProcess } from './support/cli.js';
import { peerSkipReason } from './support/peers.js';
import { TmuxSession } from './support/tmux.js';

const PLUGINS = fileURLToPath(new URL('./fixtures/plugins', import.meta.url));
const PATH = `${PLUGINS}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
const dir = mkdtempSync(join(tmpdir(), 'secrets-plugin-cli-'));
const path = (name: string): string => join(dir, name);
const ids = { plugin: path('plugin-id.txt'), admin: path('admin.txt') };
let recipient = '';
let admin = '';

const missing = peerSkipReason(['age', 'age-keygen'], 'age');
if (missing !== null) it.skip(missing, () => undefined);
const live = missing === null ? it : it.skip;

beforeAll(() => {
  if (missing !== null) return;
  const generated = execFileSync(join(PLUGINS, 'age-plugin-secretstest'), ['--keygen'], { encoding: 'utf8' });
  writeFileSync(ids.plugin, generated, { mode: 0o600 });
  recipient = /# recipient: (\S+)/.exec(generated)?.[1] as string;
  execFileSync('age-keygen', ['-o', ids.admin], { stdio: 'ignore' });
  admin = execFileSync('age-keygen', ['-y', ids.admin], { encoding: 'utf8' }).trim();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const age = (args: string[], input: string | Uint8Array): Buffer => execFileSync('age', args, { input, env: { ...process.env, PATH } });
const cli = (args: string[], options: { cwd?: string; env?: Record<string, string>; stdin?: string | Uint8Array } = {}) =>
  runProcess(args, { ...options, env: { PATH, ...options.env } });

describe('secrets age and Debian age drive the same plugin', () => {
  live('age -e -r age1secretstest1… | secrets age decrypt -i plugin-identity', async () => {
    for (const armor of [[], ['-a']]) {
      const file = age(['-e', ...armor, '-r', recipient], 'from age\n');
      const r = await cli(['age', 'decrypt', '-i', ids.plugin], { stdin: file });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('from age\n');
    }
  });

  live('secrets age encrypt -r age1secretstest1… (with an X25519 recipient) | age -d -i plugin-identity', async () => {
    const r = await cli(['age', 'encrypt', '-r', recipient, '-r', admin], { stdin: 'from secrets\n' });
    expect(r.status).toBe(0);
    expect(age(['-d', '-i', ids.plugin], r.stdoutBytes).toString()).toBe('from secrets\n');
    expect(age(['-d', '-i', ids.admin], r.stdoutBytes).toString()).toBe('from secrets\n');
  });

  live('names a plugin that is not installed, and quotes a failing one escaped', async () => {
    const absent = await runProcess(['age', 'encrypt', '-r', recipient], { stdin: 'x', env: { PATH: '/usr/bin:/bin' } });
    expect(absent.status).not.toBe(0);
    expect(absent.stderr).toContain('secrets: error: age-plugin-secretstest was not found on PATH');
    const failing = await cli(['age', 'encrypt', '-r', recipient], { stdin: 'x', env: { SECRETSTEST_FAIL: 'card\nsecrets: hint: forged' } });
    expect(failing.stderr).toBe('secrets: error: age-plugin-secretstest: could not wrap the file key: card\\nsecrets: hint: forged\n');
    expect(grammarViolations(failing.stderr)).toEqual([]);
  });
});

describe('sops files with a plugin recipient in .sops.yaml', () => {
  live('encrypt, decrypt, edit and rekey through the CLI', async () => {
    const repo = path('sops-repo');
    mkdirSync(join(repo, 'secrets'), { recursive: true });
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${recipient}\n`);
    writeFileSync(join(repo, 'secrets/app.yaml'), 'password: hunter2\n');
    const withPlugin = { SOPS_AGE_KEY_FILE: ids.plugin };
    expect((await cli(['encrypt', '-i', 'secrets/app.yaml'], { cwd: repo })).status).toBe(0);
    expect(readFileSync(join(repo, 'secrets/app.yaml'), 'utf8')).toContain(`recipient: ${recipient}`);
    expect((await cli(['decrypt', 'secrets/app.yaml'], { cwd: repo, env: withPlugin })).stdout).toBe('password: hunter2\n');

    const editor = join(repo, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i s/hunter2/hunter3/ "$1"\n', { mode: 0o755 });
    expect((await cli(['edit', 'secrets/app.yaml'], { cwd: repo, env: { ...withPlugin, EDITOR: editor } })).status).toBe(0);
    expect((await cli(['decrypt', 'secrets/app.yaml'], { cwd: repo, env: withPlugin })).stdout).toBe('password: hunter3\n');

    // Add an X25519 admin: rekey opens the data key through the plugin and wraps it for both.
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${recipient},${admin}\n`);
    const rekey = await cli(['rekey', '-y'], { cwd: repo, env: withPlugin });
    expect(rekey.status).toBe(0);
    expect((await cli(['decrypt', 'secrets/app.yaml'], { cwd: repo, env: { SOPS_AGE_KEY_FILE: ids.admin } })).stdout).toBe('password: hunter3\n');
    expect((await cli(['check'], { cwd: repo })).stdout).toContain('opens 1 of 1 file');
  });

  live('rekey of several files runs the plugin once: one PIN for all of them', async () => {
    const repo = path('sops-repo-many');
    mkdirSync(join(repo, 'secrets'), { recursive: true });
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${recipient}\n`);
    for (const n of [1, 2, 3]) {
      writeFileSync(join(repo, `secrets/s${n}.yaml`), `password: hunter${n}\n`);
      expect((await cli(['encrypt', '-i', `secrets/s${n}.yaml`], { cwd: repo })).status).toBe(0);
    }
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${recipient},${admin}\n`);
    const log = join(repo, 'plugin.log');
    // One answer only: a second question (a plugin run per file) would go unanswered and fail the file.
    const r = await runInProcess(['rekey', '-y'], { cwd: repo, env: { PATH, SOPS_AGE_KEY_FILE: ids.plugin, SECRETSTEST_PIN: '1234', SECRETSTEST_LOG: log }, promptAnswers: ['1234'] });
    expect([r.status, r.stderr.match(/error.*/g)]).toEqual([0, null]);
    expect(readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('add-identity'))).toHaveLength(1);
    for (const n of [1, 2, 3]) expect((await cli(['decrypt', `secrets/s${n}.yaml`], { cwd: repo, env: { SOPS_AGE_KEY_FILE: ids.admin } })).stdout).toBe(`password: hunter${n}\n`);
  });

  live('a hostile .sops.yaml naming age1../../x1… runs nothing', async () => {
    const repo = path('hostile-repo');
    mkdirSync(join(repo, 'secrets'), { recursive: true });
    const hostile = bech32.encode('age1../../x', bech32.toWords(new Uint8Array(32)), false);
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${hostile}\n`);
    writeFileSync(join(repo, 'secrets/app.yaml'), 'password: hunter2\n');
    const r = await cli(['encrypt', '-i', 'secrets/app.yaml'], { cwd: repo });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('invalid age plugin name "../../x"');
    expect(readFileSync(join(repo, 'secrets/app.yaml'), 'utf8')).toBe('password: hunter2\n');
  });
});

describe('agenix secrets.nix with a plugin recipient', () => {
  live('edit, decrypt (secrets and age) and rekey', async () => {
    const repo = path('agenix-repo');
    mkdirSync(repo);
    writeFileSync(join(repo, 'secrets.nix'), `let\n  yubikey = "${recipient}";\n  admin = "${admin}";\nin {\n  "db.age".publicKeys = [ yubikey admin ];\n}\n`);
    const editor = join(repo, 'editor.sh');
    writeFileSync(editor, "#!/bin/sh\nprintf 'db password\\n' > \"$1\"\n", { mode: 0o755 });
    expect((await cli(['agenix', 'edit', '-i', ids.admin, '--editor', editor, 'db.age'], { cwd: repo })).status).toBe(0);
    const file = readFileSync(join(repo, 'db.age'));
    expect(age(['-d', '-i', ids.plugin], file).toString()).toBe('db password\n');
    expect((await cli(['agenix', 'decrypt', '-i', ids.plugin, 'db.age'], { cwd: repo })).stdout).toBe('db password\n');
    // secrets.lock vouches for the plugin recipient as for an X25519 one: nothing to rekey, then or later.
    for (let i = 0; i < 2; i++) expect((await cli(['agenix', 'rekey', '-i', ids.admin], { cwd: repo })).stderr).toContain('0 rekeyed, 1 up to date');
    expect((await cli(['check'], { cwd: repo })).stdout).toMatch(/yubikey: opens 1 of 1 file/);
    // Only the plugin key now: rekey opens the file with it and re-encrypts.
    writeFileSync(join(repo, 'secrets.nix'), `{\n  "db.age".publicKeys = [ "${recipient}" ];\n}\n`);
    expect((await cli(['agenix', 'rekey', '-i', ids.plugin], { cwd: repo })).status).toBe(0);
    const rekeyed = readFileSync(join(repo, 'db.age'));
    expect(age(['-d', '-i', ids.plugin], rekeyed).toString()).toBe('db password\n');
    expect(() => age(['-d', '-i', ids.admin], rekeyed)).toThrow();
  });
});

describe('agenix rekey with a plugin identity', () => {
  live('asks the plugin once for every file: one PIN', async () => {
    const repo = path('agenix-repo-many');
    mkdirSync(repo);
    for (const name of ['db', 'wifi']) writeFileSync(join(repo, `${name}.age`), age(['-e', '-r', recipient], `${name} secret\n`));
    writeFileSync(join(repo, 'secrets.nix'), `{\n  "db.age".publicKeys = [ "${recipient}" "${admin}" ];\n  "wifi.age".publicKeys = [ "${recipient}" "${admin}" ];\n}\n`);
    const log = join(repo, 'plugin.log');
    // One answer only: a plugin run per file would ask a second time, unanswered, and fail that file.
    const r = await runInProcess(['agenix', 'rekey', '-i', ids.plugin], { cwd: repo, env: { PATH, SECRETSTEST_PIN: '1234', SECRETSTEST_LOG: log }, promptAnswers: ['1234'] });
    expect([r.status, r.stderr.match(/error.*/g)]).toEqual([0, null]);
    expect(readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('add-identity'))).toHaveLength(1);
    for (const name of ['db', 'wifi']) expect(age(['-d', '-i', ids.admin], readFileSync(join(repo, `${name}.age`))).toString()).toBe(`${name} secret\n`);
  });
});

describe('a plugin asking questions', () => {
  const env = (extra: Record<string, string>): Record<string, string> => ({ PATH, SOPS_AGE_KEY_FILE: ids.plugin, ...extra });

  live('request-secret and confirm go to the terminal prompt; msg to standard error', async () => {
    const file = age(['-e', '-r', recipient], 'asked for a PIN\n');
    const pin = await runInProcess(['age', 'decrypt', '-i', ids.plugin], { stdin: file, env: env({ SECRETSTEST_PIN: '1234', SECRETSTEST_MSG: 'touch the key' }), promptAnswers: ['1234'] });
    expect(pin.stdout).toBe('asked for a PIN\n');
    expect(pin.stderr).toBe('age-plugin-secretstest: touch the key\n');
    const confirm = await runInProcess(['age', 'decrypt', '-i', ids.plugin], { stdin: file, env: env({ SECRETSTEST_CONFIRM: '1' }), promptAnswers: ['1'] });
    expect(confirm.stdout).toBe('asked for a PIN\n');
    const wrong = await runInProcess(['age', 'decrypt', '-i', ids.plugin], { stdin: file, env: env({ SECRETSTEST_PIN: '1234' }), promptAnswers: ['0000'] });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain('age-plugin-secretstest said: wrong PIN');
  });

  live('without a terminal the question is refused and named', async () => {
    const file = age(['-e', '-r', recipient], 'x\n');
    const r = await cli(['age', 'decrypt', '-i', ids.plugin], { stdin: file, env: { SECRETSTEST_PIN: '1234' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('age-plugin-secretstest asked "Enter PIN for the secretstest key:" and there is no terminal to ask on');
    expect(grammarViolations(r.stderr)).toEqual([]);
  });

  const tmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;
  (tmux || process.env['CI'] === 'true' ? live : it.skip)('on a real terminal (tmux): the PIN is asked without echo, and Ctrl+C at it is a quiet 130', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'secrets-plugin-tmux-'));
    writeFileSync(join(scratch, 'x.age'), age(['-e', '-r', recipient], 'opened on a terminal\n'));
    const command = `'${process.execPath}' '${CLI_BIN}' age decrypt -i '${ids.plugin}' x.age`;
    const termEnv = { PATH, HOME: scratch, TERM: 'xterm', SECRETSTEST_PIN: '4321' };
    try {
      const session = new TmuxSession(scratch, command, scratch, termEnv);
      try {
        await session.waitFor('age-plugin-secretstest: Enter PIN for the secretstest key:');
        session.type('4321');
        session.press('Enter');
        const { status, screen } = await session.exitStatus();
        expect(status, screen).toBe(0);
        expect(screen).toContain('opened on a terminal');
        expect(screen).not.toContain('4321');
      } finally {
        session.close();
      }
      rmSync(join(scratch, 'status'), { force: true });
      const interrupted = new TmuxSession(scratch, command, scratch, termEnv);
      try {
        await interrupted.waitFor('Enter PIN');
        interrupted.press('C-c');
        const { status, screen } = await interrupted.exitStatus();
        expect(status, screen).toBe(130);
        expect(screen).not.toContain('error');
      } finally {
        interrupted.close();
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
