/**
 * Finding one's way from the CLI itself: the top-level help leads with the daily workflow, and every
 * hint a command prints names only options that command has.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess } from './support/cli.js';

describe('secrets --help', () => {
  it('lists the daily workflow first (edit, hosts, users, rekey, check), then the rest, and says how to set up git and completion', async () => {
    const r = await runProcess(['--help']);
    expect(r.status).toBe(0);
    const headings = r.stdout.split('\n').filter((l) => /^[A-Z][A-Za-z ]*:/.test(l));
    expect(headings.slice(0, 3)).toEqual(['Usage: secrets [options] [command]', 'Options:', 'Daily workflow:']);
    const daily = r.stdout.split('Daily workflow:\n')[1]?.split('\n\n')[0] ?? '';
    expect(daily.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(' ')[0])).toEqual(['edit', 'hosts', 'users', 'rekey', 'check']);
    const examples = r.stdout.split('Examples:\n')[1] ?? '';
    expect(examples.trimStart().startsWith('secrets edit ')).toBe(true);
    for (const line of ['secrets git-setup', 'source <(secrets completion bash)', 'source <(secrets completion zsh)', 'secrets completion fish > ~/.config/fish/completions/secrets.fish']) expect(examples).toContain(line);
    // sops' spellings stay documented where a sops user looks first
    expect(examples).toContain("sops' command lines work as written");
  });
});

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
// A recipient the example file is not encrypted to (age-keygen -y of a throwaway key), so hosts add must rekey.
const NEW_HOST = 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj';
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];

/** The options a `--help` text lists, each with whether it takes a value (`-i, --identity <file>`: both do). */
function optionsIn(help: string): Map<string, boolean> {
  const section = help.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
  const options = new Map<string, boolean>();
  for (const line of section.split('\n').filter((l) => /^ {2}-/.test(l))) {
    const spec = line.trim().split(/ {2,}/)[0] ?? '';
    for (const m of spec.matchAll(/(--?[a-zA-Z][\w-]*)/g)) options.set(m[1] as string, spec.includes('<'));
  }
  return options;
}

/**
 * The options a message mentions, and whether it gives them a value (`-i FILE`); `backticked` spans quote
 * other programs' command lines (`ssh-keygen -p`).
 */
function optionsMentioned(text: string): { option: string; value: boolean }[] {
  const ours = text.replace(/`[^`]*`/g, '');
  return [...ours.matchAll(/(?:^|[\s(/])(--?[a-zA-Z][\w-]*)( [A-Z][A-Z.…]*\b| age1…)?/g)].map((m) => ({ option: m[1] as string, value: m[2] !== undefined }));
}

describe('hints name only options the command has', () => {
  // Every command that needs a private key, run where none is found (HOME without keys, no SOPS_AGE_*).
  const dir = mkdtempSync(join(tmpdir(), 'secrets-hints-'));
  const sopsFile = join(dir, 'secrets/example.yaml');
  mkdirSync(join(dir, 'secrets'));
  copyFileSync(join(REPO_ROOT, 'examples/batchn/secrets/example.yaml'), sopsFile);
  writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${admin}\n`);
  const ageFile = join(dir, 'wifi.age');
  writeFileSync(join(dir, 'secrets.nix'), `{ "wifi.age".publicKeys = [ "${admin}" ]; }\n`);
  const cases: { path: string[]; args: string[] }[] = [
    { path: ['decrypt'], args: [sopsFile] },
    { path: ['edit'], args: [sopsFile] },
    { path: ['set'], args: [sopsFile, '["hello"]', '"x"'] },
    { path: ['unset'], args: [sopsFile, '["hello"]'] },
    { path: ['rotate'], args: [sopsFile] },
    { path: ['exec-env'], args: [sopsFile, 'true'] },
    { path: ['exec-file'], args: [sopsFile, 'true'] },
    { path: ['rekey'], args: ['-y', '--rotate'] },
    { path: ['hosts', 'add'], args: ['newhost', '--age', NEW_HOST, '-y'] },
    { path: ['age', 'decrypt'], args: [ageFile] },
    { path: ['agenix', 'decrypt'], args: [ageFile] },
    { path: ['agenix', 'edit'], args: [ageFile] },
    { path: ['agenix', 'rekey'], args: ['-f'] },
  ];
  for (const { path, args } of cases) {
    it(`secrets ${path.join(' ')}`, async () => {
      if (!existsSync(ageFile)) expect((await runProcess(['age', 'encrypt', '-r', admin, '-o', ageFile], { stdin: 'psk' })).status).toBe(0);
      const help = await runProcess([...path, '--help']);
      const has = optionsIn(help.stdout);
      expect(has.size).toBeGreaterThan(0);
      const r = await runProcess([...path, ...args], { cwd: dir, home: dir, env: { EDITOR: 'true' } });
      expect(r.status).not.toBe(0);
      const said = r.stderr.split('\n').filter((l) => l.startsWith('secrets: hint: ') || l.startsWith('secrets: error: '));
      expect(said.join('\n')).toMatch(/identit|key/);
      // and says where a key can be put, every command the same way
      expect(r.stderr).toContain('secrets: hint: set SOPS_AGE_KEY_FILE to your keys.txt');
      for (const line of said) {
        for (const { option, value } of optionsMentioned(line.replace(/^secrets: (hint|error): /, ''))) {
          expect([...has.keys()], line).toContain(option);
          // `-i FILE` where -i is --in-place would name an option the command has, with another meaning
          if (value) expect(has.get(option), `${line}: ${option} takes no value here`).toBe(true);
        }
      }
    }, 30_000);
  }
});

describe('README and getting started', () => {
  const INSTALL = ['secrets git-setup', 'source <(secrets completion bash)', 'source <(secrets completion zsh)', 'secrets completion fish > ~/.config/fish/completions/secrets.fish'];
  for (const doc of ['README.md', 'docs/getting-started.md']) {
    it(`${doc} shows git-setup and the completion install line of every shell`, () => {
      const text = readFileSync(join(REPO_ROOT, doc), 'utf8');
      for (const line of INSTALL) expect(text).toContain(line);
    });
  }
  it('the completion scripts those lines install exist for bash, zsh and fish', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await runProcess(['completion', shell]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('rekey');
    }
  });
});
