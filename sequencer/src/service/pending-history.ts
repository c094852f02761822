/**
 * The service core's archive: what the core prunes waits in memory, tagged with the journal
 * record that pruned it, until the archive on disk holds it; queries read both.
 *
 * Writing the archive costs about 15 us per entry (serializing plus the inserts: measured), so a
 * finalized batch of 1,000 fills would stop intake for tens of milliseconds on the main thread.
 * The snapshot thread writes it instead: its replica of the core prunes exactly what this core
 * pruned (the core is deterministic over its records), archives it while replaying towards a
 * snapshot, checkpoints the archive, and only then writes the snapshot. When that snapshot at
 * record N is done, everything pruned by records up to N is on disk and is `release`d here. So
 * what waits here is bounded by the records between snapshots, and a crash loses nothing: the
 * entries of records after the newest snapshot come back with the journal replay.
 *
 * When the snapshot is taken on the main thread (SNAPSHOT_THREAD=main, the worker gone, or
 * shutdown), `persist` writes what waits here to the archive first.
 */
import type { Address, Hex } from "viem";
import type { CoreBatch, CoreFill, CoreOrder } from "./core-types.js";
import type { HistoryArchive, HistoryEntries } from "./history.js";

export class PendingHistory implements HistoryArchive {
  /** Entries pruned by each record, in record order. */
  readonly #waiting: Array<{ seq: number; entries: HistoryEntries }> = [];
  readonly #orders = new Map<string, CoreOrder>();
  readonly #fills = new Map<number, CoreFill>();
  readonly #batches = new Map<bigint, CoreBatch>();
  /**
   * The journal sequence number of the record being applied (the service sets it: during
   * recovery from the replayed record, afterwards the journal's next number).
   */
  recordSeq: () => number = () => 0;

  constructor(readonly archive: HistoryArchive) {}

  /** Entries waiting for the archive. */
  get size(): number {
    return this.#orders.size + this.#fills.size + this.#batches.size;
  }

  write(entries: HistoryEntries): void {
    this.#waiting.push({ seq: this.recordSeq(), entries });
    for (const o of entries.orders) this.#orders.set(o.orderHash.toLowerCase(), o);
    for (const f of entries.fills) this.#fills.set(f.fillId, f);
    for (const b of entries.batches) this.#batches.set(b.batchId, b);
  }

  /** The archive holds everything pruned by records up to `seq`: stop holding it here. */
  release(seq: number): void {
    let n = 0;
    while (n < this.#waiting.length && this.#waiting[n]!.seq <= seq) {
      const { entries } = this.#waiting[n++]!;
      for (const o of entries.orders) this.#orders.delete(o.orderHash.toLowerCase());
      for (const f of entries.fills) this.#fills.delete(f.fillId);
      for (const b of entries.batches) this.#batches.delete(b.batchId);
    }
    this.#waiting.splice(0, n);
  }

  /** Writes everything waiting to the archive (idempotent there), for a main-thread snapshot. */
  persist(): void {
    for (const { entries } of this.#waiting) this.archive.write(entries);
  }

  order(orderHash: Hex): CoreOrder | undefined {
    return this.#orders.get(orderHash.toLowerCase()) ?? this.archive.order(orderHash);
  }
  fill(fillId: number): CoreFill | undefined {
    return this.#fills.get(fillId) ?? this.archive.fill(fillId);
  }
  batch(batchId: bigint): CoreBatch | undefined {
    return this.#batches.get(batchId) ?? this.archive.batch(batchId);
  }
  accountOrders(account: Address, beforeSeq: number, limit: number): CoreOrder[] {
    const a = account.toLowerCase();
    const here = [...this.#orders.values()].filter(
      (o) => o.seq < beforeSeq && o.order.trader.toLowerCase() === a,
    );
    const stored = this.archive.accountOrders(account, beforeSeq, limit);
    return newest(here, stored, (o) => o.seq, limit);
  }
  accountFills(account: Address, beforeId: number, limit: number): CoreFill[] {
    const a = account.toLowerCase();
    const here = [...this.#fills.values()].filter(
      (f) =>
        f.fillId < beforeId &&
        (f.fill.maker.toLowerCase() === a || f.fill.taker.toLowerCase() === a),
    );
    const stored = this.archive.accountFills(account, beforeId, limit);
    return newest(here, stored, (f) => f.fillId, limit);
  }
  marketFills(marketId: number, limit: number): CoreFill[] {
    const here = [...this.#fills.values()].filter((f) => f.fill.marketId === marketId);
    return newest(here, this.archive.marketFills(marketId, limit), (f) => f.fillId, limit);
  }
  batches(before: bigint, limit: number): CoreBatch[] {
    const here = [...this.#batches.values()].filter((b) => b.batchId < before);
    return newest(here, this.archive.batches(before, limit), (b) => b.batchId, limit);
  }
}

/**
 * The newest `limit` of the entries waiting here and those in the archive, each once: the
 * archive may hold a waiting entry already (written, not yet released), and the waiting copy is
 * the same. The archive's newest `limit` are enough: an archived entry among the newest `limit`
 * of the union has fewer than `limit` archived entries above it.
 */
function newest<T, K extends number | bigint>(
  here: T[],
  stored: T[],
  key: (item: T) => K,
  limit: number,
): T[] {
  const seen = new Set<K>(here.map(key));
  const all = [...here, ...stored.filter((item) => !seen.has(key(item)))];
  all.sort((x, y) => (key(x) < key(y) ? 1 : key(x) > key(y) ? -1 : 0));
  return all.slice(0, limit);
}
