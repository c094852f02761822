/**
 * CRC-32 (IEEE, zlib's) of a byte range, for journal record frames.
 *
 * zlib's native `crc32` costs a call into C++ and a `subarray` per record, about 215 ns on a
 * 117-byte order record here, most of it overhead; a table-driven slice-by-8 loop in JavaScript
 * does the same record in about 90 ns. From a few hundred bytes on the native code is faster, so
 * longer ranges go to it. The tests prove both paths equal zlib on every length and alignment.
 */
import { crc32 as zlibCrc32 } from "node:zlib";

/** Ranges up to this length are summed in JavaScript; longer ones by zlib. */
const JS_MAX = 256;

/** Slice-by-8 tables: TABLE[k * 256 + b] is the CRC of byte b followed by k zero bytes. */
const TABLE = new Int32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = TABLE[n]!;
  for (let k = 1; k < 8; k++) {
    c = TABLE[c & 0xff]! ^ (c >>> 8);
    TABLE[k * 256 + n] = c;
  }
}

/** CRC-32 of `buf[start, end)`, equal to `zlib.crc32(buf.subarray(start, end))`. */
export function crc32Range(buf: Uint8Array, start: number, end: number): number {
  if (end - start > JS_MAX) return zlibCrc32(buf.subarray(start, end));
  const t = TABLE;
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    c ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    c =
      t[1792 + (c & 0xff)]! ^
      t[1536 + ((c >>> 8) & 0xff)]! ^
      t[1280 + ((c >>> 16) & 0xff)]! ^
      t[1024 + (c >>> 24)]! ^
      t[768 + buf[i + 4]!]! ^
      t[512 + buf[i + 5]!]! ^
      t[256 + buf[i + 6]!]! ^
      t[buf[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
