/**
 * Go RE2 regular expressions (what sops uses for `path_regex` and the encryption-selection regexes),
 * translated to a JavaScript RegExp with the same matching behaviour, or refused with a clear error.
 *
 * The translation parses the whole RE2 syntax (Go `regexp/syntax`, Perl flags as `regexp.Compile` uses
 * them) and re-emits it for a `u`-mode RegExp, so that:
 *
 * - `.` matches any code point but `\n` (RE2), not JavaScript's four line terminators; `(?s)` adds `\n`;
 * - `^`/`$` mean start/end of text, and under `(?m)` start/end of a line (RE2 only knows `\n`);
 * - `\s` is RE2's ASCII `[\t\n\f\r ]` (no `\v`, no Unicode spaces), `\d`/`\w` are ASCII;
 * - `(?i)`, `(?m)`, `(?s)`, `(?U)` work anywhere, scoped to their group, and as `(?flags:re)`; case
 *   folding outside a whole-pattern `(?i)` is expanded into explicit character sets;
 * - `\A`, `\z`, `\Q…\E`, octal and `\x{…}` escapes, POSIX classes (`[[:alpha:]]`, `[[:^space:]]`),
 *   Unicode classes (`\pL`, `\p{Greek}`, `\P{Lu}`, `\p{^Han}`) and named groups are accepted;
 * - backreferences, lookaround, `\Z`, `\C`, repeat counts over 1000 and other things RE2 refuses are
 *   refused here too.
 *
 * Matching is unanchored, like Go's `MatchString` (use `^…$` to anchor).
 * RE2 syntax: https://github.com/google/re2/wiki/Syntax
 */
import { SecretsError } from './errors.js';

/** Why a pattern was refused: RE2 itself rejects it (`syntax`) or JavaScript cannot express it. */
export type Re2ErrorReason = 'syntax' | 'unsupported';

const MAX_CODE_POINT = 0x10ffff;
/** Go's regexp/syntax maxRepeat (`{n,m}` counts above it are an error). */
const MAX_REPEAT = 1000;
/** Nesting deeper than this is refused (Go limits the parse stack to 1000 too). */
const MAX_DEPTH = 1000;

type Range = readonly [number, number];

/** A character set: explicit code point ranges plus Unicode property escapes JavaScript evaluates. */
interface CharSet {
  ranges: Range[];
  /** JavaScript `\p{…}` / `\P{…}` texts. */
  props: string[];
  /** Some prop was added while case folding was on (only expressible with a whole-pattern `i` flag). */
  foldedProps: boolean;
}

type Node =
  | { readonly t: 'lit'; readonly cp: number; readonly fold: boolean }
  | { readonly t: 'set'; readonly set: CharSet; readonly negated: boolean; readonly fold: boolean }
  | { readonly t: 'any'; readonly dotNl: boolean }
  | { readonly t: 'assert'; readonly js: string }
  | { readonly t: 'group'; readonly body: Node }
  | { readonly t: 'concat'; readonly items: readonly Node[] }
  | { readonly t: 'alt'; readonly alts: readonly Node[] }
  | { readonly t: 'repeat'; readonly node: Node; readonly min: number; readonly max: number; readonly lazy: boolean };

interface Flags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  readonly U: boolean;
}

class Re2Failure extends Error {
  constructor(
    readonly reason: Re2ErrorReason,
    message: string,
  ) {
    super(message);
  }
}

const syntax = (why: string): Re2Failure => new Re2Failure('syntax', why);
const unsupported = (why: string): Re2Failure => new Re2Failure('unsupported', why);

// Go regexp/syntax perl_groups.go and posix_groups.go (all ASCII).
const PERL: Readonly<Record<string, readonly Range[]>> = {
  d: [[0x30, 0x39]],
  s: [
    [0x09, 0x0a],
    [0x0c, 0x0d],
    [0x20, 0x20],
  ],
  w: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
};
const POSIX: Readonly<Record<string, readonly Range[]>> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

