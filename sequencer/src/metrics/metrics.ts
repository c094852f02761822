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
  /**
   * From a batch's cut to its commit landing (the pipeline saw `commitBatch` confirmed): queue
   * wait, earlier batches and the transaction. The transaction alone is
   * `sequencerTransactionSeconds{method="commitBatch"}`.
   */
  readonly commitLatency: Histogram;
  /** From a batch's commit landing to its finalization landing (includes the challenge window). */
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
  /**
   * Pre-commit self-audits of batches, by `outcome`: `clean` (committed) or `withdrawn` (a fill
   * would have been provable: the batch was recut). An honest run never withdraws.
   */
  readonly selfAudits: Counter<"outcome">;
  /** The chain head's time minus this host's clock at the read, seconds (ChainClock). */
  readonly chainClockSkew: Gauge;
  /** 1 while a commit can land within COMMIT_LATENCY_MAX (intake open), else 0. */
  readonly chainCommitReady: Gauge;
  /**
   * Settlement events applied live (delivered by the chain watcher and journaled), by `event`
   * name. Journal replay and re-delivered events are not counted, so a restart does not double
   * count (settlement-observer.ts).
   */
  readonly chainEvents: Counter<"event">;
  /** Batches of ours the chain confirmed committed (`BatchCommitted` applied). */
  readonly batchesCommitted: Counter;
  /** Batches of ours the chain confirmed finalized (`BatchFinalized` applied). */
  readonly batchesFinalized: Counter;
  /** Batches of ours rolled back (`BatchesRolledBack`, each batch of the range), by `reason`. */
  readonly batchesRolledBack: Counter<"reason">;
  /** Fills busted (at a cut, or by a rollback), by `reason` class. */
  readonly fillsBusted: Counter<"reason">;
  /** Sequencer transactions that settled, by `method` and `outcome` (`confirmed` or error code). */
  readonly sequencerTransactions: Counter<"method" | "outcome">;
  /** A confirmed sequencer transaction, from its turn in the sender to its confirmed receipt. */
  readonly sequencerTransactionSeconds: Histogram<"method">;
  /** Gas used by confirmed sequencer transactions, by `method`. */
  readonly sequencerTransactionGas: Counter<"method">;
  /** Fees paid by confirmed sequencer transactions (gas used x effective gas price), in wei. */
  readonly sequencerTransactionFees: Counter<"method">;
  /** The sequencer account's native balance (gas money), in wei, as a float. */
  readonly sequencerGasBalance: Gauge;
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
      help: "From a batch's cut to its commit landing (commitBatch confirmed).",
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    }),
    finalizeLatency: new Histogram({
      name: "clearmatch_batch_finalize_latency_seconds",
      help: "From a batch's commit landing to its finalization landing (includes the challenge window).",
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
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
    selfAudits: new Counter({
      name: "clearmatch_self_audits_total",
      help: "Pre-commit self-audits of batches by outcome: clean (committed) or withdrawn (a fill would have been provable; the batch was recut).",
      labelNames: ["outcome"],
      registers,
    }),
    chainClockSkew: new Gauge({
      name: "clearmatch_chain_clock_skew_seconds",
      help: "The chain head's timestamp minus this host's clock when the head was read (positive: the chain runs ahead).",
      registers,
    }),
    chainCommitReady: new Gauge({
      name: "clearmatch_chain_commit_ready",
      help: "1 while a commit can land within COMMIT_LATENCY_MAX (new orders accepted), 0 while it cannot (CHAIN_UNAVAILABLE).",
      registers,
    }),
    chainEvents: new Counter({
      name: "clearmatch_chain_events_total",
      help:
        "Settlement events applied live (delivered by the chain watcher), by event name " +
        "(FraudProven, ChallengeOpened, ChallengeAnswered, DisputeOpened, ...). Not counted again on replay.",
      labelNames: ["event"],
      registers,
    }),
    batchesCommitted: new Counter({
      name: "clearmatch_batches_committed_total",
      help: "Batches whose commit the chain confirmed (BatchCommitted applied).",
      registers,
    }),
    batchesFinalized: new Counter({
      name: "clearmatch_batches_finalized_total",
      help: "Batches the chain finalized (BatchFinalized applied).",
      registers,
    }),
    batchesRolledBack: new Counter({
      name: "clearmatch_batches_rolled_back_total",
      help:
        "Batches rolled back (each batch of a BatchesRolledBack range), by reason (FraudProof, " +
        "ConflictingFills, ChallengeUnanswered, DisputeUpheld, NegativeBalance).",
      labelNames: ["reason"],
      registers,
    }),
    fillsBusted: new Counter({
      name: "clearmatch_fills_busted_total",
      help:
        "Fills busted, by reason class: a rollback reason, or at a cut OrderCancelledOnChain, " +
        "NoncesInvalidated, OrderExpiring (Other for anything else).",
      labelNames: ["reason"],
      registers,
    }),
    sequencerTransactions: new Counter({
      name: "clearmatch_sequencer_transactions_total",
      help:
        "Sequencer transactions settled, by method (commitBatch, finalizeBatch, answerChallenge) " +
        "and outcome (confirmed, or the chain error code: CALL_REVERTED, TX_REVERTED, TX_NOT_MINED, RPC_UNAVAILABLE).",
      labelNames: ["method", "outcome"],
      registers,
    }),
    sequencerTransactionSeconds: new Histogram({
      name: "clearmatch_sequencer_transaction_seconds",
      help:
        "Confirmed sequencer transactions, from their turn in the sender (gas estimate, send, " +
        "fee-bumped replacements) to the confirmed receipt, by method.",
      labelNames: ["method"],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    }),
    sequencerTransactionGas: new Counter({
      name: "clearmatch_sequencer_transaction_gas_used_total",
      help: "Gas used by confirmed sequencer transactions, by method.",
      labelNames: ["method"],
      registers,
    }),
    sequencerTransactionFees: new Counter({
      name: "clearmatch_sequencer_transaction_fees_wei_total",
      help: "Fees paid by confirmed sequencer transactions (gas used x effective gas price), wei as a float.",
      labelNames: ["method"],
      registers,
    }),
    sequencerGasBalance: new Gauge({
      name: "clearmatch_sequencer_gas_balance_wei",
      help:
        "Native balance of the sequencer account (what pays its gas), in wei as a float (exact to " +
        "about 15 significant digits), refreshed every 15 s and after each sequencer transaction.",
      registers,
    }),
  };
}
