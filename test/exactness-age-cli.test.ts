/**
 * Issue 12, the age command against real `age` 1.1: passphrase-encrypted files both ways (age -p writes
 * them at test time, on a pseudo-terminal from util-linux `script`, since age reads passphrases from
 * /dev/tty only), the prompt never echoing, a clear error without a terminal, an output that is also an
 * input, standard input given twice, and recipients files with an indented line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_BIN, runInProcess } from './support/cli.js';
import { peerSkipReason } from './support/peers.js';

/** Why the suite is skipped (a peer program is missing), or null; under CI a missing peer fails. */
const missing = peerSkipReason(['age', 'script'], 'age bsdutils');
if (missing !== null) it.skip(missing, () => undefined);
const describeAge = missing === null ? describe : describe.skip;

/** Runs a command on a pseudo-terminal with `input` typed into it; returns what the terminal showed. */
function onTerminal(command: string, input: string, cwd: string): { status: number; screen: string } {
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { input, cwd, encoding: 'utf8' });
  return { status: r.status ?? -1, screen: r.stdout };
}

function afterPrompt(screen: string): string {
  const at = screen.indexOf('Enter passphrase: ');
  expect(at).toBeGreaterThanOrEqual(0);
  return screen.slice(at);
}

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'secrets-exact-age-'));
}

