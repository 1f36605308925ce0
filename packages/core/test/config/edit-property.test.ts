/**
 * `.sops.yaml` edits over generated files in every style the editor knows (block, flow and comma-string
 * lists, grouped keys, plain or role-prefixed names, comments, blank lines, indentation, CRLF): adding a
 * key changes only the keys: entry and the chosen rules' lines, and removing it gives the file back byte
 * for byte. Fixed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addKey, removeKey, type KeyKind } from '../../src/index.js';
import { lineDiff } from './line-diff.js';

const KEYS = [
  'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl',
  'age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk',
  'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw',
  'age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs',
];
const NEW = 'age1rgffpespcyjn0d8jglk7km9kfrfhdyev6camd3rck6pn8y47ze4sug23v3';

type AgeStyle = 'block-alias' | 'block-literal' | 'flow' | 'plain' | 'folded';
interface Model {
  readonly indent: number;
  readonly seqOffset: 0 | 2;
  readonly keys: 'none' | 'flat' | 'grouped';
  readonly plain: boolean;
  readonly header: boolean;
  readonly comments: boolean;
  readonly crlf: boolean;
  readonly rules: readonly { readonly style: AgeStyle; readonly groups: boolean; readonly blank: boolean }[];
}

const model: fc.Arbitrary<Model> = fc.record({
  indent: fc.constantFrom(2, 4),
  seqOffset: fc.constantFrom(0 as const, 2 as const),
  keys: fc.constantFrom('none' as const, 'flat' as const, 'grouped' as const),
  plain: fc.boolean(),
  header: fc.boolean(),
  comments: fc.boolean(),
  crlf: fc.boolean(),
  rules: fc.array(fc.record({ style: fc.constantFrom<AgeStyle>('block-alias', 'block-literal', 'flow', 'plain', 'folded'), groups: fc.boolean(), blank: fc.boolean() }), { minLength: 1, maxLength: 4 }),
});

/** The file a model describes, with each rule's line range (1-based, inclusive). */
function render(m: Model): { text: string; ruleLines: [number, number][] } {
  const names = KEYS.map((_, i) => (m.plain ? `k${i}` : `${i % 2 ? 'server' : 'admin'}_k${i}`));
  const anchors = m.keys !== 'none';
  const pad = (n: number): string => ' '.repeat(n);
  const lines: string[] = [];
  if (m.header) lines.push('# generated', '# by hand');
  const item = (col: number, body: string, comment?: string): string => `${pad(col)}- ${body}${m.comments && comment ? ` # ${comment}` : ''}`;
  if (m.keys === 'flat') {
    lines.push('keys:');
    KEYS.forEach((k, i) => lines.push(item(m.seqOffset, `&${names[i]} ${k}`, i === 0 ? 'first' : undefined)));
  } else if (m.keys === 'grouped') {
    lines.push('keys:');
    lines.push(item(m.seqOffset, '&users:'));
    KEYS.slice(0, 2).forEach((k, i) => lines.push(item(m.seqOffset + m.indent, `&${names[i]} ${k}`)));
    lines.push(item(m.seqOffset, '&hosts:', 'machines'));
    KEYS.slice(2).forEach((k, i) => lines.push(item(m.seqOffset + m.indent, `&${names[i + 2]} ${k}`)));
  }
  lines.push('creation_rules:');
  const ruleLines: [number, number][] = [];
  m.rules.forEach((rule, r) => {
    if (rule.blank && r > 0) lines.push('');
    const first = lines.length + 1;
    const base = m.seqOffset;
    lines.push(`${pad(base)}- path_regex: rule${r}/.*${m.comments ? ' # rule' : ''}`);
    let col = base + 2;
    if (rule.groups) {
      lines.push(`${pad(col)}key_groups:`);
      col += m.seqOffset;
      lines.push(`${pad(col)}- pgp:`);
      lines.push(item(col + 2 + m.seqOffset, 'ABCDEF0123'));
      col += 2;
    }
    const members = [0, 1 + (r % 3)];
    const ref = (i: number): string => (anchors && rule.style !== 'block-literal' ? `*${names[i]}` : (KEYS[i] as string));
    switch (rule.style) {
      case 'block-alias':
      case 'block-literal':
        lines.push(`${pad(col)}age:`);
        members.forEach((i) => lines.push(item(col + m.seqOffset, ref(i), i === 0 ? 'note' : undefined)));
        break;
      case 'flow':
        lines.push(`${pad(col)}age: [${members.map(ref).join(', ')}]`);
        break;
      case 'plain':
        lines.push(`${pad(col)}age: ${members.map((i) => KEYS[i]).join(',')}`);
        break;
      case 'folded':
        lines.push(`${pad(col)}age: >-`);
        members.forEach((i, n) => lines.push(`${pad(col + m.indent)}${KEYS[i]}${n < members.length - 1 ? ',' : ''}`));
        break;
    }
    ruleLines.push([first, lines.length]);
  });
  return { text: `${lines.join(m.crlf ? '\r\n' : '\n')}${m.crlf ? '\r\n' : '\n'}`, ruleLines };
}

describe('generated .sops.yaml files', () => {
  it('add changes only the keys: entry and the chosen rule; rm gives the file back', () => {
    fc.assert(
      fc.property(model, fc.nat(), fc.constantFrom<KeyKind>('host', 'user'), (m, pick, kind) => {
        const { text, ruleLines } = render(m);
        const rule = pick % m.rules.length;
        const added = addKey(text, kind, 'fresh', NEW, { index: rule });
        expect(added.rules).toEqual([rule]);
        const [from, to] = ruleLines[rule] as [number, number];
        // line numbers of the old file that were replaced: only inside the chosen rule (or the flow keys: line)
        for (const line of lineDiff(text, added.text).filter((l) => l.startsWith('-'))) {
          const n = Number(/^-(\d+)/.exec(line)?.[1]);
          expect(n >= from && n <= to, `${line} outside rule ${rule} (${from}-${to})\n${text}`).toBe(true);
        }
        const added2 = addKey(added.text, kind, 'fresh', NEW, { index: rule });
        expect(added2.text).toBe(added.text);
        const removed = removeKey(added.text, kind, 'fresh');
        expect(removed.text).toBe(text);
        expect(removed.rules).toEqual([rule]);
        if (m.crlf) expect(added.text.replace(/\r\n/g, '')).not.toContain('\n');
      }),
      { seed: 20261206, numRuns: process.env['SLOW'] ? 5000 : 300 },
    );
  });
});
