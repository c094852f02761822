/**
 * Cutting a batch: MATCHED fills in fill order, within the contract's caps. A cut first busts
 * fills whose order was cancelled or nonce-invalidated on-chain, or expires by the time the cut's
 * commit lands (`commitBy`: the chain's time plus COMMIT_LATENCY_MAX): committed, they would be
 * provably invalid. Orders stop trading `expiryMarginSec` before expiry, which start-up checks
 * covers the batch age and the commit latency, so an honest run busts nothing here. Fills of a
 * paused market wait.
 */
import {
  type FillLeaf,
  MAX_BATCH_DELTAS,
  DeltaPairBudget,
  markFokRunEnds,
} from "@clearmatch/protocol";
import { lowercase } from "../crypto/lowercase.js";
import type { ApplyResult, CoreBatch, CoreFill, CoreOutput } from "./core-types.js";
import type { CoreContext } from "./core-state.js";
import { fillLeaf, takerFok } from "./fills.js";
import { bust, reverseFills } from "./rollback.js";
import { recordTime, type CutRecord } from "./service-record.js";

export function cutBatch(c: CoreContext, r: CutRecord): ApplyResult {
  const s = c.s;
  const outputs: CoreOutput[] = [];
  const ids = [...s.matched].sort((a, b) => a - b);
  if (ids.length === 0) return { outputs, mutated: false };
  const deadline = BigInt(r.commitBy ?? recordTime(r) + s.expiryMarginSec);
  const busted: number[] = [];
  const take: CoreFill[] = [];
  const bustOne = (f: CoreFill, why: string) => {
    bust(c, f, why, outputs, true);
    busted.push(f.fillId);
  };
  // A fill-or-kill order fills whole or not at all: one invalid fill of its run busts the run.
  const invalid = new Map<number, string>();
  const killed = new Set<string>();
  for (const id of ids) {
    const f = s.fills.get(id)!;
    const why = invalidAtCommit(c, f, deadline);
    if (why === undefined) continue;
    invalid.set(id, why);
    if (takerFok(c, f)) killed.add(lowercase(f.fill.takerOrderHash));
  }
  for (const id of ids) {
    const f = s.fills.get(id)!;
    if (!invalid.has(id) && killed.has(lowercase(f.fill.takerOrderHash)))
      invalid.set(id, "another fill of its fill-or-kill order is invalid at commit");
  }
  // Every cut keeps the contract's caps on deltas and on commit bytes (BATCH_MAX_DELTAS or the cap).
  const deltas = new DeltaPairBudget(r.maxDeltas ?? MAX_BATCH_DELTAS);
  let full = false;
  for (const id of ids) {
    const f = s.fills.get(id)!;
    const why = invalid.get(id);
    if (why) bustOne(f, why);
    else if (!full && !c.engine.isPaused(f.fill.marketId) && take.length < r.maxFills) {
      // Fills keep their order: the cut stops at the first that would overflow the deltas or bytes cap,
      // and the next batch starts with it. A fill exists only in a market the engine knows.
      const market = c.engine.marketConfig(f.fill.marketId)!;
      if (!deltas.tryTake(f.fill, market, s.feeRecipient)) full = true;
      else take.push(f);
    }
  }
  // A FOK run stays in one batch (the contract checks it starts at 0 and a proof that its end
  // reaches the amount): a run the caps cut short waits whole for the next batch. A run longer
  // than a whole batch (a FOK order matched against more makers than one batch holds) can never
  // settle whole: it is killed, as a FOK order that cannot fill is, rather than split into a
  // provable part that would roll back other traders' fills.
  const last = take[take.length - 1];
  if (last && takerFok(c, last)) {
    const hash = lowercase(last.fill.takerOrderHash);
    const sameRun = (f: CoreFill) => lowercase(f.fill.takerOrderHash) === hash;
    const next = ids.find((id) => id > last.fillId && !invalid.has(id));
    if (next !== undefined && sameRun(s.fills.get(next)!)) {
      let start = take.length;
      while (start > 0 && sameRun(take[start - 1]!)) start--;
      if (start === 0) {
        for (const id of ids) {
          const f = s.fills.get(id)!;
          if (invalid.has(id) || !sameRun(f)) continue;
          bustOne(f, "fill-or-kill order needs more fills than one batch holds");
        }
      }
      take.length = start;
    }
  }
  reverseFills(c, busted);
  if (take.length === 0) return { outputs, mutated: true };
  const batchId = s.nextBatchId++;
  const batch: CoreBatch = { batchId, fillIds: [], state: "BATCHED", cutAt: r.ms };
  const leaves: FillLeaf[] = [];
  take.forEach((f, index) => {
    f.state = "BATCHED";
    f.batchId = batchId;
    f.index = index;
    s.matched.delete(f.fillId);
    batch.fillIds.push(f.fillId);
    leaves.push(fillLeaf(c, f, batchId, index));
  });
  markFokRunEnds(leaves);
  s.batches.set(String(batchId), batch);
  outputs.push({ type: "batchCut", batch, leaves });
  return { outputs, mutated: true };
}

/** Why committing this fill would be provably invalid, or undefined. */
function invalidAtCommit(c: CoreContext, f: CoreFill, expiryDeadline: bigint): string | undefined {
  for (const hash of [f.fill.makerOrderHash, f.fill.takerOrderHash]) {
    const key = lowercase(hash);
    if (c.s.chainCancels.has(key)) return "order cancelled on-chain";
    const o = c.s.orders.get(key);
    if (!o) continue;
    const floor = c.s.nonceFloors.get(lowercase(o.order.trader));
    if (floor !== undefined && o.order.nonce < floor) return "nonce invalidated on-chain";
    if (o.order.expiry <= expiryDeadline) return "order expires before the commit";
  }
  return undefined;
}
