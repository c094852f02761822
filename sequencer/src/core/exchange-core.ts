/**
 * The exchange core: a deterministic state machine over journaled service records. No clock, no
 * I/O: time comes in each record's `ms`. It holds the matching engine, the balance ledger, the
 * signed orders, every fill with its settlement state, the batches, nonce floors and on-chain
 * cancels, the kill switch and market halts (admin and circuit-breaker records), and the last
 * chain event position applied (re-delivered chain events are no-ops).
 *
 * Every state-dependent check (kill switch, halt, market, pause, nonce, on-chain cancel, balance)
 * happens here, before anything mutates, so a refused order leaves the state untouched and need
 * not be journaled. The engine's own post-only and fill-or-kill refusals do mutate it (it remembers the hash): those
 * records report `mutated` and are journaled, and replay refuses them identically.
 *
 * Settlement policies (`docs/service.md`):
 * - A cut takes MATCHED fills in fill order. It first busts fills whose order was cancelled or
 *   nonce-invalidated on-chain, or expires by the time the cut's commit lands (`commitBy`: the
 *   chain's time plus COMMIT_LATENCY_MAX): committed, they would be provably invalid. Orders stop
 *   trading `expiryMarginSec` before expiry, which start-up checks covers the batch age and the
 *   commit latency, so an honest run busts nothing here. Fills of a paused market wait.
 * - `BatchesRolledBack(from, to, reason)`: fills of `from` the chain proved invalid are busted
 *   (see `bustedByRollback`); every other fill of the rolled-back batches returns to MATCHED and
 *   goes into the next cut with its leaf values unchanged (cumulative amounts stay consistent).
 *
 * Retention: what nothing can change any more leaves memory for the `history` archive at the next
 * clock tick (`expire` record): a fill once final (FINALIZED or ROLLED_BACK), a batch once
 * finalized or rolled back, an order once closed with every fill of it final. Queries read memory
 * first, then the archive, so answers do not depend on what was pruned.
 */
import type { Address, Hex } from "viem";
import {
  type FillLeaf,
  type Order,
  MAX_BATCH_DELTAS,
  buildDeltas,
  DeltaPairBudget,
  markFokRunEnds,
} from "@clearmatch/protocol";
import { MatchingEngine } from "../engine/matching-engine.js";
import type { EngineSnapshot } from "../engine/snapshot.js";
import {
  FLAG_FOK,
  type EngineEvent,
  type EngineOptions,
  type FillEvent,
  type MarketConfig,
  type RejectReason,
} from "../engine/types.js";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { ErrorCode } from "../errors/error-codes.js";
import {
  BalanceLedger,
  requiredReservation,
  type LedgerSnapshot,
  type ReservationTerms,
} from "./balance-ledger.js";
import type { MarketHalt } from "./core-types.js";
import type {
  ApplyResult,
  CoreBatch,
  CoreFill,
  CoreOrder,
  CoreOrderStatus,
  CoreOutput,
  KillSwitchState,
} from "./core-types.js";
import {
  fromTagged,
  fromTaggedJson,
  recordTime,
  toTagged,
  type CancelRecord,
  type ChainEventRecord,
  type CutRecord,
  type HaltRecord,
  type OrderRecord,
  type RecutRecord,
  type ServiceRecord,
} from "./service-record.js";
import { lowercase } from "../crypto/lowercase.js";
import { MemoryHistory, mergeNewest, type HistoryArchive } from "./history.js";

/** ISettlement.RollbackReason, by enum value. */
export const ROLLBACK_REASONS = [
  "FraudProof",
  "ConflictingFills",
  "ChallengeUnanswered",
  "DisputeUpheld",
  "NegativeBalance",
] as const;

/** Default of the init record's `expiryMarginSec` (journals written before it existed). */
export const DEFAULT_EXPIRY_MARGIN_SEC = 30;

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

const ZERO = "0x0000000000000000000000000000000000000000" as Address;

function engineOptions(options: ExchangeCoreOptions): EngineOptions {
  return options.engineCapacity === undefined ? {} : { initialCapacity: options.engineCapacity };
}

export interface ExchangeCoreOptions {
  /** The engine's `initialCapacity` (ENGINE_CAPACITY): orders its tables are sized for. */
  engineCapacity?: number;
  /**
   * Where pruned orders, fills and batches go, and where queries find them. Default: a
   * `MemoryHistory` (nothing leaves memory; for tests and tools).
   */
  history?: HistoryArchive;
}

const CLOSED: ReadonlySet<CoreOrderStatus> = new Set(["filled", "cancelled", "expired"]);
/** Past any id the core assigns: "before the newest" in archive queries. */
const NO_BOUND = Number.MAX_SAFE_INTEGER;

/** The key of an account's withdrawal request in one token (`CoreState.withdrawals`). */
function withdrawalKey(account: Address, token: Address): string {
  return `${account.toLowerCase()}:${token.toLowerCase()}`;
}

export class ExchangeCore {
  engine: MatchingEngine;
  ledger = new BalanceLedger();
  readonly history: HistoryArchive;
  #s = emptyState();

  /** A fresh core, or (`restore`) one around an already restored engine. */
  constructor(options: ExchangeCoreOptions = {}, engine?: MatchingEngine) {
    this.engine = engine ?? new MatchingEngine(engineOptions(options));
    this.history = options.history ?? new MemoryHistory();
  }

  /**
   * Seconds before its signed expiry at which an order stops trading. `order.expiry <= committedAt`
   * is a fraud proof and a commit lands some time after the match, so an order is accepted only
   * with at least this much life left, and the engine retires it this much early: a fill is never
   * matched that could expire before its commit. Set once by the init record (replay-stable).
   */
  get expiryMarginSec(): number {
    return this.#s.expiryMarginSec;
  }

  // ------------------------------------------------------------------ apply

