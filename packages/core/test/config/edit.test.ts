/**
 * `.sops.yaml` edits, one small file per style: the diff is the lines that change and nothing else, and
 * removing what was added gives the file back.
 */
import { describe, expect, it } from 'vitest';
import { addHost, addKey, isSecretsError, removeHost, removeKey, type KeyKind, type RuleSelector, type SecretsError } from '../../src/index.js';
import { lineDiff } from './line-diff.js';

const A = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl';
const B = 'age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk';
const C = 'age1rgffpespcyjn0d8jglk7km9kfrfhdyev6camd3rck6pn8y47ze4sug23v3';

/** Adds C as host `new`, checks the diff, then checks that removing it gives the file back. */
function roundTrip(text: string, expected: string[], select: RuleSelector = 'only', kind: KeyKind = 'host'): string {
  const added = addKey(text, kind, 'new', C, select);
  expect(lineDiff(text, added.text)).toEqual(expected);
  expect(addKey(added.text, kind, 'new', C, select).text).toBe(added.text);
  expect(removeKey(added.text, kind, 'new').text).toBe(text);
  return added.text;
}

describe('adding keeps the file\'s style', () => {
  it('the sops-nix README layout: &admin_/&server_ names, one line under keys:, one per rule', () => {
    const text = `keys:\n  - &admin_alice ${A}\ncreation_rules:\n  - path_regex: secrets/[^/]+\\.yaml$\n    key_groups:\n    - age:\n      - *admin_alice\n`;
    roundTrip(text, [`+3   - &server_new ${C}`, '+9       - *server_new']);
    roundTrip(text, [`+3   - &admin_new ${C}`, '+9       - *admin_new'], 'only', 'user');
  });

  it('the sops-nix README\'s own example: PGP and age groups side by side', () => {
    const text = [
      'keys:',
      '  - &admin_alice 2504791468b153b8a3963cc97ba53d5ba4e0a1d9',
      `  - &admin_bob ${A}`,
      '  - &server_azmidi 0fd60c8c3b664aceb1796ce02b318df330331003',
      `  - &server_nosaxa ${B}`,
      'creation_rules:',
      '  - path_regex: secrets/[^/]+\\.(yaml|json|env|ini)$',
      '    key_groups:',
      '    - pgp:',
      '      - *admin_alice',
      '      - *server_azmidi',
      '      age:',
      '      - *admin_bob',
      '      - *server_nosaxa',
      '  - path_regex: secrets/azmidi/[^/]+\\.(yaml|json|env|ini)$',
      '    key_groups:',
      '    - pgp:',
      '      - *admin_alice',
      '      - *server_azmidi',
      '      age:',
      '      - *admin_bob',
      '',
    ].join('\n');
    const added = addHost(text, 'new', C, { path: 'secrets/azmidi/a.yaml' });
    expect(lineDiff(text, added.text)).toEqual([`+6   - &server_new ${C}`, '+23       - *server_new']);
    expect(removeHost(added.text, 'new').text).toBe(text);
    const alice = removeKey(text, 'user', 'alice');
    expect(lineDiff(text, alice.text)).toEqual(['-2   - &admin_alice 2504791468b153b8a3963cc97ba53d5ba4e0a1d9', '-10       - *admin_alice', '-18       - *admin_alice']);
  });

  it('trailing comments stay on their lines; a comment line after the list stays below the new item', () => {
    const text = `keys:\n  - &admin_alice ${A} # laptop\n  # - &admin_old ${B}\ncreation_rules:\n  - path_regex: x$ # all\n    age:\n      - *admin_alice # me\n      # - *admin_old\n`;
    roundTrip(text, [`+3   - &server_new ${C}`, '+9       - *server_new']);
  });

  it('a comma-string `age: >-` rule keeps its style; another such rule stays byte-identical', () => {
    const text = `creation_rules:\n  - path_regex: a/.*\n    age: >-\n      ${A},\n      ${B}\n  - path_regex: b/.*\n    age: >-\n      ${A},\n      ${B}\n`;
    roundTrip(text, ['+1 keys:', `+2   - &server_new ${C}`, `-5       ${B}`, `+7       ${B},`, `+8       ${C}`], { index: 0 });
    // a one-line folded value
    roundTrip(`creation_rules:\n  - age: >-\n      ${A}\n`, ['+1 keys:', `+2   - &server_new ${C}`, `-3       ${A}`, `+5       ${A},`, `+6       ${C}`]);
  });

  it('plain and quoted comma strings: the separator the file uses', () => {
    roundTrip(`creation_rules:\n  - age: ${A},${B}\n`, ['+1 keys:', `+2   - &server_new ${C}`, `-2   - age: ${A},${B}`, `+4   - age: ${A},${B},${C}`]);
    roundTrip(`creation_rules:\n  - age: "${A}, ${B}"\n`, ['+1 keys:', `+2   - &server_new ${C}`, `-2   - age: "${A}, ${B}"`, `+4   - age: "${A}, ${B}, ${C}"`]);
    roundTrip(`creation_rules:\n  - age: '${A}'\n`, ['+1 keys:', `+2   - &server_new ${C}`, `-2   - age: '${A}'`, `+4   - age: '${A}, ${C}'`]);
  });

  it('flow lists', () => {
    const text = `keys: [&admin_alice ${A}]\ncreation_rules:\n  - {path_regex: x$, age: [*admin_alice]}\n`;
    roundTrip(text, [`-1 keys: [&admin_alice ${A}]`, `+1 keys: [&admin_alice ${A}, &server_new ${C}]`, '-3   - {path_regex: x$, age: [*admin_alice]}', '+3   - {path_regex: x$, age: [*admin_alice, *server_new]}']);
  });

  it('a rule or key group without age: gets one, at its keys\' column, in the file\'s list style', () => {
    // rm then leaves `age:` empty (null: no age key, as before)
    const cases = [
      [`keys:\n- &admin_alice ${A}\ncreation_rules:\n- path_regex: x$\n  pgp: ABCD\n`, [`+3 - &server_new ${C}`, '+7   age:', '+8   - *server_new']],
      [`keys:\n  - &admin_alice ${A}\ncreation_rules:\n  - key_groups:\n      - pgp:\n          - ABCD\n`, [`+3   - &server_new ${C}`, '+8         age:', '+9           - *server_new']],
      [`keys:\n  - &admin_alice ${A}\ncreation_rules:\n  - path_regex: x$\n    age: ~ # none yet\n`, [`+3   - &server_new ${C}`, '-5     age: ~ # none yet', '+6     age:  # none yet', '+7       - *server_new']],
    ] as const;
    for (const [text, expected] of cases) {
      const added = addHost(text, 'new', C, 'only');
      expect(lineDiff(text, added.text)).toEqual(expected);
      expect(removeHost(added.text, 'new').text).toBe(added.text.replace(/\n.*&server_new.*/, '').replace(/\n.*\*server_new.*/, ''));
    }
  });

  it('a new keys: block goes below the header comment and a document start', () => {
    const text = `# managed by hand\n# see README\n---\n\n# the rules\ncreation_rules:\n  - age: ${A}\n`;
    // the comment right above creation_rules: belongs to it: keys: goes above that comment's key
    expect(lineDiff(text, addHost(text, 'new', C, 'only').text)).toEqual(['+6 keys:', `+7   - &server_new ${C}`, `-7   - age: ${A}`, `+9   - age: ${A}, ${C}`]);
  });

  it('CRLF line endings stay CRLF; a byte order mark stays first', () => {
    const crlf = `keys:\r\n  - &admin_alice ${A}\r\ncreation_rules:\r\n  - age: >-\r\n      ${A}\r\n  - age:\r\n      - *admin_alice\r\n`;
    const added = addKey(crlf, 'host', 'new', C, { path: 'x' });
    expect(added.text).toBe(`keys:\r\n  - &admin_alice ${A}\r\n  - &server_new ${C}\r\ncreation_rules:\r\n  - age: >-\r\n      ${A},\r\n      ${C}\r\n  - age:\r\n      - *admin_alice\r\n      - *server_new\r\n`);
    expect(removeKey(added.text, 'host', 'new').text).toBe(crlf);
    const bom = `\uFEFFcreation_rules:\n  - age: ${A}\n`;
    const withBom = addHost(bom, 'new', C, 'only');
    expect(withBom.text).toBe(`\uFEFFkeys:\n  - &server_new ${C}\ncreation_rules:\n  - age: ${A}, ${C}\n`);
    expect(removeHost(withBom.text, 'new').text).toBe(bom);
  });

  it('plain names when the file names its keys plainly; a note goes at the end of the key\'s line', () => {
    const text = `keys:\n  - &alice ${A}\n  - &web ${B}\ncreation_rules:\n  - age:\n      - *alice\n      - *web\n`;
    const added = addHost(text, 'db', C, 'only', 'ssh-ed25519 AAAAC3Nz');
    expect(lineDiff(text, added.text)).toEqual([`+4   - &db ${C} # ssh-ed25519 AAAAC3Nz`, '+9       - *db']);
    expect(added.anchor).toBe('db');
  });

  it('a host key already in the file under its name is "already there": same text, nothing to add', () => {
    const text = `keys:\n  - &server_web ${B}\ncreation_rules:\n  - age:\n      - *server_web\n`;
    const same = addHost(text, 'web', B, 'only');
    expect(same.text).toBe(text);
    expect(same.keyAdded).toBe(false);
    expect(same.rules).toEqual([]);
    // the key written out in a rule also counts as there
    const literal = `creation_rules:\n  - age:\n      - ${B}\n`;
    expect(lineDiff(literal, addHost(literal, 'web', B, 'only').text)).toEqual(['+1 keys:', `+2   - &server_web ${B}`]);
  });
});

