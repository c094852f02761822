import { BookSide } from "./book-side.js";
import type { Level } from "./level.js";
import {
  EV_AMENDED,
  EV_CANCELLED,
  EV_EXPIRED,
  EV_FILL,
  EV_FILLED,
  EV_LEVEL,
  EV_MARKET,
  EV_REJECTED,
  EV_RESTED,
  EventBuffer,
} from "./event-buffer.js";
import { ExpiryQueue } from "./expiry-queue.js";
import { Market, NOT_POSITIVE, OFF_STEP, checkMarketConfig } from "./market.js";
import { OrderIndex } from "./order-index.js";
import { u64ToNumber } from "./u64.js";
import { CANCELLED, EXPIRED, FILLED, FREE, OPEN, OrderPool, REJECTED } from "./order-pool.js";
import {
  snapshotVersion,
  type EngineSnapshot,
  type OrderSnapshot,
  orderToJson,
  signedFromJson,
  marketFromJson,
  marketToJson,
} from "./snapshot.js";
import {
  FLAG_FOK,
  FLAG_IOC,
  FLAG_POST_ONLY,
  type AddMarketInput,
  type Address,
  type AmendInput,
  type ClosedStatus,
  type OrderStatus,
  type CancelInput,
  type CancelReason,
  type DepthSnapshot,
  type EngineEvent,
  type EngineInput,
  type EngineOptions,
  type Hex32,
  type InvalidateNoncesInput,
  type MarketConfig,
  type PlaceInput,
  type RejectReason,
  type SelfTradePrevention,
  type SetMarketPausedInput,
} from "./types.js";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);
const UINT16_MAX = 65_535;

/** An expiry as the engine keeps it: exact up to 2^53 - 1, Infinity beyond. */
function expiryNumber(expiry: bigint): number {
  if (expiry > MAX_SAFE_BIG) return Infinity;
  return expiry >= 0n ? u64ToNumber(expiry) : Number(expiry);
}

/** Status names by pool status code (FREE reads as UNKNOWN). */
const STATUS_NAMES: OrderStatus[] = [
  "UNKNOWN",
  "OPEN",
  "FILLED",
  "CANCELLED",
  "REJECTED",
  "EXPIRED",
];
const STATUS_CODES: Record<ClosedStatus, number> = { FILLED, CANCELLED, REJECTED, EXPIRED };
/** Codes of CANCEL_REASONS (event-buffer.ts). */
const CANCEL_CODES: Record<CancelReason, number> = {
  USER: 0,
  CHAIN: 1,
  IOC_REMAINDER: 2,
  SELF_TRADE: 3,
  NONCE_INVALIDATED: 4,
  LEVEL_CAPACITY: 5,
};

/** Where an order stands: `OPEN` with its live figures, or how it closed. */
export interface OrderView {
  orderHash: Hex32;
  status: OrderStatus;
  marketId?: number;
  price?: bigint;
  /** Current total amount (filled included). */
  amount?: bigint;
  filled?: bigint;
  remaining?: bigint;
}

/**
 * The matching engine: every market's book, price-time priority, integer arithmetic. Pure: no
 * clock, no I/O; `apply` is a function of the state and the input, so the same input log always
 * yields the same events, byte for byte. Inputs are journaled by the caller.
 *
 * Orders live in an `OrderPool` (typed arrays indexed by slot) found through an `OrderIndex`
 * (hash table over the 256-bit order hash): see those files for why.
 */
