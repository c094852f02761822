/**
 * The ranges of their orders that committed fill sides claim, for conflicting-fills proofs: an
 * order's fills must claim disjoint ranges [filledAfter - baseAmount, filledAfter)
 * (`FillLib.overlaps`), across batches too. Bounded: past `maxEntries` sides the oldest orders
 * are forgotten (their fills are long final or rolled back).
 */
import type { FillLeaf } from "@clearmatch/protocol";

/** A committed fill side's claimed range of its order, [start, end) in base atoms. */
export interface RangeEntry {
  batchId: bigint;
  index: number;
  isMaker: boolean;
  start: bigint;
  end: bigint;
}

export class FillRangeIndex {
  /** Per order hash (lower case): the ranges its committed fill sides claim. */
  readonly #byOrder = new Map<string, RangeEntry[]>();
  #entries = 0;

  constructor(readonly maxEntries = 500_000) {}

  /**
   * Records the range one side claims of its order, and returns the earlier sides it overlaps
   * (`FillLib.overlaps`: [filledAfter - baseAmount, filledAfter) must be disjoint per order).
   */
  add(fill: FillLeaf, side: "maker" | "taker"): { earlier: RangeEntry; later: RangeEntry }[] {
    const isMaker = side === "maker";
    const orderHash = (isMaker ? fill.makerOrderHash : fill.takerOrderHash).toLowerCase();
    const end = isMaker ? fill.makerFilledAfter : fill.takerFilledAfter;
    const entry: RangeEntry = {
      batchId: fill.batchId,
      index: fill.index,
      isMaker,
      start: end > fill.baseAmount ? end - fill.baseAmount : 0n,
      end,
    };
    let list = this.#byOrder.get(orderHash);
    if (!list) {
      list = [];
      this.#byOrder.set(orderHash, list);
    }
    const found = list
      .filter((e) => fill.baseAmount > 0n && e.start < entry.end && entry.start < e.end)
      .filter((e) => e.batchId !== entry.batchId || e.index !== entry.index)
      .map((earlier) => ({ earlier, later: entry }));
    if (
      !list.some(
        (e) => e.batchId === entry.batchId && e.index === entry.index && e.isMaker === isMaker,
      )
    ) {
      list.push(entry);
      this.#entries++;
    }
    // Bounded: the oldest orders go first (their fills are long final or rolled back).
    for (const [hash, old] of this.#byOrder) {
      if (this.#entries <= this.maxEntries) break;
      this.#byOrder.delete(hash);
      this.#entries -= old.length;
    }
    return found;
  }
}
