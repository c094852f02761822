import type { Level } from "./level.js";
import type { Market } from "./market.js";
import type { Hex32 } from "./types.js";
import { u64ToNumber } from "./u64.js";

/** Where an order stands. FREE slots hold no order. */
export const FREE = 0;
/** Accepted: on the book, or (only while its own input runs) matching as the taker. */
export const OPEN = 1;
export const FILLED = 2;
export const CANCELLED = 3;
export const REJECTED = 4;
export const EXPIRED = 5;

/**
 * One order slot is 64 bytes (a cache line's worth) of one ArrayBuffer, seen as doubles and as
 * 32-bit integers:
 *
 *   doubles 0..4: lots open, lots filled, limit in ticks, expiry (unix s), acceptance seq
 *   ints 10..15: prev slot, next slot, trader id, level id, market index, flags word
 *
 * The flags word packs side (bit 0), status (bits 1-3), the signed order flags (bits 4-6) and
 * the signed maxFeeBps (bits 8-23). Lots and ticks are safe integers (see market.ts). An order's
 * total is lots + filled.
 *
 * What else the signed order says, read only by amends, nonce invalidations and snapshots, is in
 * a second buffer of 32-byte records (half a cache line), so matching never loads it:
 *
 *   doubles 0..2: signed limit in ticks, signed amount in lots, nonce
 *
 * A nonce above 2^53 is NaN there and its bigint is in a side map, and so is the exact expiry of
 * an order whose expiry is beyond 2^53 (stored as Infinity in the record): no value loses
 * precision, and ordinary orders cost no object at all.
 */
const STRIDE_F = 8;
const STRIDE_I = 16;
const LOTS = 0;
const FILLED_LOTS = 1;
const TICKS = 2;
const EXPIRY = 3;
const SEQ = 4;
const PREV = 10;
const NEXT = 11;
const TRADER = 12;
const LEVEL = 13;
const MARKET = 14;
const META = 15;
const COLD = 4;
const SIGNED_TICKS = 0;
const SIGNED_LOTS = 1;
const NONCE = 2;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);

/**
 * Every order the engine knows, as fixed-size records in one typed buffer indexed by slot (an
 * array of structs): no object per order, nothing for the garbage collector to trace or move,
 * and everything matching or cancelling reads about an order sits together, so a random access
 * costs one or two cache misses rather than one per field. A level's FIFO queue is a doubly
 * linked list of slots; levels and markets are referred to by small integer ids, resolved here.
 * The hash string is kept by slot beside it.
 *
 * A slot lives from acceptance until the order's expiry has passed: after it closes, the slot
 * keeps its status (for duplicate detection and status queries).
 */
