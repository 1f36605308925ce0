import { describe, expect, it } from 'vitest';
import { formatTreePath, getAtPath, parseTreePath, setAtPathChanged as setAtPath, setAtPath as setDocument, unsetAtPath } from '../../src/sops/tree-path.js';
import type { Document } from '../../src/sops/tree.js';
import { c, doc, e, failure, int, map, nul, seq, str } from './tree-helpers.js';


const TREE: Document = doc(
  map(
    c(' top'),
    e('app2', map(e('db', map(e('user', str('admin')), e('pass', str('s3cret')))))),
    e('an_array', seq(c(' first'), str('a'), str('b'))),
    e('dup', str('first')),
    e('dup', str('second')),
    e('num', int(1)),
  ),
  map(e('second_document', str('x'))),
);
const FROZEN = JSON.stringify(TREE, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

describe('parseTreePath (cmd/sops/main.go parseTreePath)', () => {
  it('accepts what sops accepts', () => {
    const table: [string, (string | number)[]][] = [
      ['["app2"]["db"]["user"]', ['app2', 'db', 'user']],
      ['["an_array"][0]', ['an_array', 0]],
      ["['single']", ['single']],
      ['["mixed\']', ['mixed']], // sops drops the first and last character, whatever they are
      ['["a"]]', ['a"']],
      ['["a:b c"]', ['a:b c']],
      ['[""]', ['']],
      ['[+1][007]', [1, 7]],
      ['', []],
    ];
    for (const [text, path] of table) expect([text, parseTreePath(text)]).toEqual([text, path]);
  });

  it('refuses what sops refuses or crashes on', () => {
    for (const text of ['["a[b"]', '[]', '["]', '[-1]', '[x]', 'foo["a"]', '["a"] ["b"]', '["a"', '[1.5]', '[99999999999999999999]']) {
      const error = failure(() => parseTreePath(text));
      expect([text, error.code]).toEqual([text, 'SOPS_TREE_PATH_INVALID']);
      expect(error.message).toContain(JSON.stringify(text));
    }
  });

  it('formats paths back', () => {
    expect(formatTreePath(['a"b', 0, 'c'])).toBe('["a\\"b"][0]["c"]');
  });
});

describe('getAtPath (--extract)', () => {
  it('reads from the first document; indexes count values, not comments; first of duplicate keys', () => {
    expect(getAtPath(TREE, ['app2', 'db', 'user'])).toEqual(str('admin'));
    expect(getAtPath(TREE, ['an_array', 0])).toEqual(str('a'));
    expect(getAtPath(TREE, ['dup'])).toEqual(str('first'));
    expect(getAtPath(TREE, [])).toBe(TREE.branches[0]);
  });

  it('names the first missing component', () => {
    const cases: [(string | number)[], string][] = [
      [['app2', 'nope', 'x'], 'component ["app2"]["nope"] not found'],
      [['an_array', 2], 'component ["an_array"][2] not found'],
      [['second_document'], 'component ["second_document"] not found'],
      [['num', 'x'], 'component ["num"]["x"] not found: ["num"] is a int, not a mapping'],
      [['app2', 0], 'component ["app2"][0] not found: ["app2"] is a mapping, not a list'],
    ];
    for (const [path, message] of cases) {
      const error = failure(() => getAtPath(TREE, path));
      expect([error.code, error.message]).toEqual(['SOPS_KEY_NOT_FOUND', message]);
    }
    expect(failure(() => getAtPath(doc(), ['a'])).code).toBe('SOPS_KEY_NOT_FOUND');
  });
});

describe('setAtPath (sops set)', () => {
  it('replaces an existing value; reports whether anything changed', () => {
    const r = setAtPath(TREE, ['app2', 'db', 'user'], str('root'));
    expect(getAtPath(r.document, ['app2', 'db', 'user'])).toEqual(str('root'));
    expect(r.changed).toBe(true);
    expect(setAtPath(TREE, ['app2', 'db', 'user'], str('admin')).changed).toBe(false);
    expect(setAtPath(TREE, ['num'], int(1)).changed).toBe(false);
    expect(r.document.branches[1]).toBe(TREE.branches[1]);
    expect(JSON.stringify(TREE, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(FROZEN); // immutable
  });

  it('missing keys are appended at the end, building what the path describes', () => {
    const r = setAtPath(TREE, ['new', 'list', 0, 'k'], str('v'));
    const root = r.document.branches[0];
    expect(root?.items.at(-1)).toEqual(e('new', map(e('list', seq(map(e('k', str('v'))))))));
    expect(r.changed).toBe(true);
    const inner = setAtPath(TREE, ['app2', 'db', 'host'], str('h')).document;
    expect(getAtPath(inner, ['app2', 'db'])).toEqual(map(e('user', str('admin')), e('pass', str('s3cret')), e('host', str('h'))));
  });

  it('an index at or past the end appends (after trailing comments); a value index replaces', () => {
    const withTail = doc(map(e('l', seq(str('a'), c(' tail')))));
    expect(getAtPath(setAtPath(withTail, ['l', 5], str('z')).document, ['l'])).toEqual(seq(str('a'), c(' tail'), str('z')));
    expect(getAtPath(setAtPath(TREE, ['an_array', 1], str('B')).document, ['an_array'])).toEqual(seq(c(' first'), str('a'), str('B')));
  });

  it('a scalar in the way is replaced; a key on a list or an index on a mapping is refused', () => {
    expect(getAtPath(setAtPath(TREE, ['num', 'x'], str('y')).document, ['num'])).toEqual(map(e('x', str('y'))));
    expect(getAtPath(setAtPath(doc(map(e('n', nul))), ['n', 0], str('y')).document, ['n'])).toEqual(seq(str('y')));
    expect(failure(() => setAtPath(TREE, ['an_array', 'x'], str('y'))).code).toBe('SOPS_TREE_PATH_INVALID');
    expect(failure(() => setAtPath(TREE, ['app2', 0], str('y'))).code).toBe('SOPS_TREE_PATH_INVALID');
    expect(failure(() => setAtPath(TREE, [0], str('y'))).code).toBe('SOPS_TREE_PATH_INVALID');
    expect(failure(() => setAtPath(TREE, [], str('y'))).code).toBe('SOPS_TREE_PATH_INVALID');
  });

  it('an empty file gets a document; setAtPath returns just the tree', () => {
    expect(setAtPath(doc(), ['a'], str('b')).document).toEqual(doc(map(e('a', str('b')))));
    expect(setDocument(doc(), ['a'], str('b'))).toEqual(doc(map(e('a', str('b')))));
  });
});

describe('unsetAtPath (sops unset)', () => {
  it('removes the value; comments stay', () => {
    const out = unsetAtPath(TREE, ['an_array', 0]);
    expect(getAtPath(out, ['an_array'])).toEqual(seq(c(' first'), str('b')));
    const gone = unsetAtPath(TREE, ['app2', 'db', 'pass']);
    expect(getAtPath(gone, ['app2', 'db'])).toEqual(map(e('user', str('admin'))));
    expect(unsetAtPath(TREE, ['dup']).branches[0]?.items.filter((i) => i.kind === 'entry' && i.key === 'dup')).toEqual([e('dup', str('second'))]);
    expect(JSON.stringify(TREE, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(FROZEN);
  });

  it('key not found / index out of bounds', () => {
    const cases: [(string | number)[], string, string][] = [
      [['nope'], 'SOPS_KEY_NOT_FOUND', 'key not found: ["nope"]'],
      [['app2', 'db', 'nope'], 'SOPS_KEY_NOT_FOUND', 'key not found: ["app2"]["db"]["nope"]'],
      [['an_array', 2], 'SOPS_KEY_NOT_FOUND', 'index out of bounds: ["an_array"][2]'],
      [['num', 'x'], 'SOPS_KEY_NOT_FOUND', 'key not found: ["num"]["x"] (["num"] is a int)'],
      [[], 'SOPS_TREE_PATH_INVALID', 'cannot unset the whole document: the path is empty'],
    ];
    for (const [path, code, message] of cases) {
      const error = failure(() => unsetAtPath(TREE, path));
      expect([error.code, error.message]).toEqual([code, message]);
    }
  });
});
