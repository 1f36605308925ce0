/**
 * Editing `.sops.yaml` the way a person would: a host gets an anchor under `keys:` (`&server_<name>`)
 * and an alias in the creation rules chosen, comments and the file's sequence style kept. This is the
 * sops-nix article's manual step (ssh-keyscan | ssh-to-age, paste into .sops.yaml) as a function.
 */
import { Alias, isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq, type Document, type Node } from 'yaml';
import { parseRecipient } from '../age/index.js';
import { SecretsError } from '../errors.js';
import { compileRe2 } from '../re2.js';
import { yamlParserReason } from '../sops/stores/common.js';

/** Which rules a host joins: by index, or every rule whose path_regex matches a sample path. */
export type RuleSelector = { readonly index: number } | { readonly path: string } | 'only';

/** The result of an edit. */
export interface ConfigEdit {
  readonly text: string;
  /** Indexes of the creation rules that changed. */
  readonly rules: readonly number[];
}

const ANCHOR_PREFIX = 'server_';

function load(text: string): Document {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new SecretsError('CONFIG_INVALID', `.sops.yaml is not valid YAML: ${yamlParserReason(doc.errors[0]?.message ?? '').toLowerCase()}`);
  if (!isMap(doc.contents)) throw new SecretsError('CONFIG_INVALID', '.sops.yaml must be a mapping');
  return doc;
}

/** Whether block sequences in the file sit at their key's indentation (`key:\n- a`) rather than under it. */
function sequencesUnindented(text: string): boolean {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = /^(\s*)[^\s#-][^#]*:\s*$/.exec(lines[i] as string);
    if (!m) continue;
    const next = lines[i + 1] as string;
    if (next.startsWith(`${m[1]}- `)) return true;
    if (next.startsWith(`${m[1]} `)) return false;
  }
  return false;
}

function stringify(doc: Document, original: string): string {
  try {
    return doc.toString({ indentSeq: !sequencesUnindented(original), lineWidth: 0 });
  } catch (error) {
    // The yaml library parses an alias to an undefined (or later) anchor, but cannot write it back.
    const unresolved = error instanceof Error && /^Unresolved alias/.test(error.message);
    throw new SecretsError('CONFIG_INVALID', `.sops.yaml cannot be written back: ${unresolved ? 'an alias refers to no anchor defined before it' : 'the edited document is not valid YAML'}`, {
      cause: error,
      hints: unresolved ? ['define each &anchor (e.g. under keys:) before every *alias that refers to it'] : [],
    });
  }
}

function selectRules(doc: Document, selector: RuleSelector): YAMLMap[] {
  const rules = doc.get('creation_rules');
  if (!isSeq(rules) || rules.items.length === 0) throw new SecretsError('CONFIG_INVALID', '.sops.yaml has no creation_rules to add the host to');
  const maps = rules.items.map((r, i) => {
    if (!isMap(r)) throw new SecretsError('CONFIG_INVALID', `creation_rules[${i}] is not a mapping`);
    return r;
  });
  if (selector === 'only') {
    if (maps.length !== 1) {
      throw new SecretsError('USAGE', `.sops.yaml has ${maps.length} creation rules: say which the host joins`, { hints: ['pass --rule N (0-based) or --path secrets/host.yaml (every rule matching it)'] });
    }
    return maps;
  }
  if ('index' in selector) {
    const rule = maps[selector.index];
    if (!rule) throw new SecretsError('USAGE', `there is no creation_rules[${selector.index}]`);
    return [rule];
  }
  const chosen = maps.filter((r) => {
    const re = r.get('path_regex');
    return re === undefined || re === null ? true : compileRe2(typeof re === 'string' ? re : JSON.stringify(re)).test(selector.path);
  });
  if (chosen.length === 0) throw new SecretsError('CONFIG_NO_MATCHING_RULE', `no creation rule matches ${JSON.stringify(selector.path)}`);
  return chosen;
}

