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
  /** Archived orders of every account with `seq > afterSeq`, lowest seq first (the order feed). */
  acceptedOrders(afterSeq: number, limit: number): CoreOrder[];
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

  /** Entries held. */
  get size(): number {
    return this.#orders.size + this.#fills.size + this.#batches.size;
  }
  write(entries: HistoryEntries): void {
    for (const o of entries.orders) this.#orders.set(o.orderHash.toLowerCase(), o);
    for (const f of entries.fills) this.#fills.set(f.fillId, f);
    for (const b of entries.batches) this.#batches.set(b.batchId, b);
  }
  /** Drops what `write` took. */
  forget(entries: HistoryEntries): void {
    for (const o of entries.orders) this.#orders.delete(o.orderHash.toLowerCase());
    for (const f of entries.fills) this.#fills.delete(f.fillId);
    for (const b of entries.batches) this.#batches.delete(b.batchId);
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
  acceptedOrders(afterSeq: number, limit: number): CoreOrder[] {
    return [...this.#orders.values()]
      .filter((o) => o.seq > afterSeq)
      .sort((x, y) => x.seq - y.seq)
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
  acceptedOrders: () => [],
  accountFills: () => [],
  marketFills: () => [],
  batches: () => [],
};

/**
 * The newest `limit` of two lists that are each newest first by `key`, each entry once: an entry
 * of `b` whose key `a` has too is the same entry (live in memory and archived, or waiting and
 * already written). Taking each side's newest `limit` is enough: an entry among the newest
 * `limit` of the union has fewer than `limit` entries of its own side above it.
 */
export function mergeNewest<T, K extends number | bigint>(
  a: readonly T[],
  b: readonly T[],
  key: (item: T) => K,
  limit: number,
): T[] {
  if (b.length === 0) return a.length > limit ? a.slice(0, limit) : (a as T[]);
  if (a.length === 0) return b.length > limit ? b.slice(0, limit) : (b as T[]);
  const inA = new Set(a.map(key));
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < a.length || j < b.length)) {
    if (j < b.length && inA.has(key(b[j]!))) j++;
    else if (j >= b.length || (i < a.length && key(a[i]!) > key(b[j]!))) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