export class OrderPool {
  capacity: number;
  /** Slots ever handed out; slots below it are in use or on the free list. */
  used = 0;
  private free: Int32Array;
  private freeCount = 0;
  private f: Float64Array;
  private i: Int32Array;
  /** The signed order's cold fields (see above). */
  private c: Float64Array;
  /** Nonces above 2^53, and signed expiries beyond 2^53, by slot (open orders only). */
  private readonly bigNonces = new Map<number, bigint>();
  private readonly bigExpiries = new Map<number, bigint>();
  hash: Array<Hex32 | undefined>;
  /** Levels by id; ids of removed levels are reused. */
  private readonly levels: Array<Level | undefined> = [];
  private readonly freeLevels: number[] = [];
  /** Markets by index (`Market.ix`). */
  readonly markets: Market[] = [];

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.free = new Int32Array(capacity);
    const buffer = new ArrayBuffer(capacity * STRIDE_F * 8);
    this.f = new Float64Array(buffer);
    this.i = new Int32Array(buffer);
    this.c = new Float64Array(capacity * COLD);
    this.hash = new Array<Hex32 | undefined>(capacity).fill(undefined);
    prefault([this.free, this.f, this.c]);
  }

  /** A fresh slot: all fields zero, links and level none, no references. */
  alloc(): number {
    let s: number;
    if (this.freeCount !== 0) s = this.free[--this.freeCount]!;
    else {
      if (this.used === this.capacity) this.grow();
      s = this.used++;
    }
    const b = s * STRIDE_I;
    this.i[b + PREV] = -1;
    this.i[b + NEXT] = -1;
    this.i[b + LEVEL] = -1;
    return s;
  }

  /** Return a closed order's slot (its expiry has passed, so nothing refers to it any more). */
  release(s: number): void {
    this.f.fill(0, s * STRIDE_F, (s + 1) * STRIDE_F);
    this.hash[s] = undefined;
    this.dropBig(s);
    this.free[this.freeCount++] = s;
  }

  /** Close an order: record `status` and let go of what only an open order needs. */
  close(s: number, status: number): void {
    this.setStatus(s, status);
    this.dropBig(s);
  }

  private dropBig(s: number): void {
    if (this.bigNonces.size !== 0) this.bigNonces.delete(s);
    if (this.bigExpiries.size !== 0) this.bigExpiries.delete(s);
  }

  // ---------------------------------------------------------------- fields

  lots(s: number): number {
    return this.f[s * STRIDE_F + LOTS]!;
  }
  setLots(s: number, v: number): void {
    this.f[s * STRIDE_F + LOTS] = v;
  }
  filled(s: number): number {
    return this.f[s * STRIDE_F + FILLED_LOTS]!;
  }
  setFilled(s: number, v: number): void {
    this.f[s * STRIDE_F + FILLED_LOTS] = v;
  }
  /** Current total lots (filled included): the signed amount unless amended. */
  total(s: number): number {
    const b = s * STRIDE_F;
    return this.f[b + LOTS]! + this.f[b + FILLED_LOTS]!;
  }
  /** Current limit in ticks: the signed price unless amended. */
  ticks(s: number): number {
    return this.f[s * STRIDE_F + TICKS]!;
  }
  setTicks(s: number, v: number): void {
    this.f[s * STRIDE_F + TICKS] = v;
  }
  /** Unix seconds; Infinity when beyond 2^53. */
  expiry(s: number): number {
    return this.f[s * STRIDE_F + EXPIRY]!;
  }
  setExpiry(s: number, v: number): void {
    this.f[s * STRIDE_F + EXPIRY] = v;
  }
  /** Keeps the exact signed expiry of an order whose `expiry` is Infinity (beyond 2^53). */
  setBigExpiry(s: number, signed: bigint): void {
    this.bigExpiries.set(s, signed);
  }
  /** The signed expiry, exactly (an open order's). */
  signedExpiry(s: number): bigint {
    const v = this.f[s * STRIDE_F + EXPIRY]!;
    return v === Infinity ? this.bigExpiries.get(s)! : BigInt(v);
  }
  /**
   * What the signed order says beyond the hot record: its limit in ticks and amount in lots
   * (exact, as the market checked them: price = ticks * tickSize) and its nonce.
   */
  setSigned(s: number, ticks: number, lots: number, nonce: bigint): void {
    const b = s * COLD;
    this.c[b + SIGNED_TICKS] = ticks;
    this.c[b + SIGNED_LOTS] = lots;
    let n = NaN;
    if (nonce <= MAX_SAFE_BIG && nonce >= 0n) n = u64ToNumber(nonce);
    else this.bigNonces.set(s, nonce);
    this.c[b + NONCE] = n;
  }
  /** The signed limit, in ticks (the current one, `ticks`, may be more conservative after an amend). */
  signedTicks(s: number): number {
    return this.c[s * COLD + SIGNED_TICKS]!;
  }
  /** The signed amount, in lots. */
  signedLots(s: number): number {
    return this.c[s * COLD + SIGNED_LOTS]!;
  }
  nonce(s: number): bigint {
    const n = this.c[s * COLD + NONCE]!;
    return n === n ? BigInt(n) : this.bigNonces.get(s)!;
  }
  /** Acceptance sequence: breaks expiry ties and orders walks deterministically. */
  seq(s: number): number {
    return this.f[s * STRIDE_F + SEQ]!;
  }
  setSeq(s: number, v: number): void {
    this.f[s * STRIDE_F + SEQ] = v;
  }
  prev(s: number): number {
    return this.i[s * STRIDE_I + PREV]!;
  }
  setPrev(s: number, v: number): void {
    this.i[s * STRIDE_I + PREV] = v;
  }
  next(s: number): number {
    return this.i[s * STRIDE_I + NEXT]!;
  }
  setNext(s: number, v: number): void {
    this.i[s * STRIDE_I + NEXT] = v;
  }
  /** Trader id (see MatchingEngine.traderOf). */
  trader(s: number): number {
    return this.i[s * STRIDE_I + TRADER]!;
  }
  setTrader(s: number, v: number): void {
    this.i[s * STRIDE_I + TRADER] = v;
  }
  side(s: number): number {
    return this.i[s * STRIDE_I + META]! & 1;
  }
  status(s: number): number {
    return (this.i[s * STRIDE_I + META]! >> 1) & 7;
  }
  setStatus(s: number, v: number): void {
    const b = s * STRIDE_I + META;
    this.i[b] = (this.i[b]! & ~14) | (v << 1);
  }
  /** The signed `maxFeeBps`. */
  maxFee(s: number): number {
    return (this.i[s * STRIDE_I + META]! >> 8) & 0xffff;
  }
  /** The signed order flags (post-only, IOC, FOK; at most one bit). */
  flags(s: number): number {
    return (this.i[s * STRIDE_I + META]! >> 4) & 7;
  }
  /** Side, status, order flags and fee cap at once (a new order). */
  setMeta(s: number, side: number, status: number, maxFee: number, flags = 0): void {
    this.i[s * STRIDE_I + META] = side | (status << 1) | (flags << 4) | (maxFee << 8);
  }
  market(s: number): Market {
    return this.markets[this.i[s * STRIDE_I + MARKET]!]!;
  }
  setMarket(s: number, m: Market): void {
    this.i[s * STRIDE_I + MARKET] = m.ix;
  }
  /** The level the order rests on, or undefined. */
  level(s: number): Level | undefined {
    const id = this.i[s * STRIDE_I + LEVEL]!;
    return id === -1 ? undefined : this.levels[id];
  }
  setLevel(s: number, level: Level | undefined): void {
    let id = -1;
    if (level !== undefined) {
      id = level.id;
      if (id === -1) {
        id = level.id = this.freeLevels.pop() ?? this.levels.length;
        this.levels[id] = level;
      }
    }
    this.i[s * STRIDE_I + LEVEL] = id;
  }
  /** A level left its book: its id may be reused. */
  dropLevel(level: Level): void {
    if (level.id === -1) return;
    this.levels[level.id] = undefined;
    this.freeLevels.push(level.id);
    level.id = -1;
  }

  private grow(): void {
    const n = this.capacity * 2;
    const free = new Int32Array(n);
    free.set(this.free);
    this.free = free;
    const buffer = new ArrayBuffer(n * STRIDE_F * 8);
    const f = new Float64Array(buffer);
    f.set(this.f);
    this.f = f;
    this.i = new Int32Array(buffer);
    const c = new Float64Array(n * COLD);
    c.set(this.c);
    this.c = c;
    this.hash.length = n;
    this.hash.fill(undefined, this.capacity);
    this.capacity = n;
  }

  /** Queue slot `s` at the tail of `level` (lowest time priority there). */
  append(level: Level, s: number): void {
    this.setLevel(s, level);
    this.setPrev(s, level.tail);
    this.setNext(s, -1);
    if (level.tail === -1) level.head = s;
    else this.setNext(level.tail, s);
    level.tail = s;
    level.lots += this.lots(s);
    level.count++;
  }

  /** Take slot `s` out of its level's queue; the caller removes the level if it empties. */
  unlink(s: number): void {
    const level = this.level(s)!;
    const prev = this.prev(s);
    const next = this.next(s);
    if (prev === -1) level.head = next;
    else this.setNext(prev, next);
    if (next === -1) level.tail = prev;
    else this.setPrev(next, prev);
    level.lots -= this.lots(s);
    level.count--;
    this.setPrev(s, -1);
    this.setNext(s, -1);
    this.setLevel(s, undefined);
  }
}

/**
 * Write every page of fresh typed arrays once. Their memory comes from the system untouched, and
 * the first write to each page faults; a sized engine should pay that when it is built, not in
 * the middle of matching an order (where it shows up as tail latency).
 */
export function prefault(arrays: ArrayBufferView[]): void {
  for (const a of arrays) new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(0);
}
