/**
 * Allocation-light hex/bytes helpers for the hot paths (hashing and recovery). viem's
 * equivalents validate and allocate more; these are checked against them in the tests.
 */
import { CryptoError, CryptoErrorReason } from "./crypto-error.js";

/** Nibble value of a char code, or -1 ('0'-'9', 'a'-'f', 'A'-'F'). */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[97 + i] = 10 + i;
  NIBBLE[65 + i] = 10 + i;
}

/** ASCII codes of the hex digits. */
const HEX_CHAR = new Uint8Array(Array.from("0123456789abcdef", (c) => c.charCodeAt(0)));
/** Most char codes turned into a string by one `String.fromCharCode` call. */
const CHUNK = 8_192;
const fromCodes = (codes: Uint16Array, start: number, end: number): string =>
  String.fromCharCode.apply(null, codes.subarray(start, end) as unknown as number[]);

/** Scratch space of `bytesToHex` (grown on demand; the string copies out of it). */
let scratch = new Uint16Array(2 + 2 * 64);

/**
 * Lower-case `0x`-prefixed hex of `bytes[start, end)`, as a flat (sequential one-byte) string:
 * written into a scratch array of char codes and made a string in one call, not built by
 * concatenation, whose rope every later read or Map lookup of the string would have to flatten
 * first. No `Buffer`: it runs in a browser as it does in Node.
 */
export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): `0x${string}` {
  const n = end - start;
  if (n <= 0) return "0x";
  if (scratch.length < 2 + 2 * n) scratch = new Uint16Array(2 + 4 * n);
  const out = scratch;
  out[0] = 48; // '0'
  out[1] = 120; // 'x'
  for (let i = 0, j = 2; i < n; i++, j += 2) {
    const b = bytes[start + i]!;
    out[j] = HEX_CHAR[b >> 4]!;
    out[j + 1] = HEX_CHAR[b & 15]!;
  }
  const length = 2 + 2 * n;
  if (length <= CHUNK) return fromCodes(out, 0, length) as `0x${string}`;
  // Long strings (a commit's packed fills) in chunks: `apply` takes its arguments on the stack.
  let hex = "";
  for (let at = 0; at < length; at += CHUNK)
    hex += fromCodes(out, at, Math.min(length, at + CHUNK));
  return hex as `0x${string}`;
}

/**
 * Decodes `0x`-prefixed hex of exactly `length` bytes into `out` at `offset`. Returns false
 * (leaving `out` partly written) when the string is not exactly that.
 */
export function hexInto(hex: string, length: number, out: Uint8Array, offset: number): boolean {
  if (hex.length !== 2 + 2 * length || hex.charCodeAt(0) !== 48 || (hex.charCodeAt(1) | 32) !== 120)
    return false;
  for (let i = 0, j = 2; i < length; i++, j += 2) {
    const hi = NIBBLE[hex.charCodeAt(j)] ?? -1;
    const lo = NIBBLE[hex.charCodeAt(j + 1)] ?? -1;
    if (hi < 0 || lo < 0) return false;
    out[offset + i] = (hi << 4) | lo;
  }
  return true;
}

/** Decodes `0x`-prefixed hex of exactly `length` bytes, or throws `INVALID_MESSAGE_FIELD`. */
export function hexToFixedBytes(hex: string, length: number, what: string): Uint8Array {
  const out = new Uint8Array(length);
  if (!hexInto(hex, length, out, 0))
    throw new CryptoError(
      CryptoErrorReason.FieldOutOfRange,
      `${what}: expected ${length} bytes of hex`,
    );
  return out;
}

/** Unsigned big-endian comparison of equal-length byte strings: -1, 0 or 1. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
