import type {
  Address,
  CancelInput,
  EngineInput,
  Hex32,
  PlaceInput,
} from "../../src/engine/types.js";
import { JournalError } from "../../src/journal/journal-error.js";

/**
 * Binary encoding of engine inputs, the journal's record payload. Orders, cancels and amends (the
 * hot path) are fixed layouts, big-endian; rare admin inputs are JSON. Layout of `place`:
 *   u8 type | f64 time | 32 orderHash | 20 trader | u32 marketId | u8 side | u8 flags |
 *   u16 maxFeeBps | u128 price | u128 amount | u64 nonce | u64 expiry        (117 bytes)
 */
const PLACE = 1;
const CANCEL = 2;
const AMEND = 3;
const EXPIRE = 4;
const INVALIDATE = 5;
const JSON_INPUT = 6;

/** Largest binary payload (place); JSON payloads are sized by `payloadBound`. */
const BINARY_BOUND = 128;
const TWO_32 = 2 ** 32;
const TWO_21 = 2 ** 21;
const U64_LIMIT = 1n << 64n;
const U128_LIMIT = 1n << 128n;
const MASK_64 = U64_LIMIT - 1n;

/** Bytes `encodeInput` may need for `input`. */
export function payloadBound(input: EngineInput): number {
  if (input.type === "addMarket" || input.type === "setMarketPaused") {
    return 1 + Buffer.byteLength(jsonOf(input));
  }
  return BINARY_BOUND;
}

/** Write `input` at `off`; returns the offset after it. `buf` must hold `payloadBound` bytes. */
export function encodeInput(input: EngineInput, buf: Buffer, off: number): number {
  switch (input.type) {
    case "place": {
      const o = input.order;
      buf[off] = PLACE;
      buf.writeDoubleBE(input.time, off + 1);
      hex(buf, off + 9, input.orderHash, 32);
      hex(buf, off + 41, o.trader, 20);
      buf.writeUInt32BE(checkInt(o.marketId, 0xffffffff, "marketId"), off + 61);
      buf[off + 65] = checkInt(o.side, 0xff, "side");
      buf[off + 66] = checkInt(o.flags, 0xff, "flags");
      buf.writeUInt16BE(checkInt(o.maxFeeBps, 0xffff, "maxFeeBps"), off + 67);
      u128(buf, off + 69, o.price, "price");
      u128(buf, off + 85, o.amount, "amount");
      u64(buf, off + 101, o.nonce, "nonce");
      u64(buf, off + 109, o.expiry, "expiry");
      return off + 117;
    }
    case "cancel":
      buf[off] = CANCEL;
      buf.writeDoubleBE(input.time, off + 1);
      hex(buf, off + 9, input.orderHash, 32);
      buf[off + 41] = input.source === "chain" ? 1 : 0;
      return off + 42;
    case "amend": {
      buf[off] = AMEND;
      buf.writeDoubleBE(input.time, off + 1);
      hex(buf, off + 9, input.orderHash, 32);
      buf[off + 41] = (input.amount !== undefined ? 1 : 0) | (input.price !== undefined ? 2 : 0);
      let p = off + 42;
      if (input.amount !== undefined) p = u128(buf, p, input.amount, "amount");
      if (input.price !== undefined) p = u128(buf, p, input.price, "price");
      return p;
    }
    case "expire":
      buf[off] = EXPIRE;
      buf.writeDoubleBE(input.time, off + 1);
      return off + 9;
    case "invalidateNonces":
      buf[off] = INVALIDATE;
      buf.writeDoubleBE(input.time, off + 1);
      hex(buf, off + 9, input.trader, 20);
      return u64(buf, off + 29, input.minNonce, "minNonce");
    default:
      buf[off] = JSON_INPUT;
      return off + 1 + buf.write(jsonOf(input), off + 1, "utf8");
  }
}

/** Read the input encoded in `buf[off, end)`. Throws INVALID_RECORD on an unknown layout. */
export function decodeInput(buf: Buffer, off: number, end: number): EngineInput {
  const type = buf[off];
  switch (type) {
    case PLACE:
      return readPlace(buf, off, newPlace());
    case CANCEL:
      return readCancel(buf, off, newCancel());
    case AMEND: {
      const mask = buf[off + 41]!;
      let p = off + 42;
      const input: EngineInput = {
        type: "amend",
        time: buf.readDoubleBE(off + 1),
        orderHash: readHex(buf, off + 9, 32) as Hex32,
      };
      if (mask & 1) {
        input.amount = readU128(buf, p);
        p += 16;
      }
      if (mask & 2) input.price = readU128(buf, p);
      return input;
    }
    case EXPIRE:
      return { type: "expire", time: buf.readDoubleBE(off + 1) };
    case INVALIDATE:
      return {
        type: "invalidateNonces",
        time: buf.readDoubleBE(off + 1),
        trader: readAddress(buf, off + 9),
        minNonce: readU64(buf, off + 29),
      };
    case JSON_INPUT:
      return JSON.parse(buf.toString("utf8", off + 1, end), (_k, v: unknown) =>
        typeof v === "string" && v.startsWith("n:") ? BigInt(v.slice(2)) : v,
      ) as EngineInput;
    default:
      throw new JournalError("INVALID_RECORD", `unknown input type ${String(type)}`);
  }
}

