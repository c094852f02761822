/**
 * Allocation-light hex/bytes helpers for the hot paths (hashing and recovery). viem's
 * equivalents validate and allocate more; these are checked against them in the tests.
 */
import { CryptoError, CryptoErrorReason } from "./crypto-error.js";

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Nibble value of a char code, or -1 ('0'-'9', 'a'-'f', 'A'-'F'). */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[97 + i] = 10 + i;
  NIBBLE[65 + i] = 10 + i;
}

/** Lower-case `0x`-prefixed hex of `bytes[start, end)`. */
export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): `0x${string}` {
  let out = "0x";
  for (let i = start; i < end; i++) out += HEX_BYTE[bytes[i]!];
  return out as `0x${string}`;
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