export class MatchingEngine {
  private readonly stp: SelfTradePrevention;
  private readonly emitLevels: boolean;
  private readonly markets = new Map<number, Market>();
  /**
   * Every accepted order by hash -> its slot: open while it rests, then its closed status until
   * its expiry passes (after which EXPIRED refuses it anyway).
   */
  private readonly index: OrderIndex;
  private readonly pool: OrderPool;
  private readonly expiries: ExpiryQueue;
  /**
   * Trader address as signed (and lowercased) -> trader id; `traderAddrs[id]` is the lowercased
   * address. Self-trade checks compare ids; grows with distinct signers, like `minNonces`.
   */
  private readonly traderIds = new Map<string, number>();
  private readonly traderAddrs: Address[] = [];
  /** Smallest valid nonce by trader id, set by `invalidateNonces`. */
  private readonly minNonces: Array<bigint | undefined> = [];
  private anyMinNonce = false;
  private now = 0;
  private nextSeq = 1;
  private nextFillId = 1;
  /** Input counter, stamped on touched levels so each reports once per input. */
  private stamp = 0;
  private readonly ev = new EventBuffer();
  /**
   * Levels touched by the current input and their markets, the first `touched` entries. A count,
   * not `length = 0`: truncating an array frees its backing store, and the next push would
   * allocate a new one on every input.
   */
  private readonly touchedLevels: Level[] = [];
  private readonly touchedMarkets: Market[] = [];
  private touched = 0;

  constructor(options: EngineOptions = {}) {
    this.stp = options.selfTradePrevention ?? "CANCEL_MAKER";
    this.emitLevels = options.emitLevelEvents ?? true;
    const capacity = Math.max(16, Math.floor(options.initialCapacity ?? 1024));
    this.index = new OrderIndex(capacity);
    this.pool = new OrderPool(capacity);
    this.expiries = new ExpiryQueue(capacity);
  }

  /** Apply one input; its events are appended to `out` (a fresh array by default). */
  apply(input: EngineInput, out: EngineEvent[] = []): EngineEvent[] {
    return this.applyPacked(input).toObjects(out);
  }

  /**
   * Apply one input and return its events packed (see EventBuffer): the allocation-free form of
   * `apply`, for readers that take the columns. The buffer is reused by the next call.
   */
  applyPacked(input: EngineInput): EventBuffer {
    this.ev.length = 0;
    if (input.time > this.now) this.now = input.time;
    this.stamp++;
    switch (input.type) {
      case "place":
        this.place(input);
        break;
      case "cancel":
        this.cancel(input);
        break;
      case "amend":
        this.amend(input);
        break;
      case "expire":
        this.expireDue();
        break;
      case "invalidateNonces":
        this.invalidateNonces(input);
        break;
      case "addMarket":
        this.addMarket(input);
        break;
      case "setMarketPaused":
        this.setMarketPaused(input);
        break;
    }
    if (this.touched !== 0) this.flushLevels();
    return this.ev;
  }

  // ------------------------------------------------------------------ inputs

  private place(input: PlaceInput): void {
    const { order, orderHash } = input;
    const m = this.markets.get(order.marketId);
    if (m === undefined) return this.reject(input, orderHash, "UNKNOWN_MARKET");
    if (m.paused) return this.reject(input, orderHash, "MARKET_PAUSED");
    const side = order.side;
    if (side !== 0 && side !== 1) return this.reject(input, orderHash, "INVALID_SIDE");
    const flags = order.flags;
    // Known bits only, and at most one of them: post-only, IOC and FOK exclude each other.
    if (!Number.isInteger(flags) || flags < 0 || flags > 7 || (flags & (flags - 1)) !== 0) {
      return this.reject(input, orderHash, "INVALID_FLAGS");
    }
    const fee = order.maxFeeBps;
    if (!Number.isInteger(fee) || fee < 0 || fee > UINT16_MAX) {
      return this.reject(input, orderHash, "INVALID_MAX_FEE");
    }
    const ticks = m.ticksOf(order.price);
    if (ticks < 0) return this.reject(input, orderHash, priceReason(ticks));
    const lots = m.lotsOf(order.amount);
    if (lots < 0) return this.reject(input, orderHash, amountReason(lots));
    // Written out here, not as a call: a double returned from a call is a heap number.
    const signedExpiry = order.expiry;
    const expiry =
      signedExpiry > MAX_SAFE_BIG
        ? Infinity
        : signedExpiry >= 0n
          ? u64ToNumber(signedExpiry)
          : Number(signedExpiry);
    if (expiry <= this.now) return this.reject(input, orderHash, "EXPIRED");
    const trader = this.traderOf(order.trader);
    if (this.anyMinNonce) {
      const min = this.minNonces[trader];
      if (min !== undefined && order.nonce < min) {
        return this.reject(input, orderHash, "NONCE_INVALIDATED");
      }
    }
    const index = this.index;
    if (!index.parse(orderHash)) return this.reject(input, orderHash, "INVALID_ORDER_HASH");
    if (index.find(this.pool.hash) !== -1) return this.reject(input, orderHash, "DUPLICATE_ORDER");

    const s = this.pool.alloc();
    index.insert(s);
    const p = this.pool;
    const seq = this.nextSeq++;
    p.setLots(s, lots);
    p.setTicks(s, ticks);
    p.setExpiry(s, expiry);
    if (expiry === Infinity) p.setBigExpiry(s, order.expiry);
    p.setSeq(s, seq);
    p.setTrader(s, trader);
    p.setMeta(s, side, OPEN, fee, flags);
    p.setSigned(s, ticks, lots, order.nonce);
    p.hash[s] = orderHash;
    p.setMarket(s, m);
    if (expiry !== Infinity) this.expiries.push(expiry, seq, s);
    if (flags === FLAG_POST_ONLY && this.crossesLive(m, s)) {
      p.close(s, REJECTED);
      return this.reject(input, orderHash, "POST_ONLY_WOULD_CROSS");
    }
    if (flags === FLAG_FOK && !this.canFill(m, s)) {
      p.close(s, REJECTED);
      return this.reject(input, orderHash, "FOK_UNFILLABLE");
    }
    const stopped = this.match(m, s);
    this.finishTaker(m, s, stopped, flags === FLAG_IOC || flags === FLAG_FOK);
  }