/** The age list a host's alias goes into: key_groups[0].age when groups are used, else the rule's age. */
function ageListOf(doc: Document, rule: YAMLMap): YAMLSeq {
  const groups = rule.get('key_groups', true);
  let holder: YAMLMap = rule;
  if (isSeq(groups) && groups.items.length > 0) {
    const first = groups.items[0];
    if (!isMap(first)) throw new SecretsError('CONFIG_INVALID', 'key_groups[0] is not a mapping');
    holder = first;
  }
  const age = holder.get('age', true) as Node | null | undefined;
  if (age === undefined || age === null || (isScalar(age) && (age.value === null || age.value === ''))) {
    const seq = doc.createNode([]) as YAMLSeq;
    holder.set('age', seq);
    return seq;
  }
  if (isSeq(age)) return age;
  if (isScalar(age)) {
    // `age: a, b` (sops' comma-separated form) becomes a list so the alias can join it.
    const seq = doc.createNode(String(age.value).split(',').map((s) => s.trim()).filter((s) => s !== '')) as YAMLSeq;
    holder.set('age', seq);
    return seq;
  }
  throw new SecretsError('CONFIG_INVALID', 'the rule\'s age field is neither a list nor a string');
}

/** A text insertion or deletion at source offsets. */
interface Splice {
  readonly at: number;
  readonly remove: number;
  readonly insert: string;
}

function applySplices(text: string, splices: readonly Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.at - a.at)) out = out.slice(0, s.at) + s.insert + out.slice(s.at + s.remove);
  return out;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end < 0 ? text.length : end;
}

/**
 * A new block-sequence item after the last one, written with the same prefix (`    - `) as that item;
 * null when the list is not a non-empty block sequence (flow `[a, b]`, a scalar, empty).
 */
function appendItem(text: string, seq: YAMLSeq, item: string): Splice | null {
  if (seq.flow || seq.items.length === 0) return null;
  const last = seq.items[seq.items.length - 1] as Node;
  if (!last.range) return null;
  const begin = lineStart(text, last.range[0]);
  const at = lineEnd(text, last.range[0]);
  // The last item must be one line of its own, `  - value` (an anchor such as `&admin` may precede it).
  const prefix = /^(\s*-\s+)/.exec(text.slice(begin, at))?.[1];
  if (prefix === undefined || last.range[1] > at) return null;
  return { at, remove: 0, insert: `\n${prefix}${item}` };
}

/**
 * Adds a host: `&server_<name> <recipient>` under `keys:` and `*server_<name>` in the chosen rules. Block
 * lists are edited in place (one added line each, everything else byte for byte); other forms go through
 * the YAML document model.
 *
 * @param text - the current `.sops.yaml`
 * @param name - host name (letters, digits, `-`, `_`)
 * @param recipient - `age1…` or `ssh-ed25519 …`
 * @param selector - which rules it joins
 * @param note - a comment for the end of the key's line, e.g. the SSH key an `age1…` recipient was
 *   converted from (what `secrets agenix export` encrypts to natively)
 * @throws SecretsError USAGE for a bad name or an existing host with another key, CONFIG_INVALID
 */
