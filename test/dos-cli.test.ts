/**
 * Denial of service from a hostile repository, through the real CLI: regexes from `.sops.yaml` and from a
 * sops file's metadata run in linear time. No timing is asserted: each input below takes a backtracking
 * engine longer than any test timeout (2^250 steps and more), so on such an engine the test times out.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const adminRecipient = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];

function repo(sopsYaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-dos-'));
  writeFileSync(join(dir, '.sops.yaml'), sopsYaml);
  return dir;
}

describe('ReDoS: repository regexes run in linear time', () => {
  it('secrets check: path_regex ^secrets/(a+)+$ against secrets/aaa…a! (250 a, the longest file name)', async () => {
    const dir = repo(`creation_rules:\n  - path_regex: ^secrets/(a+)+$\n    age: ${adminRecipient}\n`);
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', `${'a'.repeat(250)}!`), 'not: matched\n');
    writeFileSync(join(dir, 'secrets', 'aaaa'), 'plain: text\n'); // matched: a finding, so the rule is live
    const result = await runProcess(['check', '--json'], { cwd: dir });
    const report = JSON.parse(result.stdout) as { findings: { file: string; kind: string }[] };
    expect(report.findings.map((f) => f.file)).toEqual(['secrets/aaaa']);
    expect(result.status).toBe(1);
  });

  it('decrypt and textconv: a file whose own encrypted_regex is ^(a+)+$, with a 5000-character key', async () => {
    const dir = repo(`creation_rules:\n  - path_regex: \\.json$\n    encrypted_regex: ^(a+)+$\n    age: ${adminRecipient}\n`);
    const long = `${'a'.repeat(5000)}!`;
    const file = join(dir, 'app.json');
    writeFileSync(file, JSON.stringify({ [long]: 'stays plain', aaa: 'secret' }));
    const encrypted = await runProcess(['encrypt', '-i', 'app.json'], { cwd: dir });
    expect(encrypted.status).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('"encrypted_regex": "^(a+)+$"');
    expect(text).toContain('"stays plain"'); // the long key did not match: its value is not encrypted
    expect(text).not.toContain('"secret"');
    const env = { SOPS_AGE_KEY_FILE: adminKey };
    for (const command of [['decrypt', 'app.json'], ['textconv', 'app.json']]) {
      const result = await runProcess(command, { cwd: dir, env });
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ [long]: 'stays plain', aaa: 'secret' });
    }
  });
});