  private cancel(input: CancelInput): void {
    const hash = input.orderHash;
    const index = this.index;
    if (!index.parse(hash)) return this.reject(input, hash, "UNKNOWN_ORDER");
    const s = index.find(this.pool.hash);
    if (s === -1) {
      // An on-chain cancel may precede the order: remember it so the order is never accepted.
      if (input.source === "chain") {
        const c = this.pool.alloc();
        index.insert(c);
        this.pool.hash[c] = hash;
        this.pool.setMeta(c, 0, CANCELLED, 0);
      }
      return this.reject(input, hash, "UNKNOWN_ORDER");
    }
    const p = this.pool;
    if (p.status(s) !== OPEN) return this.reject(input, hash, "ORDER_CLOSED");
    const m = p.market(s);
    if (p.expiry(s) <= this.now) return this.expireOrder(m, s);
    this.removeFromBook(m, s);
    this.closeCancelled(m, s, input.source === "chain" ? "CHAIN" : "USER");
  }

  private amend(input: AmendInput): void {
    const hash = input.orderHash;
    const index = this.index;
    const s = index.parse(hash) ? index.find(this.pool.hash) : -1;
    if (s === -1) return this.reject(input, hash, "UNKNOWN_ORDER");
    const p = this.pool;
    if (p.status(s) !== OPEN) return this.reject(input, hash, "ORDER_CLOSED");
    const m = p.market(s);
    if (m.paused) return this.reject(input, hash, "MARKET_PAUSED");
    if (p.expiry(s) <= this.now) {
      this.expireOrder(m, s);
      return this.reject(input, hash, "EXPIRED");
    }
    const side = p.side(s);
    const oldTicks = p.ticks(s);
    const oldTotal = p.total(s);
    let ticks = oldTicks;
    if (input.price !== undefined) {
      ticks = m.ticksOf(input.price);
      if (ticks < 0) return this.reject(input, hash, priceReason(ticks));
      // Both are exact tick counts of multiples of tickSize: comparing them compares prices.
      const limit = p.signedTicks(s);
      const beyond = side === 0 ? ticks > limit : ticks < limit;
      if (beyond) return this.reject(input, hash, "AMEND_BEYOND_LIMIT");
    }
    let total = oldTotal;
    if (input.amount !== undefined) {
      total = m.lotsOf(input.amount);
      if (total < 0) return this.reject(input, hash, amountReason(total));
      if (total > p.signedLots(s)) return this.reject(input, hash, "AMEND_ABOVE_SIGNED");
      if (total <= p.filled(s)) return this.reject(input, hash, "AMEND_NOT_ABOVE_FILLED");
    }
    if (ticks === oldTicks && total === oldTotal) {
      return this.reject(input, hash, "AMEND_NO_CHANGE");
    }
    const level = p.level(s)!;
    const lots = total - p.filled(s);

    if (ticks === oldTicks) {
      if (total > oldTotal && level.lots - p.lots(s) + lots > MAX_SAFE) {
        return this.reject(input, hash, "LEVEL_CAPACITY");
      }
      this.touch(m, level);
      if (total < oldTotal) {
        // A pure reduction keeps the order's place in the queue.
        level.lots -= p.lots(s) - lots;
        p.setLots(s, lots);
        return this.emitAmended(m, s, true);
      }
      p.unlink(s);
      p.setLots(s, lots);
      p.append(level, s);
      return this.emitAmended(m, s, false);
    }

    // A new price: the order leaves the book and comes back as if new (it may trade).
    p.setTicks(s, ticks);
    const crosses = p.flags(s) === FLAG_POST_ONLY && this.crossesLive(m, s);
    p.setTicks(s, oldTicks);
    if (crosses) return this.reject(input, hash, "POST_ONLY_WOULD_CROSS");
    this.removeFromBook(m, s);
    p.setTicks(s, ticks);
    p.setLots(s, lots);
    this.emitAmended(m, s, false);
    const stopped = this.match(m, s);
    this.finishTaker(m, s, stopped, false);
  }

