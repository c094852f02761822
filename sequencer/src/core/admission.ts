/**
 * Admission: whether an order or cancel may enter the core, decided before anything mutates (a
 * refused order leaves the state untouched and need not be journaled), and the policy records
 * that change it (kill switch, market halts). The engine's own post-only and fill-or-kill refusals
 * do mutate it (it remembers the hash): those records report `mutated` and are journaled, and
 * replay refuses them identically.
 */
import type { RejectReason } from "../engine/types.js";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { ErrorCode } from "../errors/error-codes.js";
import { lowercase } from "../crypto/lowercase.js";
import { requiredReservation } from "./balance-ledger.js";
import type { ApplyResult, CoreOrder, CoreOutput, MarketHalt } from "./core-types.js";
import {
  pushIndex,
  refused,
  reservationTerms,
  type CoreContext,
  type CoreState,
} from "./core-state.js";
import { foldEvents, runEngine } from "./fills.js";
import {
  recordTime,
  type CancelRecord,
  type HaltRecord,
  type KillSwitchRecord,
  type OrderRecord,
  type ResumeRecord,
} from "./service-record.js";

const REJECT_CODES: Partial<Record<RejectReason, ErrorCode>> = {
  UNKNOWN_MARKET: "UNKNOWN_MARKET",
  MARKET_PAUSED: "MARKET_PAUSED",
  INVALID_FLAGS: "INVALID_FLAGS",
  TICK_VIOLATION: "TICK_VIOLATION",
  LOT_VIOLATION: "LOT_VIOLATION",
  PRICE_OUT_OF_RANGE: "AMOUNT_TOO_LARGE",
  AMOUNT_OUT_OF_RANGE: "AMOUNT_TOO_LARGE",
  EXPIRED: "ORDER_EXPIRED",
  NONCE_INVALIDATED: "NONCE_INVALIDATED",
  DUPLICATE_ORDER: "DUPLICATE_ORDER",
  POST_ONLY_WOULD_CROSS: "POST_ONLY_WOULD_CROSS",
  FOK_UNFILLABLE: "FOK_UNFILLABLE",
  UNKNOWN_ORDER: "UNKNOWN_ORDER",
  LEVEL_CAPACITY: "AMOUNT_TOO_LARGE",
};

/**
 * Why a new order in `marketId` is refused by policy now: KILL_SWITCH while the kill switch is
 * engaged, MARKET_HALTED while the market is halted; undefined when it may trade. Cancels are
 * never refused by either.
 */
export function tradingRefusal(s: CoreState, marketId: number): ClearmatchError | undefined {
  const k = s.killSwitch;
  if (k.engaged) {
    return new ClearmatchError("KILL_SWITCH", undefined, {
      details: { reason: k.reason ?? null, since: k.since ?? null },
    });
  }
  const halt = s.halts.get(marketId);
  if (halt) {
    return new ClearmatchError("MARKET_HALTED", undefined, {
      details: { marketId, cause: halt.cause, since: halt.since, reason: halt.reason ?? null },
    });
  }
  return undefined;
}

