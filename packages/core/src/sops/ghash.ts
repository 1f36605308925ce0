/**
 * GHASH (NIST SP 800-38D §6.4) in constant time, for `gcm-batch.ts`.
 *
 * Carry-less multiplication is done with integer multiplications on operands whose bits are spread
 * four apart, so that carries never reach a bit that is kept (the technique of BearSSL's
 * `ghash_ctmul32`): no table is indexed by secret data and no branch depends on it. The 128-bit product
 * is two levels of Karatsuba over 32-bit words; `Math.imul` gives the low halves of the 32-bit products,
 * the products of the bit-reversed words give the high halves.
 *
 * Field elements are four 32-bit words with x^0 in bit 0 of the first word ("natural" order). GCM's
 * bit order is reflected (x^0 is the most significant bit of a block's first byte), so input bytes are
 * bit-reversed on the way in (by table: they are public) and the result on the way out.
 */

/** Carry-less product of two 32-bit words, low 32 bits. */
function bmul32(x: number, y: number): number {
  const x0 = x & 0x11111111;
  const x1 = x & 0x22222222;
  const x2 = x & 0x44444444;
  const x3 = x & 0x88888888;
  const y0 = y & 0x11111111;
  const y1 = y & 0x22222222;
  const y2 = y & 0x44444444;
  const y3 = y & 0x88888888;
  // At most 8 partial products meet at one bit: their sum stays below the next bit of the same class.
  const z0 = Math.imul(x0, y0) ^ Math.imul(x1, y3) ^ Math.imul(x2, y2) ^ Math.imul(x3, y1);
  const z1 = Math.imul(x0, y1) ^ Math.imul(x1, y0) ^ Math.imul(x2, y3) ^ Math.imul(x3, y2);
  const z2 = Math.imul(x0, y2) ^ Math.imul(x1, y1) ^ Math.imul(x2, y0) ^ Math.imul(x3, y3);
  const z3 = Math.imul(x0, y3) ^ Math.imul(x1, y2) ^ Math.imul(x2, y1) ^ Math.imul(x3, y0);
  return (z0 & 0x11111111) | (z1 & 0x22222222) | (z2 & 0x44444444) | (z3 & 0x88888888);
}

/** The 32 bits of a word in reverse order. */
export function rev32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return (x >>> 16) | (x << 16);
}

/** Each byte value with its bits reversed (applied to public bytes only). */
const REV8 = /* @__PURE__ */ (() => {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) table[i] = rev32(i) >>> 24;
  return table;
})();

/** The natural-order word of four block bytes b0..b3 (GCM order), zero past `end`. */
function naturalWord(bytes: Uint8Array, at: number, end: number): number {
  if (at + 4 <= end) return (REV8[bytes[at] as number] as number) | ((REV8[bytes[at + 1] as number] as number) << 8) | ((REV8[bytes[at + 2] as number] as number) << 16) | ((REV8[bytes[at + 3] as number] as number) << 24);
  let w = 0;
  for (let i = 0; i < 4 && at + i < end; i++) w |= (REV8[bytes[at + i] as number] as number) << (8 * i);
  return w;
}

/** The same for the char codes of a string known to be ASCII. */
function naturalAsciiWord(text: string, at: number): number {
  let w = 0;
  for (let i = 0; i < 4 && at + i < text.length; i++) w |= (REV8[text.charCodeAt(at + i)] as number) << (8 * i);
  return w;
}

/** GHASH with a fixed key H; the state Y starts at zero. */
export class Ghash {
  /** H's nine Karatsuba operands, then the same bit-reversed. */
  private readonly h = new Int32Array(18);
  private y0 = 0;
  private y1 = 0;
  private y2 = 0;
  private y3 = 0;

  /**
   * @param key - H, as the 16-byte block E(K, 0^128)
   */
  constructor(key: Uint8Array) {
    const h0 = naturalWord(key, 0, 16);
    const h1 = naturalWord(key, 4, 16);
    const h2 = naturalWord(key, 8, 16);
    const h3 = naturalWord(key, 12, 16);
    const operands = [h0, h1, h0 ^ h1, h2, h3, h2 ^ h3, h0 ^ h2, h1 ^ h3, h0 ^ h1 ^ h2 ^ h3];
    for (let i = 0; i < 9; i++) {
      this.h[i] = operands[i] as number;
      this.h[i + 9] = rev32(operands[i] as number);
    }
  }

  /** Sets Y back to zero. */
  reset(): void {
    this.y0 = this.y1 = this.y2 = this.y3 = 0;
  }

  /** Forgets H and Y. */
  wipe(): void {
    this.reset();
    this.h.fill(0);
  }

  /** Absorbs `bytes[start, end)`, the last block zero-padded. */
  bytes(bytes: Uint8Array, start: number, end: number): void {
    for (let i = start; i < end; i += 16) this.block(naturalWord(bytes, i, end), naturalWord(bytes, i + 4, end), naturalWord(bytes, i + 8, end), naturalWord(bytes, i + 12, end));
  }

