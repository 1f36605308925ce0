/**
 * The writing half of go-yaml's emitter (emitterc.go): the output with its column, indentation and
 * whitespace state, the comment registers and how comments are written, and the four scalar styles sops
 * output uses (plain, single- and double-quoted, literal; no folding, no line wrapping). The state machine
 * that decides what to write when is `yaml-emitter.ts`.
 *
 * @internal
 */

import { isBreak, isPrintable } from './yaml-scalar-analysis.js';

/** libyaml line breaks. */
const BREAKS = /[\r\n\u0085\u2028\u2029]/;
/** Characters the double-quoted writer escapes: non-printable (incl. beyond the BMP), breaks, `"` and `\`. */
const NEEDS_ESCAPE = /[^\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]|[\ufeff\u2028\u2029"\\]/;

const ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

/** go-yaml's emitter output: what the state machine in `yaml-emitter.ts` writes through. */
export abstract class YamlWriter {
  /** The text so far, in pages: one string for a 50 MB file would be flattened into a second copy. */
  protected readonly pages: string[] = [];
  protected out = '';
  protected readonly bestIndent: number;
  protected column = 0;
  protected indent = -1;
  protected whitespace = true;
  protected indention = true;
  protected footIndent = -1;
  // comment registers: set when an event carrying a comment is analyzed, written when the state machine
  // reaches a place that writes that kind of comment
  protected head = '';
  protected line = '';
  protected foot = '';
  protected tail = '';

  /** @param indent - go-yaml's `SetIndent`: 2 to 9, anything else is 2 */
  constructor(indent: number) {
    this.bestIndent = indent < 2 || indent > 9 ? 2 : indent;
  }

  // --- output primitives --------------------------------------------------------------------------------

  protected put(ch: string): void {
    this.out += ch;
    this.column++;
  }

  protected writeText(s: string): void {
    for (const ch of s) this.put(ch);
  }

  protected putBreak(): void {
    this.out += '\n';
    this.column = 0;
    this.indention = true;
  }

  protected writeBreak(ch: string): void {
    if (ch === '\n') {
      this.putBreak();
    } else {
      this.out += ch;
      this.column = 0;
      this.indention = true;
    }
  }

  protected writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    // A foot comment written at this indentation is separated from what follows by an empty line.
    if (this.footIndent === indent) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.footIndent = -1;
  }

  protected writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.writeText(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  // --- comments --------------------------------------------------------------------------------------------

  protected processHeadComment(): void {
    if (this.tail) {
      this.writeIndent();
      this.writeComment(this.tail);
      this.tail = '';
      this.footIndent = Math.max(this.indent, 0);
    }
    if (!this.head) return;
    this.writeIndent();
    this.writeComment(this.head);
    this.head = '';
  }

  protected processLineComment(linebreak = false): void {
    if (!this.line) {
      if (linebreak) this.putBreak();
      return;
    }
    if (!this.whitespace) this.put(' ');
    this.writeComment(this.line);
    this.line = '';
  }

  protected processFootComment(): void {
    if (!this.foot) return;
    this.writeIndent();
    this.writeComment(this.foot);
    this.foot = '';
    this.footIndent = Math.max(this.indent, 0);
  }

  protected writeComment(comment: string): void {
    let breaks = false;
    let pound = false;
    for (const ch of comment) {
      if (isBreak(ch.codePointAt(0)!)) {
        this.writeBreak(ch);
        breaks = true;
        pound = false;
      } else {
        if (breaks) this.writeIndent();
        if (!pound) {
          if (ch !== '#') this.writeText('# ');
          pound = true;
        }
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
    if (!breaks) this.putBreak();
    this.whitespace = true;
  }

  // --- scalars ---------------------------------------------------------------------------------------------

  /** Appends text without line breaks in one go. */
  protected writeRun(run: string): void {
    this.out += run;
    let n = run.length;
    for (let i = 0; i < run.length; i++) {
      const u = run.charCodeAt(i);
      if (u >= 0xdc00 && u <= 0xdfff) n--; // a surrogate pair is one character for the column count
    }
    this.column += n;
  }

  protected writePlain(value: string): void {
    if (value.length > 0 && !this.whitespace) this.put(' ');
    if (!BREAKS.test(value)) {
      this.writeRun(value);
      if (value.length > 0) this.whitespace = false;
      this.indention = false;
      return;
    }
    this.writeLines(value, '');
    if (value.length > 0) this.whitespace = false;
    this.indention = false;
  }

  protected writeSingleQuoted(value: string): void {
    this.writeIndicator("'", true, false, false);
    if (!BREAKS.test(value)) {
      this.writeRun(value.replaceAll("'", "''"));
      this.writeIndicator("'", false, false, false);
      this.whitespace = false;
      this.indention = false;
      return;
    }
    this.writeLines(value, "'");
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  /**
   * A plain or single-quoted scalar with line breaks, character by character: a line break is written
   * twice when it is the first `\n` of a run (YAML folds a single one into a space), each line after a
   * break starts at the indentation, and `quote` (single-quoted style) is doubled.
   */
  private writeLines(value: string, quote: "'" | ''): void {
    let breaks = false;
    for (const ch of value) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0x20) {
        this.put(ch);
      } else if (isBreak(cp)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (ch === quote) this.put(quote);
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
  }

  protected writeDoubleQuoted(value: string): void {
    this.writeIndicator('"', true, false, false);
    // libyaml's is_bom() looks at the first bytes of the whole value, not at the current position: a value
    // starting with U+FEFF has every character escaped.
    const bom = value.startsWith('\ufeff');
    if (!bom && !NEEDS_ESCAPE.test(value)) {
      this.writeRun(value);
      this.writeIndicator('"', false, false, false);
      this.whitespace = false;
      this.indention = false;
      return;
    }
    for (const ch of value) {
      const cp = ch.codePointAt(0)!;
      if (bom || !isPrintable(cp) || isBreak(cp) || cp === 0x22 || cp === 0x5c) {
        this.put('\\');
        const short = ESCAPES.get(cp);
        if (short !== undefined) {
          this.put(short);
        } else {
          const [letter, width] = cp <= 0xff ? ['x', 2] : cp <= 0xffff ? ['u', 4] : ['U', 8];
          this.writeText(letter + cp.toString(16).toUpperCase().padStart(width, '0'));
        }
      } else {
        this.put(ch);
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  protected writeLiteral(value: string): void {
    this.writeIndicator('|', true, false, false);
    // block scalar hints: an indentation indicator when the content starts with a space or a break, and
    // the chomping indicator from the trailing breaks ("-" none, clip one, "+" more). Breaks are BMP
    // characters and surrogates are not breaks, so code units do here.
    const n = value.length;
    if (n > 0 && (value.charCodeAt(0) === 0x20 || isBreak(value.charCodeAt(0)))) this.writeIndicator(String(this.bestIndent), false, false, false);
    let chomp = '';
    if (n === 0 || !isBreak(value.charCodeAt(n - 1))) chomp = '-';
    else if (n === 1 || isBreak(value.charCodeAt(n - 2))) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.processLineComment(true);
    this.whitespace = true;
    let breaks = true;
    // Line by line: the indentation before each line, then the line in one piece.
    for (let i = 0; i < n; ) {
      if (isBreak(value.charCodeAt(i))) {
        this.writeBreak(value[i] as string);
        breaks = true;
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n && !isBreak(value.charCodeAt(j))) j++;
      if (breaks) this.writeIndent();
      this.writeRun(value.slice(i, j));
      this.indention = false;
      breaks = false;
      i = j;
    }
  }
}