function normalize(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

// Case folding. RE2 folds with Unicode simple case folding orbits (unicode.SimpleFold); so does a
// JavaScript `iu` RegExp. Where a pattern folds only in part (scoped `(?i:…)`), the orbits are spelled
// out. Orbits are derived from the runtime's case mappings: upper-then-lower of a code point gives its
// orbit representative, except where those mappings are not foldings (Turkish dotted/dotless i).
const LAST_FOLDING_CODE_POINT = 0x1e943; // Adlam: no case pairs above it
let orbitTable: Map<number, readonly number[]> | undefined;
/** Every code point that has an orbit, sorted: lets a range find its foldable members quickly. */
let foldable: readonly number[] = [];

function singleCodePoint(text: string): number | undefined {
  const cp = text.codePointAt(0);
  return cp !== undefined && String.fromCodePoint(cp).length === text.length ? cp : undefined;
}

function orbitRepresentative(cp: number): number {
  if (cp === 0x130 || cp === 0x131) return cp;
  const s = String.fromCodePoint(cp);
  const upper = singleCodePoint(s.toUpperCase()) ?? cp;
  return singleCodePoint(String.fromCodePoint(upper).toLowerCase()) ?? upper;
}

function orbits(): Map<number, readonly number[]> {
  if (orbitTable === undefined) {
    const byRep = new Map<number, number[]>();
    // Only code points whose case mappings change them can be in an orbit of more than one.
    const cased = /\p{Changes_When_Casemapped}/u;
    for (let c = 0; c <= LAST_FOLDING_CODE_POINT; c++) {
      if ((c >= 0xd800 && c <= 0xdfff) || !cased.test(String.fromCodePoint(c))) continue;
      const rep = orbitRepresentative(c);
      const list = byRep.get(rep);
      if (list) list.push(c);
      else byRep.set(rep, [c]);
    }
    orbitTable = new Map();
    for (const list of byRep.values()) if (list.length > 1) for (const c of list) orbitTable.set(c, list);
    foldable = [...orbitTable.keys()].sort((a, b) => a - b);
  }
  return orbitTable;
}

/**
 * @internal The simple case folding orbit of a code point (itself included), or undefined when it has
 * none.
 *
 * @param cp - a code point
 * @returns every code point that folds together with it, ascending
 */
export function foldOrbit(cp: number): readonly number[] | undefined {
  return orbits().get(cp);
}

/** The ranges closed under case folding (RE2 appendFoldedRange). */
function foldRanges(ranges: readonly Range[]): Range[] {
  const table = orbits();
  const out: Range[] = [...ranges];
  for (const [lo, hi] of normalize(ranges)) {
    // Binary search for the first foldable code point ≥ lo, then walk the (few) members up to hi.
    let a = 0;
    let b = foldable.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if ((foldable[mid] as number) < lo) a = mid + 1;
      else b = mid;
    }
    for (let i = a; i < foldable.length && (foldable[i] as number) <= hi; i++) {
      for (const o of table.get(foldable[i] as number) ?? []) out.push([o, o]);
    }
  }
  return normalize(out);
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isOctal = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x37;
const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const hexValue = (c: number | undefined): number => {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
};

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly names = new Set<string>();

  constructor(private readonly cps: readonly number[]) {}

  parse(): Node {
    const node = this.alternation({ i: false, m: false, s: false, U: false });
    if (this.pos < this.cps.length) throw syntax('unexpected )');
    return node;
  }

  private peek(offset = 0): number | undefined {
    return this.cps[this.pos + offset];
  }

  /** alternation := concat ('|' concat)*, up to an unmatched ')' or the end. */
  private alternation(start: Flags): Node {
    if (++this.depth > MAX_DEPTH) throw syntax('expression nests too deeply');
    let flags = start;
    const alts: Node[] = [];
    let items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === 0x29 /* ) */) break;
      if (c === 0x7c /* | */) {
        this.pos++;
        alts.push({ t: 'concat', items });
        items = [];
        continue;
      }
      if (c === 0x2a || c === 0x2b || c === 0x3f || (c === 0x7b && this.repeatCount() !== null)) {
        // `*`, `+`, `?` or `{n,m}` with nothing before it (Go: "missing argument to repetition operator").
        const prev = items[items.length - 1];
        if (prev === undefined) throw syntax('missing argument to repetition operator');
        if (prev.t === 'repeat') throw syntax('invalid nested repetition operator');
        items[items.length - 1] = this.repeat(prev, flags);
        continue;
      }
      if (c === 0x28 /* ( */ && this.peek(1) === 0x3f /* ? */) {
        const changed = this.flagGroup(flags);
        if (changed !== null) {
          flags = changed; // `(?flags)` applies to the rest of the current group
          continue;
        }
      }
      items.push(...this.atom(flags));
    }
    alts.push({ t: 'concat', items });
    this.depth--;
    return alts.length === 1 ? (alts[0] as Node) : { t: 'alt', alts };
  }

  /** Parses `{n}`, `{n,}`, `{n,m}` at the current position without consuming it; null when not a repeat. */
  private repeatCount(): { min: number; max: number; length: number } | null {
    let k = this.pos + 1;
    const num = (): number | null => {
      const begin = k;
      while (isDigit(this.cps[k])) k++;
      if (k === begin) return null;
      // Go rejects leading zeros only in the sense that "01" is fine; huge numbers are an error later.
      const text = String.fromCodePoint(...this.cps.slice(begin, k));
      return text.length > 8 ? Number.MAX_SAFE_INTEGER : Number(text);
    };
    const min = num();
    if (min === null) return null;
    let max = min;
    if (this.cps[k] === 0x2c /* , */) {
      k++;
      if (this.cps[k] === 0x7d) max = -1;
      else {
        const m = num();
        if (m === null) return null;
        max = m;
      }
    }
    if (this.cps[k] !== 0x7d /* } */) return null;
    return { min, max, length: k + 1 - this.pos };
  }

  private repeat(node: Node, flags: Flags): Node {
    const c = this.peek() as number;
    let min: number;
    let max: number;
    if (c === 0x7b) {
      const r = this.repeatCount() as { min: number; max: number; length: number };
      if (r.min > MAX_REPEAT || r.max > MAX_REPEAT || (r.max >= 0 && r.max < r.min)) throw syntax('invalid repeat count');
      this.pos += r.length;
      min = r.min;
      max = r.max < 0 ? Infinity : r.max;
    } else {
      this.pos++;
      min = c === 0x2b ? 1 : 0;
      max = c === 0x3f ? 1 : Infinity;
    }
    let lazy = false;
    if (this.peek() === 0x3f) {
      this.pos++;
      lazy = true;
    }
    // (?U) swaps the meaning of `x*` and `x*?`.
    if (flags.U) lazy = !lazy;
    const next = this.peek();
    if (next === 0x2a || next === 0x2b || next === 0x3f || (next === 0x7b && this.repeatCount() !== null)) throw syntax('invalid nested repetition operator');
    return { t: 'repeat', node, min, max, lazy };
  }

  /**
   * At `(?`: handles a flag group. Returns the new flags for `(?flags)`, or null when the group is
   * something else (left for {@link atom}); `(?flags:re)` is parsed by atom.
   */
  private flagGroup(flags: Flags): Flags | null {
    const parsed = this.parseFlags(flags, this.pos + 2);
    if (parsed === null || this.cps[parsed.end] !== 0x29) return null;
    this.pos = parsed.end + 1;
    return parsed.flags;
  }

  /** Parses `[imsU]*(-[imsU]+)?` starting at index k; null if the text there is not a flag list. */
  private parseFlags(flags: Flags, start: number): { flags: Flags; end: number } | null {
    const next: { i: boolean; m: boolean; s: boolean; U: boolean } = { ...flags };
    let k = start;
    let negate = false;
    let sawFlag = false;
    for (;; k++) {
      const c = this.cps[k];
      if (c === 0x69 || c === 0x6d || c === 0x73 || c === 0x55) {
        const name = String.fromCodePoint(c) as 'i' | 'm' | 's' | 'U';
        next[name] = !negate;
        sawFlag = true;
        continue;
      }
      if (c === 0x2d /* - */) {
        if (negate) throw syntax('invalid or unsupported Perl syntax: double negation in flags');
        negate = true;
        sawFlag = false;
        continue;
      }
      if (c === 0x29 || c === 0x3a) {
        if (!sawFlag && (negate || k === start)) {
          if (k === start && c === 0x3a) return null; // `(?:` is a plain group
          throw syntax('missing flags in flag group');
        }
        return { flags: next, end: k };
      }
      return null;
    }
  }

  private atom(flags: Flags): Node[] {
    const c = this.peek() as number;
    switch (c) {
      case 0x28: // (
        return [this.group(flags)];
      case 0x5b: // [
        return [this.charClass(flags)];
      case 0x2e: // .
        this.pos++;
        return [{ t: 'any', dotNl: flags.s }];
      case 0x5e: // ^
        this.pos++;
        // RE2 (?m) knows only \n as a line end; without it ^ is the start of the text.
        return [{ t: 'assert', js: flags.m ? '(?<![^\\n])' : '^' }];
      case 0x24: // $
        this.pos++;
        return [{ t: 'assert', js: flags.m ? '(?![^\\n])' : '$' }];
      case 0x5c: // backslash
        return this.escapeAtom(flags);
      default:
        this.pos++;
        if (c >= 0xd800 && c <= 0xdfff) throw syntax('invalid UTF-8');
        return [{ t: 'lit', cp: c, fold: flags.i }];
    }
  }

  private group(flags: Flags): Node {
    this.pos++; // (
    if (this.peek() === 0x3f /* ? */) {
      const n1 = this.peek(1);
      const n2 = this.peek(2);
      if (n1 === 0x3d || n1 === 0x21 || (n1 === 0x3c && (n2 === 0x3d || n2 === 0x21))) throw syntax('invalid or unsupported Perl syntax: lookaround is not allowed in RE2');
      if (n1 === 0x50 /* P */ || n1 === 0x3c /* < */) {
        // (?P<name>re) or (?<name>re): captures are irrelevant to matching, so the name is only checked.
        if (n1 === 0x50 && n2 !== 0x3c) throw syntax('invalid or unsupported Perl syntax: (?P');
        const begin = this.pos + (n1 === 0x50 ? 3 : 2);
        let k = begin;
        while (k < this.cps.length && this.cps[k] !== 0x3e /* > */) k++;
        if (k >= this.cps.length) throw syntax('invalid named capture');
        const name = String.fromCodePoint(...this.cps.slice(begin, k));
        if (!/^[A-Za-z0-9_]+$/.test(name)) throw syntax(`invalid named capture ${JSON.stringify(name)}`);
        if (this.names.has(name)) throw syntax(`duplicate capture group name ${JSON.stringify(name)}`);
        this.names.add(name);
        this.pos = k + 1;
        return this.groupBody(flags);
      }
      if (n1 === 0x3a /* : */) {
        this.pos += 2;
        return this.groupBody(flags);
      }
      const parsed = this.parseFlags(flags, this.pos + 1);
      if (parsed === null || this.cps[parsed.end] !== 0x3a) throw syntax('invalid or unsupported Perl syntax');
      this.pos = parsed.end + 1;
      return this.groupBody(parsed.flags);
    }
    return this.groupBody(flags);
  }

  private groupBody(flags: Flags): Node {
    const body = this.alternation(flags);
    if (this.peek() !== 0x29) throw syntax('missing closing )');
    this.pos++;
    return { t: 'group', body };
  }

  /** An escape outside a class: an assertion, a class, a literal, or `\Q…\E` (several literals). */
  private escapeAtom(flags: Flags): Node[] {
    const c = this.peek(1);
    if (c === undefined) throw syntax('trailing backslash at end of expression');
    switch (c) {
      case 0x41: // \A
        this.pos += 2;
        return [{ t: 'assert', js: '^' }];
      case 0x7a: // \z
        this.pos += 2;
        return [{ t: 'assert', js: '$' }];
      case 0x62: // \b (ASCII word boundary)
        this.pos += 2;
        return [{ t: 'assert', js: '\\b' }];
      case 0x42: // \B
        this.pos += 2;
        return [{ t: 'assert', js: '\\B' }];
      case 0x51: {
        // \Q…\E: everything up to \E (or the end) is literal.
        let k = this.pos + 2;
        const out: Node[] = [];
        while (k < this.cps.length && !(this.cps[k] === 0x5c && this.cps[k + 1] === 0x45)) {
          out.push({ t: 'lit', cp: this.cps[k] as number, fold: flags.i });
          k++;
        }
        this.pos = k < this.cps.length ? k + 2 : k;
        return out;
      }
      case 0x43: // \C
        throw unsupported('\\C (any byte) has no JavaScript equivalent');
      default:
        break;
    }
    const set = this.classEscape(flags);
    if (set) return [set];
    return [{ t: 'lit', cp: this.escapedChar(), fold: flags.i }];
  }

  /** `\d \D \s \S \w \W \pX \p{…} \PX \P{…}` at the current position, as a set node; null otherwise. */
  private classEscape(flags: Flags): Node | null {
    const set: CharSet = { ranges: [], props: [], foldedProps: false };
    if (!this.addClassEscape(set, flags)) return null;
    return { t: 'set', set, negated: false, fold: flags.i };
  }

  private addClassEscape(set: CharSet, flags: Flags): boolean {
    const c = this.peek(1);
    if (c === undefined) return false;
    const lower = String.fromCodePoint(c).toLowerCase();
    if (lower === 'd' || lower === 's' || lower === 'w') {
      this.pos += 2;
      addGroup(set, PERL[lower] as readonly Range[], c !== lower.charCodeAt(0), flags.i);
      return true;
    }
    if (c === 0x70 || c === 0x50) {
      // \pN, \p{Name}, \PN, \P{Name}, \p{^Name}
      let negated = c === 0x50;
      let name: string;
      if (this.peek(2) === 0x7b) {
        let k = this.pos + 3;
        while (k < this.cps.length && this.cps[k] !== 0x7d) k++;
        if (k >= this.cps.length) throw syntax('invalid character class range: missing }');
        name = String.fromCodePoint(...this.cps.slice(this.pos + 3, k));
        this.pos = k + 1;
      } else {
        const n = this.peek(2);
        if (n === undefined) throw syntax('invalid character class range');
        name = String.fromCodePoint(n);
        this.pos += 3;
      }
      if (name.startsWith('^')) {
        negated = !negated;
        name = name.slice(1);
      }
      addUnicodeClass(set, name, negated, flags.i);
      return true;
    }
    return false;
  }

  /** One escaped character (after the backslash): octal, hex, C escapes, escaped punctuation. */
  private escapedChar(): number {
    this.pos++; // backslash
    const c = this.peek();
    if (c === undefined) throw syntax('trailing backslash at end of expression');
    this.pos++;
    if (c >= 0x31 && c <= 0x37 && !isOctal(this.peek())) throw syntax('invalid escape sequence: backreferences are not allowed in RE2');
    if (c >= 0x30 && c <= 0x37) {
      // Up to three octal digits (Go: a single non-zero digit would be a backreference).
      let value = c - 0x30;
      for (let k = 1; k < 3 && isOctal(this.peek()); k++) value = value * 8 + ((this.cps[this.pos++] as number) - 0x30);
      return value;
    }
    if (c === 0x78 /* x */) {
      if (this.peek() === 0x7b) {
        let k = this.pos + 1;
        let value = 0;
        while (hexValue(this.cps[k]) >= 0) {
          value = value * 16 + hexValue(this.cps[k]);
          if (value > MAX_CODE_POINT) throw syntax('invalid escape sequence: code point too large');
          k++;
        }
        if (k === this.pos + 1 || this.cps[k] !== 0x7d) throw syntax('invalid escape sequence');
        this.pos = k + 1;
        return value;
      }
      const h1 = hexValue(this.peek());
      const h2 = hexValue(this.peek(1));
      if (h1 < 0 || h2 < 0) throw syntax('invalid escape sequence');
      this.pos += 2;
      return h1 * 16 + h2;
    }
    const simple: Record<number, number> = { 0x61: 7, 0x66: 12, 0x74: 9, 0x6e: 10, 0x72: 13, 0x76: 11 };
    if (simple[c] !== undefined) return simple[c];
    // Go: any ASCII punctuation may be escaped; letters and digits may not (they are reserved).
    if (c < 0x80 && !isAlnum(c)) return c;
    throw syntax(`invalid escape sequence \\${String.fromCodePoint(c)}`);
  }

  private charClass(flags: Flags): Node {
    this.pos++; // [
    let negated = false;
    if (this.peek() === 0x5e) {
      negated = true;
      this.pos++;
    }
    const set: CharSet = { ranges: [], props: [], foldedProps: false };
    let first = true; // `]` and `-` are literal as the first character
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw syntax('missing closing ]');
      if (c === 0x5d && !first) break;
      first = false;
      if (c === 0x5b && this.peek(1) === 0x3a && this.posixClass(set, flags)) continue;
      if (c === 0x5c && this.addClassEscape(set, flags)) continue;
      const lo = this.classChar();
      let hi = lo;
      if (this.peek() === 0x2d && this.peek(1) !== undefined && this.peek(1) !== 0x5d) {
        this.pos++;
        hi = this.classChar();
        if (hi < lo) throw syntax('invalid character class range');
      }
      addGroup(set, [[lo, hi]], false, flags.i);
    }
    this.pos++; // ]
    return { t: 'set', set: { ...set, ranges: normalize(set.ranges) }, negated, fold: flags.i };
  }

  private classChar(): number {
    const c = this.peek();
    if (c === undefined) throw syntax('missing closing ]');
    if (c === 0x5c) {
      const n = this.peek(1);
      if (n === 0x41 || n === 0x7a || n === 0x62 || n === 0x42 || n === 0x51 || n === 0x43) throw syntax('invalid escape sequence in character class');
      return this.escapedChar();
    }
    if (c >= 0xd800 && c <= 0xdfff) throw syntax('invalid UTF-8');
    this.pos++;
    return c;
  }

  /** `[:name:]` / `[:^name:]` inside a class; false (nothing consumed) when it is not one. */
  private posixClass(set: CharSet, flags: Flags): boolean {
    let k = this.pos + 2;
    while (k + 1 < this.cps.length && !(this.cps[k] === 0x3a && this.cps[k + 1] === 0x5d)) k++;
    if (k + 1 >= this.cps.length) return false;
    let name = String.fromCodePoint(...this.cps.slice(this.pos + 2, k));
    let negated = false;
    if (name.startsWith('^')) {
      negated = true;
      name = name.slice(1);
    }
    const ranges = Object.hasOwn(POSIX, name) ? POSIX[name] : undefined;
    if (ranges === undefined) throw syntax(`invalid character class range [:${name}:]`);
    this.pos = k + 2;
    addGroup(set, ranges, negated, flags.i);
    return true;
  }
}

