/**
 * Where the exchange core puts the history it prunes, and how its queries read it back. The
 * core prunes an order once it is closed and every fill of it is final (finalized on-chain or
 * busted), a fill once it is final, and a batch once it is finalized or rolled back: nothing can
 * change them any more, so memory holds only what is live (docs/service.md, "Retention").
 *
 * Implementations: `HistoryStore` (SQLite in DATA_DIR, written by the snapshot thread's replica),
 * `PendingHistory` (the service core's: holds what it pruned until the archive has it),
 * `MemoryHistory` (the default: keeps everything in memory, for tests and tools that use a core
 * alone), and `discardHistory` (archives and answers nothing).
 */
import type { Address, Hex } from "viem";
import type { CoreBatch, CoreFill, CoreOrder } from "./core-types.js";

/** What the core prunes in one record. */
export interface HistoryEntries {
  orders: CoreOrder[];
  fills: CoreFill[];
  batches: CoreBatch[];
}

/** The queries the core answers from the archive for what it no longer holds. */
export interface HistoryReader {
  order(orderHash: Hex): CoreOrder | undefined;
  fill(fillId: number): CoreFill | undefined;
  batch(batchId: bigint): CoreBatch | undefined;
  /** An account's archived orders with `seq < beforeSeq`, highest seq first. */
  accountOrders(account: Address, beforeSeq: number, limit: number): CoreOrder[];
  /** An account's archived fills (as maker or taker) with `fillId < beforeId`, highest first. */
  accountFills(account: Address, beforeId: number, limit: number): CoreFill[];
  /** A market's archived fills, newest first. */
  marketFills(marketId: number, limit: number): CoreFill[];
  /** Archived batches with `batchId < before`, newest first. */
  batches(before: bigint, limit: number): CoreBatch[];
}

export interface HistoryArchive extends HistoryReader {
  /**
   * Archives what the core pruned (synchronously, inside the record's apply). Idempotent: a
   * replay writes the same entries again.
   */
  write(entries: HistoryEntries): void;
}

/** Keeps pruned entries in memory: a core alone answers every query as if it pruned nothing. */
export class MemoryHistory implements HistoryArchive {
  readonly #orders = new Map<string, CoreOrder>();
  readonly #fills = new Map<number, CoreFill>();
  readonly #batches = new Map<bigint, CoreBatch>();

  write(entries: HistoryEntries): void {
    for (const o of entries.orders) this.#orders.set(o.orderHash.toLowerCase(), o);
    for (const f of entries.fills) this.#fills.set(f.fillId, f);
    for (const b of entries.batches) this.#batches.set(b.batchId, b);
  }
  order(orderHash: Hex): CoreOrder | undefined {
    return this.#orders.get(orderHash.toLowerCase());
  }
  fill(fillId: number): CoreFill | undefined {
    return this.#fills.get(fillId);
  }
  batch(batchId: bigint): CoreBatch | undefined {
    return this.#batches.get(batchId);
  }
  accountOrders(account: Address, beforeSeq: number, limit: number): CoreOrder[] {
    const a = account.toLowerCase();
    return [...this.#orders.values()]
      .filter((o) => o.order.trader.toLowerCase() === a && o.seq < beforeSeq)
      .sort((x, y) => y.seq - x.seq)
      .slice(0, limit);
  }
  accountFills(account: Address, beforeId: number, limit: number): CoreFill[] {
    const a = account.toLowerCase();
    return [...this.#fills.values()]
      .filter(
        (f) =>
          f.fillId < beforeId &&
          (f.fill.maker.toLowerCase() === a || f.fill.taker.toLowerCase() === a),
      )
      .sort((x, y) => y.fillId - x.fillId)
      .slice(0, limit);
  }
  marketFills(marketId: number, limit: number): CoreFill[] {
    return [...this.#fills.values()]
      .filter((f) => f.fill.marketId === marketId)
      .sort((x, y) => y.fillId - x.fillId)
      .slice(0, limit);
  }
  batches(before: bigint, limit: number): CoreBatch[] {
    return [...this.#batches.values()]
      .filter((b) => b.batchId < before)
      .sort((x, y) => (x.batchId < y.batchId ? 1 : -1))
      .slice(0, limit);
  }
}

/** Drops what it is given and knows nothing: for a replica core that answers no queries. */
export const discardHistory: HistoryArchive = {
  write: () => undefined,
  order: () => undefined,
  fill: () => undefined,
  batch: () => undefined,
  accountOrders: () => [],
  accountFills: () => [],
  marketFills: () => [],
  batches: () => [],
};