  /** Sweep: expire resting orders whose time has come, forget closed ones past expiry. */
  private expireDue(): void {
    const q = this.expiries;
    const p = this.pool;
    while (q.peekExpiry() <= this.now) {
      const s = q.pop();
      if (p.status(s) === OPEN) this.expireOrder(p.market(s), s);
      this.forget(s);
    }
  }

  /** Drop a closed order past its expiry from the index and free its slot. */
  private forget(s: number): void {
    this.index.parse(this.pool.hash[s]!);
    this.index.remove(this.pool.hash);
    this.pool.release(s);
  }

  private invalidateNonces(input: InvalidateNoncesInput): void {
    const trader = this.traderOf(input.trader);
    const prev = this.minNonces[trader];
    if (prev === undefined || input.minNonce > prev) this.minNonces[trader] = input.minNonce;
    this.anyMinNonce = true;
    const min = this.minNonces[trader]!;
    const p = this.pool;
    const hit: number[] = [];
    for (let s = 0; s < p.used; s++) {
      if (p.status(s) === OPEN && p.trader(s) === trader && p.nonce(s) < min) hit.push(s);
    }
    // By acceptance order, whatever the slots' order after a restore.
    hit.sort((a, b) => p.seq(a) - p.seq(b));
    for (const s of hit) {
      const m = p.market(s);
      this.removeFromBook(m, s);
      this.closeCancelled(m, s, "NONCE_INVALIDATED");
    }
  }

  private addMarket(input: AddMarketInput): void {
    const config = input.market;
    if (checkMarketConfig(config) !== null) return this.reject(input, "", "INVALID_MARKET");
    if (this.markets.has(config.marketId)) return this.reject(input, "", "MARKET_EXISTS");
    const m = new Market(normalizeMarket(config));
    m.ix = this.pool.markets.push(m) - 1;
    this.markets.set(config.marketId, m);
    this.ev.n0[this.ev.row(EV_MARKET, m)] = 0;
  }

  private setMarketPaused(input: SetMarketPausedInput): void {
    const m = this.markets.get(input.marketId);
    if (m === undefined) return this.reject(input, "", "UNKNOWN_MARKET");
    m.paused = input.paused;
    this.ev.n0[this.ev.row(EV_MARKET, m)] = input.paused ? 1 : 2;
  }

  // ------------------------------------------------------------------ matching

