/**
 * The Nix lexer, after Nix 2.8's `lexer.l` (the rules are restated here, not translated): identifiers,
 * keywords, numbers, paths, URIs, `"…"` and `''…''` strings with their escapes, comments. Strings are one
 * token each, their `${…}` parts lexed recursively, so the parser never switches lexer states.
 * Every regex is anchored (sticky) and has no nested ambiguity: linear time on any input.
 */
import { type SourceFile, nixError, needsNix } from './nix-source.js';

/** A piece of a string literal: text, or the tokens of a `${…}`. */
export type StringPart =
  | { readonly text: string; readonly indentation: boolean; readonly at: number }
  | { readonly tokens: readonly Token[]; readonly at: number };

/** One token. `op` covers punctuation and operators; `kw` the keywords. */
export type Token =
  | { readonly t: 'id' | 'kw' | 'op' | 'path' | 'hpath' | 'spath' | 'uri' | 'int' | 'float'; readonly v: string; readonly at: number }
  | { readonly t: 'str'; readonly indented: boolean; readonly parts: readonly StringPart[]; readonly at: number }
  | { readonly t: 'eof'; readonly at: number };

const KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit', 'or']);
const OPERATORS = ['...', '==', '!=', '<=', '>=', '&&', '||', '->', '//', '++', '${'];
const SINGLE = new Set([...'{}[]();:,.@?!<>+-*/=']);

