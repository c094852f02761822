/**
 * Prometheus metrics of the sequencer (issue 4, "Operations"), in their own registry so
 * several instances (tests) never collide. Latencies are in seconds, per Prometheus naming.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface MetricsOptions {
  /** Registry to register into. Default: a new one. */
  readonly registry?: Registry;
  /** Also collect Node process metrics (CPU, memory, event loop, GC). Default: `false`. */
  readonly collectDefaultMetrics?: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  /** Orders accepted, by `result`: `created` or `duplicate` (idempotent resubmission). */
  readonly ordersAccepted: Counter<"result">;
  /** Orders refused, by stable error `code`. */
  readonly ordersRejected: Counter<"code">;
  /** From an order's arrival at the engine to its match result. */
  readonly matchLatency: Histogram;
  /**
   * From an order submission's arrival (its headers parsed) to its answer written, durable
   * acknowledgement included, by `endpoint`: `single` or `batch` (per request).
   */
  readonly orderAckLatency: Histogram<"endpoint">;
  /** Order signatures checked, by where the signer was recovered. */
  readonly signatureChecks: Counter<"path">;
  /** Fills per cut batch. */
  readonly batchSize: Histogram;
  /** From sending `commitBatch` to its confirmed receipt. */
  readonly commitLatency: Histogram;
  /** From sending `finalizeBatch` to its confirmed receipt. */
  readonly finalizeLatency: Histogram;
  /** From a fill's match to its batch's confirmed finalization (includes the challenge window). */
  readonly matchToFinality: Histogram;
  /**
   * A periodic snapshot from asking for it to the journal rotated after it, by `thread`: `worker`
   * (the snapshot thread; intake goes on meanwhile) or `main` (intake waits).
   */
  readonly snapshotDuration: Histogram<"thread">;
  /** Periodic snapshots that failed (logged; the journal keeps everything, replay gets longer). */
  readonly snapshotFailures: Counter;
  /** Settled entries pruned from the core that wait in memory for the archive (next snapshot). */
  readonly historyPending: Gauge;
  /** Durable journal writes (group commits): time from the write's start until on disk. */
  readonly journalCommitLatency: Histogram;
  /** Jobs waiting, by `queue` (BullMQ queue name or `intake`). */
  readonly queueDepth: Gauge<"queue">;
  /** Chain head minus the watcher's last processed block. */
  readonly chainHeadLag: Gauge;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  if (options.collectDefaultMetrics)
    collectDefaultMetrics({ register: registry, prefix: "clearmatch_" });
  const registers = [registry];
  return {
    registry,
    ordersAccepted: new Counter({
      name: "clearmatch_orders_accepted_total",
      help: "Signed orders accepted, by result (created, duplicate).",
      labelNames: ["result"],
      registers,
    }),
    ordersRejected: new Counter({
      name: "clearmatch_orders_rejected_total",
      help: "Signed orders refused, by stable error code.",
      labelNames: ["code"],
      registers,
    }),
    matchLatency: new Histogram({
      name: "clearmatch_match_latency_seconds",
      help: "Engine time from an order's arrival to its match result.",
      buckets: [
        0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05,
      ],
      registers,
    }),
    orderAckLatency: new Histogram({
      name: "clearmatch_order_ack_latency_seconds",
      help: "Order submissions, from arrival (headers parsed) to the answer written, by endpoint.",
      labelNames: ["endpoint"],
      buckets: [
        0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5,
        1,
      ],
      registers,
    }),
    signatureChecks: new Counter({
      name: "clearmatch_signature_checks_total",
      help:
        "Order signatures checked, by where the signer was recovered: worker (the verify pool), " +
        "main (the event loop: no pool, or the pool was busy or gave no signer), viem.",
      labelNames: ["path"],
      registers,
    }),
    batchSize: new Histogram({
      name: "clearmatch_batch_size_fills",
      help: "Fills per cut batch.",
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    commitLatency: new Histogram({
      name: "clearmatch_batch_commit_latency_seconds",
      help: "From sending commitBatch to its confirmed receipt.",
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    }),
    finalizeLatency: new Histogram({
      name: "clearmatch_batch_finalize_latency_seconds",
      help: "From sending finalizeBatch to its confirmed receipt.",
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    }),
    matchToFinality: new Histogram({
      name: "clearmatch_match_to_finality_seconds",
      help: "From a fill's match to its batch's confirmed finalization.",
      buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600, 86400],
      registers,
    }),
    snapshotDuration: new Histogram({
      name: "clearmatch_snapshot_duration_seconds",
      help: "Periodic snapshot of the exchange core, asked for to journal rotated, by thread.",
      labelNames: ["thread"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    snapshotFailures: new Counter({
      name: "clearmatch_snapshot_failures_total",
      help: "Periodic snapshots of the exchange core that failed.",
      registers,
    }),
    historyPending: new Gauge({
      name: "clearmatch_history_pending_entries",
      help: "Settled orders, fills and batches pruned from the core that wait in memory until the next snapshot has archived them.",
      registers,
    }),
    journalCommitLatency: new Histogram({
      name: "clearmatch_journal_commit_seconds",
      help:
        "Durable journal writes (one group commit each), from the write's start until the records " +
        "are on disk: every acknowledgement waits for one.",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    queueDepth: new Gauge({
      name: "clearmatch_queue_depth",
      help: "Jobs waiting, by queue.",
      labelNames: ["queue"],
      registers,
    }),
    chainHeadLag: new Gauge({
      name: "clearmatch_chain_head_lag_blocks",
      help: "Chain head minus the chain watcher's last processed block.",
      registers,
    }),
  };
}
