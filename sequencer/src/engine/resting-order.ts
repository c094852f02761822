import type { Address, Hex32, Order, Side } from "./types.js";
import type { Level } from "./book-side.js";

/**
 * An accepted order inside the engine: prices in ticks, sizes in lots (safe integers), linked
 * into its price level's FIFO queue. One object per order, allocated once, so the shape stays
 * monomorphic for V8.
 */
export class RestingOrder {
  /** Lots still open (on the book, or left to match while the order is the taker). */
  lots: number;
  /** Cumulative filled lots. */
  filled = 0;
  /** Current total lots (filled included): the signed amount unless amended down. */
  total: number;
  /** Current limit in ticks: the signed price unless amended. */
  ticks: number;
  /** Current limit in quote atoms, equal to `ticks * tickSize`. */
  price: bigint;
  level: Level | null = null;
  prev: RestingOrder | null = null;
  next: RestingOrder | null = null;

  constructor(
    readonly hash: Hex32,
    /** Lowercased, so self-trade checks compare like with like. */
    readonly trader: Address,
    readonly marketId: number,
    readonly side: Side,
    ticks: number,
    price: bigint,
    lots: number,
    /** Unix seconds; `Infinity` when beyond 2^53 (never, in practice). */
    readonly expiry: number,
    /** Acceptance sequence: breaks expiry ties and orders snapshots deterministically. */
    readonly seq: number,
    readonly signed: Order,
  ) {
    this.ticks = ticks;
    this.price = price;
    this.lots = lots;
    this.total = lots;
  }
}