// Nix 2.8 lexer.l definitions (PATH_CHAR is [a-zA-Z0-9._\-+]).
const ID = /[a-zA-Z_][a-zA-Z0-9_'-]*/y;
const INT = /[0-9]+/y;
const FLOAT = /(?:[1-9][0-9]*\.[0-9]*|0?\.[0-9]+)(?:[Ee][+-]?[0-9]+)?/y;
const PATH = /[a-zA-Z0-9._\-+]*(?:\/[a-zA-Z0-9._\-+]+)+\/?/y;
const PATH_SEG_INTERP = /[a-zA-Z0-9._\-+]*\/\$\{|~\/\$\{/y;
const HPATH = /~(?:\/[a-zA-Z0-9._\-+]+)+\/?/y;
const SPATH = /<[a-zA-Z0-9._\-+]+(?:\/[a-zA-Z0-9._\-+]+)*>/y;
const URI = /[a-zA-Z][a-zA-Z0-9+\-.]*:[a-zA-Z0-9%/?:@&=+$,\-_.!~*']+/y;

function matchAt(re: RegExp, text: string, i: number): number {
  re.lastIndex = i;
  const m = re.exec(text);
  return m ? m[0].length : 0;
}

/** Lexer state shared by the recursive calls: the file and the nesting budget. */
interface LexState {
  readonly src: SourceFile;
  readonly maxDepth: number;
  /** Tokens still allowed, over every file of one read (a 16 MiB file must not become 8M objects). */
  readonly budget: { left: number };
}

function add(state: LexState, tokens: Token[], token: Token): void {
  if (--state.budget.left < 0) throw nixError(state.src, token.at, 'more tokens than the limit', 'LIMIT_EXCEEDED');
  tokens.push(token);
}

/**
 * Lexes a whole file.
 *
 * @param src - the file
 * @param maxDepth - how deep `${…}` may nest inside strings
 * @param budget - how many more tokens may be made (decremented)
 * @returns the tokens, ending with `eof`
 */
export function lexNix(src: SourceFile, maxDepth: number, budget: { left: number }): Token[] {
  const { tokens } = lexCode({ src, maxDepth, budget }, 0, 0);
  return tokens;
}

/** Code tokens from `start`; inside `${…}` (depth > 0) it stops at the `}` that closes it. */
function lexCode(state: LexState, start: number, depth: number): { tokens: Token[]; end: number } {
  const { src } = state;
  const text = src.text;
  if (depth > state.maxDepth) throw nixError(src, start, `strings nest deeper than ${state.maxDepth} levels`, 'LIMIT_EXCEEDED');
  const tokens: Token[] = [];
  let braces = 0;
  let i = start;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw nixError(src, i, 'unterminated comment');
      i = end + 2;
      continue;
    }
    if (ch === '"') {
      const s = lexString(state, i + 1, depth);
      add(state, tokens, { t: 'str', indented: false, parts: s.parts, at: i });
      i = s.end;
      continue;
    }
    if (text.startsWith("''", i)) {
      let j = i + 2;
      while (text[j] === ' ') j++;
      const body = text[j] === '\n' ? j + 1 : i + 2; // ''(\ *\n)? is part of the opening
      const s = lexIndented(state, body, depth);
      add(state, tokens, { t: 'str', indented: true, parts: s.parts, at: i });
      i = s.end;
      continue;
    }
    if (ch === '}' && depth > 0 && braces === 0) return { tokens: [...tokens, { t: 'eof', at: i }], end: i + 1 };
    if (ch === '{' || text.startsWith('${', i)) braces++;
    if (ch === '}') braces--;
    // Fast paths: a name not followed by a path or URI character, or a lone punctuation character.
    const idLength = /[a-zA-Z_]/.test(ch) ? matchAt(ID, text, i) : 0;
    if (idLength > 0 && !'./+:'.includes(text[i + idLength] ?? '')) {
      const v = text.slice(i, i + idLength);
      add(state, tokens, { t: KEYWORDS.has(v) ? 'kw' : 'id', v, at: i });
      i += idLength;
      continue;
    }
    if (';=[](){},@?'.includes(ch) && text[i + 1] !== '=') {
      add(state, tokens, { t: 'op', v: ch, at: i });
      i++;
      continue;
    }
    if (matchAt(PATH_SEG_INTERP, text, i) > 0) throw needsNix(src, i, 'a path with ${…} in it');
    // Longest match wins; on a tie the earlier rule (keyword/operator, ID, INT, FLOAT, PATH, HPATH, SPATH, URI).
    const op = OPERATORS.find((o) => text.startsWith(o, i)) ?? (SINGLE.has(ch) ? ch : '');
    const candidates: [Token['t'], number][] = [
      ['op', op.length],
      ['id', matchAt(ID, text, i)],
      ['int', matchAt(INT, text, i)],
      ['float', matchAt(FLOAT, text, i)],
      ['path', matchAt(PATH, text, i)],
      ['hpath', matchAt(HPATH, text, i)],
      ['spath', matchAt(SPATH, text, i)],
      ['uri', matchAt(URI, text, i)],
    ];
    let best: [Token['t'], number] = ['op', 0];
    for (const c of candidates) if (c[1] > best[1]) best = c;
    if (best[1] === 0) throw nixError(src, i, `unexpected ${JSON.stringify(ch)}`);
    const v = text.slice(i, i + best[1]);
    const kind = best[0] === 'id' && KEYWORDS.has(v) ? 'kw' : best[0];
    if ((kind === 'path' || kind === 'hpath') && v.endsWith('/')) {
      if (text.startsWith('${', i + v.length)) throw needsNix(src, i, 'a path with ${…} in it');
      throw nixError(src, i + v.length, 'path has a trailing slash');
    }
    if ((kind === 'path' || kind === 'hpath') && text.startsWith('${', i + v.length)) throw needsNix(src, i, 'a path with ${…} in it');
    add(state, tokens, { t: kind as 'id', v, at: i });
    i += v.length;
  }
  if (depth > 0) throw nixError(src, start, 'unterminated ${');
  add(state, tokens, { t: 'eof', at: text.length });
  return { tokens, end: i };
}

/** `"…"` from after the quote: `\` escapes n, r, t or the character itself; CR and CRLF become LF. */
function lexString(state: LexState, start: number, depth: number): { parts: StringPart[]; end: number } {
  const text = state.src.text;
  const parts: StringPart[] = [];
  let buf = '';
  let bufAt = start;
  const flush = (at: number): void => {
    if (buf !== '') parts.push({ text: buf, indentation: false, at: bufAt });
    buf = '';
    bufAt = at;
  };
  const escape = (c: string): string => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c);
  let i = start;
  for (;;) {
    if (i >= text.length) throw nixError(state.src, start - 1, 'unterminated string');
    const c = text[i] as string;
    if (c === '"') {
      flush(i);
      return { parts, end: i + 1 };
    }
    if (c === '\\') {
      if (i + 1 >= text.length) throw nixError(state.src, start - 1, 'unterminated string');
      buf += escape(text[i + 1] as string);
      i += 2;
    } else if (c === '$' && text[i + 1] === '{') {
      flush(i);
      const inner = lexCode(state, i + 2, depth + 1);
      parts.push({ tokens: inner.tokens, at: i });
      i = inner.end;
      bufAt = i;
    } else if (c === '$' && text[i + 1] !== undefined && text[i + 1] !== '"' && text[i + 1] !== '\\') {
      buf += c + (text[i + 1] === '\r' ? '\n' : (text[i + 1] as string)); // `$$` is text: `$${` is not an interpolation
      i += text[i + 1] === '\r' && text[i + 2] === '\n' ? 3 : 2;
    } else if (c === '\r') {
      buf += '\n';
      i += text[i + 1] === '\n' ? 2 : 1;
    } else {
      buf += c;
      i++;
    }
  }
}

/** `''…''` from after the opening: the parts, then Nix's indentation stripping. */
function lexIndented(state: LexState, start: number, depth: number): { parts: StringPart[]; end: number } {
  const text = state.src.text;
  const raw: StringPart[] = [];
  let i = start;
  const part = (p: StringPart): void => {
    if (--state.budget.left < 0) throw nixError(state.src, p.at, 'more tokens than the limit', 'LIMIT_EXCEEDED');
    raw.push(p);
  };
  const special = (s: string, n: number): void => {
    part({ text: s, indentation: false, at: i });
    i += n;
  };
  for (;;) {
    if (i >= text.length) throw nixError(state.src, start, "unterminated ''string''");
    if (text.startsWith("''$", i)) special('$', 3);
    else if (text.startsWith("'''", i)) special("''", 3);
    else if (text.startsWith("''\\", i)) {
      if (i + 3 >= text.length) throw nixError(state.src, start, "unterminated ''string''");
      const c = text[i + 3] as string;
      special(c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c, 4);
    } else if (text.startsWith("''", i)) {
      return { parts: stripIndentation(raw), end: i + 2 };
    } else if (text.startsWith('${', i)) {
      const inner = lexCode(state, i + 2, depth + 1);
      raw.push({ tokens: inner.tokens, at: i });
      i = inner.end;
    } else {
      // A text run: any character but $ and ', or `$` not before { or ', or `'` not before ' or $.
      const at = i;
      while (i < text.length) {
        const c = text[i] as string;
        const n = text[i + 1];
        if (c !== '$' && c !== "'") i++;
        else if (c === '$' && n !== undefined && n !== '{' && n !== "'") i += 2;
        else if (c === "'" && n !== undefined && n !== "'" && n !== '$') i += 2;
        else break;
      }
      if (i > at) part({ text: text.slice(at, i), indentation: true, at });
      else special(text[i] as string, 1); // a lone $ or '
    }
  }
}

/**
 * Nix 2.8's `stripIndentation`: the smallest indentation (spaces only) of the lines that have text is
 * removed from every line; escapes and `${…}` end a line's leading whitespace; a whitespace-only last
 * line is dropped.
 */
function stripIndentation(parts: readonly StringPart[]): StringPart[] {
  let atStart = true;
  let minIndent = Number.MAX_SAFE_INTEGER;
  let cur = 0;
  for (const p of parts) {
    if (!('text' in p) || !p.indentation) {
      if (atStart) {
        atStart = false;
        minIndent = Math.min(minIndent, cur);
      }
      continue;
    }
    for (const c of p.text) {
      if (atStart) {
        if (c === ' ') cur++;
        else if (c === '\n') cur = 0;
        else {
          atStart = false;
          minIndent = Math.min(minIndent, cur);
        }
      } else if (c === '\n') {
        atStart = true;
        cur = 0;
      }
    }
  }
  const out: StringPart[] = [];
  atStart = true;
  let dropped = 0;
  parts.forEach((p, index) => {
    if (!('text' in p)) {
      atStart = false;
      dropped = 0;
      out.push(p);
      return;
    }
    let s = '';
    for (const c of p.text) {
      if (atStart) {
        if (c === ' ') {
          if (dropped++ >= minIndent) s += c;
        } else if (c === '\n') {
          dropped = 0;
          s += c;
        } else {
          atStart = false;
          dropped = 0;
          s += c;
        }
      } else {
        s += c;
        if (c === '\n') atStart = true;
      }
    }
    if (index === parts.length - 1) {
      const nl = s.lastIndexOf('\n');
      if (nl >= 0 && /^ *$/.test(s.slice(nl + 1))) s = s.slice(0, nl + 1);
    }
    out.push({ text: s, indentation: false, at: p.at });
  });
  return out;
}
