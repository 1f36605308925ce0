/**
 * `edit -s/--show-master-keys` (sops' flag; also `secrets -s FILE` and `sops -s FILE`): the editor buffer is
 * the file as sops writes it, values in plaintext and the `sops` metadata block as the file holds it.
 * The block is read-only: a recipient slipped into it, or the block deleted, changes nothing of the
 * file's keys (a warning says so), while the values edited beside it are kept.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const INTRUDER = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const env = { SOPS_AGE_KEY_FILE: adminKey };

/** A repository with enc.yaml and enc.json (a: 1, b: hello) for the admin, and an editor running `script`. */
async function repo(script: string): Promise<{ dir: string; editorEnv: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-show-keys-'));
  writeFileSync(join(dir, 'plain.yaml'), 'a: 1\nb: hello\n');
  for (const [name, type] of [['enc.yaml', 'yaml'], ['enc.json', 'json']] as const) {
    const r = await runProcess(['encrypt', '--age', admin, '--output-type', type, join(dir, 'plain.yaml')]);
    expect(r.status).toBe(0);
    writeFileSync(join(dir, name), r.stdout);
  }
  writeFileSync(join(dir, 'editor.sh'), `#!/bin/sh\ncp "$1" "${dir}/seen"\n${script}\n`);
  chmodSync(join(dir, 'editor.sh'), 0o755);
  return { dir, editorEnv: { ...env, EDITOR: join(dir, 'editor.sh') } };
}

/** The `sops:` block's recipients of a YAML file. */
const recipients = (text: string): string[] => [...text.matchAll(/recipient: (age1[a-z0-9]+)/g)].map((m) => m[1] as string);

describe('edit --show-master-keys', () => {
  it('shows the metadata block as the file holds it beside the plaintext; value edits are kept, a recipient slipped in is not', async () => {
    // the value a: 1 becomes 2, and a second recipient entry is added to the block
    const { dir, editorEnv } = await repo(`sed -i 's/^a: 1$/a: 2/; s/^ *recipient: age1.*/&\\n        - recipient: ${INTRUDER}\\n          enc: x/' "$1"`);
    const before = readFileSync(join(dir, 'enc.yaml'), 'utf8');
    const r = await runProcess(['edit', '-s', 'enc.yaml'], { cwd: dir, env: editorEnv });
    expect([r.status, r.stderr]).toEqual([0, expect.any(String) as unknown]);
    const seen = readFileSync(join(dir, 'seen'), 'utf8');
    // the buffer: plaintext values, then the file's own sops block, line for line
    expect(seen.startsWith('a: 1\nb: hello\nsops:\n')).toBe(true);
    expect(seen.slice(seen.indexOf('sops:\n'))).toBe(before.slice(before.indexOf('sops:\n')));
    expect(r.stderr).toContain('secrets: warning: the sops metadata block is shown read-only: your changes to it are ignored');
    const after = readFileSync(join(dir, 'enc.yaml'), 'utf8');
    expect(recipients(after)).toEqual([admin]);
    expect(after).not.toContain(INTRUDER);
    expect((await runProcess(['decrypt', 'enc.yaml'], { cwd: dir, env })).stdout).toBe('a: 2\nb: hello\n');
  });

  it('as sops spells it (secrets -s FILE), JSON and binary too; a deleted block is ignored (refused for binary); unchanged is 200', async () => {
    const { dir, editorEnv } = await repo(`printf '{"a": 3}\\n' > "$1"`);
    const r = await runProcess(['-s', 'enc.json'], { cwd: dir, env: editorEnv });
    expect(r.status).toBe(0);
    const seen = JSON.parse(readFileSync(join(dir, 'seen'), 'utf8')) as { a: number; sops: { age: { recipient: string }[] } };
    expect([seen.a, seen.sops.age.map((k) => k.recipient)]).toEqual([1, [admin]]);
    expect(r.stderr).toContain('the sops metadata block is shown read-only');
    expect((await runProcess(['decrypt', 'enc.json'], { cwd: dir, env })).stdout).toBe('{\n\t"a": 3\n}\n');
    // binary: the buffer is sops' JSON; the data edited is kept, a buffer without the block is refused
    writeFileSync(join(dir, 'raw.txt'), 'raw secret');
    const bin = await runProcess(['encrypt', '--age', admin, '--input-type', 'binary', '--output', join(dir, 'enc.bin'), join(dir, 'raw.txt')]);
    expect(bin.status).toBe(0);
    writeFileSync(join(dir, 'bin.sh'), `#!/bin/sh\nsed -i 's/"data": "raw secret"/"data": "new secret"/' "$1"\n`, { mode: 0o755 });
    expect((await runProcess(['edit', '-s', 'enc.bin'], { cwd: dir, env: { ...env, EDITOR: join(dir, 'bin.sh') } })).status).toBe(0);
    expect((await runProcess(['decrypt', 'enc.bin'], { cwd: dir, env })).stdout).toBe('new secret');
    const binBefore = readFileSync(join(dir, 'enc.bin'), 'utf8');
    const dropped = await runProcess(['edit', '-s', 'enc.bin'], { cwd: dir, env: { ...env, EDITOR: join(dir, 'editor.sh') } });
    expect([dropped.status, dropped.stderr.includes('the "sops" block is missing from the edited buffer')]).toEqual([1, true]);
    expect(readFileSync(join(dir, 'enc.bin'), 'utf8')).toBe(binBefore);
    const same = await runProcess(['edit', '--show-master-keys', 'enc.yaml'], { cwd: dir, env: { ...env, EDITOR: 'true' } });
    expect([same.status, same.stderr.split('\n').slice(-2)]).toEqual([200, ['secrets: file has not changed, exiting', '']]);
  });
});
