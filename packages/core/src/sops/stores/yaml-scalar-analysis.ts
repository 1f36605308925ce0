/**
 * What go-yaml's emitter finds out about a scalar before it picks a style (`yaml_emitter_analyze_scalar`
 * in emitterc.go), and the libyaml character classes it uses (yamlprivateh.go), on code points.
 *
 * @internal
 */
/** libyaml `is_printable`: note that characters outside the BMP are not printable. */
export function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}
/** libyaml `is_break`. */
export const isBreak = (cp: number): boolean => cp === 0x0d || cp === 0x0a || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
const isBlank = (cp: number | undefined): boolean => cp === 0x20 || cp === 0x09;

/** Characters that make a scalar unusable as plain when they start it. */
const INDICATOR_START = new Set(Array.from('#,[]{}&*!|>\'"%@`', (ch) => ch.charCodeAt(0)));
/** Flow indicators anywhere after the first character. */
const FLOW_INDICATORS = new Set(Array.from(',?[]{}', (ch) => ch.charCodeAt(0)));

/** What `yaml_emitter_analyze_scalar` finds out about a scalar. */
export interface Analysis {
  readonly multiline: boolean;
  readonly flowPlain: boolean;
  readonly blockPlain: boolean;
  readonly single: boolean;
  readonly block: boolean;
}

// Shapes that make up almost all of a sops file (keys, ENC values, armored age blocks), whose analysis is
// known without the character loop below; `analyzeScalar` gives the same answer for them.
const SIMPLE = /^[A-Za-z0-9_/+=][A-Za-z0-9_./+=-]*$/;
const ENC_VALUE = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:[a-z]+\]$/;
const TOKEN_LINES = /^(?:[A-Za-z0-9+/=-]+(?: [A-Za-z0-9+/=-]+)*\n)+$/;
const SIMPLE_ANALYSIS: Analysis = { multiline: false, flowPlain: true, blockPlain: true, single: true, block: true };
const ENC_ANALYSIS: Analysis = { multiline: false, flowPlain: false, blockPlain: true, single: true, block: true };
const LINES_ANALYSIS: Analysis = { multiline: true, flowPlain: false, blockPlain: false, single: true, block: true };

/**
 * `yaml_emitter_analyze_scalar`, with shortcuts for common shapes.
 *
 * @internal
 */
export function analyze(value: string): Analysis {
  if (SIMPLE.test(value)) return SIMPLE_ANALYSIS;
  if (value.startsWith('ENC[') && ENC_VALUE.test(value)) return ENC_ANALYSIS;
  if (value.endsWith('\n') && TOKEN_LINES.test(value)) return LINES_ANALYSIS;
  return analyzeScalar(value);
}

/**
 * `yaml_emitter_analyze_scalar` character by character (exported for the tests of {@link analyze}).
 *
 * @internal
 */
export function analyzeScalar(value: string): Analysis {
  if (value.length === 0) return { multiline: false, flowPlain: false, blockPlain: true, single: true, block: false };
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let prevSpace = false;
  let prevBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  for (let i = 0; i < value.length; ) {
    const c = value.codePointAt(i)!;
    const width = c > 0xffff ? 2 : 1;
    const first = i === 0;
    const last = i + width >= value.length;
    const followedByWhitespace = last || isBlank(value.charCodeAt(i + width));
    if (first) {
      if (INDICATOR_START.has(c)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (c === 0x3f || c === 0x3a) {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (c === 0x2d && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (FLOW_INDICATORS.has(c)) {
      flowIndicators = true;
    } else if (c === 0x3a) {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (c === 0x23 && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (c === 0x09) tabs = true;
    else if (!isPrintable(c)) special = true;
    if (c === 0x20) {
      if (first) leadingSpace = true;
      if (last) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (first) leadingBreak = true;
      if (last) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    // is_blankz: blank, break or NUL
    precededByWhitespace = isBlank(c) || isBreak(c) || c === 0;
    i += width;
  }
  let flowPlain = true;
  let blockPlain = true;
  let single = true;
  let block = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) flowPlain = blockPlain = false;
  if (trailingSpace) block = false;
  if (breakSpace) flowPlain = blockPlain = single = false;
  if (spaceBreak || tabs || special) flowPlain = blockPlain = single = false;
  if (spaceBreak || special) block = false;
  if (lineBreaks) flowPlain = blockPlain = false;
  if (flowIndicators) flowPlain = false;
  if (blockIndicators) blockPlain = false;
  return { multiline: lineBreaks, flowPlain, blockPlain, single, block };
}