  apply(record: ServiceRecord): ApplyResult {
    switch (record.kind) {
      case "init":
        if (this.#s.initialized) return { outputs: [], mutated: false };
        this.#s.initialized = true;
        this.#s.nextBatchId = record.nextBatchId;
        this.#s.feeRecipient = record.feeRecipient;
        this.#s.makerFeeBps = record.makerFeeBps;
        this.#s.takerFeeBps = record.takerFeeBps;
        this.#s.expiryMarginSec = record.expiryMarginSec ?? DEFAULT_EXPIRY_MARGIN_SEC;
        return { outputs: [], mutated: true };
      case "order":
        return this.#order(record);
      case "cancel":
        return this.#cancel(record);
      case "chain":
        return this.#chain(record);
      case "cut":
        return this.#cut(record);
      case "recut":
        return this.#recut(record);
      case "expire": {
        const outputs: CoreOutput[] = [];
        this.#engine({ type: "expire", time: recordTime(record) }, record.ms, outputs);
        this.#prune();
        return { outputs, mutated: true };
      }
      case "killSwitch": {
        const k = this.#s.killSwitch;
        if (k.engaged === record.engaged && (!record.engaged || k.reason === record.reason)) {
          return { outputs: [], mutated: false };
        }
        this.#s.killSwitch = record.engaged
          ? {
              engaged: true,
              ...(record.reason !== undefined ? { reason: record.reason } : {}),
              since: record.ms,
            }
          : { engaged: false, since: record.ms };
        return { outputs: [], mutated: true };
      }
      case "halt":
        return this.#halt(record);
      case "resume": {
        if (!this.engine.marketConfig(record.marketId)) return refused("UNKNOWN_MARKET");
        return { outputs: [], mutated: this.#s.halts.delete(record.marketId) };
      }
    }
  }

  /** Halts a market; an existing halt is kept (with its cause). */
  #halt(r: HaltRecord): ApplyResult {
    if (!this.engine.marketConfig(r.marketId)) return refused("UNKNOWN_MARKET");
    if (this.#s.halts.has(r.marketId)) return { outputs: [], mutated: false };
    const halt: MarketHalt = {
      marketId: r.marketId,
      cause: r.cause,
      since: r.ms,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      ...(r.fromPrice !== undefined ? { fromPrice: r.fromPrice } : {}),
      ...(r.toPrice !== undefined ? { toPrice: r.toPrice } : {}),
    };
    this.#s.halts.set(r.marketId, halt);
    return { outputs: [], mutated: true };
  }

  /**
   * Why a new order in `marketId` is refused by policy now: KILL_SWITCH while the kill switch is
   * engaged, MARKET_HALTED while the market is halted; undefined when it may trade. Cancels are
   * never refused by either.
   */
  tradingRefusal(marketId: number): ClearmatchError | undefined {
    const k = this.#s.killSwitch;
    if (k.engaged) {
      return new ClearmatchError("KILL_SWITCH", undefined, {
        details: { reason: k.reason ?? null, since: k.since ?? null },
      });
    }
    const halt = this.#s.halts.get(marketId);
    if (halt) {
      return new ClearmatchError("MARKET_HALTED", undefined, {
        details: { marketId, cause: halt.cause, since: halt.since, reason: halt.reason ?? null },
      });
    }
    return undefined;
  }

  #order(r: OrderRecord): ApplyResult {
    const s = this.#s;
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
    const locked = this.tradingRefusal(r.order.marketId);
    if (locked) return { outputs: [], mutated: false, error: locked };
    const market = this.engine.marketConfig(o.marketId);
    if (!market) return refused("UNKNOWN_MARKET");
    if (this.engine.isPaused(o.marketId)) return refused("MARKET_PAUSED");
    // A paused contract commits nothing: new fills would only pile up behind it.
    if (s.paused) return refused("SETTLEMENT_PAUSED");
    const floor = s.nonceFloors.get(lowercase(o.trader));
    if (floor !== undefined && o.nonce < floor) return refused("NONCE_INVALIDATED");
    if (o.price % market.tickSize !== 0n) return refused("TICK_VIOLATION");
    if (o.amount % market.lotSize !== 0n) return refused("LOT_VIOLATION");
    const minExpiry = BigInt(recordTime(r) + this.expiryMarginSec);
    if (o.expiry <= minExpiry) {
      return refused("ORDER_EXPIRED", { minExpiry: (minExpiry + 1n).toString() });
    }
    const terms = this.#terms(r.orderHash, o, market, o.amount);
    const need = requiredReservation(terms);
    const available = this.ledger.available(o.trader, need.token);
    if (available < need.amount) {
      return refused("INSUFFICIENT_BALANCE", {
        token: need.token,
        required: need.amount.toString(),
        available: available.toString(),
      });
    }
    const events = this.engine.apply({
      type: "place",
      time: recordTime(r),
      orderHash: r.orderHash,
      // The engine retires the order expiryMarginSec before its signed expiry (see the getter).
      order: { ...o, expiry: o.expiry - BigInt(this.expiryMarginSec) },
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
    this.ledger.reserve(terms, { force: true });
    const outputs: CoreOutput[] = [];
    const fills = this.#events(events, r.ms, outputs);
    outputs.push({ type: "order", order, accepted: true });
    return { outputs, mutated: true, order, created: true, fills };
  }

  #cancel(r: CancelRecord): ApplyResult {
    // An archived order is closed: the answer is the same as before it was pruned (and changes
    // nothing, so a replica without the archive stays equal).
    const order = this.#s.orders.get(lowercase(r.orderHash)) ?? this.history.order(r.orderHash);
    if (!order) return refused("UNKNOWN_ORDER");
    if (order.status === "filled") return { ...refused("ORDER_FILLED"), order };
    if (order.status === "cancelled" || order.status === "expired") {
      return { outputs: [], mutated: false, order };
    }
    const outputs: CoreOutput[] = [];
    this.#engine(
      { type: "cancel", time: recordTime(r), orderHash: order.orderHash, source: "user" },
      r.ms,
      outputs,
    );
    return { outputs, mutated: true, order };
  }

  /** Applies an engine input and folds its events into the core. */
  #engine(input: Parameters<MatchingEngine["apply"]>[0], ms: number, outputs: CoreOutput[]) {
    return this.#events(this.engine.apply(input), ms, outputs);
  }

