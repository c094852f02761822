/**
 * Per-market circuit breaker: when a market's last-trade price moves more than `moveBps`
 * basis points within `windowMs` (up from the window's lowest trade, or down from its highest),
 * the market halts and becomes cancel-only until an operator resets it. It also halts on an
 * operator's request. No clock inside: trade times are passed in.
 *
 * The breaker is fed trades after they happen (`recordTrade`), so the trade that crosses the
 * threshold settles and the next order is refused; a matcher that wants to stop before that
 * trade asks `wouldHalt` first. The window is kept as two monotonic deques (window minimum and
 * maximum), so each trade costs amortised O(1).
 */
import type { AppliedListener, ApplyResult, MarketHalt } from "../core/core-types.js";
import type { ServiceRecord } from "../core/service-record.js";
import { ClearmatchError } from "../errors/clearmatch-error.js";

const BPS = 10_000n;

export interface CircuitBreakerOptions {
  /** Largest tolerated move in basis points (config CIRCUIT_BREAKER_BPS). */
  readonly moveBps: number;
  /** Look-back window in milliseconds (config CIRCUIT_BREAKER_WINDOW_MS). */
  readonly windowMs: number;
}

interface Point {
  readonly at: number;
  readonly price: bigint;
}

/** A deque over an array with a moving head, compacted now and then. */
class Deque {
  #items: Point[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  front(): Point | undefined {
    return this.#items[this.#head];
  }
  back(): Point | undefined {
    return this.length > 0 ? this.#items[this.#items.length - 1] : undefined;
  }
  shift(): void {
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
  pop(): void {
    if (this.length > 0) this.#items.pop();
  }
  push(point: Point): void {
    this.#items.push(point);
  }
}

interface MarketWindow {
  readonly mins: Deque; // prices increasing from the front: front is the window minimum
  readonly maxs: Deque; // prices decreasing from the front: front is the window maximum
  lastAt: number;
}

export class CircuitBreaker {
  readonly #move: bigint;
  readonly #windowMs: number;
  readonly #windows = new Map<number, MarketWindow>();
  readonly #halts = new Map<number, MarketHalt>();

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isSafeInteger(options.moveBps) || options.moveBps <= 0) {
      throw new RangeError("moveBps must be a positive integer");
    }
    if (!Number.isSafeInteger(options.windowMs) || options.windowMs <= 0) {
      throw new RangeError("windowMs must be a positive integer");
    }
    this.#move = BigInt(options.moveBps);
    this.#windowMs = options.windowMs;
  }

  /**
   * Records a trade; halts the market and returns the halt when the move from the window's
   * extreme exceeds the threshold. Trades of a halted market are ignored.
   */
  recordTrade(marketId: number, price: bigint, atMs: number): MarketHalt | undefined {
    if (this.#halts.has(marketId)) return undefined;
    const window = this.#window(marketId, atMs);
    const from = this.#trigger(window, price);
    if (from !== undefined) {
      const halt: MarketHalt = {
        marketId,
        cause: "circuit_breaker",
        since: window.lastAt,
        fromPrice: from,
        toPrice: price,
      };
      this.#halts.set(marketId, halt);
      return halt;
    }
    const point = { at: window.lastAt, price };
    while ((window.mins.back()?.price ?? -1n) >= price) window.mins.pop();
    window.mins.push(point);
    while ((window.maxs.back()?.price ?? price + 1n) <= price) window.maxs.pop();
    window.maxs.push(point);
    return undefined;
  }

  /** Whether a trade at `price` now would halt the market (nothing is recorded). */
  wouldHalt(marketId: number, price: bigint, atMs: number): boolean {
    if (this.#halts.has(marketId)) return true;
    return this.#trigger(this.#window(marketId, atMs), price) !== undefined;
  }

  /** Operator halt (admin endpoint); keeps an existing halt's cause. */
  halt(marketId: number, atMs: number, reason?: string): MarketHalt {
    const existing = this.#halts.get(marketId);
    if (existing) return existing;
    const halt: MarketHalt = { marketId, cause: "operator", since: atMs, reason };
    this.#halts.set(marketId, halt);
    return halt;
  }

  /** Operator resume: lifts the halt and forgets the window (trading restarts from scratch). */
  reset(marketId: number): boolean {
    this.#windows.delete(marketId);
    return this.#halts.delete(marketId);
  }

  status(marketId: number): MarketHalt | undefined {
    return this.#halts.get(marketId);
  }

  isHalted(marketId: number): boolean {
    return this.#halts.has(marketId);
  }

  haltedMarkets(): MarketHalt[] {
    return [...this.#halts.values()];
  }

  /** Throws MARKET_HALTED while the market is halted (new orders; cancels stay allowed). */
  assertTrading(marketId: number): void {
    const halt = this.#halts.get(marketId);
    if (halt) {
      throw new ClearmatchError("MARKET_HALTED", undefined, {
        details: { marketId, cause: halt.cause, since: halt.since, reason: halt.reason ?? null },
      });
    }
  }

  /** The window extreme `price` moved too far from, if any. */
  #trigger(window: MarketWindow, price: bigint): bigint | undefined {
    const low = window.mins.front()?.price;
    const high = window.maxs.front()?.price;
    if (low !== undefined && price * BPS > low * (BPS + this.#move)) return low;
    if (high !== undefined && price * BPS < high * (BPS - this.#move)) return high;
    return undefined;
  }

  /** The market's window, advanced to `atMs` (time never goes back) with old points evicted. */
  #window(marketId: number, atMs: number): MarketWindow {
    let window = this.#windows.get(marketId);
    if (!window) {
      window = { mins: new Deque(), maxs: new Deque(), lastAt: atMs };
      this.#windows.set(marketId, window);
    }
    window.lastAt = Math.max(window.lastAt, atMs);
    const oldest = window.lastAt - this.#windowMs;
    for (const deque of [window.mins, window.maxs]) {
      while (deque.length > 0 && deque.front()!.at < oldest) deque.shift();
    }
    return window;
  }
}

/**
 * Feeds the breaker the live trades. Its halt is core state: journaled as a `halt` record right
 * behind the trade that tripped it (`commit` applies it synchronously, so the next order is
 * already refused). A resumed market's window starts afresh (`CircuitBreaker.reset`).
 */
export function breakerHalts(
  breaker: CircuitBreaker,
  deps: {
    isHalted: (marketId: number) => boolean;
    commit: (record: ServiceRecord) => Promise<unknown>;
  },
): AppliedListener {
  return {
    applied(record: ServiceRecord, result: ApplyResult): void {
      if (record.kind === "resume") breaker.reset(record.marketId);
      const halts: MarketHalt[] = [];
      for (const out of result.outputs) {
        if (out.type !== "fill") continue;
        const { marketId, price } = out.fill.fill;
        const halt = breaker.recordTrade(marketId, price, record.ms);
        if (halt && !deps.isHalted(halt.marketId)) halts.push(halt);
      }
      for (const h of halts) {
        void deps
          .commit({
            kind: "halt",
            ms: record.ms,
            marketId: h.marketId,
            cause: "circuit_breaker",
            ...(h.fromPrice !== undefined ? { fromPrice: h.fromPrice } : {}),
            ...(h.toPrice !== undefined ? { toPrice: h.toPrice } : {}),
          })
          .catch(() => undefined);
      }
    },
  };
}
