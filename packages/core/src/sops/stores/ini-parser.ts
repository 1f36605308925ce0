/**
 * Reading INI as gopkg.in/ini.v1 (v1.67) does with sops' options (`AllowNonUniqueSections`): ini.v1
 * parser.go, the rules listed in `ini.ts`. Also Go's `strings.TrimSpace`, which the writer uses too.
 *
 * @internal
 */

import { SecretsError } from '../../errors.js';
import { formatError } from './common.js';

/** The section of the keys before the first `[name]`. */
export const DEFAULT_SECTION = 'DEFAULT';

/** Go `unicode.IsSpace`. */
function isGoSpace(cp: number): boolean {
  if (cp <= 0xff) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0x85 || cp === 0xa0;
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    if (!isGoSpace(cp)) break;
    i += cp > 0xffff ? 2 : 1;
  }
  return s.slice(i);
}

function trimRightSpace(s: string): string {
  let j = s.length;
  while (j > 0) {
    const cp = s.codePointAt(j - 1)!;
    // a low surrogate is never a space, so checking code units from the end is enough
    if (!isGoSpace(cp)) break;
    j--;
  }
  return s.slice(0, j);
}

/** Go `strings.TrimSpace`. */
export const trimSpace = (s: string): string => trimRightSpace(trimLeftSpace(s));

/** A key as ini.v1 holds it. */
export interface IniKey {
  readonly name: string;
  value: string;
  comment: string;
}

/** A section as ini.v1 holds it (sops allows repeated section names). */
export interface IniSection {
  readonly name: string;
  comment: string;
  readonly keys: IniKey[];
}


class LineReader {
  private pos = 0;
  constructor(private readonly text: string) {}
  get eof(): boolean {
    return this.pos >= this.text.length;
  }
  /** Go `bufio.Reader.ReadBytes('\n')`: the next line including its `\n` (the last one may lack it). */
  next(): string {
    const nl = this.text.indexOf('\n', this.pos);
    const end = nl < 0 ? this.text.length : nl + 1;
    const line = this.text.slice(this.pos, end);
    this.pos = end;
    return line;
  }
}

/**
 * ini.v1's parser with sops' options.
 *
 * @throws SecretsError SOPS_FORMAT_INVALID with the line number
 */
export function parseIni(text: string): IniSection[] {
  const sections: IniSection[] = [{ name: DEFAULT_SECTION, comment: '', keys: [] }];
  let current = sections[0]!;
  let comment = '';
  let count = 1;
  let lineNo = 0;
  const reader = new LineReader(text);
  const fail = (message: string): SecretsError => formatError(`could not unmarshal input data: ${message} (line ${lineNo})`);

  const readValue = (raw: string): string => {
    let line = trimLeftSpace(raw);
    if (line.length === 0) return '';
    let quote = '';
    if (line.length > 3 && line.startsWith('"""')) quote = '"""';
    else if (line[0] === '`') quote = '`';
    if (quote) {
      const rest = line.slice(quote.length);
      const pos = rest.lastIndexOf(quote);
      if (pos >= 0) return rest.slice(0, pos);
      // multi-line value: read until a line containing the closing quote
      let value = rest;
      for (;;) {
        const atEof = reader.eof;
        const next = atEof ? '' : reader.next();
        lineNo++;
        const close = next.lastIndexOf(quote);
        if (close >= 0) {
          value += next.slice(0, close);
          const c = cleanComment(next.slice(close));
          if (c !== null) comment += trimSpace(c);
          return value;
        }
        value += next;
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- reader.next() moved it
        if (atEof || reader.eof) throw fail('missing closing key quote');
      }
    }
    line = trimSpace(line);
    if (line.endsWith('\\')) {
      // continuation lines
      let value = line.slice(0, -1);
      for (;;) {
        const next = reader.eof ? '' : trimSpace(reader.next());
        lineNo++;
        if (next.length === 0) break;
        value += next;
        if (!value.endsWith('\\')) break;
        value = value.slice(0, -1);
      }
      return value;
    }
    const hash = line.search(/[#;]/);
    if (hash >= 0) {
      comment += line.slice(hash);
      line = trimSpace(line.slice(0, hash));
    }
    if (surroundedBy(line, "'") || surroundedBy(line, '"')) line = line.slice(1, -1);
    return line;
  };

  while (!reader.eof) {
    const raw = reader.next();
    lineNo++;
    const line = trimLeftSpace(raw);
    if (line.length === 0) continue;
    if (line[0] === '#' || line[0] === ';') {
      comment += line;
      continue;
    }
    if (line[0] === '[') {
      const close = line.lastIndexOf(']');
      if (close < 0) throw fail('unclosed section');
      const name = line.slice(1, close);
      if (name.length === 0) throw fail('empty section name');
      current = { name, comment: '', keys: [] };
      sections.push(current);
      const c = cleanComment(line.slice(close + 1));
      if (c !== null) comment += c;
      current.comment = trimSpace(comment);
      comment = '';
      count = 1;
      continue;
    }
    const [keyName, offset] = readKeyName(line, fail);
    let name = keyName;
    if (name === '-') name = `#${count++}`; // ini.v1 auto-increment keys
    const value = readValue(line.slice(offset));
    if (name.length === 0) throw fail('error creating new key: empty key name');
    let key = current.keys.find((k) => k.name === name);
    if (key) key.value = value;
    else current.keys.push((key = { name, value, comment: '' }));
    key.comment = trimSpace(comment);
    comment = '';
  }
  return sections;
}

function cleanComment(s: string): string | null {
  const i = s.search(/[#;]/);
  return i < 0 ? null : s.slice(i);
}

function surroundedBy(s: string, q: string): boolean {
  return s.length >= 2 && s[0] === q && s[s.length - 1] === q && s.indexOf(q, 1) === s.length - 1;
}

/** ini.v1 `readKeyName` with the default delimiters `=` and `:`. */
function readKeyName(line: string, fail: (m: string) => SecretsError): [string, number] {
  let quote = '';
  if (line[0] === '"') quote = line.length > 6 && line.startsWith('"""') ? '"""' : '"';
  else if (line[0] === '`') quote = '`';
  if (quote) {
    const start = quote.length;
    const pos = line.indexOf(quote, start);
    if (pos < 0) throw fail('missing closing key quote');
    const rest = line.slice(pos + start).search(/[=:]/);
    if (rest < 0) throw fail('key-value delimiter not found');
    return [trimSpace(line.slice(start, pos)), pos + rest + start + 1];
  }
  const end = line.search(/[=:]/);
  if (end < 0) throw fail('key-value delimiter not found');
  if (end === 0) throw fail('empty key name');
  return [trimSpace(line.slice(0, end)), end + 1];
}
