import type { Level } from "./book-side.js";
import type { Market } from "./market.js";
import type { Hex32, Order } from "./types.js";

/** Where an order stands. FREE slots hold no order. */
export const FREE = 0;
/** Accepted: on the book, or (only while its own input runs) matching as the taker. */
export const OPEN = 1;
export const FILLED = 2;
export const CANCELLED = 3;
export const REJECTED = 4;
export const EXPIRED = 5;

/**
 * Every order the engine knows, as parallel typed arrays indexed by slot (struct of arrays): no
 * object per order, so accepting one allocates nothing the garbage collector has to trace or move,
 * and a level's FIFO queue is a linked list of slot numbers. Prices are ticks and sizes lots, safe
 * integers (see market.ts), in Float64Arrays.
 *
 * A slot lives from acceptance until the order's expiry has passed: after it closes, the slot
 * keeps its status (for duplicate detection and status queries) and drops its object references.
 * Arrays are replaced when the pool grows, so callers re-read them after `alloc`.
 */
export class OrderPool {
  capacity: number;
  /** Slots ever handed out; slots below it are in use or on the free list. */
  used = 0;
  private free: Int32Array;
  private freeCount = 0;

  /** Lots still open (on the book, or left to match while the order is the taker). */
  lots: Float64Array;
  /** Cumulative filled lots. */
  filled: Float64Array;
  /** Current total lots (filled included): the signed amount unless amended down. */
  total: Float64Array;
  /** Current limit in ticks: the signed price unless amended. */
  ticks: Float64Array;
  /** Unix seconds; Infinity when beyond 2^53. */
  expiry: Float64Array;
  /** Acceptance sequence: breaks expiry ties and orders walks deterministically. */
  seq: Float64Array;
  prev: Int32Array;
  next: Int32Array;
  /** Trader id (see MatchingEngine.traderOf). */
  trader: Int32Array;
  side: Uint8Array;
  status: Uint8Array;
  /** The signed `maxFeeBps`. */
  maxFee: Uint16Array;
  /** Current limit in quote atoms (ticks * tickSize); open orders only. */
  price: Array<bigint | undefined>;
  hash: Array<Hex32 | undefined>;
  /** The signed order; open orders only. */
  signed: Array<Order | undefined>;
  level: Array<Level | null>;
  market: Array<Market | undefined>;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.free = new Int32Array(capacity);
    this.lots = new Float64Array(capacity);
    this.filled = new Float64Array(capacity);
    this.total = new Float64Array(capacity);
    this.ticks = new Float64Array(capacity);
    this.expiry = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.trader = new Int32Array(capacity);
    this.side = new Uint8Array(capacity);
    this.status = new Uint8Array(capacity);
    this.maxFee = new Uint16Array(capacity);
    this.price = new Array<bigint | undefined>(capacity).fill(undefined);
    this.hash = new Array<Hex32 | undefined>(capacity).fill(undefined);
    this.signed = new Array<Order | undefined>(capacity).fill(undefined);
    this.level = new Array<Level | null>(capacity).fill(null);
    this.market = new Array<Market | undefined>(capacity).fill(undefined);
    prefault(this.numericColumns());
  }

  private numericColumns(): ArrayBufferView[] {
    return [
      this.free,
      this.lots,
      this.filled,
      this.total,
      this.ticks,
      this.expiry,
      this.seq,
      this.prev,
      this.next,
      this.trader,
      this.side,
      this.status,
      this.maxFee,
    ];
  }

  /** A fresh slot; its numeric fields are zero and its references empty. */
  alloc(): number {
    if (this.freeCount !== 0) return this.free[--this.freeCount]!;
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  /** Return a closed order's slot (its expiry has passed, so nothing refers to it any more). */
  release(s: number): void {
    this.lots[s] = 0;
    this.filled[s] = 0;
    this.total[s] = 0;
    this.ticks[s] = 0;
    this.expiry[s] = 0;
    this.seq[s] = 0;
    this.prev[s] = 0;
    this.next[s] = 0;
    this.trader[s] = 0;
    this.side[s] = 0;
    this.status[s] = FREE;
    this.maxFee[s] = 0;
    this.price[s] = undefined;
    this.hash[s] = undefined;
    this.signed[s] = undefined;
    this.level[s] = null;
    this.market[s] = undefined;
    this.free[this.freeCount++] = s;
  }

  /** Close an order: record `status` and let go of what only an open order needs. */
  close(s: number, status: number): void {
    this.status[s] = status;
    this.price[s] = undefined;
    this.signed[s] = undefined;
  }

  private grow(): void {
    const n = this.capacity * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.free = i32(this.free);
    this.lots = f64(this.lots);
    this.filled = f64(this.filled);
    this.total = f64(this.total);
    this.ticks = f64(this.ticks);
    this.expiry = f64(this.expiry);
    this.seq = f64(this.seq);
    this.prev = i32(this.prev);
    this.next = i32(this.next);
    this.trader = i32(this.trader);
    const side = new Uint8Array(n);
    side.set(this.side);
    this.side = side;
    const status = new Uint8Array(n);
    status.set(this.status);
    this.status = status;
    const maxFee = new Uint16Array(n);
    maxFee.set(this.maxFee);
    this.maxFee = maxFee;
    for (const a of [this.price, this.hash, this.signed, this.market] as unknown[][]) {
      a.length = n;
      a.fill(undefined, this.capacity);
    }
    this.level.length = n;
    this.level.fill(null, this.capacity);
    this.capacity = n;
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
