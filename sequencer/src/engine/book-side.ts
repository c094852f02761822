import type { OrderPool } from "./order-pool.js";
import type { Side } from "./types.js";

/** One price level: a FIFO queue of order slots (a doubly linked list) and its total. */
export class Level {
  /** Sum of the open lots of the orders queued here; kept <= MAX_SAFE_INTEGER on insertion. */
  lots = 0;
  count = 0;
  /** First and last slot in the queue, -1 when empty. */
  head = -1;
  tail = -1;
  /** Input number that last touched the level, so each input reports it once. */
  stamp = 0;
  /** Id by which orders refer to the level (OrderPool), -1 until one rests on it. */
  id = -1;

  constructor(
    readonly side: Side,
    readonly ticks: number,
    /** `ticks * tickSize` in quote atoms. */
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

  /** The level at `ticks`, created (empty, priced by `priceOf`) if absent. */
  getOrCreate(ticks: number, priceOf: (ticks: number) => bigint): Level {
    let level = this.byTicks.get(ticks);
    if (level !== undefined) return level;
    level = new Level(this.side, ticks, priceOf(ticks));
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

  /** Queue slot `s` at the tail of `level` (lowest time priority there). */
  static append(p: OrderPool, level: Level, s: number): void {
    p.setLevel(s, level);
    p.setPrev(s, level.tail);
    p.setNext(s, -1);
    if (level.tail === -1) level.head = s;
    else p.setNext(level.tail, s);
    level.tail = s;
    level.lots += p.lots(s);
    level.count++;
  }

  /** Take slot `s` out of its level's queue; the caller removes the level if it empties. */
  static unlink(p: OrderPool, s: number): void {
    const level = p.level(s)!;
    const prev = p.prev(s);
    const next = p.next(s);
    if (prev === -1) level.head = next;
    else p.setNext(prev, next);
    if (next === -1) level.tail = prev;
    else p.setPrev(next, prev);
    level.lots -= p.lots(s);
    level.count--;
    p.setPrev(s, -1);
    p.setNext(s, -1);
    p.setLevel(s, undefined);
  }
}