  /**
   * Match slot `s` (the incoming order) against the opposite side while prices cross. Expired
   * makers met on the way are expired; a maker of the same trader is handled by self-trade
   * prevention. Returns true if self-trade prevention cancelled the rest of the incoming order.
   */
  private match(m: Market, s: number): boolean {
    const p = this.pool;
    const buy = p.side(s) === 0;
    const opp = buy ? m.asks : m.bids;
    const levels = opp.levels;
    const limit = p.ticks(s);
    const trader = p.trader(s);
    const now = this.now;
    let stopped = false;
    while (p.lots(s) > 0 && !stopped) {
      const level = levels[levels.length - 1];
      if (level === undefined || (buy ? level.ticks > limit : level.ticks < limit)) break;
      this.touch(m, level);
      let r = level.head;
      while (r !== -1 && p.lots(s) > 0) {
        const next = p.next(r);
        if (p.expiry(r) <= now) {
          p.unlink(r);
          p.close(r, EXPIRED);
          this.emitClosed(EV_EXPIRED, m, r);
        } else if (p.trader(r) === trader) {
          if (this.stp !== "CANCEL_TAKER") {
            p.unlink(r);
            this.closeCancelled(m, r, "SELF_TRADE");
          }
          if (this.stp !== "CANCEL_MAKER") {
            stopped = true;
            break;
          }
        } else {
          const q = p.lots(r) < p.lots(s) ? p.lots(r) : p.lots(s);
          this.fill(m, level, r, s, q);
          if (p.lots(r) === 0) {
            p.unlink(r);
            p.close(r, FILLED);
            this.emitClosed(EV_FILLED, m, r);
          }
        }
        r = next;
      }
      if (level.count === 0) this.removeLevel(opp, level);
    }
    return stopped;
  }

  private fill(m: Market, level: Level, r: number, s: number, q: number): void {
    const p = this.pool;
    const makerFilled = p.filled(r) + q;
    const takerFilled = p.filled(s) + q;
    p.setLots(r, p.lots(r) - q);
    p.setFilled(r, makerFilled);
    level.lots -= q;
    p.setLots(s, p.lots(s) - q);
    p.setFilled(s, takerFilled);
    const ev = this.ev;
    const e = ev.row(EV_FILL, m);
    ev.h0[e] = p.hash[r]!;
    ev.h1[e] = p.hash[s]!;
    ev.a0[e] = this.traderAddrs[p.trader(r)]!;
    ev.a1[e] = this.traderAddrs[p.trader(s)]!;
    ev.p[e] = level.price;
    ev.n0[e] = this.nextFillId++;
    ev.n1[e] = p.side(s);
    ev.n2[e] = q;
    ev.n3[e] = p.ticks(r);
    ev.n4[e] = makerFilled;
    ev.n5[e] = takerFilled;
    ev.n6[e] = Math.min(m.makerFeeBps, p.maxFee(r));
    ev.n7[e] = Math.min(m.takerFeeBps, p.maxFee(s));
  }

  /** After matching: the incoming order filled, was cut by STP or IOC/FOK, or rests. */
  private finishTaker(m: Market, s: number, stopped: boolean, immediate: boolean): void {
    const p = this.pool;
    const lots = p.lots(s);
    if (lots === 0) {
      p.close(s, FILLED);
      this.emitClosed(EV_FILLED, m, s);
      return;
    }
    if (stopped || immediate) {
      return this.closeCancelled(m, s, stopped ? "SELF_TRADE" : "IOC_REMAINDER");
    }
    const side = p.side(s) === 0 ? m.bids : m.asks;
    const level = side.getOrCreate(p.ticks(s), m.priceOf);
    if (level.lots + lots > MAX_SAFE) {
      if (level.count === 0) this.removeLevel(side, level);
      return this.closeCancelled(m, s, "LEVEL_CAPACITY");
    }
    p.append(level, s);
    this.touch(m, level);
    const ev = this.ev;
    const e = ev.row(EV_RESTED, m);
    ev.h0[e] = p.hash[s]!;
    ev.p[e] = level.price;
    ev.n1[e] = p.side(s);
    ev.n2[e] = lots;
    ev.n4[e] = p.filled(s);
  }