/** Adds a (possibly negated) group to a set; under case folding RE2 folds the group first, then negates. */
function addGroup(set: CharSet, ranges: readonly Range[], negated: boolean, fold: boolean): void {
  let r: readonly Range[] = fold ? foldRanges(ranges) : ranges;
  if (negated) r = complement(r);
  set.ranges.push(...r);
}

function addUnicodeClass(set: CharSet, name: string, negated: boolean, fold: boolean): void {
  if (name === 'Any') {
    if (!negated) set.ranges.push([0, MAX_CODE_POINT]);
    return;
  }
  // RE2 accepts general categories by their short names (L, Lu, …) and scripts by their long names.
  let js: string;
  if (/^[A-Z][a-z]?$/.test(name)) js = name;
  else if (/^[A-Z][A-Za-z_]*$/.test(name)) js = `Script=${name}`;
  else throw syntax(`invalid character class range \\p{${name}}`);
  try {
    new RegExp(`\\p{${js}}`, 'u');
  } catch {
    throw syntax(`invalid character class range: unknown Unicode class ${JSON.stringify(name)}`);
  }
  if (fold && negated) {
    // RE2 folds the class, then negates it; JavaScript negates, then folds. They differ.
    throw unsupported(`a negated Unicode class (\\P{${name}}) under case-insensitive matching`);
  }
  if (fold) set.foldedProps = true;
  set.props.push(`\\${negated ? 'P' : 'p'}{${js}}`);
}

