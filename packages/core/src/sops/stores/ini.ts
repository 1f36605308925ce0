/**
 * The INI store: sops 3.13 `stores/ini`, which reads and writes through gopkg.in/ini.v1 (v1.67) with
 * `AllowNonUniqueSections` and otherwise default options.
 *
 * Tree shape: each section (the implicit `DEFAULT` section first, even when empty) is a top-level key whose
 * value is a mapping of string entries. A section's comment is its first item; a key's comment (the comment
 * lines above it and any inline `#`/`;` comment after its value) follows the key. Comment text loses its
 * leading `;`/`#` characters and spaces.
 *
 * Parsing (ini.v1): lines are left-trimmed; `#`/`;` lines are comments; `[name]` starts a section (name up
 * to the last `]`); other lines are `key = value` or `key: value`, keys may be quoted with `"`, `"""` or
 * backticks; values may be `"""`/backtick quoted (possibly over several lines), continued with a trailing
 * `\`, lose an inline comment starting at the first `#` or `;`, and lose one pair of surrounding quotes.
 * A repeated key in a section overwrites the value in place.
 *
 * Writing (ini.v1 `WriteTo`): comments as `; text`, `key = value` with the `=` aligned per section, values
 * quoted when they contain a newline or backtick (`"""`), `#`/`;` (backticks) or surrounding spaces (`"`),
 * a blank line between sections (none after the last, since ini.v1 1.67), and the empty leading `DEFAULT`
 * section omitted.
 *
 * Metadata lives in a `[sops]` section, flattened without prefix, with newlines written as a literal `\n`
 * (3.13.2; the `"""` multi-line values of 3.13.0–3.13.1 are read too).
 *
 * @packageDocumentation
 */

import { SecretsError } from '../../errors.js';
import type { Comment, Document, Entry, MapNode, Scalar, Value } from '../tree.js';
import { checkInputSize, decodeUtf8, formatError, metadataNotFound, resolveLimits, type ResolvedLimits, type StoreOptions } from './common.js';
import { flattenMetadata, orderFlattened, rememberFlatOrder, unflattenMetadata, type FlatEntry } from './flatten.js';
import { valToString } from './go-format.js';
import { jsonScalar } from './json-writer.js';
import { DEFAULT_SECTION, parseIni, trimSpace, type IniKey, type IniSection } from './ini-parser.js';
import type { Store } from './store.js';

const METADATA_SECTION = 'sops';
const encoder = /* @__PURE__ */ new TextEncoder();

