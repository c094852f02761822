import type { RestingOrder } from "./resting-order.js";
import type { Side } from "./types.js";

/** One price level: a FIFO queue of orders (an intrusive doubly linked list) and its total. */
export class Level {
  /** Sum of the open lots of the orders queued here; kept <= MAX_SAFE_INTEGER on insertion. */
  lots = 0;
  count = 0;
  head: RestingOrder | null = null;
  tail: RestingOrder | null = null;
  /** Input number that last touched the level, so each input reports it once. */
  stamp = 0;

  constructor(
    readonly side: Side,
    readonly ticks: number,
    /** `ticks * tickSize` in quote atoms, taken from the first order's price. */
    readonly price: bigint,
  ) {}
}

/**
 * One side of a book: levels sorted so that the best price is the last element (bids ascending,
 * asks descending). Matching takes and removes at the end in O(1); new levels near the touch
 * (where most arrive) move only a few elements. A map finds a level by its tick in O(1).
 */
export class BookSide {
  readonly levels: Level[] = [];
  private readonly byTicks = new Map<number, Level>();
  /** +1 for bids (higher is better), -1 for asks. */
  private readonly sign: number;

  constructor(readonly side: Side) {
    this.sign = side === 0 ? 1 : -1;
  }

  best(): Level | undefined {
    return this.levels[this.levels.length - 1];
  }

  get(ticks: number): Level | undefined {
    return this.byTicks.get(ticks);
  }

  /** The level at `ticks`, created (empty) if absent. */
  getOrCreate(ticks: number, price: bigint): Level {
    let level = this.byTicks.get(ticks);
    if (level !== undefined) return level;
    level = new Level(this.side, ticks, price);
    this.byTicks.set(ticks, level);
    const levels = this.levels;
    const key = ticks * this.sign;
    let i = levels.length;
    // A new best price is a push; anything else is a binary search for the insertion point.
    if (i === 0 || levels[i - 1]!.ticks * this.sign < key) {
      levels.push(level);
      return level;
    }
    let lo = 0;
    let hi = i - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (levels[mid]!.ticks * this.sign < key) lo = mid + 1;
      else hi = mid;
    }
    levels.splice(lo, 0, level);
    return level;
  }

  removeLevel(level: Level): void {
    this.byTicks.delete(level.ticks);
    const levels = this.levels;
    const last = levels.length - 1;
    if (levels[last] === level) {
      levels.pop();
      return;
    }
    const key = level.ticks * this.sign;
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (levels[mid]!.ticks * this.sign < key) lo = mid + 1;
      else hi = mid;
    }
    levels.splice(lo, 1);
  }

  /** Queue `order` at the tail of `level` (lowest time priority there). */
  static append(level: Level, order: RestingOrder): void {
    order.level = level;
    order.prev = level.tail;
    order.next = null;
    if (level.tail === null) level.head = order;
    else level.tail.next = order;
    level.tail = order;
    level.lots += order.lots;
    level.count++;
  }

  /** Take `order` out of its level's queue; the caller removes the level if it empties. */
  static unlink(order: RestingOrder): void {
    const level = order.level!;
    if (order.prev === null) level.head = order.next;
    else order.prev.next = order.next;
    if (order.next === null) level.tail = order.prev;
    else order.next.prev = order.prev;
    level.lots -= order.lots;
    level.count--;
    order.prev = null;
    order.next = null;
    order.level = null;
  }
}
