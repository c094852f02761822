/**
 * Undoing fills: the chain's `BatchesRolledBack`, a withdrawn cut (`recut`), and the busts both
 * (and the cut) make. A busted fill is final (ROLLED_BACK) and reversed in the ledger; every other
 * fill of a rolled-back or withdrawn batch returns to MATCHED and goes into the next cut with its
 * leaf values unchanged (cumulative amounts stay consistent).
 */
import { buildDeltas } from "@clearmatch/protocol";
import { lowercase } from "../crypto/lowercase.js";
import type { ApplyResult, CoreBatch, CoreFill, CoreOutput } from "./core-types.js";
import { refused, reservationTerms, type CoreContext } from "./core-state.js";
import { fillLeaf, runEngine, setStatus, settled } from "./fills.js";
import { recordTime, type ChainEventRecord, type RecutRecord } from "./service-record.js";

/** ISettlement.RollbackReason, by enum value. */
export const ROLLBACK_REASONS = [
  "FraudProof",
  "ConflictingFills",
  "ChallengeUnanswered",
  "DisputeUpheld",
  "NegativeBalance",
] as const;

/** `BatchesRolledBack(from, to, reason)`: see the module comment and `bustedByRollback`. */
export function rollback(
  c: CoreContext,
  from: bigint,
  to: bigint,
  reasonCode: number,
  r: ChainEventRecord,
  outputs: CoreOutput[],
): void {
  const s = c.s;
  const reason = ROLLBACK_REASONS[reasonCode] ?? `Reason${reasonCode}`;
  const first = s.batches.get(String(from));
  const busted = first ? bustedByRollback(c, first, reason) : new Set<number>();
  const bustIds: number[] = [];
  for (let id = from; id <= to; id++) {
    const b = s.batches.get(String(id));
    if (!b || b.state === "FINALIZED" || b.state === "ROLLED_BACK") continue;
    b.state = "ROLLED_BACK";
    b.settledAt = r.ms;
    b.settleTx = r.transactionHash;
    b.rollbackReason = reason;
    s.pruneBatches.push(String(id));
    outputs.push({ type: "batch", batch: b });
    for (const fillId of b.fillIds) {
      const f = s.fills.get(fillId)!;
      if (busted.has(fillId)) {
        bustIds.push(fillId);
        bust(c, f, `${reason} in batch ${from}`, outputs, false);
      } else {
        // Still valid: back to MATCHED, re-batched by the next cut with the same leaf values.
        rematch(c, f);
      }
    }
  }
  reverseFills(c, bustIds);
  // The order the chain proved against is not traded further (its trader disowns it, or it is
  // provably invalid): cancel what remains of it.
  for (const hash of s.provenOrders.get(String(from)) ?? []) {
    const o = s.orders.get(String(hash));
    if (o && (o.status === "open" || o.status === "partially_filled")) {
      const input = { orderHash: o.orderHash, source: "user" } as const;
      runEngine(c, { type: "cancel", time: recordTime(r), ...input }, r.ms, outputs);
    }
  }
}

/**
 * Which fills of batch `from` the rollback proved invalid:
 * - FraudProof / ChallengeUnanswered: the fills naming an order the chain proved against
 *   (FraudProven's order hash; the challenged order of an upheld challenge).
 * - ConflictingFills: the event names no fill, and the conflict is in `from`: every fill of it.
 * - NegativeBalance: fills of accounts whose net debit in `from` exceeds their finalized balance.
 * - DisputeUpheld: a dispute names no fill; nothing is busted, all are re-batched (deltas are
 *   rebuilt from the fills, so a wrong-deltas claim does not recur).
 */
function bustedByRollback(c: CoreContext, from: CoreBatch, reason: string): Set<number> {
  const s = c.s;
  const fills = from.fillIds.map((id) => s.fills.get(id)!);
  const naming = (accounts: Set<string>, f: CoreFill, maker: string, taker: string) =>
    accounts.has(lowercase(maker)) || accounts.has(lowercase(taker)) ? [f.fillId] : [];
  if (reason === "ConflictingFills") return new Set(from.fillIds);
  if (reason === "FraudProof" || reason === "ChallengeUnanswered") {
    const proven = new Set((s.provenOrders.get(String(from.batchId)) ?? []).map(String));
    return new Set(
      fills.flatMap((f) => naming(proven, f, f.fill.makerOrderHash, f.fill.takerOrderHash)),
    );
  }
  if (reason === "NegativeBalance") {
    const deltas = buildDeltas(
      fills.map((f) => fillLeaf(c, f, 0n, 0)),
      (id) => c.engine.marketConfig(id),
      s.feeRecipient,
    );
    const short = new Set<string>();
    for (const d of deltas) {
      if (c.ledger.balance(d.account, d.token).finalized + d.delta < 0n) {
        short.add(lowercase(d.account));
      }
    }
    return new Set(fills.flatMap((f) => naming(short, f, f.fill.maker, f.fill.taker)));
  }
  return new Set();
}