  #events(events: EngineEvent[], ms: number, outputs: CoreOutput[]): CoreFill[] {
    const s = this.#s;
    const fills: CoreFill[] = [];
    for (const e of events) {
      switch (e.type) {
        case "fill": {
          const fill = this.#addFill(e, ms);
          fills.push(fill);
          outputs.push({ type: "fill", fill });
          // A resting maker gets no "rested" event: a partial fill shows in its status here
          // (and its filled amount in the order update). A complete fill is its "filled" event.
          const maker = s.orders.get(lowercase(e.makerOrderHash));
          if (
            (maker?.status === "open" || maker?.status === "partially_filled") &&
            e.makerFilledAfter < maker.order.amount
          ) {
            this.#setStatus(e.makerOrderHash, "partially_filled", outputs);
          }
          break;
        }
        case "rested":
          this.#setStatus(e.orderHash, e.filled > 0n ? "partially_filled" : "open", outputs);
          break;
        case "filled":
          this.ledger.release(e.orderHash);
          this.#setStatus(e.orderHash, "filled", outputs);
          break;
        case "cancelled":
          this.ledger.release(e.orderHash);
          this.#setStatus(e.orderHash, "cancelled", outputs);
          break;
        case "expired":
          this.ledger.release(e.orderHash);
          this.#setStatus(e.orderHash, "expired", outputs);
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

  #addFill(e: FillEvent, ms: number): CoreFill {
    const s = this.#s;
    const market = this.engine.marketConfig(e.marketId)!;
    this.ledger.applyFill({
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
    this.#countPending(e);
    return fill;
  }

  /** A fill of both orders that is not final yet (counted until `#settled`). */
  #countPending(e: FillEvent) {
    for (const hash of [e.makerOrderHash, e.takerOrderHash]) {
      const key = lowercase(hash);
      this.#s.unsettled.set(key, (this.#s.unsettled.get(key) ?? 0) + 1);
    }
  }

  #setStatus(orderHash: Hex, status: CoreOrderStatus, outputs: CoreOutput[]) {
    const key = lowercase(orderHash);
    const o = this.#s.orders.get(key);
    if (!o) return;
    o.status = status;
    if (CLOSED.has(status) && !this.#s.unsettled.has(key)) this.#s.pruneOrders.add(key);
    outputs.push({ type: "order", order: o });
  }

  /** Fill `f` became final (finalized or busted): it, and orders left with none pending, go. */
  #settled(f: CoreFill) {
    const s = this.#s;
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

  /**
   * Moves what became final since the last tick to the archive: it leaves the maps and the
   * account and market lists, so memory holds only what is live.
   */
  #prune() {
    const s = this.#s;
    const orders: CoreOrder[] = [];
    const fills: CoreFill[] = [];
    const batches: CoreBatch[] = [];
    for (const key of s.pruneOrders) {
      const o = s.orders.get(key);
      // Closed, with no fill left pending (a maker's later fill may have reopened the count).
      if (o && CLOSED.has(o.status) && !s.unsettled.has(key)) orders.push(o);
    }
    for (const id of s.pruneFills) {
      const f = s.fills.get(id);
      if (f) fills.push(f);
    }
    for (const key of s.pruneBatches) {
      const b = s.batches.get(key);
      if (b) batches.push(b);
    }
    const any = orders.length + fills.length + batches.length !== 0;
    // Archived first: if that throws, the core is as it was and the queues are still there.
    if (any) this.history.write({ orders, fills, batches });
    s.pruneOrders.clear();
    s.pruneFills = [];
    s.pruneBatches = [];
    if (!any) return;
    for (const b of batches) s.batches.delete(String(b.batchId));
    const gone = new Set<string | number>();
    /** Each list an entry leaves, and how many of its items leave it. */
    const lists = new Map<(string | number)[], number>();
    const leaves = (map: Map<string, (string | number)[]>, key: string) => {
      const list = map.get(lowercase(key));
      if (list) lists.set(list, (lists.get(list) ?? 0) + 1);
    };
    for (const o of orders) {
      const key = lowercase(o.orderHash);
      s.orders.delete(key);
      gone.add(key);
      leaves(s.accountOrders, o.order.trader);
    }
    for (const f of fills) {
      s.fills.delete(f.fillId);
      gone.add(f.fillId);
      leaves(s.accountFills, f.fill.maker);
      // The taker's fills are listed apart only when it is another account (see #addFill).
      if (lowercase(f.fill.taker) !== lowercase(f.fill.maker)) leaves(s.accountFills, f.fill.taker);
      leaves(s.marketFills, String(f.fill.marketId));
    }
    // Keeping order: the lists stay sorted by acceptance (orders) or fill id (fills). What leaves
    // is usually the oldest (batches finalize in order), a prefix: cut at the front then, which
    // V8 does without copying the rest; otherwise compact in place.
    for (const [list, count] of lists) {
      let prefix = 0;
      while (prefix < list.length && gone.has(list[prefix]!)) prefix++;
      if (prefix === count) {
        list.splice(0, prefix);
        continue;
      }
      let n = 0;
      for (const item of list) if (!gone.has(item)) list[n++] = item;
      list.length = n;
    }
  }

  // ------------------------------------------------------------------ chain events

  #chain(r: ChainEventRecord): ApplyResult {
    const s = this.#s;
    if (r.position <= s.lastPosition) return { outputs: [], mutated: false };
    s.lastPosition = r.position;
    const outputs: CoreOutput[] = [];
    const time = recordTime(r);
    switch (r.name) {
      case "MarketRegistered": {
        const market: MarketConfig = {
          marketId: Number(r.args.marketId),
          baseToken: r.args.baseToken,
          quoteToken: r.args.quoteToken,
          tickSize: r.args.tickSize,
          lotSize: r.args.lotSize,
          baseDecimals: Number(r.args.baseDecimals),
          makerFeeBps: s.makerFeeBps,
          takerFeeBps: s.takerFeeBps,
        };
        this.#engine({ type: "addMarket", time, market }, r.ms, outputs);
        break;
      }
      case "MarketPaused":
        this.#engine(
          {
            type: "setMarketPaused",
            time,
            marketId: Number(r.args.marketId),
            paused: Boolean(r.args.paused),
          },
          r.ms,
          outputs,
        );
        break;
      case "Paused":
      case "Unpaused":
        s.paused = r.name === "Paused";
        break;
      case "FeeRecipientSet":
        s.feeRecipient = r.args.feeRecipient;
        break;
      case "Deposited":
        s.depositors.add(String(r.args.account).toLowerCase());
        this.ledger.deposit(r.args.account, r.args.token, r.args.amount);
        break;
      case "WithdrawalRequested": {
        // A new request replaces the earlier one (ISettlement.requestWithdrawal).
        this.#releaseWithdrawalRequest(r.args.account, r.args.token);
        const amount = r.args.amount;
        if (amount > 0n) this.ledger.requestWithdrawal(r.args.account, r.args.token, amount);
        s.withdrawals.set(withdrawalKey(r.args.account, r.args.token), amount);
        break;
      }
      case "Withdrawn": {
        const k = withdrawalKey(r.args.account, r.args.token);
        const prev = s.withdrawals.get(k) ?? 0n;
        const amount = r.args.amount;
        // `withdraw` pays min(requested, balance) and consumes the whole request.
        if (amount > 0n) this.ledger.withdraw(r.args.account, r.args.token, amount);
        if (prev > amount) {
          this.ledger.cancelWithdrawalRequest(r.args.account, r.args.token, prev - amount);
        }
        s.withdrawals.delete(k);
        break;
      }
      case "WithdrawalCancelled":
        // The trader took its request back (ISettlement.cancelWithdrawal).
        this.#releaseWithdrawalRequest(r.args.account, r.args.token);
        break;
      case "OrderCancelled": {
        const hash = r.args.orderHash.toLowerCase() as Hex;
        s.chainCancels.add(hash);
        this.#engine({ type: "cancel", time, orderHash: hash, source: "chain" }, r.ms, outputs);
        break;
      }
      case "NoncesInvalidated": {
        const trader = r.args.trader.toLowerCase() as Address;
        const min = r.args.minNonce;
        if ((s.nonceFloors.get(trader) ?? 0n) < min) s.nonceFloors.set(trader, min);
        this.#engine({ type: "invalidateNonces", time, trader, minNonce: min }, r.ms, outputs);
        break;
      }
      case "BatchCommitted": {
        const b = s.batches.get(String(r.args.batchId));
        if (b && b.state === "BATCHED") {
          b.state = "COMMITTED";
          b.committedAt = r.ms;
          b.finalizableAt = r.args.finalizableAt;
          b.commitTx = r.transactionHash;
          this.#setFills(b, "COMMITTED");
          outputs.push({ type: "batch", batch: b });
        }
        break;
      }
      case "BatchFinalized": {
        const b = s.batches.get(String(r.args.batchId));
        if (b && (b.state === "COMMITTED" || b.state === "BATCHED")) {
          b.state = "FINALIZED";
          b.settledAt = r.ms;
          b.settleTx = r.transactionHash;
          this.ledger.applyBatchFinalized(b.fillIds.map(String));
          this.#setFills(b, "FINALIZED");
          outputs.push({ type: "batch", batch: b });
        }
        break;
      }
      case "FraudProven":
        pushIndex(s.provenOrders, String(r.args.batchId), r.args.orderHash.toLowerCase());
        break;
      case "ChallengeOpened":
        s.challenges.set(String(r.args.challengeId), {
          batchId: r.args.batchId,
          orderHash: r.args.orderHash.toLowerCase() as Hex,
        });
        outputs.push({
          type: "challenge",
          challengeId: r.args.challengeId,
          batchId: r.args.batchId,
          orderHash: r.args.orderHash,
        });
        break;
      case "ChallengeUpheld": {
        const c = s.challenges.get(String(r.args.challengeId));
        if (c) pushIndex(s.provenOrders, String(c.batchId), c.orderHash);
        break;
      }
      case "BatchesRolledBack":
        this.#rollback(r.args.fromBatchId, r.args.toBatchId, Number(r.args.reason), r, outputs);
        break;
      default:
        break;
    }
    return { outputs, mutated: true };
  }

  #setFills(b: CoreBatch, state: CoreFill["state"]) {
    for (const id of b.fillIds) {
      const f = this.#s.fills.get(id)!;
      if (f.state === "ROLLED_BACK") continue;
      f.state = state;
      if (state === "FINALIZED") this.#settled(f);
    }
    if (state === "FINALIZED") this.#s.pruneBatches.push(String(b.batchId));
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
  #bustedByRollback(from: CoreBatch, reason: string): Set<number> {
    const s = this.#s;
    const fills = from.fillIds.map((id) => s.fills.get(id)!);
    if (reason === "ConflictingFills") return new Set(from.fillIds);
    if (reason === "FraudProof" || reason === "ChallengeUnanswered") {
      const proven = new Set(s.provenOrders.get(String(from.batchId)) ?? []);
      return new Set(
        fills
          .filter(
            (f) =>
              proven.has(f.fill.makerOrderHash.toLowerCase()) ||
              proven.has(f.fill.takerOrderHash.toLowerCase()),
          )
          .map((f) => f.fillId),
      );
    }
    if (reason === "NegativeBalance") {
      const deltas = buildDeltas(
        fills.map((f) => this.leaf(f, 0n, 0)),
        (id) => this.engine.marketConfig(id),
        s.feeRecipient,
      );
      const short = new Set<string>();
      for (const d of deltas) {
        if (this.ledger.balance(d.account, d.token).finalized + d.delta < 0n) {
          short.add(d.account.toLowerCase());
        }
      }
      return new Set(
        fills
          .filter(
            (f) => short.has(f.fill.maker.toLowerCase()) || short.has(f.fill.taker.toLowerCase()),
          )
          .map((f) => f.fillId),
      );
    }
    return new Set();
  }

  #rollback(
    from: bigint,
    to: bigint,
    reasonCode: number,
    r: ChainEventRecord,
    outputs: CoreOutput[],
  ) {
    const s = this.#s;
    const reason = ROLLBACK_REASONS[reasonCode] ?? `Reason${reasonCode}`;
    const first = s.batches.get(String(from));
    const busted = first ? this.#bustedByRollback(first, reason) : new Set<number>();
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
          this.#bust(f, `${reason} in batch ${from}`, outputs, false);
        } else {
          // Still valid: back to MATCHED, re-batched by the next cut with the same leaf values.
          f.state = "MATCHED";
          delete f.batchId;
          delete f.index;
          s.matched.add(fillId);
        }
      }
    }
    this.#reverse(bustIds, r, outputs);
    // The order the chain proved against is not traded further (its trader disowns it, or it is
    // provably invalid): cancel what remains of it.
    for (const hash of s.provenOrders.get(String(from)) ?? []) {
      const o = s.orders.get(String(hash));
      if (o && (o.status === "open" || o.status === "partially_filled")) {
        this.#engine(
          { type: "cancel", time: recordTime(r), orderHash: o.orderHash, source: "user" },
          r.ms,
          outputs,
        );
      }
    }
  }

  /** Marks a fill busted (state only); `#reverse` undoes its ledger effect. */
  #bust(f: CoreFill, reason: string, outputs: CoreOutput[], clearBatch: boolean) {
    f.state = "ROLLED_BACK";
    f.bustReason = reason;
    this.#settled(f);
    if (clearBatch) {
      delete f.batchId;
      delete f.index;
    }
    this.#s.matched.delete(f.fillId);
    outputs.push({ type: "bust", fill: f, reason });
    const orders = new Set([lowercase(f.fill.makerOrderHash), lowercase(f.fill.takerOrderHash)]);
    for (const key of orders) this.#orderBusted(key, f.fill.baseAmount, outputs);
  }

  /** The order's filled amount and status no longer count a busted fill of `base` atoms. */
  #orderBusted(key: string, base: bigint, outputs: CoreOutput[]) {
    const o = this.#s.orders.get(key);
    if (!o) return;
    o.busted = (o.busted ?? 0n) + base;
    o.filled -= base;
    const resting = this.engine.order(o.orderHash).status === "OPEN";
    if (resting) this.#setStatus(o.orderHash, o.filled > 0n ? "partially_filled" : "open", outputs);
    else if (o.status === "filled") this.#setStatus(o.orderHash, "cancelled", outputs);
    else outputs.push({ type: "order", order: o });
  }

  /**
   * Reverses busted fills in the ledger. Their quantity is not re-opened on the book (the engine
   * keeps cumulative filled amounts, which later fills' leaves carry): each still-open order's
   * reservation is re-synced to its remaining amount on the book.
   */
  #reverse(fillIds: number[], r: { ms: number }, outputs: CoreOutput[]) {
    if (fillIds.length === 0) return;
    void r;
    void outputs;
    this.ledger.rollbackFills(fillIds.map(String));
    const touched = new Set<string>();
    for (const id of fillIds) {
      const f = this.#s.fills.get(id)!.fill;
      touched.add(f.makerOrderHash.toLowerCase());
      touched.add(f.takerOrderHash.toLowerCase());
    }
    for (const hash of touched) {
      const o = this.#s.orders.get(hash);
      if (!o || !this.ledger.hasReservation(o.orderHash)) continue;
      this.ledger.release(o.orderHash);
      const view = this.engine.order(o.orderHash);
      const market = this.engine.marketConfig(o.order.marketId)!;
      if (view.status === "OPEN" && view.remaining! > 0n) {
        this.ledger.reserve(this.#terms(o.orderHash, o.order, market, view.remaining!), {
          force: true,
        });
      }
    }
  }

  // ------------------------------------------------------------------ batches

  #cut(r: CutRecord): ApplyResult {
    const s = this.#s;
    const outputs: CoreOutput[] = [];
    const ids = [...s.matched].sort((a, b) => a - b);
    if (ids.length === 0) return { outputs, mutated: false };
    const deadline = BigInt(r.commitBy ?? recordTime(r) + this.expiryMarginSec);
    const bust: number[] = [];
    const take: CoreFill[] = [];
    // A fill-or-kill order fills whole or not at all: one invalid fill of its run busts the run.
    const invalid = new Map<number, string>();
    const killed = new Set<string>();
    for (const id of ids) {
      const f = s.fills.get(id)!;
      const why = this.#invalidAtCommit(f, deadline);
      if (why === undefined) continue;
      invalid.set(id, why);
      if (this.#takerFok(f)) killed.add(lowercase(f.fill.takerOrderHash));
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
      if (why) {
        this.#bust(f, why, outputs, true);
        bust.push(id);
      } else if (!full && !this.engine.isPaused(f.fill.marketId) && take.length < r.maxFills) {
        // Fills keep their order: the cut stops at the first that would overflow the deltas or bytes cap,
        // and the next batch starts with it. A fill exists only in a market the engine knows.
        const market = this.engine.marketConfig(f.fill.marketId)!;
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
    if (last && this.#takerFok(last)) {
      const hash = lowercase(last.fill.takerOrderHash);
      const next = ids.find((id) => id > last.fillId && !invalid.has(id));
      if (next !== undefined && lowercase(s.fills.get(next)!.fill.takerOrderHash) === hash) {
        let start = take.length;
        while (start > 0 && lowercase(take[start - 1]!.fill.takerOrderHash) === hash) start--;
        if (start === 0) {
          for (const id of ids) {
            const f = s.fills.get(id)!;
            if (invalid.has(id) || lowercase(f.fill.takerOrderHash) !== hash) continue;
            this.#bust(
              f,
              "fill-or-kill order needs more fills than one batch holds",
              outputs,
              true,
            );
            bust.push(id);
          }
        }
        take.length = start;
      }
    }
    this.#reverse(bust, r, outputs);
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
      leaves.push(this.leaf(f, batchId, index));
    });
    markFokRunEnds(leaves);
    s.batches.set(String(batchId), batch);
    outputs.push({ type: "batchCut", batch, leaves });
    return { outputs, mutated: true };
  }

  /** Releases the amount `account` has requested to withdraw in `token`, if any, in the ledger. */
  #releaseWithdrawalRequest(account: Address, token: Address): void {
    const k = withdrawalKey(account, token);
    const prev = this.#s.withdrawals.get(k) ?? 0n;
    if (prev > 0n) this.ledger.cancelWithdrawalRequest(account, token, prev);
    this.#s.withdrawals.delete(k);
  }

  /**
   * Withdraws the cut batches from `r.fromBatchId` on, none of which may be committed yet: the
   * audited fills are busted, the others go back to MATCHED for the next cut (which judges them
   * again, against its own commit time), and the next batch id is `fromBatchId` again.
   */
  #recut(r: RecutRecord): ApplyResult {
    const s = this.#s;
    const last = s.nextBatchId - 1n;
    if (r.fromBatchId > last) return { outputs: [], mutated: false };
    for (let id = r.fromBatchId; id <= last; id++) {
      if (s.batches.get(String(id))?.state !== "BATCHED") {
        return refused("BAD_REQUEST", { reason: `batch ${id} is not cut-and-uncommitted` });
      }
    }
    const outputs: CoreOutput[] = [];
    const bust = new Set(r.bust);
    const busted: number[] = [];
    for (let id = r.fromBatchId; id <= last; id++) {
      for (const fillId of s.batches.get(String(id))!.fillIds) {
        const f = s.fills.get(fillId)!;
        delete f.batchId;
        delete f.index;
        if (bust.has(fillId)) {
          this.#bust(f, r.reason, outputs, true);
          busted.push(fillId);
        } else {
          f.state = "MATCHED";
          s.matched.add(fillId);
        }
      }
      s.batches.delete(String(id));
    }
    this.#reverse(busted, r, outputs);
    s.nextBatchId = r.fromBatchId;
    outputs.push({ type: "recut", fromBatchId: r.fromBatchId, toBatchId: last, reason: r.reason });
    return { outputs, mutated: true };
  }

  /** Why committing this fill would be provably invalid, or undefined. */
  #invalidAtCommit(f: CoreFill, expiryDeadline: bigint): string | undefined {
    for (const hash of [f.fill.makerOrderHash, f.fill.takerOrderHash]) {
      const key = hash.toLowerCase();
      if (this.#s.chainCancels.has(key)) return "order cancelled on-chain";
      const o = this.#s.orders.get(key);
      if (!o) continue;
      const floor = this.#s.nonceFloors.get(o.order.trader.toLowerCase());
      if (floor !== undefined && o.order.nonce < floor) return "nonce invalidated on-chain";
      if (o.order.expiry <= expiryDeadline) return "order expires before the commit";
    }
    return undefined;
  }

  /** Whether the fill's taker order is fill-or-kill. */
  #takerFok(f: CoreFill): boolean {
    const o = this.order(f.fill.takerOrderHash);
    return o !== undefined && (o.order.flags & FLAG_FOK) !== 0;
  }

  /** A batch's leaves in batch order, FOK run ends marked as the contract marks them. */
  batchLeaves(batch: { batchId: bigint; fillIds: readonly number[] }): FillLeaf[] {
    return markFokRunEnds(
      batch.fillIds.map((id, i) => this.leaf(this.fill(id)!, batch.batchId, i)),
    );
  }

  /**
   * The fill's Merkle leaf in `batchId` at `index`; `fokRunEnd` is false here (it depends on the
   * next fill of the batch: `batchLeaves` and the cut set it).
   */
  leaf(f: CoreFill, batchId: bigint, index: number): FillLeaf {
    const e = f.fill;
    return {
      batchId,
      index,
      makerOrderHash: e.makerOrderHash,
      takerOrderHash: e.takerOrderHash,
      maker: e.maker,
      taker: e.taker,
      marketId: e.marketId,
      takerSide: e.takerSide,
      price: e.price,
      baseAmount: e.baseAmount,
      quoteAmount: e.quoteAmount,
      makerFee: e.makerFee,
      takerFee: e.takerFee,
      makerFilledAfter: e.makerFilledAfter,
      takerFilledAfter: e.takerFilledAfter,
      takerFok: this.#takerFok(f),
      fokRunEnd: false,
    };
  }

  #terms(orderHash: Hex, o: Order, market: MarketConfig, remaining: bigint): ReservationTerms {
    return {
      orderHash,
      account: o.trader,
      side: o.side,
      price: o.price,
      remaining,
      maxFeeBps: o.maxFeeBps,
      baseToken: market.baseToken,
      quoteToken: market.quoteToken,
      baseDecimals: market.baseDecimals,
    };
  }

  // ------------------------------------------------------------------ queries

  get initialized(): boolean {
    return this.#s.initialized;
  }
  get feeRecipient(): Address {
    return this.#s.feeRecipient;
  }
  get nextBatchId(): bigint {
    return this.#s.nextBatchId;
  }
  get lastChainPosition(): bigint {
    return this.#s.lastPosition;
  }
  get matchedCount(): number {
    return this.#s.matched.size;
  }
  get chainPaused(): boolean {
    return this.#s.paused;
  }
  /** The kill switch, as the last `killSwitch` record left it. */
  get killSwitch(): KillSwitchState {
    return this.#s.killSwitch;
  }
  /** The market's halt, if it is halted (operator or circuit breaker). */
  halt(marketId: number): MarketHalt | undefined {
    return this.#s.halts.get(marketId);
  }
  /** Every halted market. */
  haltedMarkets(): MarketHalt[] {
    return [...this.#s.halts.values()];
  }
  /** An order by hash, live or archived. */
  order(orderHash: Hex): CoreOrder | undefined {
    return this.#s.orders.get(lowercase(orderHash)) ?? this.history.order(orderHash);
  }
  /**
   * `order`, for the intake's idempotency check on every submission: the archive is asked only
   * when the engine still knows the hash (it remembers every accepted order until its expiry has
   * passed, and an order past expiry is refused as expired anyway), so a new order costs no
   * archive lookup.
   */
  knownOrder(orderHash: Hex): CoreOrder | undefined {
    const live = this.#s.orders.get(lowercase(orderHash));
    if (live) return live;
    if (this.engine.order(lowercase(orderHash)).status === "UNKNOWN") return undefined;
    return this.history.order(orderHash);
  }
  /** Whether the order was cancelled on-chain (as the chain watcher has delivered so far). */
  cancelledOnChain(orderHash: Hex): boolean {
    return this.#s.chainCancels.has(lowercase(orderHash));
  }
  /** The trader's on-chain minimum nonce as delivered so far (0 if never raised). */
  nonceFloor(trader: Address): bigint {
    return this.#s.nonceFloors.get(lowercase(trader)) ?? 0n;
  }
  /** A fill by id, live or archived. */
  fill(fillId: number): CoreFill | undefined {
    return this.#s.fills.get(fillId) ?? this.history.fill(fillId);
  }
  /** A batch by id, live or archived. */
  batch(batchId: bigint): CoreBatch | undefined {
    return this.#s.batches.get(String(batchId)) ?? this.history.batch(batchId);
  }
  /** Batches still held in memory (not yet final, or final since the last tick), newest first. */
  liveBatches(): CoreBatch[] {
    return [...this.#s.batches.values()].sort((a, b) => (a.batchId < b.batchId ? 1 : -1));
  }
  /** Every batch, live and archived, newest first (diagnostics and tests: reads the archive). */
  batches(): CoreBatch[] {
    return this.batchesPage(Number.MAX_SAFE_INTEGER);
  }
  /** At most `limit` batches with ids below `before` (default: all), newest first. */
  batchesPage(limit: number, before?: bigint): CoreBatch[] {
    const live = this.liveBatches().filter((b) => before === undefined || b.batchId < before);
    const archived = this.history.batches(before ?? 1n << 64n, limit);
    return mergeNewest(live.slice(0, limit), archived, (b) => b.batchId, limit);
  }
  /** An account's orders, newest first. */
  accountOrders(account: Address): CoreOrder[] {
    return this.accountOrdersPage(account, Number.MAX_SAFE_INTEGER)!;
  }
  /** An account's fills, newest first. */
  accountFills(account: Address): CoreFill[] {
    return this.accountFillsPage(account, Number.MAX_SAFE_INTEGER)!;
  }
  /**
   * One page of the order feed: every accepted order of every account, signature included, in
   * acceptance order (`seq` ascending), at most `limit` with `seq > afterSeq`, live or archived.
   * Paging is stable: new orders get higher `seq`, and an order moving to the archive keeps its
   * own. A page walks the live orders once (O(live orders)); the archive answers by index.
   */
  acceptedOrdersPage(afterSeq: number, limit: number): CoreOrder[] {
    const live: CoreOrder[] = [];
    for (const o of this.#s.orders.values()) if (o.seq > afterSeq) live.push(o);
    live.sort((x, y) => x.seq - y.seq);
    if (live.length > limit) live.length = limit;
    return mergeNewest(live, this.history.acceptedOrders(afterSeq, limit), (o) => -o.seq, limit);
  }

  /**
   * One page of an account's orders, newest (highest `seq`) first: at most `limit`, starting
   * right after the order `after` (the previous page's last order hash), else from the newest.
   * Undefined when `after` is not one of the account's orders. Paging is stable while new orders
   * arrive (they go before the first page) and while orders move to the archive.
   */
  accountOrdersPage(account: Address, limit: number, after?: Hex): CoreOrder[] | undefined {
    const key = account.toLowerCase();
    let before = NO_BOUND;
    if (after !== undefined) {
      const cursor = this.order(after);
      if (!cursor || cursor.order.trader.toLowerCase() !== key) return undefined;
      before = cursor.seq;
    }
    const list = this.#s.accountOrders.get(key) ?? [];
    const orderAt = (i: number) => this.#s.orders.get(list[i] as string)!;
    // The list is in acceptance order: the live orders before the cursor are a prefix of it.
    const lo = lowerBound(list.length, (i) => orderAt(i).seq < before);
    const live: CoreOrder[] = [];
    for (let i = lo - 1; i >= 0 && live.length < limit; i--) live.push(orderAt(i));
    const archived = this.history.accountOrders(account, before, limit);
    return mergeNewest(live, archived, (o) => o.seq, limit);
  }
  /**
   * One page of an account's fills, newest (highest fill id) first: at most `limit`, starting
   * right after fill `after` (the previous page's last fill id), else from the newest. Undefined
   * when `after` is not one of the account's fills. Stable as above.
   */
  accountFillsPage(account: Address, limit: number, after?: number): CoreFill[] | undefined {
    const key = account.toLowerCase();
    let before = NO_BOUND;
    if (after !== undefined) {
      const cursor = this.fill(after);
      if (!cursor || (lowercase(cursor.fill.maker) !== key && lowercase(cursor.fill.taker) !== key))
        return undefined;
      before = after;
    }
    const list = (this.#s.accountFills.get(key) ?? []) as number[];
    // Fill ids are assigned in increasing order and appended as matched: the list is sorted.
    const end = lowerBound(list.length, (i) => list[i]! < before);
    const live = pageBackwards(list, end, limit).map((id) => this.#s.fills.get(id)!);
    const archived = this.history.accountFills(account, before, limit);
    return mergeNewest(live, archived, (f) => f.fillId, limit);
  }
  /** A market's fills, newest first (busted ones included; callers filter). */
  marketFills(marketId: number, limit: number): CoreFill[] {
    const ids = this.#s.marketFills.get(String(marketId)) ?? [];
    const live = ids
      .slice(-limit)
      .map((id) => this.#s.fills.get(id as number)!)
      .reverse();
    return mergeNewest(live, this.history.marketFills(marketId, limit), (f) => f.fillId, limit);
  }
  lastPrice(marketId: number): bigint | undefined {
    return this.#s.lastPrice.get(marketId);
  }
  bookSequence(marketId: number): bigint {
    return this.#s.bookSeq.get(marketId) ?? 0n;
  }
  /** Every challenge the chain reported, by id. */
  challenges(): Array<[bigint, { batchId: bigint; orderHash: Hex }]> {
    return [...this.#s.challenges].map(([id, c]) => [BigInt(id), c]);
  }
  challengeOf(challengeId: bigint) {
    return this.#s.challenges.get(String(challengeId));
  }
  /** Every account the ledger has seen (for reconciliation checks). */
  accounts(): Address[] {
    return [...new Set([...this.#s.accountOrders.keys(), ...this.#s.depositors])] as Address[];
  }

  // ------------------------------------------------------------------ snapshots

  /** The whole core as JSON-safe data; `ExchangeCore.restore` rebuilds an equal core. */
  snapshot(): CoreSnapshot {
    const s = this.#s;
    const state = {
      ...s,
      orders: [...s.orders],
      fills: [...s.fills],
      unsettled: [...s.unsettled],
      pruneOrders: [...s.pruneOrders],
      batches: [...s.batches],
      matched: [...s.matched],
      chainCancels: [...s.chainCancels],
      nonceFloors: [...s.nonceFloors],
      withdrawals: [...s.withdrawals],
      challenges: [...s.challenges],
      provenOrders: [...s.provenOrders],
      lastPrice: [...s.lastPrice],
      bookSeq: [...s.bookSeq],
      accountOrders: [...s.accountOrders],
      accountFills: [...s.accountFills],
      marketFills: [...s.marketFills],
      depositors: [...s.depositors],
      halts: [...s.halts],
    };
    return {
      engine: this.engine.snapshot(),
      ledger: this.ledger.snapshot(),
      state: toTagged(state),
    };
  }

  /**
   * For a snapshot written before retention: numbers the orders in acceptance order (the map's),
   * counts each order's pending fills, and queues everything already final for the next tick.
   */
  #planRetention() {
    const s = this.#s;
    for (const o of s.orders.values()) o.seq = s.nextOrderSeq++;
    for (const f of s.fills.values()) {
      if (f.state === "FINALIZED" || f.state === "ROLLED_BACK") {
        s.pruneFills.push(f.fillId);
        continue;
      }
      this.#countPending(f.fill);
    }
    for (const [key, o] of s.orders) {
      if (CLOSED.has(o.status) && !s.unsettled.has(key)) s.pruneOrders.add(key);
    }
    for (const [key, b] of s.batches) {
      if (b.state === "FINALIZED" || b.state === "ROLLED_BACK") s.pruneBatches.push(key);
    }
  }

  static restore(snapshot: CoreSnapshot, options: ExchangeCoreOptions = {}): ExchangeCore {
    const core = new ExchangeCore(
      options,
      MatchingEngine.restore(snapshot.engine, engineOptions(options)),
    );
    core.ledger = BalanceLedger.restore(snapshot.ledger);
    const j =
      typeof snapshot.state === "string"
        ? fromTaggedJson<Record<string, never>>(snapshot.state)
        : fromTagged<Record<string, never>>(snapshot.state);
    const s = emptyState();
    Object.assign(s, {
      initialized: j["initialized"],
      nextBatchId: j["nextBatchId"],
      feeRecipient: j["feeRecipient"],
      makerFeeBps: j["makerFeeBps"],
      takerFeeBps: j["takerFeeBps"],
      expiryMarginSec: j["expiryMarginSec"] ?? DEFAULT_EXPIRY_MARGIN_SEC,
      lastPosition: j["lastPosition"],
      paused: j["paused"],
      orders: new Map(j["orders"]),
      fills: new Map(j["fills"]),
      batches: new Map(j["batches"]),
      matched: new Set(j["matched"]),
      chainCancels: new Set(j["chainCancels"]),
      nonceFloors: new Map(j["nonceFloors"]),
      withdrawals: new Map(j["withdrawals"]),
      challenges: new Map(j["challenges"]),
      provenOrders: new Map(j["provenOrders"]),
      lastPrice: new Map(j["lastPrice"]),
      bookSeq: new Map(j["bookSeq"]),
      accountOrders: new Map(j["accountOrders"]),
      accountFills: new Map(j["accountFills"]),
      marketFills: new Map(j["marketFills"]),
      depositors: new Set(j["depositors"]),
      // Absent in snapshots taken before the kill switch and halts were journaled.
      killSwitch: j["killSwitch"] ?? { engaged: false },
      halts: new Map(j["halts"] ?? []),
    });
    core.#s = s;
    // Absent in snapshots taken before retention: derived from the rest.
    if (j["unsettled"] === undefined) core.#planRetention();
    else {
      Object.assign(s, {
        nextOrderSeq: j["nextOrderSeq"],
        unsettled: new Map(j["unsettled"]),
        pruneOrders: new Set(j["pruneOrders"]),
        pruneFills: j["pruneFills"],
        pruneBatches: j["pruneBatches"],
      });
    }
    return core;
  }
}

export interface CoreSnapshot {
  engine: EngineSnapshot;
  ledger: LedgerSnapshot;
  /**
   * Everything else, as JSON-safe data with tagged bigints (`toTagged`); snapshots written before
   * that hold it as one string of tagged JSON, which restore still reads.
   */
  state: unknown;
}

function emptyState() {
  return {
    initialized: false,
    nextBatchId: 1n,
    feeRecipient: ZERO,
    makerFeeBps: 0,
    takerFeeBps: 0,
    expiryMarginSec: DEFAULT_EXPIRY_MARGIN_SEC,
    lastPosition: -1n,
    paused: false,
    /** The next order's acceptance number (`CoreOrder.seq`). */
    nextOrderSeq: 1,
    orders: new Map<string, CoreOrder>(),
    fills: new Map<number, CoreFill>(),
    /** Per order hash (lowercase): its fills not yet final; absent when none. */
    unsettled: new Map<string, number>(),
    /** Pruned at the next tick (see `#prune`): orders that may be done, final fills and batches. */
    pruneOrders: new Set<string>(),
    pruneFills: [] as number[],
    pruneBatches: [] as string[],
    batches: new Map<string, CoreBatch>(),
    /** Fill ids waiting for a batch. */
    matched: new Set<number>(),
    chainCancels: new Set<string>(),
    nonceFloors: new Map<string, bigint>(),
    /** Current withdrawal request per `account:token` (a new one replaces it). */
    withdrawals: new Map<string, bigint>(),
    challenges: new Map<string, { batchId: bigint; orderHash: Hex }>(),
    /** Per batch id: order hashes the chain proved against (fraud proof, upheld challenge). */
    provenOrders: new Map<string, (string | number)[]>(),
    lastPrice: new Map<number, bigint>(),
    bookSeq: new Map<number, bigint>(),
    accountOrders: new Map<string, (string | number)[]>(),
    accountFills: new Map<string, (string | number)[]>(),
    marketFills: new Map<string, (string | number)[]>(),
    /** Accounts that ever deposited. */
    depositors: new Set<string>(),
    /** Global kill switch (admin): no new orders while engaged. */
    killSwitch: { engaged: false } as KillSwitchState,
    /** Halted markets (admin or circuit breaker): cancel-only until resumed. */
    halts: new Map<number, MarketHalt>(),
  };
}

/** Up to `limit` items of `list` before index `end`, last first. */
function pageBackwards<T>(list: readonly T[], end: number, limit: number): T[] {
  return list.slice(Math.max(0, end - limit), end).reverse();
}

/** How many of `length` indexes satisfy `below`, which holds for a prefix of them. */
function lowerBound(length: number, below: (index: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (below(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function pushIndex(map: Map<string, (string | number)[]>, key: string, value: string | number) {
  const k = lowercase(key);
  let list = map.get(k);
  if (!list) map.set(k, (list = []));
  list.push(value);
}

function refused(code: ErrorCode, details?: Record<string, unknown>): ApplyResult {
  return {
    outputs: [],
    mutated: false,
    error: new ClearmatchError(code, undefined, details ? { details } : {}),
  };
}
