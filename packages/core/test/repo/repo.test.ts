import { describe, expect, it } from 'vitest';
import { memoryView } from '../../src/repo/view.js';
import { configResolver, walkRepository } from '../../src/repo/discover.js';
import { nameOf, recipientLabel, secretsNixKeyNames, shortRecipient } from '../../src/repo/names.js';
import { scanForSecretKey } from '../../src/repo/check.js';
import { wholeFileSecretName } from '../../src/repo/nix-plan.js';
import { recipientDiff } from '../../src/repo/targets.js';
import { decideRulesFile } from '../../src/repo/agenix.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL0idNvgGiucWgup/mP78zyC23uFjYq0evcWdjGQUaBH';

describe('repository discovery', () => {
  it('walks once, skipping .git, node_modules and .direnv, never following links', () => {
    const view = memoryView(new Map<string, Uint8Array | { link: string }>([
      ['/r/a.yaml', text('a')],
      ['/r/.git/config', text('x')],
      ['/r/node_modules/m/index.js', text('x')],
      ['/r/.direnv/env', text('x')],
      ['/r/sub/.sops.yaml', text('creation_rules: []\n')],
      ['/r/result', { link: '/nix/store/x' }],
    ]));
    expect(walkRepository(view, '/r')).toEqual({ files: ['/r/a.yaml', '/r/sub/.sops.yaml'], symlinks: ['/r/result'], others: [], configs: ['/r/sub/.sops.yaml'] });
  });

  it('a file belongs to the nearest .sops.yaml at or above its directory', () => {
    const configs = new Set(['/r/.sops.yaml', '/r/macs/.sops.yaml']);
    const resolve = configResolver((p) => configs.has(p));
    expect(['/r/macs/x/a.yaml', '/r/b.yaml', '/r/other/c.yaml', '/elsewhere/d.yaml'].map(resolve)).toEqual(['/r/macs/.sops.yaml', '/r/.sops.yaml', '/r/.sops.yaml', null]);
  });
});

describe('recipient names', () => {
  it('reads let bindings and attribute paths of secrets.nix, linearly and without evaluating', () => {
    const names = secretsNixKeyNames(`let\n  alice = "${ED} alice@laptop";\n  users = {\n    bob = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";\n  };\n  all = [ alice ];\nin { "a.age".publicKeys = all; }\n`);
    expect([...names]).toEqual([
      [ED, 'alice'],
      ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', 'users.bob'],
    ]);
    // the key's comment does not matter for the lookup
    expect(nameOf(names, `${ED} other@comment`)).toBe('alice');
  });

  it('falls back to the key comment, then a short fingerprint', () => {
    const none = new Map<string, string>();
    expect(nameOf(none, `${ED} root@host`)).toBe('root@host');
    expect(recipientLabel(none, ED)).toBe(shortRecipient(ED));
    expect(shortRecipient(ED)).toMatch(/^ssh-ed25519 SHA256:[A-Za-z0-9+/]{12}…$/);
    expect(shortRecipient('age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p')).toBe('age1ql3z7h…mcac8p');
    expect(nameOf(new Map([['7088C742', 'misterio']]), 'pgp:7088C742')).toBe('misterio');
  });
});

describe('check pieces', () => {
  it('finds a secret key split across chunks, with its line', () => {
    const key = `AGE-SECRET-KEY-1${'Q'.repeat(58)}`;
    const whole = `line\n${'x'.repeat(100)}\n${key}\n`;
    const chunks = [text(whole.slice(0, 110)), text(whole.slice(110, 120)), text(whole.slice(120))];
    expect(scanForSecretKey(chunks)).toEqual({ line: 3, what: 'an age secret key' });
    expect(scanForSecretKey([text('nothing here')])).toBeNull();
  });

  it('diffs recipients per key group', () => {
    expect(recipientDiff([['a', 'b']], [['a', 'c']])).toEqual({ groups: [{ kept: ['a'], added: ['c'], removed: ['b'] }], changed: true, removed: true });
    expect(recipientDiff([['b', 'a']], [['a', 'b']]).changed).toBe(false);
    expect(recipientDiff([['a']], [['a'], ['b']]).changed).toBe(true);
  });

  it('names whole-file secrets by their directory where the repository does', () => {
    expect(wholeFileSecretName('/r/sops/secrets/bernie-password/secret')).toBe('bernie-password');
    expect(wholeFileSecretName('/r/vars/per-machine/eve/openssh/ssh.id_ed25519/secret')).toBe('openssh/ssh.id_ed25519');
    expect(wholeFileSecretName('/r/vars/shared/wifi/password/secret')).toBe('wifi/password');
    expect(wholeFileSecretName('/r/secrets/app.env')).toBe('app.env');
  });

  it('decides what is agenix rules: publicKeys rules yes; a module no; a module mentioning publicKeys is unreadable rules', () => {
    const view = memoryView(new Map([
      ['/r/a/secrets.nix', text(`{ "x.age".publicKeys = [ "${ED}" ]; }`)],
      ['/r/b/secrets.nix', text('{ config, ... }: { sops.secrets.x = { }; }')],
      ['/r/c/secrets.nix', text('{ lib, ... }: { "x.age".publicKeys = lib.attrValues keys; }')],
    ]));
    expect(['/r/a/secrets.nix', '/r/b/secrets.nix', '/r/c/secrets.nix'].map((p) => decideRulesFile(view, p, false).kind)).toEqual(['rules', 'not-rules', 'unreadable']);
    expect(decideRulesFile(view, '/r/b/secrets.nix', true).kind).toBe('unreadable');
  });
});
