/**
 * Cuts batches: every `maxMs` while fills wait, or at once when `maxFills` are waiting. A cut is a
 * journaled record (the core assigns the batch id and the fills); the batcher then builds the
 * Merkle tree and the netted deltas and hands the batch to the settlement pipeline. Batch status
 * comes back into the core only through chain events (the chain is the truth).
 *
 * After a crash between journaling a cut and storing its record, `resubmitMissing` rebuilds the
 * record from the core; `reconcile` (periodic) re-enqueues every stored unsettled batch, which
 * heals a Redis restart that lost the queue.
 */
import type { Address } from "viem";
import {
  type FillLeaf,
  encodeCommitFills,
  buildDeltas,
  buildFillTreeAsync,
} from "@clearmatch/protocol";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { BatchRecord, BatchStore } from "./batch-store.js";
import type { SettlementPipeline } from "./settlement-pipeline.js";
import type { AppliedListener, ApplyResult, CoreBatch } from "../core/core-types.js";
import type { ExchangeCore } from "../core/exchange-core.js";
import type { ServiceRecord } from "../core/service-record.js";

export interface BatcherDeps {
  core: ExchangeCore;
  pipeline: SettlementPipeline;
  store: BatchStore;
  commit: (record: ServiceRecord) => Promise<ApplyResult>;
  maxFills: number;
  /** Cut before the batch's fills touch more (account, token) pairs (journaled in the cut). */
  maxDeltas?: number;
  maxMs: number;
  now: () => number;
  /** Unix seconds by which a commit sent now lands (ChainClock.commitBy); journaled in the cut. */
  commitBy?: () => number;
  logger: Logger;
  metrics: Metrics;
  /** Re-enqueue interval of stored unsettled batches. Default 2,000 ms. */
  reconcileMs?: number;
}

/** What the batch store keeps per fill: enough to serve its proof. */
export interface StoredFill {
  fillId: number;
  leaf: FillLeaf;
  proof: string[];
}

export class Batcher implements AppliedListener {
  #timer: NodeJS.Timeout | undefined;
  #reconcileTimer: NodeJS.Timeout | undefined;
  #cutting = false;
  /** The last cut's record handed to the pipeline (or failed): the next one waits for it. */
  #submitted: Promise<void> = Promise.resolve();

  constructor(private readonly deps: BatcherDeps) {}

  start(): void {
    this.#timer = setInterval(() => void this.maybeCut(true), this.deps.maxMs);
    this.#reconcileTimer = setInterval(() => void this.reconcile(), this.deps.reconcileMs ?? 2_000);
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#reconcileTimer);
  }

  /** Cuts when `maxFills` wait, or (on the timer) when any wait. */
  async maybeCut(timer = false): Promise<void> {
    if (!this.#due(timer)) return;
    this.#cutting = true;
    try {
      const { commitBy } = this.deps;
      await this.deps.commit({
        kind: "cut",
        ms: this.deps.now(),
        maxFills: this.deps.maxFills,
        ...(this.deps.maxDeltas !== undefined ? { maxDeltas: this.deps.maxDeltas } : {}),
        ...(commitBy ? { commitBy: commitBy() } : {}),
      });
    } catch (error) {
      this.deps.logger.error({ err: error }, "batcher: cut failed");
    } finally {
      this.#cutting = false;
    }
  }

  /**
   * The batcher owns the cut trigger: each live order may fill the batch (`maybeCut` cuts at
   * `maxFills`), and each cut the core makes is built and handed to the pipeline.
   */
  applied(record: ServiceRecord, result: ApplyResult): void {
    for (const out of result.outputs) {
      if (out.type === "batchCut") this.submitCut(out.batch, out.leaves);
    }
    if (record.kind === "order" && this.#due(false)) void this.maybeCut();
  }

  /** Whether a cut is due: `maxFills` fills wait, or (on the timer) any do, and none is running. */
  #due(timer: boolean): boolean {
    const waiting = this.deps.core.matchedCount;
    return !this.#cutting && waiting > 0 && (timer || waiting >= this.deps.maxFills);
  }

  /** Called with every cut the core made (live, not during replay). */
  submitCut(batch: CoreBatch, leaves: FillLeaf[]): void {
    this.deps.metrics.batchSize.observe(leaves.length);
    // Records are built a slice at a time; chained, so batches reach the pipeline in cut order
    // (a small batch cut right after a large one must not overtake it), and a withdrawal
    // (`withdraw`) is ordered with them.
    const record = this.#submitted.then(() => this.record(batch, leaves));
    this.#submitted = record.then(
      async (r) => {
        // Withdrawn while its record was built: the store must never see it.
        if (this.deps.core.batch(batch.batchId) !== batch) return;
        await this.deps.pipeline
          .submit(r)
          .catch((error: unknown) => this.#submitFailed(batch, error));
      },
      (error: unknown) => this.#submitFailed(batch, error),
    );
  }

  /**
   * After a `recut` from `fromBatchId`: removes the stored records of the withdrawn batches, in
   * order with the submissions (a record being built for one of them is dropped, see submitCut).
   */
  withdraw(fromBatchId: bigint): Promise<void> {
    const done = this.#submitted.then(() => this.#dropStale(fromBatchId));
    this.#submitted = done.catch((error: unknown) =>
      this.deps.logger.warn(
        { err: error, fromBatchId },
        "batcher: dropping withdrawn records failed",
      ),
    );
    return done;
  }

