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
import type { CoreBatch, CoreFill, CoreOrder } from "../core/core-types.js";
import {
  MemoryHistory,
  mergeNewest,
  type HistoryArchive,
  type HistoryEntries,
} from "../core/history.js";

export class PendingHistory implements HistoryArchive {
  /** Entries pruned by each record, in record order. */
  readonly #waiting: Array<{ seq: number; entries: HistoryEntries }> = [];
  /** The same entries, for the queries. */
  readonly #held = new MemoryHistory();
  /**
   * The journal sequence number of the record being applied (the service sets it: during
   * recovery from the replayed record, afterwards the journal's next number).
   */
  recordSeq: () => number = () => 0;

  constructor(readonly archive: HistoryArchive) {}

  /** Entries waiting for the archive. */
  get size(): number {
    return this.#held.size;
  }

  write(entries: HistoryEntries): void {
    this.#waiting.push({ seq: this.recordSeq(), entries });
    this.#held.write(entries);
  }

  /** The archive holds everything pruned by records up to `seq`: stop holding it here. */
  release(seq: number): void {
    let n = 0;
    while (n < this.#waiting.length && this.#waiting[n]!.seq <= seq) {
      this.#held.forget(this.#waiting[n++]!.entries);
    }
    this.#waiting.splice(0, n);
  }

  /** Writes everything waiting to the archive (idempotent there), for a main-thread snapshot. */
  persist(): void {
    for (const { entries } of this.#waiting) this.archive.write(entries);
  }

  // What waits here may be in the archive already (written, not yet released): each query takes
  // it once (`mergeNewest`).
  order(orderHash: Hex): CoreOrder | undefined {
    return this.#held.order(orderHash) ?? this.archive.order(orderHash);
  }
  fill(fillId: number): CoreFill | undefined {
    return this.#held.fill(fillId) ?? this.archive.fill(fillId);
  }
  batch(batchId: bigint): CoreBatch | undefined {
    return this.#held.batch(batchId) ?? this.archive.batch(batchId);
  }
  accountOrders(account: Address, beforeSeq: number, limit: number): CoreOrder[] {
    return mergeNewest(
      this.#held.accountOrders(account, beforeSeq, limit),
      this.archive.accountOrders(account, beforeSeq, limit),
      (o) => o.seq,
      limit,
    );
  }
  acceptedOrders(afterSeq: number, limit: number): CoreOrder[] {
    // Lowest seq first: the newest-first merge on the negated key.
    return mergeNewest(
      this.#held.acceptedOrders(afterSeq, limit),
      this.archive.acceptedOrders(afterSeq, limit),
      (o) => -o.seq,
      limit,
    );
  }
  accountFills(account: Address, beforeId: number, limit: number): CoreFill[] {
    return mergeNewest(
      this.#held.accountFills(account, beforeId, limit),
      this.archive.accountFills(account, beforeId, limit),
      (f) => f.fillId,
      limit,
    );
  }
  marketFills(marketId: number, limit: number): CoreFill[] {
    return mergeNewest(
      this.#held.marketFills(marketId, limit),
      this.archive.marketFills(marketId, limit),
      (f) => f.fillId,
      limit,
    );
  }
  batches(before: bigint, limit: number): CoreBatch[] {
    return mergeNewest(
      this.#held.batches(before, limit),
      this.archive.batches(before, limit),
      (b) => b.batchId,
      limit,
    );
  }
}