  /** Would slot `s` at its current limit trade with a live order? Expired ones in the way go. */
  private crossesLive(m: Market, s: number): boolean {
    const p = this.pool;
    const buy = p.side(s) === 0;
    const limit = p.ticks(s);
    const opp = buy ? m.asks : m.bids;
    for (;;) {
      const level = opp.best();
      if (level === undefined || (buy ? level.ticks > limit : level.ticks < limit)) {
        return false;
      }
      for (let r = level.head; r !== -1; r = p.next(r)) if (p.expiry(r) > this.now) return true;
      for (let r = level.head; r !== -1;) {
        const next = p.next(r);
        this.expireOrder(m, r);
        r = next;
      }
    }
  }

  /** Can slot `s` fill completely now, counting only what matching would actually trade with? */
  private canFill(m: Market, s: number): boolean {
    const p = this.pool;
    const buy = p.side(s) === 0;
    const limit = p.ticks(s);
    const trader = p.trader(s);
    const want = p.lots(s);
    const levels = (buy ? m.asks : m.bids).levels;
    let sum = 0;
    for (let i = levels.length - 1; i >= 0; i--) {
      const level = levels[i]!;
      if (buy ? level.ticks > limit : level.ticks < limit) return false;
      for (let r = level.head; r !== -1; r = p.next(r)) {
        if (p.expiry(r) <= this.now) continue;
        if (p.trader(r) === trader) {
          if (this.stp === "CANCEL_MAKER") continue;
          return false;
        }
        sum += p.lots(r);
        if (sum >= want) return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ book upkeep

  private removeFromBook(m: Market, s: number): void {
    const p = this.pool;
    const level = p.level(s)!;
    this.touch(m, level);
    p.unlink(s);
    if (level.count === 0) this.removeLevel(p.side(s) === 0 ? m.bids : m.asks, level);
  }

  private removeLevel(side: BookSide, level: Level): void {
    side.removeLevel(level);
    this.pool.dropLevel(level);
  }

  private expireOrder(m: Market, s: number): void {
    this.removeFromBook(m, s);
    this.pool.close(s, EXPIRED);
    this.emitClosed(EV_EXPIRED, m, s);
  }

  private closeCancelled(m: Market, s: number, reason: CancelReason): void {
    this.pool.close(s, CANCELLED);
    this.ev.n0[this.emitClosed(EV_CANCELLED, m, s)] = CANCEL_CODES[reason];
  }

  /** An order-closing event (filled, cancelled, expired) of slot `s`; returns its row. */
  private emitClosed(kind: number, m: Market, s: number): number {
    const ev = this.ev;
    const e = ev.row(kind, m);
    ev.h0[e] = this.pool.hash[s]!;
    ev.n4[e] = this.pool.filled(s);
    return e;
  }

  private emitAmended(m: Market, s: number, keptPriority: boolean): void {
    const ev = this.ev;
    const e = ev.row(EV_AMENDED, m);
    ev.h0[e] = this.pool.hash[s]!;
    ev.p[e] = m.priceOf(this.pool.ticks(s));
    ev.n2[e] = this.pool.total(s);
    ev.n0[e] = keptPriority ? 1 : 0;
  }

  private reject(input: EngineInput, orderHash: Hex32 | "", reason: RejectReason): void {
    const ev = this.ev;
    const e = ev.row(EV_REJECTED, undefined);
    ev.h0[e] = orderHash;
    ev.a0[e] = input.type;
    ev.a1[e] = reason;
  }

  /** Id of the trader who signed as `signed` (any letter case). */
  private traderOf(signed: Address): number {
    let id = this.traderIds.get(signed);
    if (id === undefined) {
      const lower = signed.toLowerCase() as Address;
      id = this.traderIds.get(lower);
      if (id === undefined) {
        id = this.traderAddrs.length;
        this.traderAddrs.push(lower);
        this.traderIds.set(lower, id);
      }
      this.traderIds.set(signed, id);
    }
    return id;
  }

  private touch(m: Market, level: Level): void {
    if (level.stamp === this.stamp || !this.emitLevels) return;
    level.stamp = this.stamp;
    this.touchedLevels[this.touched] = level;
    this.touchedMarkets[this.touched++] = m;
  }

  private flushLevels(): void {
    const levels = this.touchedLevels;
    const markets = this.touchedMarkets;
    const ev = this.ev;
    for (let i = 0; i < this.touched; i++) {
      const level = levels[i]!;
      const e = ev.row(EV_LEVEL, markets[i]);
      ev.p[e] = level.price;
      ev.n1[e] = level.side;
      ev.n2[e] = level.lots;
      ev.n3[e] = level.count;
    }
    this.touched = 0;
  }

  // ------------------------------------------------------------------ queries

  /** Unix seconds the engine has reached (the largest input time seen). */
  get time(): number {
    return this.now;
  }

  marketConfig(marketId: number): MarketConfig | undefined {
    return this.markets.get(marketId)?.config;
  }

  isPaused(marketId: number): boolean {
    return this.markets.get(marketId)?.paused ?? false;
  }

  /** Aggregated levels, best first, at most `maxLevels` per side. */
  depth(marketId: number, maxLevels = Infinity): DepthSnapshot | undefined {
    const m = this.markets.get(marketId);
    if (m === undefined) return undefined;
    const side = (s: BookSide) => {
      const rows: DepthSnapshot["bids"] = [];
      for (let i = s.levels.length - 1; i >= 0 && rows.length < maxLevels; i--) {
        const level = s.levels[i]!;
        rows.push({ price: level.price, size: m.atoms(level.lots), orders: level.count });
      }
      return rows;
    };
    return { marketId, bids: side(m.bids), asks: side(m.asks) };
  }

  order(orderHash: Hex32): OrderView {
    const s = this.index.parse(orderHash) ? this.index.find(this.pool.hash) : -1;
    if (s === -1) return { orderHash, status: "UNKNOWN" };
    const p = this.pool;
    const status = STATUS_NAMES[p.status(s)]!;
    if (status !== "OPEN") return { orderHash, status };
    const m = p.market(s);
    return {
      orderHash,
      status: "OPEN",
      marketId: m.marketId,
      price: m.priceOf(p.ticks(s)),
      amount: m.atoms(p.total(s)),
      filled: m.atoms(p.filled(s)),
      remaining: m.atoms(p.lots(s)),
    };
  }

  /** Number of orders on all books. */
  get openOrders(): number {
    let n = 0;
    for (const m of this.markets.values()) {
      for (const level of m.bids.levels) n += level.count;
      for (const level of m.asks.levels) n += level.count;
    }
    return n;
  }

  // ------------------------------------------------------------------ snapshots

  /** The whole state as plain JSON-safe data, canonical: equal states give equal snapshots. */
  snapshot(): EngineSnapshot {
    const p = this.pool;
    const markets = [...this.markets.values()].sort((a, b) => a.marketId - b.marketId);
    const closed: Array<[string, ClosedStatus]> = [];
    for (let s = 0; s < p.used; s++) {
      const status = p.status(s);
      if (status !== FREE && status !== OPEN) {
        closed.push([p.hash[s]!, STATUS_NAMES[status] as ClosedStatus]);
      }
    }
    return {
      version: snapshotVersion,
      now: this.now,
      nextSeq: this.nextSeq,
      nextFillId: this.nextFillId,
      markets: markets.map((m) => {
        const orders: OrderSnapshot[] = [];
        for (const side of [m.bids, m.asks]) {
          for (let i = side.levels.length - 1; i >= 0; i--) {
            for (let r = side.levels[i]!.head; r !== -1; r = p.next(r)) {
              orders.push(orderToJson(p, r, this.traderAddrs[p.trader(r)]!));
            }
          }
        }
        return { config: marketToJson(m.config), paused: m.paused, orders };
      }),
      closed: closed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      expiries: this.expiries
        .entries()
        .map(([expiry, seq, s]): [number, number, string] => [expiry, seq, p.hash[s]!])
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]),
      minNonces: this.minNonces
        .flatMap((n, id): Array<[string, string]> =>
          n === undefined ? [] : [[this.traderAddrs[id]!, n.toString()]],
        )
        .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    };
  }

  /** Rebuild an engine from `snapshot()` output; it then behaves exactly as the original. */
  static restore(snapshot: EngineSnapshot, options: EngineOptions = {}): MatchingEngine {
    if (snapshot.version !== snapshotVersion) {
      throw new Error(`unsupported engine snapshot version ${String(snapshot.version)}`);
    }
    const e = new MatchingEngine(options);
    e.now = snapshot.now;
    e.nextSeq = snapshot.nextSeq;
    e.nextFillId = snapshot.nextFillId;
    const slotOf = (hash: string): number => {
      if (!e.index.parse(hash)) throw new Error(`engine snapshot: malformed order hash ${hash}`);
      return e.index.find(e.pool.hash);
    };
    const admit = (hash: string): number => {
      if (slotOf(hash) !== -1) throw new Error(`engine snapshot: order ${hash} twice`);
      const s = e.pool.alloc();
      e.index.insert(s);
      e.pool.hash[s] = hash as Hex32;
      return s;
    };
    for (const ms of snapshot.markets) {
      const m = new Market(marketFromJson(ms.config));
      m.ix = e.pool.markets.push(m) - 1;
      m.paused = ms.paused;
      e.markets.set(m.marketId, m);
      for (const os of ms.orders) {
        const signed = signedFromJson(os);
        const s = admit(os.hash);
        const p = e.pool;
        if (os.total !== os.lots + os.filled) {
          throw new Error(`engine snapshot: order ${os.hash} total != open + filled`);
        }
        p.setLots(s, os.lots);
        p.setFilled(s, os.filled);
        p.setTicks(s, os.ticks);
        const expiry = expiryNumber(signed.expiry);
        p.setExpiry(s, expiry);
        if (expiry === Infinity) p.setBigExpiry(s, signed.expiry);
        p.setSeq(s, os.seq);
        p.setTrader(s, e.traderOf(signed.trader));
        p.setMeta(s, signed.side, OPEN, signed.maxFeeBps, signed.flags);
        const signedTicks = m.ticksOf(signed.price);
        const signedLots = m.lotsOf(signed.amount);
        if (signedTicks < 0 || signedLots < 0) {
          throw new Error(`engine snapshot: order ${os.hash} has a price or amount off its market`);
        }
        p.setSigned(s, signedTicks, signedLots, signed.nonce);
        p.setMarket(s, m);
        const side = signed.side === 0 ? m.bids : m.asks;
        p.append(side.getOrCreate(os.ticks, m.priceOf), s);
      }
    }
    for (const [hash, status] of snapshot.closed) {
      const code = STATUS_CODES[status];
      if (code === undefined) throw new Error(`engine snapshot: unknown status ${String(status)}`);
      e.pool.setMeta(admit(hash), 0, code, 0);
    }
    for (const [expiry, seq, hash] of snapshot.expiries) {
      const s = slotOf(hash);
      if (s === -1) throw new Error(`engine snapshot: expiry of unknown order ${hash}`);
      e.expiries.push(expiry, seq, s);
    }
    for (const [trader, nonce] of snapshot.minNonces) {
      e.minNonces[e.traderOf(trader as Address)] = BigInt(nonce);
      e.anyMinNonce = true;
    }
    return e;
  }
}

function priceReason(code: number): RejectReason {
  return code === NOT_POSITIVE
    ? "INVALID_PRICE"
    : code === OFF_STEP
      ? "TICK_VIOLATION"
      : "PRICE_OUT_OF_RANGE";
}

function amountReason(code: number): RejectReason {
  return code === NOT_POSITIVE
    ? "INVALID_AMOUNT"
    : code === OFF_STEP
      ? "LOT_VIOLATION"
      : "AMOUNT_OUT_OF_RANGE";
}

function normalizeMarket(config: MarketConfig): MarketConfig {
  return {
    ...config,
    baseToken: config.baseToken.toLowerCase() as Address,
    quoteToken: config.quoteToken.toLowerCase() as Address,
  };
}
