// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describePlaces, discoverIdentities, userConfigDir, type KeyEnvironment } from '../../src/keys/discover.js';
import { shellSplit } from '../../src/keys/shlex.js';
import { SecretsError } from '../../src/errors.js';
import { sharedPath } from '../../../../test/support/shared.js';
import { pathToFileURL } from 'node:url';

const SHARED = pathToFileURL(`${sharedPath('vectors')}/`);
const AGE_KEYS = readFileSync(new URL('sops-nix/age-keys.txt', SHARED), 'utf8');
const SSH_KEY = readFileSync(new URL('sops-nix/ssh-ed25519-key', SHARED), 'utf8');
const RAGENIX_KEY = readFileSync(new URL('ragenix/keys/key.txt', SHARED), 'utf8');
const X1 = AGE_KEYS.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) as string;
const X2 = RAGENIX_KEY.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) as string;

function fakeEnvironment(files: Record<string, string>, env: Record<string, string> = {}, commands: Record<string, string> = {}): KeyEnvironment & { ran: { argv: readonly string[]; env: Readonly<Record<string, string | undefined>> }[] } {
  const ran: { argv: readonly string[]; env: Readonly<Record<string, string | undefined>> }[] = [];
  return {
    env,
    homedir: '/home/u',
    platform: 'linux',
    ran,
    readFile: async (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return new TextEncoder().encode(content);
    },
    runCommand: async (argv, childEnv) => {
      ran.push({ argv, env: childEnv });
      const out = commands[argv.join(' ')];
      if (out === undefined) throw Object.assign(new Error('failed'), { code: 1 });
      return new TextEncoder().encode(out);
    },
  };
}

describe('identity discovery', () => {
  it('follows sops order and records every place looked at', async () => {
    const environment = fakeEnvironment(
      {
        '/keys/ssh': SSH_KEY,
        '/keys/file.txt': `# comment\n${X2}\n`,
        '/home/u/.config/sops/age/keys.txt': AGE_KEYS,
      },
      {
        SOPS_AGE_SSH_PRIVATE_KEY_FILE: '/keys/ssh',
        SOPS_AGE_KEY: X1,
        SOPS_AGE_KEY_FILE: '/keys/file.txt',
        SOPS_AGE_KEY_CMD: 'pass show "age key"',
      },
      { 'pass show age key': `${X2}\n` },
    );
    const found = await discoverIdentities(environment, { recipient: 'age1xyz' });
    expect(found.places.map((p) => [p.place, p.status, p.count])).toEqual([
      ['SOPS_AGE_SSH_PRIVATE_KEY_FILE (/keys/ssh)', 'loaded', 1],
      ['~/.ssh/id_ed25519', 'absent', 0],
      ['~/.ssh/id_rsa', 'absent', 0],
      ['SOPS_AGE_KEY', 'loaded', 1],
      ['SOPS_AGE_KEY_FILE (/keys/file.txt)', 'loaded', 1],
      ['SOPS_AGE_KEY_CMD (pass show "age key")', 'loaded', 1],
      ['/home/u/.config/sops/age/keys.txt', 'loaded', 1],
    ]);
    expect(found.identities.map((i) => i.kind)).toEqual(['ssh-ed25519', 'x25519', 'x25519', 'x25519', 'x25519']);
    // SOPS_AGE_KEY_CMD is split like a shell would and gets the recipient, as sops passes it.
    expect(environment.ran[0]?.argv).toEqual(['pass', 'show', 'age key']);
    expect(environment.ran[0]?.env['SOPS_AGE_RECIPIENT']).toBe('age1xyz');
  });

  it('finds ~/.ssh keys and the default keys.txt without any env', async () => {
    const found = await discoverIdentities(fakeEnvironment({ '/home/u/.ssh/id_ed25519': SSH_KEY, '/home/u/.config/sops/age/keys.txt': AGE_KEYS }));
    expect(found.identities.map((i) => i.kind)).toEqual(['ssh-ed25519', 'x25519']);
  });

  it('a broken source is recorded, not fatal, and its reason never quotes the content', async () => {
    const secretish = 'AGE-SECRET-KEY-1NOTAREALKEYBUTLOOKSLIKEONE';
    const found = await discoverIdentities(
      fakeEnvironment({ '/bad.txt': `${secretish}\n`, '/home/u/.config/sops/age/keys.txt': AGE_KEYS }, { SOPS_AGE_KEY_FILE: '/bad.txt', SOPS_AGE_KEY_CMD: 'false' }),
    );
    expect(found.identities).toHaveLength(1);
    const bad = found.places.find((p) => p.place.startsWith('SOPS_AGE_KEY_FILE'));
    expect(bad?.status).toBe('error');
    expect(bad?.reason).not.toContain(secretish);
    expect(found.places.find((p) => p.place.startsWith('SOPS_AGE_KEY_CMD'))?.status).toBe('error');
    const hints = describePlaces(found.places).join('\n');
    expect(hints).not.toContain(secretish);
    expect(hints).toContain('/home/u/.config/sops/age/keys.txt: 1 identity');
  });

  it('an explicitly named file that is missing is an error, a default one is just absent', async () => {
    const found = await discoverIdentities(fakeEnvironment({}, { SOPS_AGE_KEY_FILE: '/nope' }));
    expect(found.places.find((p) => p.place.startsWith('SOPS_AGE_KEY_FILE'))).toMatchObject({ status: 'error', reason: 'no such file' });
    expect(found.places.find((p) => p.place.endsWith('keys.txt'))).toMatchObject({ status: 'absent' });
  });

  it('computes the user config dir like Go os.UserConfigDir plus sops macOS override', () => {
    expect(userConfigDir({ env: {}, homedir: '/h', platform: 'linux' })).toBe('/h/.config');
    expect(userConfigDir({ env: { XDG_CONFIG_HOME: '/x' }, homedir: '/h', platform: 'linux' })).toBe('/x');
    expect(userConfigDir({ env: { XDG_CONFIG_HOME: 'relative' }, homedir: '/h', platform: 'linux' })).toBe('/h/.config');
    expect(userConfigDir({ env: {}, homedir: '/h', platform: 'darwin' })).toBe('/h/Library/Application Support');
    expect(userConfigDir({ env: { XDG_CONFIG_HOME: '/x' }, homedir: '/h', platform: 'darwin' })).toBe('/x');
    expect(userConfigDir({ env: { APPDATA: 'C:\\AppData' }, homedir: 'C:\\h', platform: 'win32' })).toBe('C:\\AppData');
  });
});

describe('shellSplit', () => {
  it.each([
    ['vim', ['vim']],
    ['code --wait', ['code', '--wait']],
    ['  a   b  ', ['a', 'b']],
    [`pass show 'age key'`, ['pass', 'show', 'age key']],
    [`a "b \\" c" d`, ['a', 'b " c', 'd']],
    ['a\\ b', ['a b']],
    [`x''`, ['x']],
    [`''`, ['']],
    ['', []],
  ])('%j', (line, words) => {
    expect(shellSplit(line)).toEqual(words);
  });
  it.each([[`'open`], [`"open`], ['trailing\\']])('rejects %j', (line) => {
    expect(() => shellSplit(line)).toThrow(SecretsError);
  });
});