/** Back to MATCHED, for the next cut. */
function rematch(c: CoreContext, f: CoreFill): void {
  f.state = "MATCHED";
  delete f.batchId;
  delete f.index;
  c.s.matched.add(f.fillId);
}

/** Marks a fill busted (state only); `reverseFills` undoes its ledger effect. */
export function bust(
  c: CoreContext,
  f: CoreFill,
  reason: string,
  outputs: CoreOutput[],
  clearBatch: boolean,
): void {
  f.state = "ROLLED_BACK";
  f.bustReason = reason;
  settled(c, f);
  if (clearBatch) {
    delete f.batchId;
    delete f.index;
  }
  c.s.matched.delete(f.fillId);
  outputs.push({ type: "bust", fill: f, reason });
  const orders = new Set([lowercase(f.fill.makerOrderHash), lowercase(f.fill.takerOrderHash)]);
  for (const key of orders) orderBusted(c, key, f.fill.baseAmount, outputs);
}

/** The order's filled amount and status no longer count a busted fill of `base` atoms. */
function orderBusted(c: CoreContext, key: string, base: bigint, outputs: CoreOutput[]): void {
  const o = c.s.orders.get(key);
  if (!o) return;
  o.busted = (o.busted ?? 0n) + base;
  o.filled -= base;
  const resting = c.engine.order(o.orderHash).status === "OPEN";
  if (resting) setStatus(c, o.orderHash, o.filled > 0n ? "partially_filled" : "open", outputs);
  else if (o.status === "filled") setStatus(c, o.orderHash, "cancelled", outputs);
  else outputs.push({ type: "order", order: o });
}

/**
 * Reverses busted fills in the ledger. Their quantity is not re-opened on the book (the engine
 * keeps cumulative filled amounts, which later fills' leaves carry): each still-open order's
 * reservation is re-synced to its remaining amount on the book.
 */
export function reverseFills(c: CoreContext, fillIds: number[]): void {
  if (fillIds.length === 0) return;
  c.ledger.rollbackFills(fillIds.map(String));
  const touched = new Set<string>();
  for (const id of fillIds) {
    const f = c.s.fills.get(id)!.fill;
    touched.add(lowercase(f.makerOrderHash));
    touched.add(lowercase(f.takerOrderHash));
  }
  for (const hash of touched) {
    const o = c.s.orders.get(hash);
    if (!o || !c.ledger.hasReservation(o.orderHash)) continue;
    c.ledger.release(o.orderHash);
    const view = c.engine.order(o.orderHash);
    const market = c.engine.marketConfig(o.order.marketId)!;
    if (view.status === "OPEN" && view.remaining! > 0n) {
      const terms = reservationTerms(o.orderHash, o.order, market, view.remaining!);
      c.ledger.reserve(terms, { force: true });
    }
  }
}

/**
 * Withdraws the cut batches from `r.fromBatchId` on, none of which may be committed yet: the
 * audited fills are busted, the others go back to MATCHED for the next cut (which judges them
 * again, against its own commit time), and the next batch id is `fromBatchId` again.
 */
export function recut(c: CoreContext, r: RecutRecord): ApplyResult {
  const s = c.s;
  const last = s.nextBatchId - 1n;
  if (r.fromBatchId > last) return { outputs: [], mutated: false };
  for (let id = r.fromBatchId; id <= last; id++) {
    if (s.batches.get(String(id))?.state !== "BATCHED") {
      return refused("BAD_REQUEST", { reason: `batch ${id} is not cut-and-uncommitted` });
    }
  }
  const outputs: CoreOutput[] = [];
  const toBust = new Set(r.bust);
  const busted: number[] = [];
  for (let id = r.fromBatchId; id <= last; id++) {
    for (const fillId of s.batches.get(String(id))!.fillIds) {
      const f = s.fills.get(fillId)!;
      if (toBust.has(fillId)) {
        bust(c, f, r.reason, outputs, true);
        busted.push(fillId);
      } else rematch(c, f);
    }
    s.batches.delete(String(id));
  }
  reverseFills(c, busted);
  s.nextBatchId = r.fromBatchId;
  outputs.push({ type: "recut", fromBatchId: r.fromBatchId, toBatchId: last, reason: r.reason });
  return { outputs, mutated: true };
}