/** sops `stripCommentChar`: drops leading `;`/space or `#`/space characters. */
function stripCommentChar(comment: string): string {
  if (comment.startsWith(';')) return comment.replace(/^[; ]+/, '');
  if (comment.startsWith('#')) return comment.replace(/^[# ]+/, '');
  return comment;
}

/**
 * Reads and writes INI files as sops does.
 */
export class IniStore implements Store {
  /** The store's format. */
  readonly format = 'ini' as const;
  private readonly limits: ResolvedLimits;

  /** @param options - input limits (`indent` is ignored) */
  constructor(options: StoreOptions = {}) {
    this.limits = resolveLimits(options);
  }

  /**
   * Parses an INI file into one branch with one mapping per section.
   *
   * @throws SecretsError SOPS_FORMAT_INVALID for input ini.v1 rejects (unclosed section, missing `=`,
   *   unterminated quote, empty key or section name) or invalid UTF-8; LIMIT_EXCEEDED
   */
  loadPlain(bytes: Uint8Array): Document {
    checkInputSize(bytes, this.limits);
    if (bytes.length >= 2 && ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe))) {
      throw formatError('could not unmarshal input data: UTF-16 INI files are not supported');
    }
    let text = decodeUtf8(bytes, 'INI input');
    if (text.startsWith('\ufeff')) text = text.slice(1);
    const sections = parseIni(text);
    const items: Entry[] = sections.map((section) => {
      const sectionItems: (Entry | Comment)[] = [];
      if (section.comment !== '') sectionItems.push({ kind: 'comment', text: stripCommentChar(section.comment) });
      for (const key of section.keys) {
        sectionItems.push({ kind: 'entry', key: key.name, value: { kind: 'string', value: key.value } });
        if (key.comment !== '') sectionItems.push({ kind: 'comment', text: stripCommentChar(key.comment) });
      }
      return { kind: 'entry', key: section.name, value: { kind: 'map', items: sectionItems } };
    });
    return { branches: [{ kind: 'map', items }] };
  }

  /**
   * Parses an encrypted INI file: the `[sops]` section holds the flattened metadata.
   *
   * @throws SecretsError SOPS_METADATA_NOT_FOUND without a `[sops]` section; SOPS_METADATA_INVALID for a
   *   second one or metadata that does not unflatten; plus the errors of {@link loadPlain}
   */
  loadEncrypted(bytes: Uint8Array): { document: Document; metadata: MapNode } {
    const branch = this.loadPlain(bytes).branches[0]!;
    let section: MapNode | undefined;
    const data: (Entry | Comment)[] = [];
    for (const item of branch.items) {
      if (item.kind === 'entry' && item.key === METADATA_SECTION) {
        if (section) throw new SecretsError('SOPS_METADATA_INVALID', 'found duplicate sops entry');
        section = item.value as MapNode;
        continue;
      }
      data.push(item);
    }
    if (!section) throw metadataNotFound();
    const flat: FlatEntry[] = [];
    for (const item of section.items) {
      if (item.kind !== 'entry') continue;
      const v = item.value as Scalar;
      // EscapeNewlines: 3.13.2 writes metadata newlines as a literal "\n"
      flat.push({ key: item.key, value: v.kind === 'string' ? { kind: 'string', value: v.value.replaceAll('\\n', '\n') } : v });
    }
    const metadata = unflattenMetadata(flat, this.limits);
    rememberFlatOrder(
      metadata,
      flat.map((e) => e.key),
    );
    return { document: { branches: [{ kind: 'map', items: data }] }, metadata };
  }

  /**
   * Writes all documents' sections as one INI file.
   *
   * @throws SecretsError SOPS_VALUE_INVALID for a top-level value that is not a mapping, nested values
   *   inside a section, or names/comments ini.v1 cannot write back (empty, multi-line, or a key starting
   *   with `#`, `;` or `[`)
   */
  emitPlain(doc: Document): Uint8Array {
    const sections: IniSection[] = [];
    for (const branch of doc.branches) {
      for (const item of branch.items) {
        if (item.kind === 'comment') continue; // comments outside sections are dropped, as in sops
        if (item.value.kind !== 'map') {
          throw new SecretsError('SOPS_VALUE_INVALID', `the values of INI sections must be mappings; offending key ${JSON.stringify(item.key)}`);
        }
        sections.push(toSection(item.key, item.value));
      }
    }
    return encoder.encode(writeIni(sections));
  }

  /**
   * Writes an encrypted INI file: the data sections, then `[sops]` with the flattened metadata.
   *
   * @throws SecretsError SOPS_VALUE_INVALID if the data already has a `sops` section, plus the errors of
   *   {@link emitPlain}
   */
  emitEncrypted(doc: Document, metadata: MapNode): Uint8Array {
    for (const branch of doc.branches) {
      for (const item of branch.items) {
        if (item.kind === 'entry' && item.key === METADATA_SECTION) {
          throw new SecretsError('SOPS_VALUE_INVALID', 'found key "sops" in encrypted data, which is a reserved key used for SOPS metadata');
        }
      }
    }
    const flat = orderFlattened(metadata, flattenMetadata(metadata, ''), (e) => e.key);
    const section: Entry = {
      kind: 'entry',
      key: METADATA_SECTION,
      value: {
        kind: 'map',
        items: flat.map((e): Entry => ({
          kind: 'entry',
          key: e.key,
          value: e.value.kind === 'string' ? { kind: 'string', value: e.value.value.replaceAll('\n', '\\n') } : e.value,
        })),
      },
    };
    return this.emitPlain({ branches: doc.branches.map((b) => ({ kind: 'map', items: [...b.items, section] })) });
  }

  /**
   * Writes a scalar as JSON (sops' INI `EmitValue` is `json.Marshal`).
   *
   * @throws SecretsError SOPS_VALUE_INVALID for mappings and sequences
   */
  emitValue(value: Value): Uint8Array {
    if (value.kind === 'map' || value.kind === 'seq') {
      throw new SecretsError('SOPS_VALUE_INVALID', 'the INI store can only emit single scalar values');
    }
    return encoder.encode(jsonScalar(value));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Writing

function checkName(kind: string, name: string): void {
  if (name === '') throw new SecretsError('SOPS_VALUE_INVALID', `empty ${kind} name`);
  if (/[\r\n]/.test(name)) throw new SecretsError('SOPS_VALUE_INVALID', `${kind} name ${JSON.stringify(name)} cannot contain a line break`);
}

function toSection(name: string, map: MapNode): IniSection {
  checkName('section', name);
  const section: IniSection = { name, comment: '', keys: [] };
  let last: IniKey | undefined;
  map.items.forEach((item, index) => {
    if (item.kind === 'comment') {
      // sops: the first item may be the section comment; a later comment belongs to the key before it
      // (the last one wins); a comment with no key before it is dropped.
      if (index === 0) section.comment = item.text;
      else if (last) last.comment = item.text;
      return;
    }
    checkName('key', item.key);
    // Keys sops would write but ini.v1 reads back differently (as a comment, a section, an auto-increment
    // key, trimmed, or with broken quoting) are refused instead of silently corrupting the file.
    const quoted = /["=:]/.test(item.key);
    if (/^[#;[]/.test(item.key) || item.key === '-' || trimSpace(item.key) !== item.key || (quoted && item.key.includes('`')) || item.key.includes('"""')) {
      throw new SecretsError('SOPS_VALUE_INVALID', `key ${JSON.stringify(item.key)} cannot be written to an INI file`);
    }
    if (item.value.kind === 'map' || item.value.kind === 'seq') {
      throw new SecretsError('SOPS_VALUE_INVALID', `cannot use complex value in INI file; offending key ${item.key}`);
    }
    const value = valToString(item.value);
    if (value === null) throw new SecretsError('SOPS_VALUE_INVALID', `cannot write the value of key ${JSON.stringify(item.key)} to an INI file`);
    // ini.v1 Section.NewKey: a repeated key overwrites the earlier value in place
    const existing = section.keys.find((k) => k.name === item.key);
    if (existing) {
      existing.value = value;
      last = existing;
    } else {
      last = { name: item.key, value, comment: '' };
      section.keys.push(last);
    }
  });
  return section;
}

function commentLines(comment: string, trimUnprefixed: boolean): string {
  let out = '';
  for (const line of comment.split('\n')) {
    // ini.v1 indexes line[0] and would panic on an empty line
    if (line === '') throw new SecretsError('SOPS_VALUE_INVALID', 'an INI comment cannot contain an empty line');
    if (line[0] !== '#' && line[0] !== ';') out += `; ${trimUnprefixed ? trimSpace(line) : line}\n`;
    else out += `${line[0]} ${trimSpace(line.slice(1))}\n`;
  }
  return out;
}

const utf8Length = (s: string): number => encoder.encode(s).length;

function quoteKey(name: string): string {
  if (name.includes('"') || name.includes('=') || name.includes(':')) return '`' + name + '`';
  if (name.includes('`')) return '"""' + name + '"""';
  return name;
}

function quoteValue(value: string): string {
  if (value.includes('\n') || value.includes('`')) return '"""' + value + '"""';
  if (value.includes('#') || value.includes(';')) return '`' + value + '`';
  if (trimSpace(value).length !== value.length) return '"' + value + '"';
  return value;
}

/** ini.v1 `File.WriteTo` with PrettyFormat and PrettySection. */
function writeIni(sections: readonly IniSection[]): string {
  let out = '';
  sections.forEach((section, i) => {
    if (section.comment.length > 0) out += commentLines(section.comment, false);
    if (i > 0 || section.name.toUpperCase() !== DEFAULT_SECTION) {
      out += `[${section.name}]\n`;
    } else if (section.keys.length === 0) {
      return; // an empty leading DEFAULT section is not written (nor the blank line after it)
    }
    const names = section.keys.map((k) => quoteKey(k.name));
    const align = names.reduce((max, n) => Math.max(max, utf8Length(n)), 0);
    section.keys.forEach((key, k) => {
      if (key.comment.length > 0) out += commentLines(key.comment, true);
      const name = names[k]!;
      out += `${name}${' '.repeat(align - utf8Length(name))} = ${quoteValue(key.value)}\n`;
    });
    if (i < sections.length - 1) out += '\n';
  });
  return out;
}
