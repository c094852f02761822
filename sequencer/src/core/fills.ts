/**
 * Folding the engine's events into the core: fills into the ledger and the indexes, order status
 * changes, book sequence numbers; and each fill's way to final (the count of an order's pending
 * fills that retention waits for). A fill's Merkle leaf is built here too.
 */
import type { Hex } from "viem";
import { type FillLeaf, markFokRunEnds } from "@clearmatch/protocol";
import type { MatchingEngine } from "../engine/matching-engine.js";
import { FLAG_FOK, type EngineEvent, type FillEvent } from "../engine/types.js";
import { lowercase } from "../crypto/lowercase.js";
import type { CoreBatch, CoreFill, CoreOrderStatus, CoreOutput } from "./core-types.js";
import { CLOSED, findOrder, pushIndex, type CoreContext } from "./core-state.js";

/** Applies an engine input and folds its events into the core. */
export function runEngine(
  c: CoreContext,
  input: Parameters<MatchingEngine["apply"]>[0],
  ms: number,
  outputs: CoreOutput[],
): CoreFill[] {
  return foldEvents(c, c.engine.apply(input), ms, outputs);
}

/** Folds engine events into the core; returns the fills among them. */
export function foldEvents(
  c: CoreContext,
  events: EngineEvent[],
  ms: number,
  outputs: CoreOutput[],
): CoreFill[] {
  const s = c.s;
  const fills: CoreFill[] = [];
  for (const e of events) {
    switch (e.type) {
      case "fill": {
        const fill = addFill(c, e, ms);
        fills.push(fill);
        outputs.push({ type: "fill", fill });
        // A resting maker gets no "rested" event: a partial fill shows in its status here
        // (and its filled amount in the order update). A complete fill is its "filled" event.
        const maker = s.orders.get(lowercase(e.makerOrderHash));
        if (
          (maker?.status === "open" || maker?.status === "partially_filled") &&
          e.makerFilledAfter < maker.order.amount
        ) {
          setStatus(c, e.makerOrderHash, "partially_filled", outputs);
        }
        break;
      }
      case "rested":
        setStatus(c, e.orderHash, e.filled > 0n ? "partially_filled" : "open", outputs);
        break;
      case "filled":
      case "cancelled":
      case "expired":
        c.ledger.release(e.orderHash);
        setStatus(c, e.orderHash, e.type, outputs);
        break;
      case "level": {
        const seq = (s.bookSeq.get(e.marketId) ?? 0n) + 1n;
        s.bookSeq.set(e.marketId, seq);
        outputs.push({ type: "book", event: e, sequence: seq });
        break;
      }
      default:
        break;
    }
  }
  return fills;
}

function addFill(c: CoreContext, e: FillEvent, ms: number): CoreFill {
  const s = c.s;
  const market = c.engine.marketConfig(e.marketId)!;
  c.ledger.applyFill({
    fillId: String(e.fillId),
    makerOrderHash: e.makerOrderHash,
    takerOrderHash: e.takerOrderHash,
    maker: e.maker,
    taker: e.taker,
    takerSide: e.takerSide,
    baseToken: market.baseToken,
    quoteToken: market.quoteToken,
    baseAmount: e.baseAmount,
    quoteAmount: e.quoteAmount,
    makerFee: e.makerFee,
    takerFee: e.takerFee,
    feeRecipient: s.feeRecipient,
  });
  const fill: CoreFill = { fillId: e.fillId, fill: e, state: "MATCHED", matchedAt: ms };
  s.fills.set(e.fillId, fill);
  s.matched.add(e.fillId);
  s.lastPrice.set(e.marketId, e.price);
  pushIndex(s.accountFills, e.maker, e.fillId);
  if (lowercase(e.taker) !== lowercase(e.maker)) pushIndex(s.accountFills, e.taker, e.fillId);
  pushIndex(s.marketFills, String(e.marketId), e.fillId);
  // The engine's cumulative amounts include busted fills; an order's `filled` does not.
  const maker = s.orders.get(lowercase(e.makerOrderHash));
  if (maker) maker.filled = e.makerFilledAfter - (maker.busted ?? 0n);
  const taker = s.orders.get(lowercase(e.takerOrderHash));
  if (taker) taker.filled = e.takerFilledAfter - (taker.busted ?? 0n);
  countPending(c, e);
  return fill;
}

/** A fill of both orders that is not final yet (counted until `settled`). */
export function countPending(c: CoreContext, e: FillEvent): void {
  for (const hash of [e.makerOrderHash, e.takerOrderHash]) {
    const key = lowercase(hash);
    c.s.unsettled.set(key, (c.s.unsettled.get(key) ?? 0) + 1);
  }
}

export function setStatus(
  c: CoreContext,
  orderHash: Hex,
  status: CoreOrderStatus,
  outputs: CoreOutput[],
): void {
  const key = lowercase(orderHash);
  const o = c.s.orders.get(key);
  if (!o) return;
  o.status = status;
  if (CLOSED.has(status) && !c.s.unsettled.has(key)) c.s.pruneOrders.add(key);
  outputs.push({ type: "order", order: o });
}

/** Fill `f` became final (finalized or busted): it, and orders left with none pending, go. */
export function settled(c: CoreContext, f: CoreFill): void {
  const s = c.s;
  s.pruneFills.push(f.fillId);
  for (const hash of [f.fill.makerOrderHash, f.fill.takerOrderHash]) {
    const key = lowercase(hash);
    const left = (s.unsettled.get(key) ?? 1) - 1;
    if (left > 0) {
      s.unsettled.set(key, left);
      continue;
    }
    s.unsettled.delete(key);
    const o = s.orders.get(key);
    if (o && CLOSED.has(o.status)) s.pruneOrders.add(key);
  }
}

/** The batch's fills (but busted ones) move to `state`; a finalized batch is queued to prune. */
export function setBatchFills(c: CoreContext, b: CoreBatch, state: CoreFill["state"]): void {
  for (const id of b.fillIds) {
    const f = c.s.fills.get(id)!;
    if (f.state === "ROLLED_BACK") continue;
    f.state = state;
    if (state === "FINALIZED") settled(c, f);
  }
  if (state === "FINALIZED") c.s.pruneBatches.push(String(b.batchId));
}

/** Whether the fill's taker order is fill-or-kill. */
export function takerFok(c: CoreContext, f: CoreFill): boolean {
  const o = findOrder(c, f.fill.takerOrderHash);
  return o !== undefined && (o.order.flags & FLAG_FOK) !== 0;
}

/**
 * The fill's Merkle leaf in `batchId` at `index`; `fokRunEnd` is false here (it depends on the
 * next fill of the batch: `batchLeaves` and the cut set it).
 */
export function fillLeaf(c: CoreContext, f: CoreFill, batchId: bigint, index: number): FillLeaf {
  const { fillId: _fillId, type: _type, ...terms } = f.fill;
  return { batchId, index, ...terms, takerFok: takerFok(c, f), fokRunEnd: false };
}

/** A batch's leaves in batch order, FOK run ends marked as the contract marks them. */
export function batchLeaves(
  c: CoreContext,
  fills: readonly CoreFill[],
  batchId: bigint,
): FillLeaf[] {
  return markFokRunEnds(fills.map((f, i) => fillLeaf(c, f, batchId, i)));
}
