import { BookSide, type Level } from "./book-side.js";
import { ExpiryQueue } from "./expiry-queue.js";
import { Market, NOT_POSITIVE, OFF_STEP, checkMarketConfig, feeOf } from "./market.js";
import { RestingOrder } from "./resting-order.js";
import {
  snapshotVersion,
  type EngineSnapshot,
  type OrderSnapshot,
  orderFromJson,
  orderToJson,
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

/** What the engine remembers of an order that left the book (for duplicate detection). */
export type ClosedStatus = "FILLED" | "CANCELLED" | "REJECTED" | "EXPIRED";
export type OrderStatus = "OPEN" | ClosedStatus | "UNKNOWN";

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
 * clock, no I/O, no randomness; `apply` is a function of the state and the input, so the same
 * input log always yields the same events, byte for byte. Inputs are journaled by the caller.
 */
export class MatchingEngine {
  private readonly stp: SelfTradePrevention;
  private readonly emitLevels: boolean;
  private readonly markets = new Map<number, Market>();
  /**
   * Every accepted order by hash: the order object while it rests, then its closed status until
   * its expiry passes (after which EXPIRED refuses it anyway). One map, so accepting an order
   * costs one lookup and one insert, and closing it overwrites the value in place.
   */
  private readonly orders = new Map<string, RestingOrder | ClosedStatus>();
  private readonly expiries = new ExpiryQueue();
  private readonly minNonces = new Map<string, bigint>();
  /**
   * Trader address as signed -> its lowercased form, one string per trader: spares a
   * `toLowerCase` allocation per order, and self-trade checks compare the same string object
   * (pointer-equal) instead of 42 characters. Grows with distinct signers, like `minNonces`.
   */
  private readonly traders = new Map<string, Address>();
  private now = 0;
  private nextSeq = 1;
  private nextFillId = 1;
  /** Input counter, stamped on touched levels so each reports once per input. */
  private stamp = 0;
  private out: EngineEvent[] = [];
  private readonly touchedLevels: Level[] = [];
  private readonly touchedMarkets: Market[] = [];

  constructor(options: EngineOptions = {}) {
    this.stp = options.selfTradePrevention ?? "CANCEL_MAKER";
    this.emitLevels = options.emitLevelEvents ?? true;
  }

  /** Apply one input; its events are appended to `out` (a fresh array by default). */
  apply(input: EngineInput, out: EngineEvent[] = []): EngineEvent[] {
    this.out = out;
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
    if (this.touchedLevels.length !== 0) this.flushLevels();
    return out;
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
    const expiry = order.expiry <= MAX_SAFE_BIG ? Number(order.expiry) : Infinity;
    if (expiry <= this.now) return this.reject(input, orderHash, "EXPIRED");
    const trader = this.traderOf(order.trader);
    if (this.minNonces.size !== 0) {
      const min = this.minNonces.get(trader);
      if (min !== undefined && order.nonce < min) {
        return this.reject(input, orderHash, "NONCE_INVALIDATED");
      }
    }
    if (this.orders.has(orderHash)) {
      return this.reject(input, orderHash, "DUPLICATE_ORDER");
    }

    const o = new RestingOrder(
      orderHash,
      trader,
      m.marketId,
      side,
      ticks,
      order.price,
      lots,
      expiry,
      this.nextSeq++,
      order,
    );
    if (expiry !== Infinity) this.expiries.push(expiry, o.seq, orderHash);
    if (flags === FLAG_POST_ONLY && this.crossesLive(m, o)) {
      this.orders.set(orderHash, "REJECTED");
      return this.reject(input, orderHash, "POST_ONLY_WOULD_CROSS");
    }
    if (flags === FLAG_FOK && !this.canFill(m, o)) {
      this.orders.set(orderHash, "REJECTED");
      return this.reject(input, orderHash, "FOK_UNFILLABLE");
    }
    const stopped = this.match(m, o);
    this.finishTaker(m, o, stopped, flags === FLAG_IOC || flags === FLAG_FOK);
  }

  private cancel(input: CancelInput): void {
    const hash = input.orderHash;
    const o = this.orders.get(hash);
    if (typeof o !== "object") {
      if (o !== undefined) return this.reject(input, hash, "ORDER_CLOSED");
      // An on-chain cancel may precede the order: remember it so the order is never accepted.
      if (input.source === "chain") this.orders.set(hash, "CANCELLED");
      return this.reject(input, hash, "UNKNOWN_ORDER");
    }
    const m = this.markets.get(o.marketId)!;
    if (o.expiry <= this.now) return this.expireOrder(m, o);
    this.removeFromBook(m, o);
    this.closeCancelled(o, input.source === "chain" ? "CHAIN" : "USER");
  }

  private amend(input: AmendInput): void {
    const hash = input.orderHash;
    const o = this.orders.get(hash);
    if (typeof o !== "object") {
      return this.reject(input, hash, o !== undefined ? "ORDER_CLOSED" : "UNKNOWN_ORDER");
    }
    const m = this.markets.get(o.marketId)!;
    if (m.paused) return this.reject(input, hash, "MARKET_PAUSED");
    if (o.expiry <= this.now) {
      this.expireOrder(m, o);
      return this.reject(input, hash, "EXPIRED");
    }
    let ticks = o.ticks;
    let price = o.price;
    if (input.price !== undefined) {
      ticks = m.ticksOf(input.price);
      if (ticks < 0) return this.reject(input, hash, priceReason(ticks));
      price = input.price;
      const beyond = o.side === 0 ? price > o.signed.price : price < o.signed.price;
      if (beyond) return this.reject(input, hash, "AMEND_BEYOND_LIMIT");
    }
    let total = o.total;
    if (input.amount !== undefined) {
      total = m.lotsOf(input.amount);
      if (total < 0) return this.reject(input, hash, amountReason(total));
      if (input.amount > o.signed.amount) return this.reject(input, hash, "AMEND_ABOVE_SIGNED");
      if (total <= o.filled) return this.reject(input, hash, "AMEND_NOT_ABOVE_FILLED");
    }
    if (ticks === o.ticks && total === o.total) return this.reject(input, hash, "AMEND_NO_CHANGE");
    const level = o.level!;
    const lots = total - o.filled;

    if (ticks === o.ticks) {
      if (total > o.total && level.lots - o.lots + lots > MAX_SAFE) {
        return this.reject(input, hash, "LEVEL_CAPACITY");
      }
      this.touch(m, level);
      if (total < o.total) {
        // A pure reduction keeps the order's place in the queue.
        level.lots -= o.lots - lots;
        o.lots = lots;
        o.total = total;
        return this.emitAmended(o, true);
      }
      BookSide.unlink(o);
      o.lots = lots;
      o.total = total;
      BookSide.append(level, o);
      return this.emitAmended(o, false);
    }

    // A new price: the order leaves the book and comes back as if new (it may trade).
    const probe = o.ticks;
    o.ticks = ticks;
    if ((o.signed.flags & FLAG_POST_ONLY) !== 0 && this.crossesLive(m, o)) {
      o.ticks = probe;
      return this.reject(input, hash, "POST_ONLY_WOULD_CROSS");
    }
    o.ticks = probe;
    this.removeFromBook(m, o);
    o.ticks = ticks;
    o.price = price;
    o.lots = lots;
    o.total = total;
    this.emitAmended(o, false);
    const stopped = this.match(m, o);
    this.finishTaker(m, o, stopped, false);
  }

  /** Sweep: expire resting orders whose time has come, forget closed ones past expiry. */
  private expireDue(): void {
    const q = this.expiries;
    while (q.peekExpiry() <= this.now) {
      const hash = q.pop();
      const o = this.orders.get(hash);
      if (typeof o === "object") this.expireOrder(this.markets.get(o.marketId)!, o);
      this.orders.delete(hash);
    }
  }

  private invalidateNonces(input: InvalidateNoncesInput): void {
    const trader = input.trader.toLowerCase();
    const prev = this.minNonces.get(trader);
    if (prev === undefined || input.minNonce > prev) this.minNonces.set(trader, input.minNonce);
    const min = this.minNonces.get(trader)!;
    const hit: RestingOrder[] = [];
    for (const o of this.orders.values()) {
      if (typeof o === "object" && o.trader === trader && o.signed.nonce < min) hit.push(o);
    }
    // By acceptance order, whatever the map's iteration order after a restore.
    hit.sort((a, b) => a.seq - b.seq);
    for (const o of hit) {
      this.removeFromBook(this.markets.get(o.marketId)!, o);
      this.closeCancelled(o, "NONCE_INVALIDATED");
    }
  }

  private addMarket(input: AddMarketInput): void {
    const config = input.market;
    if (checkMarketConfig(config) !== null) return this.reject(input, "", "INVALID_MARKET");
    if (this.markets.has(config.marketId)) return this.reject(input, "", "MARKET_EXISTS");
    this.markets.set(config.marketId, new Market(normalizeMarket(config)));
    this.out.push({ type: "market", marketId: config.marketId, status: "added" });
  }

  private setMarketPaused(input: SetMarketPausedInput): void {
    const m = this.markets.get(input.marketId);
    if (m === undefined) return this.reject(input, "", "UNKNOWN_MARKET");
    m.paused = input.paused;
    this.out.push({
      type: "market",
      marketId: m.marketId,
      status: input.paused ? "paused" : "active",
    });
  }

  // ------------------------------------------------------------------ matching

  /**
   * Match `o` (the incoming order) against the opposite side while prices cross. Expired makers
   * met on the way are expired; a maker of the same trader is handled by self-trade prevention.
   * Returns true if self-trade prevention cancelled the rest of `o`.
   */
  private match(m: Market, o: RestingOrder): boolean {
    const buy = o.side === 0;
    const opp = buy ? m.asks : m.bids;
    const levels = opp.levels;
    const limit = o.ticks;
    const now = this.now;
    let stopped = false;
    while (o.lots > 0 && !stopped) {
      const level = levels[levels.length - 1];
      if (level === undefined || (buy ? level.ticks > limit : level.ticks < limit)) break;
      this.touch(m, level);
      let r = level.head;
      while (r !== null && o.lots > 0) {
        const next = r.next;
        if (r.expiry <= now) {
          BookSide.unlink(r);
          this.orders.set(r.hash, "EXPIRED");
          this.out.push(this.expiredEvent(m, r));
        } else if (r.trader === o.trader) {
          if (this.stp !== "CANCEL_TAKER") {
            BookSide.unlink(r);
            this.closeCancelled(r, "SELF_TRADE");
          }
          if (this.stp !== "CANCEL_MAKER") {
            stopped = true;
            break;
          }
        } else {
          const q = r.lots < o.lots ? r.lots : o.lots;
          this.fill(m, level, r, o, q);
          if (r.lots === 0) {
            BookSide.unlink(r);
            this.orders.set(r.hash, "FILLED");
            this.out.push({
              type: "filled",
              orderHash: r.hash,
              marketId: m.marketId,
              filled: m.atoms(r.filled),
            });
          }
        }
        r = next;
      }
      if (level.count === 0) opp.removeLevel(level);
    }
    return stopped;
  }

  private fill(m: Market, level: Level, r: RestingOrder, o: RestingOrder, q: number): void {
    r.lots -= q;
    r.filled += q;
    level.lots -= q;
    o.lots -= q;
    o.filled += q;
    const ticks = r.ticks;
    const quote = m.quote(q, ticks);
    const makerBps = Math.min(m.makerFeeBps, r.signed.maxFeeBps);
    const takerBps = Math.min(m.takerFeeBps, o.signed.maxFeeBps);
    this.out.push({
      type: "fill",
      fillId: this.nextFillId++,
      makerOrderHash: r.hash,
      takerOrderHash: o.hash,
      maker: r.trader,
      taker: o.trader,
      marketId: m.marketId,
      takerSide: o.side,
      price: r.price,
      baseAmount: m.atoms(q),
      quoteAmount: quote,
      makerFee: feeOf(quote, q, ticks, m.unitQuoteN, makerBps),
      takerFee: feeOf(quote, q, ticks, m.unitQuoteN, takerBps),
      makerFilledAfter: m.atoms(r.filled),
      takerFilledAfter: m.atoms(o.filled),
    });
  }

  /** After matching: the incoming order filled, was cut by STP or IOC/FOK, or rests. */
  private finishTaker(m: Market, o: RestingOrder, stopped: boolean, immediate: boolean): void {
    if (o.lots === 0) {
      this.orders.set(o.hash, "FILLED");
      this.out.push({
        type: "filled",
        orderHash: o.hash,
        marketId: m.marketId,
        filled: m.atoms(o.filled),
      });
      return;
    }
    if (stopped || immediate) {
      return this.closeCancelled(o, stopped ? "SELF_TRADE" : "IOC_REMAINDER");
    }
    const side = o.side === 0 ? m.bids : m.asks;
    const level = side.getOrCreate(o.ticks, o.price);
    if (level.lots + o.lots > MAX_SAFE) {
      if (level.count === 0) side.removeLevel(level);
      return this.closeCancelled(o, "LEVEL_CAPACITY");
    }
    BookSide.append(level, o);
    this.orders.set(o.hash, o);
    this.touch(m, level);
    this.out.push({
      type: "rested",
      orderHash: o.hash,
      marketId: m.marketId,
      side: o.side,
      price: o.price,
      remaining: m.atoms(o.lots),
      filled: m.atoms(o.filled),
    });
  }

  /** Would `o` at its current limit trade with a live order? Expired ones in the way go. */
  private crossesLive(m: Market, o: RestingOrder): boolean {
    const buy = o.side === 0;
    const opp = buy ? m.asks : m.bids;
    for (;;) {
      const level = opp.best();
      if (level === undefined || (buy ? level.ticks > o.ticks : level.ticks < o.ticks)) {
        return false;
      }
      for (let r = level.head; r !== null; r = r.next) if (r.expiry > this.now) return true;
      for (let r = level.head; r !== null;) {
        const next = r.next;
        this.expireOrder(m, r);
        r = next;
      }
    }
  }

  /** Can `o` fill completely now, counting only what matching would actually trade with? */
  private canFill(m: Market, o: RestingOrder): boolean {
    const buy = o.side === 0;
    const levels = (buy ? m.asks : m.bids).levels;
    let sum = 0;
    for (let i = levels.length - 1; i >= 0; i--) {
      const level = levels[i]!;
      if (buy ? level.ticks > o.ticks : level.ticks < o.ticks) return false;
      for (let r = level.head; r !== null; r = r.next) {
        if (r.expiry <= this.now) continue;
        if (r.trader === o.trader) {
          if (this.stp === "CANCEL_MAKER") continue;
          return false;
        }
        sum += r.lots;
        if (sum >= o.lots) return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ book upkeep

  private removeFromBook(m: Market, o: RestingOrder): void {
    const level = o.level!;
    this.touch(m, level);
    BookSide.unlink(o);
    if (level.count === 0) (o.side === 0 ? m.bids : m.asks).removeLevel(level);
  }

  private expireOrder(m: Market, o: RestingOrder): void {
    this.removeFromBook(m, o);
    this.orders.set(o.hash, "EXPIRED");
    this.out.push(this.expiredEvent(m, o));
  }

  private closeCancelled(o: RestingOrder, reason: CancelReason): void {
    this.orders.set(o.hash, "CANCELLED");
    const m = this.markets.get(o.marketId)!;
    this.out.push({
      type: "cancelled",
      orderHash: o.hash,
      marketId: o.marketId,
      reason,
      filled: m.atoms(o.filled),
    });
  }

  private expiredEvent(m: Market, o: RestingOrder): EngineEvent {
    return { type: "expired", orderHash: o.hash, marketId: m.marketId, filled: m.atoms(o.filled) };
  }

  private emitAmended(o: RestingOrder, keptPriority: boolean): void {
    const m = this.markets.get(o.marketId)!;
    this.out.push({
      type: "amended",
      orderHash: o.hash,
      marketId: o.marketId,
      price: o.price,
      amount: m.atoms(o.total),
      keptPriority,
    });
  }

  private reject(input: EngineInput, orderHash: Hex32 | "", reason: RejectReason): void {
    this.out.push({ type: "rejected", input: input.type, orderHash, reason });
  }

  private traderOf(signed: Address): Address {
    let trader = this.traders.get(signed);
    if (trader === undefined) {
      const lower = signed.toLowerCase() as Address;
      trader = this.traders.get(lower) ?? lower;
      this.traders.set(signed, trader);
    }
    return trader;
  }

  private touch(m: Market, level: Level): void {
    if (level.stamp === this.stamp || !this.emitLevels) return;
    level.stamp = this.stamp;
    this.touchedLevels.push(level);
    this.touchedMarkets.push(m);
  }

  private flushLevels(): void {
    const levels = this.touchedLevels;
    const markets = this.touchedMarkets;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!;
      const m = markets[i]!;
      this.out.push({
        type: "level",
        marketId: m.marketId,
        side: level.side,
        price: level.price,
        size: level.count === 0 ? 0n : m.atoms(level.lots),
      });
    }
    levels.length = 0;
    markets.length = 0;
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
    const o = this.orders.get(orderHash);
    if (typeof o !== "object") return { orderHash, status: o ?? "UNKNOWN" };
    const m = this.markets.get(o.marketId)!;
    return {
      orderHash,
      status: "OPEN",
      marketId: o.marketId,
      price: o.price,
      amount: m.atoms(o.total),
      filled: m.atoms(o.filled),
      remaining: m.atoms(o.lots),
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
    const markets = [...this.markets.values()].sort((a, b) => a.marketId - b.marketId);
    return {
      version: snapshotVersion,
      now: this.now,
      nextSeq: this.nextSeq,
      nextFillId: this.nextFillId,
      markets: markets.map((m) => {
        const orders: OrderSnapshot[] = [];
        for (const side of [m.bids, m.asks]) {
          for (let i = side.levels.length - 1; i >= 0; i--) {
            for (let r = side.levels[i]!.head; r !== null; r = r.next) orders.push(orderToJson(r));
          }
        }
        return { config: marketToJson(m.config), paused: m.paused, orders };
      }),
      closed: [...this.orders]
        .filter((e): e is [string, ClosedStatus] => typeof e[1] === "string")
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      expiries: this.expiries.entries().sort((a, b) => a[0] - b[0] || a[1] - b[1]),
      minNonces: [...this.minNonces]
        .map(([t, n]): [string, string] => [t, n.toString()])
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
    for (const ms of snapshot.markets) {
      const m = new Market(marketFromJson(ms.config));
      m.paused = ms.paused;
      e.markets.set(m.marketId, m);
      for (const os of ms.orders) {
        const o = orderFromJson(os);
        const side = o.side === 0 ? m.bids : m.asks;
        BookSide.append(side.getOrCreate(o.ticks, o.price), o);
        e.orders.set(o.hash, o);
      }
    }
    for (const [hash, status] of snapshot.closed) e.orders.set(hash, status);
    for (const [expiry, seq, hash] of snapshot.expiries) e.expiries.push(expiry, seq, hash);
    for (const [trader, nonce] of snapshot.minNonces) e.minNonces.set(trader, BigInt(nonce));
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
