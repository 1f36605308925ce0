import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import { decryptDocument, encryptDocument } from '../../src/sops/engine.js';
import { compileRules, normalizeRules, type CryptRules } from '../../src/sops/rules.js';
import type { Document, MapNode } from '../../src/sops/tree.js';
import { walkDocument } from '../../src/sops/walk.js';
import { c, doc, e, map, seq, str } from './tree-helpers.js';

const KEY = new Uint8Array(32).fill(3);
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** Each leaf and comment with the verdict: `+` encrypted, `-` plain. */
function verdicts(d: Document, rules: CryptRules): string[] {
  const out: string[] = [];
  walkDocument(d, compileRules(rules), {
    leaf(value, { encrypted }) {
      out.push(`${encrypted ? '+' : '-'}${(value as { value: string }).value}`);
      return value;
    },
    comment(comment, { encrypted, aad }) {
      out.push(`${encrypted ? '+' : '-'}#${comment.text.trim()}@${aad}`);
      return comment;
    },
  });
  return out;
}

/** Encrypting then decrypting gives the tree back, and decryption judged every item the same way. */
function roundTrips(d: Document, rules: CryptRules): void {
  const enc = encryptDocument(d, { dataKey: KEY, rules, lastmodified: '2026-01-01T00:00:00Z', random });
  const back = decryptDocument(enc.document, { dataKey: KEY, metadata: { rules, lastmodified: '2026-01-01T00:00:00Z', mac: enc.mac } });
  expect(back.document).toEqual(d);
  expect(back.warnings).toEqual([]);
}

const KEYS_TREE = doc(
  map(
    c(' top'),
    e('a', str('1')),
    e('b_unencrypted', map(c(' inner'), e('x', str('2')))),
    e('list', seq(c(' in list'), str('3'), map(e('y_enc', str('4'))))),
    e('c_enc', str('5')),
  ),
);

describe('path rules (suffixes and key regexes)', () => {
  const table: [string, CryptRules, string[]][] = [
    ['default: unencrypted_suffix _unencrypted', {}, ['+#top@:', '+1', '-#inner@b_unencrypted:', '-2', '+#in list@list:', '+3', '+4', '+5']],
    ['unencrypted_suffix', { unencryptedSuffix: '_enc' }, ['+#top@:', '+1', '+#inner@b_unencrypted:', '+2', '+#in list@list:', '+3', '-4', '-5']],
    ['encrypted_suffix (top-level comments stay plain)', { encryptedSuffix: '_enc' }, ['-#top@:', '-1', '-#inner@b_unencrypted:', '-2', '-#in list@list:', '-3', '+4', '+5']],
    ['unencrypted_regex', { unencryptedRegex: '^(a|b_.*)$' }, ['+#top@:', '-1', '-#inner@b_unencrypted:', '-2', '+#in list@list:', '+3', '+4', '+5']],
    // unanchored: `y` also matches inside b_unencr*y*pted
    ['encrypted_regex (unanchored RE2)', { encryptedRegex: '^c|y' }, ['-#top@:', '-1', '+#inner@b_unencrypted:', '+2', '-#in list@list:', '-3', '+4', '+5']],
    ['encrypted_regex with (?i)', { encryptedRegex: '(?i)^C_' }, ['-#top@:', '-1', '-#inner@b_unencrypted:', '-2', '-#in list@list:', '-3', '-4', '+5']],
  ];
  for (const [name, rules, expected] of table) {
    it(name, () => {
      expect(verdicts(KEYS_TREE, rules)).toEqual(expected);
      roundTrips(KEYS_TREE, rules);
    });
  }
});