  /** Deletes stored uncommitted records from `fromBatchId` on that are not the core's live cut. */
  async #dropStale(fromBatchId = 0n): Promise<void> {
    const { core, store } = this.deps;
    for (const r of await store.list()) {
      if (r.state !== "BATCHED" || r.batchId < fromBatchId) continue;
      const live = core.batch(r.batchId);
      const same =
        live?.state === "BATCHED" &&
        live.fillIds.length === r.fills.length &&
        (r.fills as StoredFill[]).every((f, i) => f.fillId === live.fillIds[i]);
      if (!same) {
        this.deps.logger.info(
          { batchId: r.batchId },
          "batcher: dropping a withdrawn batch's record",
        );
        await store.delete(r.batchId);
      }
    }
  }

  #submitFailed(batch: CoreBatch, error: unknown): void {
    // The record is in the store or will be rebuilt by resubmitMissing; reconcile retries.
    this.deps.logger.warn({ err: error, batchId: batch.batchId }, "batcher: submit failed");
  }

  /** The batch's record: tree and proofs built a slice at a time (the event loop keeps going). */
  async record(batch: CoreBatch, leaves: FillLeaf[]): Promise<BatchRecord> {
    const { core } = this.deps;
    // What is read from the core is taken at the cut, before the tree lets other work run.
    const fillIds = [...batch.fillIds];
    const markets = (id: number) => core.engine.marketConfig(id);
    const deltas = buildDeltas(leaves, markets, core.feeRecipient);
    const commitFills = encodeCommitFills(leaves, deltas, markets, core.feeRecipient);
    const tree = await buildFillTreeAsync(leaves);
    const fills: StoredFill[] = leaves.map((leaf, i) => ({
      fillId: fillIds[i]!,
      leaf,
      proof: tree.proofs[i]!,
    }));
    return {
      batchId: batch.batchId,
      fillsRoot: tree.root,
      fillCount: leaves.length,
      deltas: deltas.map((d) => ({
        ...d,
        account: d.account as Address,
        token: d.token as Address,
      })),
      commitFills,
      fills,
      state: "BATCHED",
      cutAtMs: batch.cutAt,
    };
  }

  /** Stores and enqueues every BATCHED batch of the core the store does not hold. */
  async resubmitMissing(): Promise<void> {
    const { core, pipeline, store } = this.deps;
    // A crash between journaling a recut and removing its records leaves them behind.
    await this.#dropStale();
    const stored = new Set((await store.list()).map((r) => r.batchId));
    for (const batch of core.liveBatches()) {
      if (batch.state !== "BATCHED" || stored.has(batch.batchId)) continue;
      const leaves = core.batchLeaves(batch);
      this.deps.logger.info({ batchId: batch.batchId }, "batcher: resubmitting a cut batch");
      await pipeline.submit(await this.record(batch, leaves));
    }
  }

  async reconcile(): Promise<void> {
    try {
      await this.deps.pipeline.recover();
      const counts = await this.deps.pipeline.queue.getJobCounts("waiting", "delayed", "active");
      this.deps.metrics.queueDepth.set(
        { queue: this.deps.pipeline.options.queueName },
        (counts["waiting"] ?? 0) + (counts["delayed"] ?? 0) + (counts["active"] ?? 0),
      );
    } catch (error) {
      this.deps.logger.debug({ err: error }, "batcher: reconcile failed (Redis down?)");
    }
  }
}