describeAge('age: passphrase-encrypted files (scrypt), against real age', () => {
  it('age -p writes a file; secrets age decrypt opens it with the passphrase typed on the terminal, without echo', () => {
    const d = dir();
    writeFileSync(join(d, 'in.txt'), 'the secret\n');
    expect(onTerminal('age -p -o real.age in.txt', 'correct horse\ncorrect horse\n', d).status).toBe(0);
    expect(readFileSync(join(d, 'real.age'), 'latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt [A-Za-z0-9+/]{22} 18\n/);
    const ok = onTerminal(`node ${CLI_BIN} age decrypt -o out.txt real.age`, 'correct horse\n', d);
    expect(ok.status).toBe(0);
    expect(readFileSync(join(d, 'out.txt'), 'utf8')).toBe('the secret\n');
    // What the terminal showed from the prompt on: the answer is not echoed. (Input typed before the
    // program starts is echoed by the terminal itself, as for any program: hence "from the prompt on".)
    expect(afterPrompt(ok.screen)).not.toContain('correct horse');
    const wrong = onTerminal(`node ${CLI_BIN} age decrypt real.age`, 'wrong\n', d);
    expect(wrong.status).not.toBe(0);
    expect(wrong.screen).toContain('secrets: error: incorrect passphrase');
  });

  it('secrets age encrypt -p writes what age -d opens (passphrase asked twice, never echoed)', () => {
    const d = dir();
    writeFileSync(join(d, 'in.txt'), 'from secrets\n');
    const enc = onTerminal(`node ${CLI_BIN} age encrypt -p -a -o ours.age in.txt`, 'pass word\npass word\n', d);
    expect(enc.status).toBe(0);
    expect(afterPrompt(enc.screen)).toContain('Confirm passphrase: ');
    expect(afterPrompt(enc.screen)).not.toContain('pass word');
    expect(readFileSync(join(d, 'ours.age'), 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    const dec = onTerminal('age -d -o plain.txt ours.age', 'pass word\n', d);
    expect(dec.status).toBe(0);
    expect(readFileSync(join(d, 'plain.txt'), 'utf8')).toBe('from secrets\n');
    const mismatch = onTerminal(`node ${CLI_BIN} age encrypt -p -o x.age in.txt`, 'one\ntwo\n', d);
    expect(mismatch.status).not.toBe(0);
    expect(mismatch.screen).toContain('secrets: error: the passphrases did not match');
  });

  it('without a terminal: a clear error, as age gives (no hang, no stdin read)', async () => {
    const d = dir();
    writeFileSync(join(d, 'in.txt'), 'x\n');
    expect(onTerminal('age -p -o real.age in.txt', 'pw\npw\n', d).status).toBe(0);
    expect(spawnSync('age', ['-d', join(d, 'real.age')], { stdio: ['ignore', 'pipe', 'pipe'] }).status).not.toBe(0);
    const r = await runInProcess(['age', 'decrypt', 'real.age'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('secrets: error: the file is passphrase-encrypted, but there is no terminal to ask for the passphrase on');
    const e = await runInProcess(['age', 'encrypt', '-p', 'in.txt'], { cwd: d });
    expect(e.status).toBe(1);
    expect(e.stderr).toContain('there is no terminal to ask for the passphrase on');
  });

  it('-i with a passphrase-encrypted file is refused, as age refuses it', async () => {
    const d = dir();
    writeFileSync(join(d, 'in.txt'), 'x\n');
    execFileSync('age-keygen', ['-o', join(d, 'k.txt')], { stdio: 'ignore' });
    expect(onTerminal('age -p -o real.age in.txt', 'pw\npw\n', d).status).toBe(0);
    const age = spawnSync('age', ['-d', '-i', 'k.txt', 'real.age'], { cwd: d, encoding: 'utf8' });
    expect(age.stderr).toContain('file is passphrase-encrypted but identities were specified');
    const r = await runInProcess(['age', 'decrypt', '-i', 'k.txt', 'real.age'], { cwd: d, promptAnswers: ['pw'] });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('secrets: error: the file is passphrase-encrypted but identities were given with -i/--identity');
    const ok = await runInProcess(['age', 'decrypt', 'real.age'], { cwd: d, promptAnswers: ['pw'] });
    expect(ok.stdout).toBe('x\n');
  });
});

describeAge('age: outputs that are inputs, stdin twice, recipients files (age#491, age cmd/age/parse.go)', () => {
  it('-o naming the identity file, the input, or a recipients file is refused and nothing is written', async () => {
    const d = dir();
    execFileSync('age-keygen', ['-o', join(d, 'key.txt')], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', join(d, 'key.txt')], { encoding: 'utf8' }).trim();
    writeFileSync(join(d, 'r.txt'), `${recipient}\n`);
    writeFileSync(join(d, 'x'), 'plain\n');
    execFileSync('age', ['-R', 'r.txt', '-o', 'file.age', 'x'], { cwd: d });
    symlinkSync(d, join(d, 'link'));
    const key = readFileSync(join(d, 'key.txt'));
    for (const args of [
      ['age', 'decrypt', '-i', 'key.txt', '-o', 'key.txt', 'file.age'],
      ['age', 'decrypt', '-i', 'key.txt', '-o', `${d}/link/key.txt`, 'file.age'],
      ['age', 'decrypt', '-i', 'key.txt', '-o', 'file.age', 'file.age'],
      ['age', 'encrypt', '-R', 'r.txt', '-o', 'x', 'x'],
      ['age', 'encrypt', '-R', 'r.txt', '-o', './r.txt', 'x'],
    ]) {
      const r = await runInProcess(args, { cwd: d });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/secrets: error: the output ".*" is also an input/);
    }
    const viaEnv = await runInProcess(['age', 'decrypt', '-o', 'key.txt', 'file.age'], { cwd: d, env: { SOPS_AGE_KEY_FILE: join(d, 'key.txt') } });
    expect(viaEnv.status).toBe(1);
    expect(readFileSync(join(d, 'key.txt'))).toEqual(key);
    expect(readFileSync(join(d, 'x'), 'utf8')).toBe('plain\n');
  });

  it('standard input twice (-i - -i -, or -i - with the file on stdin) is refused', async () => {
    for (const args of [['age', 'decrypt', '-i', '-', '-i', '-', 'f.age'], ['age', 'decrypt', '-i', '-']]) {
      const r = await runInProcess(args, { stdin: 'AGE-SECRET-KEY-1' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('secrets: error: standard input (-) is given more than once');
    }
  });

  it('a recipients file with an indented or space-trailed line is an error, as in age; CRLF and # comments are fine', async () => {
    const d = dir();
    execFileSync('age-keygen', ['-o', join(d, 'key.txt')], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', join(d, 'key.txt')], { encoding: 'utf8' }).trim();
    const cases: [string, boolean][] = [[`  ${recipient}\n`, false], [`${recipient} \n`, false], [`# c\n\n${recipient}\r\n`, true]];
    for (const [text, ok] of cases) {
      writeFileSync(join(d, 'r.txt'), text);
      expect(spawnSync('age', ['-R', 'r.txt'], { cwd: d, input: 'x' }).status === 0).toBe(ok);
      const r = await runInProcess(['age', 'encrypt', '-R', 'r.txt'], { cwd: d, stdin: 'x' });
      expect(r.status === 0, text).toBe(ok);
      if (!ok) expect(r.stderr).toContain('secrets: error: r.txt line 1: malformed recipient');
    }
  });
});