export function addHost(text: string, name: string, recipient: string, selector: RuleSelector, note?: string): ConfigEdit {
  if (note !== undefined && /[\r\n]/.test(note)) throw new SecretsError('USAGE', 'a host note must be one line');
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new SecretsError('USAGE', `invalid host name ${JSON.stringify(name)}: use letters, digits, - and _`);
  parseRecipient(recipient);
  const doc = load(text);
  const anchor = `${ANCHOR_PREFIX}${name}`;
  const keys = doc.get('keys', true);
  if (keys !== undefined && keys !== null && !isSeq(keys)) throw new SecretsError('CONFIG_INVALID', 'the keys: field of .sops.yaml is not a list');
  const existing = isSeq(keys) ? keys.items.find((k): k is Scalar => isScalar(k) && k.anchor === anchor) : undefined;
  if (existing && String(existing.value) !== recipient) {
    throw new SecretsError('USAGE', `host ${JSON.stringify(name)} is already in .sops.yaml with another key`, { hints: [`remove it first: secrets hosts rm ${name}`] });
  }
  const rules = doc.get('creation_rules') as YAMLSeq;
  const targets = selectRules(doc, selector).filter((rule) => {
    const list = ageListOf(load(text), (load(text).get('creation_rules') as YAMLSeq).items[rules.items.indexOf(rule)] as YAMLMap);
    return !list.items.some((i) => (i instanceof Alias && i.source === anchor) || (isScalar(i) && String(i.value) === recipient));
  });
  const changed = targets.map((r) => rules.items.indexOf(r));
  const keyLine = `&${anchor} ${/[:#]/.test(recipient) ? JSON.stringify(recipient) : recipient}${note ? ` # ${note}` : ''}`;

  // In place, when every list involved is a non-empty block sequence.
  const splices: Splice[] = [];
  let inPlace = existing !== undefined || (isSeq(keys) && appendItem(text, keys, keyLine) !== null);
  if (!existing && isSeq(keys)) {
    const s = appendItem(text, keys, keyLine);
    if (s) splices.push(s);
  }
  for (const rule of targets) {
    const list = ageListOf(load(text), (load(text).get('creation_rules') as YAMLSeq).items[rules.items.indexOf(rule)] as YAMLMap);
    const s = isSeq(list) && list.range ? appendItem(text, list, `*${anchor}`) : null;
    if (s) splices.push(s);
    else inPlace = false;
  }
  if (inPlace) return { text: applySplices(text, splices), rules: changed };

  // Fallback: the document model (reformats the file in its dominant sequence style).
  let keysNode = doc.get('keys', true);
  if (keysNode === undefined || keysNode === null) {
    keysNode = doc.createNode([]);
    (doc.contents as YAMLMap).items.unshift(doc.createPair('keys', keysNode));
  }
  if (!existing) {
    const node = new Scalar(recipient);
    node.anchor = anchor;
    if (note) node.comment = ` ${note}`;
    (keysNode as YAMLSeq).items.push(node);
  }
  for (const rule of targets) ageListOf(doc, rule).items.push(new Alias(anchor));
  return { text: stringify(doc, text), rules: changed };
}

/**
 * Removes a host: its aliases from every rule and its anchored key (whole lines for block lists).
 *
 * @throws SecretsError USAGE when there is no such host
 */
export function removeHost(text: string, name: string): ConfigEdit {
  const doc = load(text);
  const anchor = `${ANCHOR_PREFIX}${name}`;
  const keys = doc.get('keys', true);
  const keyNode = isSeq(keys) ? keys.items.find((k): k is Scalar => isScalar(k) && k.anchor === anchor) : undefined;
  if (!keyNode || !isSeq(keys)) throw new SecretsError('USAGE', `no host ${JSON.stringify(name)} in .sops.yaml (no &${anchor} under keys:)`);
  const lines: Node[] = [keyNode];
  const changed: number[] = [];
  const rules = doc.get('creation_rules');
  if (isSeq(rules)) {
    rules.items.forEach((rule, i) => {
      const found: Node[] = [];
      const visit = (node: unknown): void => {
        if (isSeq(node)) for (const item of node.items) {
          if (item instanceof Alias && item.source === anchor) found.push(item);
          else visit(item);
        }
        else if (isMap(node)) for (const p of node.items) visit(p.value);
      };
      visit(rule);
      if (found.length > 0) changed.push(i);
      lines.push(...found);
    });
  }
  // Each item must be alone on its line (`  - *server_x`): then drop whole lines, keeping all else.
  const splices: Splice[] = [];
  for (const node of lines) {
    if (!node.range) break;
    const begin = lineStart(text, node.range[0]);
    const end = lineEnd(text, node.range[0]);
    if (!/^\s*-\s+\S.*$/.test(text.slice(begin, end)) || node.range[1] > end) break;
    splices.push({ at: begin, remove: Math.min(end + 1, text.length) - begin, insert: '' });
  }
  if (splices.length === lines.length) return { text: applySplices(text, splices), rules: changed };
  // Fallback through the document model.
  for (const rule of isSeq(rules) ? rules.items : []) {
    const visit = (node: unknown): void => {
      if (isSeq(node)) {
        node.items = node.items.filter((item) => !(item instanceof Alias && item.source === anchor));
        node.items.forEach(visit);
      } else if (isMap(node)) node.items.forEach((p) => visit(p.value));
    };
    visit(rule);
  }
  keys.items = keys.items.filter((k) => k !== keyNode);
  return { text: stringify(doc, text), rules: changed };
}