// ---- emission -------------------------------------------------------------------------------------

function hex(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

function literal(cp: number): string {
  return isAlnum(cp) ? String.fromCodePoint(cp) : hex(cp);
}

function emitSet(ranges: readonly Range[], props: readonly string[], negated: boolean): string {
  const parts = ranges.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`));
  if (!negated && parts.length === 0 && props.length === 0) return '[^\\u{0}-\\u{10ffff}]'; // matches nothing
  return `[${negated ? '^' : ''}${parts.join('')}${props.join('')}]`;
}

/** Whether case folding is on everywhere it matters, so the JavaScript `i` flag can do all of it. */
function foldsEverywhere(node: Node): boolean {
  switch (node.t) {
    case 'lit':
    case 'set':
      return node.fold;
    case 'group':
      return foldsEverywhere(node.body);
    case 'repeat':
      return foldsEverywhere(node.node);
    case 'concat':
      return node.items.every(foldsEverywhere);
    case 'alt':
      return node.alts.every(foldsEverywhere);
    default:
      return true;
  }
}

function hasCaseSensitiveAtoms(node: Node): boolean {
  switch (node.t) {
    case 'lit':
    case 'set':
      return true;
    case 'group':
      return hasCaseSensitiveAtoms(node.body);
    case 'repeat':
      return hasCaseSensitiveAtoms(node.node);
    case 'concat':
      return node.items.some(hasCaseSensitiveAtoms);
    case 'alt':
      return node.alts.some(hasCaseSensitiveAtoms);
    default:
      return false;
  }
}

function emit(node: Node, jsFold: boolean): string {
  switch (node.t) {
    case 'lit': {
      if (node.fold && !jsFold) {
        const orbit = foldOrbit(node.cp);
        if (orbit) return emitSet(normalize(orbit.map((c) => [c, c] as const)), [], false);
      }
      return literal(node.cp);
    }
    case 'set':
      if (node.set.foldedProps && !jsFold) throw unsupported('a Unicode class (\\p{…}) under a case-insensitive flag that does not cover the whole pattern');
      return emitSet(node.set.ranges, node.set.props, node.negated);
    case 'any':
      return node.dotNl ? '[\\s\\S]' : '[^\\n]';
    case 'assert':
      return node.js;
    case 'group':
      return `(?:${emit(node.body, jsFold)})`;
    case 'concat':
      return node.items.map((n) => emit(n, jsFold)).join('');
    case 'alt':
      return node.alts.map((n) => emit(n, jsFold)).join('|');
    case 'repeat': {
      const inner = emit(node.node, jsFold);
      // Assertions and multi-atom sequences (\Q…\E runs) are made quantifiable by wrapping them.
      const atomic = node.node.t === 'lit' || node.node.t === 'set' || node.node.t === 'any' || node.node.t === 'group';
      const base = atomic ? inner : `(?:${inner})`;
      let q: string;
      if (node.min === 0 && node.max === Infinity) q = '*';
      else if (node.min === 1 && node.max === Infinity) q = '+';
      else if (node.min === 0 && node.max === 1) q = '?';
      else if (node.max === Infinity) q = `{${node.min},}`;
      else if (node.min === node.max) q = `{${node.min}}`;
      else q = `{${node.min},${node.max}}`;
      return base + q + (node.lazy ? '?' : '');
    }
  }
}

/**
 * Compiles an RE2 pattern (Go `regexp` syntax, as sops uses it) to an equivalent JavaScript RegExp.
 *
 * The result tests unanchored, like Go's `MatchString`; it is never global or sticky, so `.test()` is
 * stateless.
 *
 * @param source - the RE2 pattern
 * @returns a RegExp with the `u` flag (and `i` when the whole pattern is case-insensitive)
 * @throws SecretsError CONFIG_INVALID when RE2 rejects the pattern (`details.reason` `syntax`), or when
 *   it is valid RE2 that JavaScript cannot express (`details.reason` `unsupported`)
 */
export function compileRe2(source: string): RegExp {
  try {
    const cps = Array.from(source, (ch) => ch.codePointAt(0) as number);
    const tree = new Parser(cps).parse();
    const jsFold = hasCaseSensitiveAtoms(tree) && foldsEverywhere(tree);
    const pattern = emit(tree, jsFold);
    try {
      return new RegExp(pattern, jsFold ? 'iu' : 'u');
    } catch (error) {
      throw unsupported(`translation failed (${error instanceof Error ? error.message : String(error)})`);
    }
  } catch (error) {
    if (!(error instanceof Re2Failure)) throw error;
    const what = error.reason === 'syntax' ? 'invalid regular expression' : 'unsupported regular expression';
    const tail = error.reason === 'unsupported' ? ' (valid in Go RE2, but it has no JavaScript equivalent)' : '';
    throw new SecretsError('CONFIG_INVALID', `${what} ${JSON.stringify(source)}: ${error.message}${tail}`, {
      details: { regex: source, reason: error.reason },
    });
  }
}

/**
 * Why {@link compileRe2} refused a pattern, from the error it threw.
 *
 * @param error - anything caught
 * @returns `syntax`, `unsupported`, or undefined when the error is not a refusal by compileRe2
 */
export function re2ErrorReason(error: unknown): Re2ErrorReason | undefined {
  if (!(error instanceof SecretsError) || error.code !== 'CONFIG_INVALID') return undefined;
  const reason = error.details.reason;
  return reason === 'syntax' || reason === 'unsupported' ? reason : undefined;
}