export function admitOrder(c: CoreContext, r: OrderRecord): ApplyResult {
  const s = c.s;
  const key = lowercase(r.orderHash);
  const existing = s.orders.get(key);
  if (existing) {
    if (existing.signature.toLowerCase() === r.signature.toLowerCase()) {
      return { outputs: [], mutated: false, order: existing, created: false };
    }
    return refused("DUPLICATE_ORDER");
  }
  const o = r.order;
  if (s.chainCancels.has(key)) return refused("ORDER_CANCELLED");
  const locked = tradingRefusal(s, o.marketId);
  if (locked) return { outputs: [], mutated: false, error: locked };
  const market = c.engine.marketConfig(o.marketId);
  if (!market) return refused("UNKNOWN_MARKET");
  if (c.engine.isPaused(o.marketId)) return refused("MARKET_PAUSED");
  // A paused contract commits nothing: new fills would only pile up behind it.
  if (s.paused) return refused("SETTLEMENT_PAUSED");
  const floor = s.nonceFloors.get(lowercase(o.trader));
  if (floor !== undefined && o.nonce < floor) return refused("NONCE_INVALIDATED");
  if (o.price % market.tickSize !== 0n) return refused("TICK_VIOLATION");
  if (o.amount % market.lotSize !== 0n) return refused("LOT_VIOLATION");
  const minExpiry = BigInt(recordTime(r) + s.expiryMarginSec);
  if (o.expiry <= minExpiry) {
    return refused("ORDER_EXPIRED", { minExpiry: (minExpiry + 1n).toString() });
  }
  const terms = reservationTerms(r.orderHash, o, market, o.amount);
  const need = requiredReservation(terms);
  const available = c.ledger.available(o.trader, need.token);
  if (available < need.amount) {
    return refused("INSUFFICIENT_BALANCE", {
      token: need.token,
      required: need.amount.toString(),
      available: available.toString(),
    });
  }
  const events = c.engine.apply({
    type: "place",
    time: recordTime(r),
    orderHash: r.orderHash,
    // The engine retires the order expiryMarginSec before its signed expiry (see the getter).
    order: { ...o, expiry: o.expiry - BigInt(s.expiryMarginSec) },
  });
  const rejected = events.find((e) => e.type === "rejected");
  if (rejected) {
    const mutated =
      rejected.reason === "POST_ONLY_WOULD_CROSS" || rejected.reason === "FOK_UNFILLABLE";
    const code = REJECT_CODES[rejected.reason] ?? "BAD_REQUEST";
    return { ...refused(code, { reason: rejected.reason }), mutated };
  }
  const order: CoreOrder = {
    orderHash: r.orderHash,
    order: o,
    seq: s.nextOrderSeq++,
    signature: r.signature,
    acceptedAt: r.ms,
    status: "open",
    filled: 0n,
  };
  s.orders.set(key, order);
  pushIndex(s.accountOrders, o.trader, key);
  c.ledger.reserve(terms, { force: true });
  const outputs: CoreOutput[] = [];
  const fills = foldEvents(c, events, r.ms, outputs);
  outputs.push({ type: "order", order, accepted: true });
  return { outputs, mutated: true, order, created: true, fills };
}

export function cancelOrder(c: CoreContext, r: CancelRecord): ApplyResult {
  // An archived order is closed: the answer is the same as before it was pruned (and changes
  // nothing, so a replica without the archive stays equal).
  const order = c.s.orders.get(lowercase(r.orderHash)) ?? c.history.order(r.orderHash);
  if (!order) return refused("UNKNOWN_ORDER");
  if (order.status === "filled") return { ...refused("ORDER_FILLED"), order };
  if (order.status === "cancelled" || order.status === "expired") {
    return { outputs: [], mutated: false, order };
  }
  const outputs: CoreOutput[] = [];
  runEngine(
    c,
    { type: "cancel", time: recordTime(r), orderHash: order.orderHash, source: "user" },
    r.ms,
    outputs,
  );
  return { outputs, mutated: true, order };
}

export function setKillSwitch(s: CoreState, r: KillSwitchRecord): ApplyResult {
  const k = s.killSwitch;
  if (k.engaged === r.engaged && (!r.engaged || k.reason === r.reason)) {
    return { outputs: [], mutated: false };
  }
  s.killSwitch = r.engaged
    ? { engaged: true, ...(r.reason !== undefined ? { reason: r.reason } : {}), since: r.ms }
    : { engaged: false, since: r.ms };
  return { outputs: [], mutated: true };
}

/** Halts a market; an existing halt is kept (with its cause). */
export function haltMarket(c: CoreContext, r: HaltRecord): ApplyResult {
  if (!c.engine.marketConfig(r.marketId)) return refused("UNKNOWN_MARKET");
  if (c.s.halts.has(r.marketId)) return { outputs: [], mutated: false };
  const halt: MarketHalt = {
    marketId: r.marketId,
    cause: r.cause,
    since: r.ms,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.fromPrice !== undefined ? { fromPrice: r.fromPrice } : {}),
    ...(r.toPrice !== undefined ? { toPrice: r.toPrice } : {}),
  };
  c.s.halts.set(r.marketId, halt);
  return { outputs: [], mutated: true };
}

export function resumeMarket(c: CoreContext, r: ResumeRecord): ApplyResult {
  if (!c.engine.marketConfig(r.marketId)) return refused("UNKNOWN_MARKET");
  return { outputs: [], mutated: c.s.halts.delete(r.marketId) };
}