  /** Absorbs the bytes of a string known to be ASCII, the last block zero-padded. */
  ascii(text: string): void {
    for (let i = 0; i < text.length; i += 16) this.block(naturalAsciiWord(text, i), naturalAsciiWord(text, i + 4), naturalAsciiWord(text, i + 8), naturalAsciiWord(text, i + 12));
  }

  /** Absorbs the lengths block: the byte lengths of two parts, as 64-bit big-endian bit counts. */
  lengths(first: number, second: number): void {
    const be = [Math.floor(first / 2 ** 29), (first * 8) >>> 0, Math.floor(second / 2 ** 29), (second * 8) >>> 0];
    this.block(rev32(be[0] as number), rev32(be[1] as number), rev32(be[2] as number), rev32(be[3] as number));
  }

  /**
   * Y as a block's four big-endian words (a tag or a J0).
   *
   * @param out - receives the words
   * @param at - where in `out`
   */
  digestWords(out: Int32Array, at: number): void {
    out[at] = rev32(this.y0);
    out[at + 1] = rev32(this.y1);
    out[at + 2] = rev32(this.y2);
    out[at + 3] = rev32(this.y3);
  }

  /** Y = (Y xor X) * H, X given in natural order. */
  private block(n0: number, n1: number, n2: number, n3: number): void {
    const h = this.h;
    const x0 = this.y0 ^ n0;
    const x1 = this.y1 ^ n1;
    const x2 = this.y2 ^ n2;
    const x3 = this.y3 ^ n3;
    const r0 = rev32(x0);
    const r1 = rev32(x1);
    const r2 = rev32(x2);
    const r3 = rev32(x3);
    // Karatsuba: the low words (x0, x1), the high words (x2, x3) and their xor, each as three products.
    const p0 = bmul32(x0, (h[0] as number));
    const p1 = bmul32(x1, (h[1] as number));
    const p2 = bmul32(x0 ^ x1, (h[2] as number));
    const p3 = bmul32(x2, (h[3] as number));
    const p4 = bmul32(x3, (h[4] as number));
    const p5 = bmul32(x2 ^ x3, (h[5] as number));
    const p6 = bmul32(x0 ^ x2, (h[6] as number));
    const p7 = bmul32(x1 ^ x3, (h[7] as number));
    const p8 = bmul32(x0 ^ x1 ^ x2 ^ x3, (h[8] as number));
    // The same on reversed words: rev32(product) >>> 1 is the high half. Reversal is linear, so the
    // halves are combined first and each of the product's words reversed once.
    const q0 = bmul32(r0, (h[9] as number));
    const q1 = bmul32(r1, (h[10] as number));
    const q2 = bmul32(r0 ^ r1, (h[11] as number));
    const q3 = bmul32(r2, (h[12] as number));
    const q4 = bmul32(r3, (h[13] as number));
    const q5 = bmul32(r2 ^ r3, (h[14] as number));
    const q6 = bmul32(r0 ^ r2, (h[15] as number));
    const q7 = bmul32(r1 ^ r3, (h[16] as number));
    const q8 = bmul32(r0 ^ r1 ^ r2 ^ r3, (h[17] as number));
    const a2 = q0 ^ q1 ^ q2;
    const b2 = q3 ^ q4 ^ q5;
    const m2 = q6 ^ q7 ^ q8;
    // The 256-bit product z0..z7.
    const z0 = p0;
    const z1 = (rev32(q0) >>> 1) ^ p2 ^ p0 ^ p1;
    const z2 = (rev32(a2) >>> 1) ^ p1 ^ p6 ^ p0 ^ p3;
    const z3 = (rev32(q1 ^ q6 ^ q0 ^ q3) >>> 1) ^ p8 ^ p6 ^ p7 ^ p2 ^ p0 ^ p1 ^ p5 ^ p3 ^ p4;
    const z4 = (rev32(m2 ^ a2 ^ b2) >>> 1) ^ p3 ^ p7 ^ p1 ^ p4;
    const z5 = (rev32(q3 ^ q7 ^ q1 ^ q4) >>> 1) ^ p5 ^ p3 ^ p4;
    const z6 = (rev32(b2) >>> 1) ^ p4;
    const z7 = rev32(q4) >>> 1;
    // Reduction modulo x^128 + x^7 + x^2 + x + 1: the high half folded in twice.
    const c = (z7 >>> 31) ^ (z7 >>> 30) ^ (z7 >>> 25);
    this.y0 = z0 ^ z4 ^ (z4 << 1) ^ (z4 << 2) ^ (z4 << 7) ^ c ^ (c << 1) ^ (c << 2) ^ (c << 7);
    this.y1 = z1 ^ z5 ^ (z5 << 1) ^ (z4 >>> 31) ^ (z5 << 2) ^ (z4 >>> 30) ^ (z5 << 7) ^ (z4 >>> 25);
    this.y2 = z2 ^ z6 ^ (z6 << 1) ^ (z5 >>> 31) ^ (z6 << 2) ^ (z5 >>> 30) ^ (z6 << 7) ^ (z5 >>> 25);
    this.y3 = z3 ^ z7 ^ (z7 << 1) ^ (z6 >>> 31) ^ (z7 << 2) ^ (z6 >>> 30) ^ (z7 << 7) ^ (z6 >>> 25);
  }
}