describe('removing', () => {
  it('drops the recipient from comma strings too, and the comma before a last item', () => {
    const text = `keys:\n  - &server_web ${C}\ncreation_rules:\n  - age: >-\n      ${A},\n      ${C}\n  - age: ${C}, ${A}\n  - age:\n      - *server_web\n`;
    const removed = removeHost(text, 'web');
    expect(lineDiff(text, removed.text)).toEqual(['-1 keys:', `-2   - &server_web ${C}`, `-5       ${A},`, `-6       ${C}`, `-7   - age: ${C}, ${A}`, `+3       ${A}`, `+4   - age: ${A}`, '-9       - *server_web']);
    expect(removed.rules).toEqual([0, 1, 2]);
  });

  it('keeps keys: when other lines are under it', () => {
    const text = `keys:\n  # hosts\n  - &server_web ${C}\ncreation_rules:\n  - age: [*server_web]\n`;
    expect(removeHost(text, 'web').text).toBe('keys:\n  # hosts\ncreation_rules:\n  - age: []\n');
  });

  it('refuses a key that is also under another name (it would stay a recipient)', () => {
    const text = `keys:\n  - &server_web ${C}\n  - &server_www ${C}\ncreation_rules:\n  - age: [*server_web, *server_www]\n`;
    expect(errorOf(() => removeHost(text, 'web')).message).toBe('the key of &server_web is also in .sops.yaml as &server_www: removing web alone would leave it a recipient');
  });

  it('refuses names of the other kind and unknown names, with a hint', () => {
    const text = `keys:\n  - &admin_alice ${A}\n  - &server_web ${B}\ncreation_rules:\n  - age: [*admin_alice, *server_web]\n`;
    const wrong = errorOf(() => removeHost(text, 'admin_alice'));
    expect(wrong.message).toBe('&admin_alice in .sops.yaml is an admin key, not a host');
    expect(wrong.hints).toEqual(['use: secrets users rm alice']);
    expect(errorOf(() => removeKey(text, 'user', 'web')).message).toBe('no admin key "web" in .sops.yaml (no &admin_web or &web under keys:)');
    expect(removeKey(text, 'user', 'alice').text).toBe(`keys:\n  - &server_web ${B}\ncreation_rules:\n  - age: [*server_web]\n`);
  });
});

describe('refusals', () => {
  it('a name taken by another key, a key taken by another name, an anchor used for something else', () => {
    const text = `keys:\n  - &server_web ${B}\ncreation_rules:\n  - age: [*server_web]\n    pgp: &server_db [ABCD]\n`;
    expect(errorOf(() => addHost(text, 'web', A, 'only')).message).toBe('host "web" is already in .sops.yaml (&server_web) with another key');
    expect(errorOf(() => addHost(text, 'www', B, 'only')).message).toBe('this key is already in .sops.yaml as &server_web');
    expect(errorOf(() => addHost(text, 'db', A, 'only')).message).toBe('the anchor &server_db is already used in .sops.yaml for something else');
  });

  it('a form it cannot edit in place is an error, never a rewritten file', () => {
    const e = errorOf(() => addHost(`{creation_rules: [{age: ${A}}]}\n`, 'web', B, 'only'));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(/^cannot edit \.sops\.yaml in place: /);
  });
});

function errorOf(fn: () => unknown): SecretsError {
  try {
    fn();
  } catch (error) {
    if (isSecretsError(error)) return error;
    throw error;
  }
  throw new Error('no error');
}
