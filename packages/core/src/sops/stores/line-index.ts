/**
 * Line and column numbers of offsets in a text, for error messages and for comment placement. Line breaks
 * are `\n`, `\r\n` and a lone `\r`, as YAML's.
 *
 * @internal
 */

/** A text's line starts, looked up by binary search. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) this.starts.push(i + 1);
    }
  }

  /** The 0-based line of an offset. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The offset at which a 0-based line starts. */
  lineStart(line: number): number {
    return this.starts[line]!;
  }

  /** The 0-based column of an offset (in UTF-16 code units). */
  columnOf(offset: number): number {
    return offset - this.lineStart(this.lineOf(offset));
  }
}
