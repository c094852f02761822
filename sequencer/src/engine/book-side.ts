import { Level } from "./level.js";
import type { Side } from "./types.js";

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
}