describe('comment rules (the comment stack)', () => {
  it('unencrypted_comment_regex: the marker and everything it precedes stay plain, subtrees included', () => {
    const tree = doc(
      map(
        c(' sops:plain'),
        e('a', str('1')),
        e('b', str('2')),
        c(' other'),
        c(' sops:plain'),
        e('nested', map(e('x', str('3')), c(' inner'))),
        e('c', str('4')),
      ),
    );
    const rules = { unencryptedCommentRegex: 'sops:plain' };
    expect(verdicts(tree, rules)).toEqual(['-#sops:plain@:', '-1', '+2', '+#other@:', '-#sops:plain@:', '-3', '-#inner@nested:', '+4']);
    roundTrips(tree, rules);
  });

  it('encrypted_comment_regex: the marker stays plain, what follows it until the next value is encrypted', () => {
    const tree = doc(
      map(
        c(' sops:enc'),
        c(' secret note'),
        e('a', str('1')),
        e('b', str('2')),
        e('list', seq(c(' sops:enc'), str('3'), str('4'))),
        c(' sops:enc'),
        e('deep', map(e('x', seq(str('5'))), c(' after'))),
      ),
    );
    const rules = { encryptedCommentRegex: 'sops:enc' };
    expect(verdicts(tree, rules)).toEqual(['-#sops:enc@:', '+#secret note@:', '+1', '-2', '-#sops:enc@list:', '+3', '-4', '-#sops:enc@:', '+5', '+#after@deep:']);
    roundTrips(tree, rules);
  });

  it('the stack is reset by every value, nulls included, but not by comments', () => {
    const tree = doc(map(c(' sops:enc'), e('n', { kind: 'null' }), e('a', str('1'))));
    expect(verdicts(tree, { encryptedCommentRegex: 'sops:enc' })).toEqual(['-#sops:enc@:', '-1']);
  });

  it('an encrypted comment that would match unencrypted_comment_regex is refused at encryption', () => {
    const tree = doc(map(c(' harmless'), e('a', str('1'))));
    let error: unknown;
    try {
      encryptDocument(tree, { dataKey: KEY, rules: { unencryptedCommentRegex: 'ENC\\[' }, lastmodified: '2026-01-01T00:00:00Z', random });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SecretsError);
    expect((error as SecretsError).code).toBe('SOPS_RULES_CONFLICT');
  });
});

describe('rule settings', () => {
  it('at most one rule; empty strings count as unset; the default suffix otherwise', () => {
    expect(normalizeRules({})).toEqual({ unencryptedSuffix: '_unencrypted' });
    expect(normalizeRules({ encryptedRegex: '', macOnlyEncrypted: true })).toEqual({ unencryptedSuffix: '_unencrypted', macOnlyEncrypted: true });
    expect(normalizeRules({ encryptedSuffix: '_s', unencryptedSuffix: '' })).toEqual({ encryptedSuffix: '_s' });
    let error: unknown;
    try {
      normalizeRules({ encryptedRegex: 'a', unencryptedCommentRegex: 'b' });
    } catch (err) {
      error = err;
    }
    expect((error as SecretsError).code).toBe('SOPS_RULES_CONFLICT');
    expect((error as SecretsError).message).toContain('encrypted_regex and unencrypted_comment_regex');
  });

  it('a regex RE2 rejects: an error when encrypting, never matching when decrypting (as sops)', () => {
    expect(() => compileRules({ unencryptedRegex: '(a' })).toThrow(/unencrypted_regex: invalid regular expression/);
    const selector = compileRules({ unencryptedRegex: '(a' }, { invalidRegex: 'never-match' });
    expect(selector.shouldEncrypt(['(a'], [[]], false)).toBe(true);
    // Go rejects \C too: never matching, like any other syntax error.
    expect(compileRules({ unencryptedRegex: '\\C' }, { invalidRegex: 'never-match' }).shouldEncrypt(['C'], [[]], false)).toBe(true);
    // A pattern over our size limit is an error either way (Go would compile it; sops would match).
    expect(() => compileRules({ unencryptedRegex: 'a{1000}'.repeat(20) }, { invalidRegex: 'never-match' })).toThrow(/unencrypted_regex: regular expression too large/);
  });

  it('a file written with an invalid regex still opens', () => {
    const tree: Document = doc(map(e('(a', str('x')), e('b', str('y'))));
    const enc = encryptDocument(tree, { dataKey: KEY, rules: {}, lastmodified: '2026-01-01T00:00:00Z', random });
    const back = decryptDocument(enc.document, { dataKey: KEY, metadata: { rules: { unencryptedRegex: '(a' }, lastmodified: '2026-01-01T00:00:00Z', mac: enc.mac } });
    expect((back.document.branches[0] as MapNode).items).toEqual(tree.branches[0]?.items);
  });
});