/**
 * `decodeInput`, but orders and cancels (nearly every record) are read into one object each that
 * the next call overwrites: for a consumer that keeps nothing of an input once it has applied it
 * (the engine copies what it keeps), such as replay. Spares two or three allocations per record,
 * and the young-generation collections they cost.
 */
export function reusingInputDecoder(): (buf: Buffer, off: number, end: number) => EngineInput {
  const place = newPlace();
  const cancel = newCancel();
  return (buf, off, end) => {
    const type = buf[off];
    if (type === PLACE) return readPlace(buf, off, place);
    if (type === CANCEL) return readCancel(buf, off, cancel);
    return decodeInput(buf, off, end);
  };
}

/** One shape for fresh and reused inputs, so the engine's reads of them stay monomorphic. */
function newPlace(): PlaceInput {
  return {
    type: "place",
    time: 0,
    orderHash: "0x" as Hex32,
    order: {
      trader: "0x" as Address,
      marketId: 0,
      side: 0,
      flags: 0,
      maxFeeBps: 0,
      price: 0n,
      amount: 0n,
      nonce: 0n,
      expiry: 0n,
    },
  };
}

function newCancel(): CancelInput {
  return { type: "cancel", time: 0, orderHash: "0x" as Hex32, source: "user" };
}

function readPlace(buf: Buffer, off: number, input: PlaceInput): PlaceInput {
  input.time = buf.readDoubleBE(off + 1);
  input.orderHash = readHex(buf, off + 9, 32) as Hex32;
  const o = input.order;
  o.trader = readAddress(buf, off + 41);
  o.marketId = buf.readUInt32BE(off + 61);
  o.side = buf[off + 65]!;
  o.flags = buf[off + 66]!;
  o.maxFeeBps = buf.readUInt16BE(off + 67);
  o.price = readU128(buf, off + 69);
  o.amount = readU128(buf, off + 85);
  o.nonce = readU64(buf, off + 101);
  o.expiry = readU64Interned(buf, off + 109);
  return input;
}

function readCancel(buf: Buffer, off: number, input: CancelInput): CancelInput {
  input.time = buf.readDoubleBE(off + 1);
  input.orderHash = readHex(buf, off + 9, 32) as Hex32;
  input.source = buf[off + 41] === 1 ? "chain" : "user";
  return input;
}

function jsonOf(input: EngineInput): string {
  return JSON.stringify(input, (_k, v: unknown) => (typeof v === "bigint" ? `n:${v}` : v));
}

/** Lowercase hex only, so a replayed id is the very string that was journaled. */
function hex(buf: Buffer, off: number, value: string, bytes: number): void {
  if (
    value.length !== 2 + 2 * bytes ||
    value.charCodeAt(0) !== 48 ||
    (value.charCodeAt(1) | 32) !== 120
  ) {
    throw new JournalError("INVALID_RECORD", `expected ${bytes}-byte 0x hex, got ${value}`);
  }
  if (bytes === 32) {
    for (let i = 2; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) {
        throw new JournalError("INVALID_RECORD", `order hash must be lowercase hex: ${value}`);
      }
    }
  }
  if (buf.write(value.slice(2), off, bytes, "hex") !== bytes) {
    throw new JournalError("INVALID_RECORD", `malformed hex ${value}`);
  }
}

/**
 * ASCII of "0x" then two lowercase hex digits per byte, built in place: `HEX_PAIRS[b]` is the two
 * digits of byte b as one little-endian 16-bit word, so each byte is one store.
 */
const hexScratch = Buffer.alloc(2 + 2 * 32, "0x");
const hexPairs = new Uint16Array(hexScratch.buffer, hexScratch.byteOffset, hexScratch.length >> 1);
const HEX_PAIRS = new Uint16Array(256);
for (let b = 0; b < 256; b++) {
  const digits = Buffer.from(b.toString(16).padStart(2, "0"), "latin1");
  HEX_PAIRS[b] = digits[0]! | (digits[1]! << 8);
}
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("input-codec: the hex table assumes a little-endian machine");
}

/**
 * `buf.toString("latin1", start, end)` without its argument and encoding checks, which cost more
 * than the copy for a 66-character hash: Buffer's own `latin1Slice` where Node has it.
 */
const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as unknown as Latin1Slicer).latin1Slice === "function"
    ? (buf, start, end) => (buf as unknown as Latin1Slicer).latin1Slice(start, end)
    : (buf, start, end) => buf.toString("latin1", start, end);

interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

/**
 * "0x" + lowercase hex of `bytes` bytes, as one flat string: `"0x" + toString("hex")` makes a
 * cons string that every later Map lookup and comparison has to flatten first.
 */
function readHex(buf: Buffer, off: number, bytes: number): string {
  const pairs = hexPairs;
  for (let i = 0; i < bytes; i++) pairs[1 + i] = HEX_PAIRS[buf[off + i]!]!;
  return latin1(hexScratch, 0, 2 + 2 * bytes);
}

/**
 * Traders recur on almost every record, so their address strings are interned: a small
 * direct-mapped cache keyed by the 20 bytes. A hit returns the string made the first time
 * (no new string to build, hash or compare by content downstream); a miss builds it with
 * `readHex` and takes the entry.
 */
const ADDRESS_CACHE = 1024;
const cachedBytes = new Uint8Array(ADDRESS_CACHE * 20);
const cachedAddress: Array<Address | undefined> = new Array<Address | undefined>(
  ADDRESS_CACHE,
).fill(undefined);

function readAddress(buf: Buffer, off: number): Address {
  let h = 0x811c9dc5;
  for (let i = 0; i < 20; i++) h = Math.imul(h ^ buf[off + i]!, 0x01000193);
  const slot = (h >>> 0) % ADDRESS_CACHE;
  const hit = cachedAddress[slot];
  if (hit !== undefined) {
    let same = true;
    for (let i = 0, c = slot * 20; i < 20; i++, c++) {
      if (cachedBytes[c] !== buf[off + i]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const address = readHex(buf, off, 20) as Address;
  cachedBytes.set(buf.subarray(off, off + 20), slot * 20);
  cachedAddress[slot] = address;
  return address;
}

function checkInt(v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new JournalError("INVALID_RECORD", `${field} out of range: ${v}`);
  }
  return v;
}

function u64(buf: Buffer, off: number, v: bigint, field: string): number {
  if (v < 0n || v >= U64_LIMIT) throw new JournalError("INVALID_RECORD", `${field} out of range`);
  if (v < 9_007_199_254_740_992n) {
    const n = Number(v);
    buf.writeUInt32BE(Math.floor(n / TWO_32), off);
    buf.writeUInt32BE(n % TWO_32, off + 4);
  } else {
    buf.writeBigUInt64BE(v, off);
  }
  return off + 8;
}

function u128(buf: Buffer, off: number, v: bigint, field: string): number {
  if (v < 0n || v >= U128_LIMIT) throw new JournalError("INVALID_RECORD", `${field} out of range`);
  if (v < U64_LIMIT) {
    buf.writeUInt32BE(0, off);
    buf.writeUInt32BE(0, off + 4);
    return u64(buf, off + 8, v, field);
  }
  buf.writeBigUInt64BE(v >> 64n, off);
  buf.writeBigUInt64BE(v & MASK_64, off + 8);
  return off + 16;
}

function readU64(buf: Buffer, off: number): bigint {
  const hi = buf.readUInt32BE(off);
  // Below 2^53 the number path is exact and much cheaper than bigint arithmetic.
  if (hi < TWO_21) return BigInt(hi * TWO_32 + buf.readUInt32BE(off + 4));
  return buf.readBigUInt64BE(off);
}

/**
 * Prices, amounts and expiries recur (a market's ticks and lots, one expiry per client), so their
 * bigints are interned like addresses: a direct-mapped cache keyed by the 64 bits. A hit costs no
 * allocation, and the bigint the first record made is handed out again. Nonces, which rarely
 * repeat, go to `readU64`.
 */
const BIGINT_CACHE_BITS = 12;
const cachedWords = new Uint32Array(2 << BIGINT_CACHE_BITS);
const cachedBigint: Array<bigint | undefined> = new Array<bigint | undefined>(
  1 << BIGINT_CACHE_BITS,
).fill(undefined);

function readU64Interned(buf: Buffer, off: number): bigint {
  const hi = buf.readUInt32BE(off);
  const lo = buf.readUInt32BE(off + 4);
  const slot = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b) >>> (32 - BIGINT_CACHE_BITS);
  const hit = cachedBigint[slot];
  if (hit !== undefined && cachedWords[2 * slot] === hi && cachedWords[2 * slot + 1] === lo) {
    return hit;
  }
  const value = readU64(buf, off);
  cachedWords[2 * slot] = hi;
  cachedWords[2 * slot + 1] = lo;
  cachedBigint[slot] = value;
  return value;
}

function readU128(buf: Buffer, off: number): bigint {
  if (buf.readUInt32BE(off) === 0 && buf.readUInt32BE(off + 4) === 0) {
    return readU64Interned(buf, off + 8);
  }
  return (buf.readBigUInt64BE(off) << 64n) | buf.readBigUInt64BE(off + 8);
}
