/**
 * The sequencer's pre-commit self-audit (DESIGN.md, "Watchers"): before a batch's commit is sent,
 * its fills are checked against every rule a fraud proof or a challenge can test, with the shared
 * rule code (settlement/audit-batch.ts, the contract's own rules mirrored), against the chain as
 * the commit will find it: the commit lands by `commitBy` (the chain's time plus
 * COMMIT_LATENCY_MAX), every on-chain cancel and nonce bump the watcher delivered counts, and a
 * paused market counts as paused. Fills of earlier committed, still pending batches take part in
 * the overlap check. A batch with any finding is never committed: the runtime withdraws it (a
 * `recut` record busts the fills found and re-batches the rest).
 */
import type { Hex } from "viem";
import type { FillLeaf, Order } from "@clearmatch/protocol";
import type { BatchRecord } from "./batch-store.js";
import { auditBatch, type BatchAudit, type PredictedCommitState } from "./audit-batch.js";
import type { StoredFill } from "./batcher.js";
import type { ExchangeCore } from "../core/exchange-core.js";
import type { ApplyResult } from "../core/core-types.js";
import type { ServiceRecord } from "../core/service-record.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";

export interface PreCommitAudit {
  readonly audit: BatchAudit;
  /** Fill ids of the batch with any finding (the fills a withdrawal busts). */
  readonly bust: number[];
  /** One line for logs and the busts' reason: the kinds found. */
  readonly summary: string;
}

/** The chain at a commit landing by `commitBy` (unix seconds), as the core knows it. */
export function commitStateOf(core: ExchangeCore, commitBy: number): PredictedCommitState {
  return {
    committedAt: BigInt(commitBy),
    isCancelled: (_trader, orderHash) => core.cancelledOnChain(orderHash),
    minNonce: (trader) => core.nonceFloor(trader),
    // A paused contract refuses the commit itself (the pipeline waits); a paused market's fills
    // are never cut, but one paused since is provable.
    isMarketPaused: (marketId) => core.engine.isPaused(marketId),
    market: (marketId) => {
      const m = core.engine.marketConfig(marketId);
      return (
        m && {
          registered: true,
          tickSize: m.tickSize,
          lotSize: m.lotSize,
          baseDecimals: m.baseDecimals,
        }
      );
    },
  };
}

/** Leaves of the batches committed and still pending before `batchId`. */
function pendingLeaves(core: ExchangeCore, batchId: bigint): FillLeaf[] {
  const leaves: FillLeaf[] = [];
  for (const b of core.liveBatches()) {
    if (b.state !== "COMMITTED" || b.batchId >= batchId) continue;
    leaves.push(...core.batchLeaves(b));
  }
  return leaves;
}

/** Audits a cut batch's record against the chain at `commitBy`. */
export function auditBeforeCommit(
  core: ExchangeCore,
  record: BatchRecord,
  commitBy: number,
  hashOrder?: (order: Order) => Hex,
): PreCommitAudit {
  const fills = record.fills as StoredFill[];
  const audit = auditBatch({
    batchId: record.batchId,
    leaves: fills.map((f) => f.leaf),
    orders: (orderHash) => core.order(orderHash)?.order,
    commit: commitStateOf(core, commitBy),
    fillCount: record.fillCount,
    priorLeaves: pendingLeaves(core, record.batchId),
    ...(hashOrder ? { hashOrder } : {}),
  });
  const indexes = new Set<number>();
  const kinds = new Set<string>();
  for (const f of audit.faults) {
    indexes.add(f.fillIndex);
    kinds.add(f.kind);
  }
  for (const f of audit.leafFaults) {
    indexes.add(f.fillIndex);
    kinds.add(f.kind);
  }
  for (const c of audit.conflicts) {
    for (const ref of [c.a, c.b]) if (ref.fillIndex !== undefined) indexes.add(ref.fillIndex);
    kinds.add(c.kind);
  }
  return {
    audit,
    bust: [...indexes].sort((a, b) => a - b).map((i) => fills[i]!.fillId),
    summary: [...kinds].join(", "),
  };
}

export interface CommitGateDeps {
  core: ExchangeCore;
  /** Refreshes the chain's clock (a fresh head: after an outage the chain may have moved on). */
  pollClock: () => Promise<unknown>;
  /** Unix seconds by which a commit sent now lands. */
  commitBy: () => number;
  hashOrder: (order: Order) => Hex;
  commit: (record: ServiceRecord) => Promise<ApplyResult>;
  /** Takes a withdrawn batch's record out of the store and the queue (`Batcher.withdraw`). */
  withdraw: (batchId: bigint) => Promise<void>;
  now: () => number;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The pipeline's `beforeCommit`: true to send the commit. Only the core's live cut is ever
 * committed (a withdrawn one's record may linger); one the audit finds anything in is withdrawn
 * with a `recut` record (its findings busted, the rest re-batched) and never sent.
 */
export function commitGate(deps: CommitGateDeps): (record: BatchRecord) => Promise<boolean> {
  const { core, metrics, logger } = deps;
  return async (record) => {
    if (core.batch(record.batchId)?.state !== "BATCHED") {
      await deps.withdraw(record.batchId);
      return false;
    }
    await deps.pollClock();
    const at = deps.commitBy();
    const found = auditBeforeCommit(core, record, at, deps.hashOrder);
    metrics.selfAudits.inc({ outcome: found.audit.clean ? "clean" : "withdrawn" });
    if (found.audit.clean) return true;
    logger.error(
      {
        batchId: record.batchId,
        commitBy: at,
        kinds: found.summary,
        faults: found.audit.faults.length,
        conflicts: found.audit.conflicts.length,
        leafFaults: found.audit.leafFaults.length,
        bust: found.bust,
      },
      "self-audit: committing this batch would be provable; withdrawing it (its other fills are re-batched)",
    );
    await deps.commit({
      kind: "recut",
      ms: deps.now(),
      fromBatchId: record.batchId,
      bust: found.bust,
      reason: `self-audit: ${found.summary}`,
    });
    await deps.withdraw(record.batchId);
    return false;
  };
}
