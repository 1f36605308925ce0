/**
 * Small byte helpers shared by every layer. Pure; no Node-only APIs beyond Buffer for base64.
 *
 * Internal to the library: not exported from the package entry. (Not tagged internal: on a file header
 * that tag makes `stripInternal` drop the import below it from the typings.)
 */

const encoder = /* @__PURE__ */ new TextEncoder();
const strictDecoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true });

/** UTF-8 encode a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** UTF-8 decode bytes; throws TypeError on invalid UTF-8. */
export function fromUtf8(bytes: Uint8Array): string {
  return strictDecoder.decode(bytes);
}

/** Concatenate byte arrays into a fresh one. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Constant-time equality for equal-length inputs (length itself is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Overwrite a buffer holding secret material with zeros once it is no longer needed. */
export function wipe(...buffers: readonly (Uint8Array | undefined)[]): void {
  // Typed-array fill even for a Buffer: Buffer's own `fill` checks its arguments in JavaScript first,
  // which costs more than the fill for 32 bytes in a process that has not warmed up.
  for (const b of buffers) if (b) Uint8Array.prototype.fill.call(b, 0);
}

/**
 * The same memory as a Buffer (no copy), for Node's encoders: wiping one wipes the other.
 *
 * @internal (out of the typings: they must compile without @types/node)
 */
export function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Standard base64 (RFC 4648 §4) encoding.
 *
 * @param bytes - input
 * @param padded - keep `=` padding (sops, PEM) or drop it (age stanzas)
 */
export function toBase64(bytes: Uint8Array, padded = true): string {
  const s = bufferOf(bytes).toString('base64');
  return padded ? s : s.replace(/=+$/, '');
}

/**
 * Strict standard base64 decoding: rejects characters outside the alphabet and non-canonical encodings
 * (age §"Canonical base64" requires this; Buffer.from alone silently accepts garbage).
 *
 * @param text - the base64 text
 * @param padding - `required` (PEM/sops), `forbidden` (age stanzas) or `optional`
 * @returns the bytes, or null when the text is not canonical base64
 */
export function fromBase64(text: string, padding: 'required' | 'forbidden' | 'optional' = 'required'): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const hasPad = text.endsWith('=');
  if (padding === 'forbidden' && hasPad) return null;
  if (padding === 'required' && text.length % 4 !== 0) return null;
  if (hasPad && text.length % 4 !== 0) return null;
  if (!hasPad && text.length % 4 === 1) return null;
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  // Canonical check: re-encoding must give back the same text (catches non-zero trailing bits).
  if (toBase64(bytes, hasPad || padding === 'required') !== text) return null;
  return bytes;
}

/** Lowercase hex encoding. */
export function toHex(bytes: Uint8Array): string {
  return bufferOf(bytes).toString('hex');
}
