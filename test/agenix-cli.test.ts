// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * `secrets agenix decrypt|edit` on the real agenix example (copied to a temp dir), checked with Debian age.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess, SHARED } from './support/cli.js';

const example = join(SHARED, 'vectors/agenix/example');
const keys = join(SHARED, 'vectors/agenix/example_keys');
const expected = JSON.parse(readFileSync(join(SHARED, 'vectors/expected.json'), 'utf8')) as { agenix: { files: { file: string; recipients: string[]; plaintext: string }[] } };

describe('secrets agenix', () => {
  it('decrypts every agenix vector with each listed key (incl. a file named with a leading hyphen)', async () => {
    for (const v of expected.agenix.files) {
      for (const who of v.recipients.filter((r) => !r.startsWith('+'))) {
        const r = await runProcess(['agenix', 'decrypt', '-i', join(keys, who), '--', join(SHARED, 'vectors/agenix', v.file)]);
        expect([v.file, who, r.stdout]).toEqual([v.file, who, v.plaintext]);
      }
    }
  });

  it('edit: rules relative to secrets.nix, ./x.age == x.age, armor honoured, unchanged → no re-encryption', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-agenix-'));
    cpSync(example, dir, { recursive: true });
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, "#!/bin/sh\nprintf 'new value\\n' > \"$1\"\n", { mode: 0o755 });
    const asUser1 = ['-i', join(keys, 'user1')];
    // run from elsewhere: the rule is found relative to the rules file, not the cwd (ragenix#160)
    const r = await runProcess(['agenix', 'edit', ...asUser1, '--editor', editor, join(dir, 'secret1.age')], { cwd: tmpdir() });
    expect(r.stderr).toContain(`secrets: wrote ${relative(tmpdir(), join(dir, 'secrets.lock'))} (the recipients of each file; commit it beside the rules)\n`);
    expect(r.status).toBe(0);
    for (const who of ['user1', 'system1']) expect(execFileSync('age', ['-d', '-i', join(keys, who), join(dir, 'secret1.age')]).toString()).toBe('new value\n');
    const before = readFileSync(join(dir, 'secret1.age'));
    const same = await runProcess(['agenix', 'edit', ...asUser1, '--editor', 'true', './secret1.age'], { cwd: dir });
    expect(same.stderr).toContain("wasn't changed, skipping re-encryption");
    expect(readFileSync(join(dir, 'secret1.age'))).toEqual(before);
    // armor = true in the rule → armored output
    await runProcess(['agenix', 'edit', ...asUser1, '--editor', '-', 'armored-secret.age'], { cwd: dir, stdin: 'armored\n' });
    expect(readFileSync(join(dir, 'armored-secret.age'), 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    // a file without a rule is refused, naming the rules
    const none = await runProcess(['agenix', 'edit', '--editor', '-', 'nope.age'], { cwd: dir, stdin: 'x' });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('no rule for "nope.age"');
  });

  it('edit reads stdin whenever it is not a terminal, as agenix does; an editor that saved nothing writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-agenix-'));
    cpSync(example, dir, { recursive: true });
    const asUser1 = ['-i', join(keys, 'user1')];
    // EDITOR=true with a pipe: the piped value is the new content (it used to report "unchanged" and drop it)
    const piped = await runProcess(['agenix', 'edit', ...asUser1, 'secret1.age'], { cwd: dir, env: { EDITOR: 'true' }, stdin: 'new\n' });
    expect(piped.status).toBe(0);
    expect(execFileSync('age', ['-d', '-i', join(keys, 'user1'), join(dir, 'secret1.age')]).toString()).toBe('new\n');
    // a new file whose editor saved nothing is not created (agenix: "wasn't created")
    rmSync(join(dir, 'secret2.age'));
    const nothing = await runProcess(['agenix', 'edit', '--editor', 'true', 'secret2.age'], { cwd: dir });
    expect(nothing.status).toBe(0);
    expect(nothing.stderr).toContain("secret2.age wasn't created (the editor saved nothing)");
    expect(existsSync(join(dir, 'secret2.age'))).toBe(false);
    // an empty pipe never replaces a secret
    const before = readFileSync(join(dir, 'secret1.age'));
    const empty = await runProcess(['agenix', 'edit', ...asUser1, 'secret1.age'], { cwd: dir, stdin: '' });
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain('secrets: error: the new content of "secret1.age" is empty: the file was left unchanged');
    expect(readFileSync(join(dir, 'secret1.age'))).toEqual(before);
  });
});
