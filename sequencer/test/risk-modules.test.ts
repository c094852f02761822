import { describe, expect, it } from "vitest";
import { ClearmatchError } from "../src/errors/clearmatch-error.js";
import { CircuitBreaker } from "../src/intake/circuit-breaker.js";
import { KillSwitch } from "./helpers/risk-admin-controls.js";
import { PriceBand } from "../src/intake/price-band.js";
import { RateLimiter } from "../src/intake/rate-limiter.js";

function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ClearmatchError) return error.code;
    throw error;
  }
  return undefined;
}

describe("PriceBand", () => {
  const band = new PriceBand({ bandBps: 1000 }); // ±10 %

  it("accepts prices up to the band edges inclusive and refuses one atom beyond", () => {
    expect(band.limits(1_000n)).toEqual({ min: 900n, max: 1_100n });
    expect(band.accepts(900n, 1_000n)).toBe(true);
    expect(band.accepts(1_100n, 1_000n)).toBe(true);
    expect(band.accepts(899n, 1_000n)).toBe(false);
    expect(band.accepts(1_101n, 1_000n)).toBe(false);
  });

  it("rejects a market order's protective limit outside the band like any limit price", () => {
    expect(thrownCode(() => band.check(2_000n, 1_000n))).toBe("PRICE_BAND");
    expect(thrownCode(() => band.check(1n, 1_000n))).toBe("PRICE_BAND");
  });

  it("reports the band in the error details as decimal strings", () => {
    try {
      band.check(10n ** 30n, 10n ** 29n);
      expect.unreachable();
    } catch (error) {
      expect((error as ClearmatchError).details).toEqual({
        price: (10n ** 30n).toString(),
        reference: (10n ** 29n).toString(),
        min: (9n * 10n ** 28n).toString(),
        max: (11n * 10n ** 28n).toString(),
      });
    }
  });

  it("compares exactly where rounding would hide a one-atom difference", () => {
    // reference 7, 10 %: the exact band is [6.3, 7.7]; 6 and 8 are out, 7 is in.
    expect(band.accepts(6n, 7n)).toBe(false);
    expect(band.accepts(8n, 7n)).toBe(false);
    expect(band.limits(7n)).toEqual({ min: 7n, max: 7n });
  });

  it("does not apply without a reference price", () => {
    expect(() => band.check(123n, undefined)).not.toThrow();
  });

  it("has no lower bound when the band is 100 % or wider", () => {
    const wide = new PriceBand({ bandBps: 20_000 });
    expect(wide.accepts(1n, 1_000n)).toBe(true);
    expect(wide.limits(1_000n)).toEqual({ min: 0n, max: 3_000n });
  });
});

describe("RateLimiter", () => {
  it("allows a burst, then refills at the configured rate", () => {
    const limiter = new RateLimiter({ ratePerSec: 10, burst: 5 });
    for (let i = 0; i < 5; i++) expect(limiter.take("a", 0).allowed).toBe(true);
    const refused = limiter.take("a", 0);
    expect(refused).toEqual({ allowed: false, remaining: 0, retryAfterMs: 100 });
    expect(limiter.take("a", 99).allowed).toBe(false);
    expect(limiter.take("a", 100).allowed).toBe(true);
  });

  it("keeps one bucket per key", () => {
    const limiter = new RateLimiter({ ratePerSec: 1, burst: 1 });
    expect(limiter.take("a", 0).allowed).toBe(true);
    expect(limiter.take("a", 0).allowed).toBe(false);
    expect(limiter.take("b", 0).allowed).toBe(true);
  });

  it("charges a batch its cost at once, and never passes a cost above the burst", () => {
    const limiter = new RateLimiter({ ratePerSec: 50, burst: 100 });
    expect(limiter.take("a", 0, 60).allowed).toBe(true);
    expect(limiter.take("a", 0, 60)).toEqual({ allowed: false, remaining: 40, retryAfterMs: 400 });
    expect(limiter.take("b", 0, 101)).toMatchObject({ allowed: false, retryAfterMs: null });
  });

  it("throws RATE_LIMITED with retryAfterMs from consume", () => {
    const limiter = new RateLimiter({ ratePerSec: 2, burst: 1 });
    limiter.consume("a", 0);
    try {
      limiter.consume("a", 0);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ClearmatchError);
      expect((error as ClearmatchError).code).toBe("RATE_LIMITED");
      expect((error as ClearmatchError).details).toEqual({ retryAfterMs: 500 });
    }
  });

  it("never refills when time goes backwards and caps refill at the burst", () => {
    const limiter = new RateLimiter({ ratePerSec: 1, burst: 2 });
    limiter.take("a", 10_000, 2);
    expect(limiter.take("a", 0).allowed).toBe(false);
    expect(limiter.take("a", 10_000_000_000, 2).allowed).toBe(true);
    expect(limiter.take("a", 10_000_000_000).allowed).toBe(false);
  });

  it("prunes buckets that are full again", () => {
    const limiter = new RateLimiter({ ratePerSec: 1, burst: 1 });
    limiter.take("a", 0);
    limiter.take("b", 500);
    expect(limiter.prune(1_000)).toBe(1);
    expect(limiter.size).toBe(1);
  });
});

describe("CircuitBreaker", () => {
  const options = { moveBps: 1500, windowMs: 60_000 }; // 15 % within a minute

  it("halts a market whose price rises more than the threshold within the window", () => {
    const breaker = new CircuitBreaker(options);
    expect(breaker.recordTrade(1, 1_000n, 0)).toBeUndefined();
    expect(breaker.recordTrade(1, 1_150n, 1_000)).toBeUndefined(); // exactly 15 %: allowed
    const halt = breaker.recordTrade(1, 1_151n, 2_000);
    expect(halt).toMatchObject({
      marketId: 1,
      cause: "circuit_breaker",
      fromPrice: 1_000n,
      toPrice: 1_151n,
    });
    expect(thrownCode(() => breaker.assertTrading(1))).toBe("MARKET_HALTED");
    expect(breaker.isHalted(2)).toBe(false);
  });

  it("halts on a fall measured from the window's highest trade", () => {
    const breaker = new CircuitBreaker(options);
    breaker.recordTrade(7, 1_000n, 0);
    breaker.recordTrade(7, 1_100n, 10);
    breaker.recordTrade(7, 1_000n, 20);
    expect(breaker.recordTrade(7, 934n, 30)).toMatchObject({ fromPrice: 1_100n }); // -15.09 %
  });

  it("forgets trades older than the window", () => {
    const breaker = new CircuitBreaker(options);
    breaker.recordTrade(1, 1_000n, 0);
    breaker.recordTrade(1, 1_100n, 30_000);
    expect(breaker.recordTrade(1, 1_200n, 60_001)).toBeUndefined(); // 1000 has left the window
    expect(breaker.wouldHalt(1, 1_300n, 60_002)).toBe(true); // +18 % from 1100
    expect(breaker.isHalted(1)).toBe(false);
  });

  it("stays halted until an operator resets it, then starts a fresh window", () => {
    const breaker = new CircuitBreaker(options);
    breaker.recordTrade(1, 1_000n, 0);
    breaker.recordTrade(1, 2_000n, 1);
    expect(breaker.recordTrade(1, 1_000n, 2)).toBeUndefined(); // ignored while halted
    expect(breaker.isHalted(1)).toBe(true);
    expect(breaker.reset(1)).toBe(true);
    expect(breaker.recordTrade(1, 3_000n, 3)).toBeUndefined();
    expect(() => breaker.assertTrading(1)).not.toThrow();
  });

  it("halts and resumes on an operator's request", () => {
    const breaker = new CircuitBreaker(options);
    expect(breaker.halt(3, 5, "maintenance")).toMatchObject({
      cause: "operator",
      reason: "maintenance",
      since: 5,
    });
    expect(breaker.haltedMarkets().map((h) => h.marketId)).toEqual([3]);
    expect(breaker.reset(3)).toBe(true);
    expect(breaker.reset(3)).toBe(false);
  });

  it("measures moves from the exact window minimum and maximum over a long random walk", () => {
    const breaker = new CircuitBreaker({ moveBps: 1000, windowMs: 100 }); // ±10 % in 100 ms
    const trades: [number, bigint][] = [];
    let price = 10_000n;
    let seed = 42;
    let checks = 0;
    for (let t = 0; t < 5_000; t++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      price += BigInt((seed % 7) - 3); // at most ±3 per ms: never trips on its own
      trades.push([t, price]);
      expect(breaker.recordTrade(1, price, t)).toBeUndefined();
      if (t % 97 === 0) {
        const window = trades.filter(([at]) => at >= t - 100).map(([, p]) => p);
        const low = window.reduce((a, b) => (a < b ? a : b));
        const high = window.reduce((a, b) => (a > b ? a : b));
        const up = (low * 11_000n) / 10_000n; // highest price within +10 % of the minimum
        const down = (high * 9_000n + 9_999n) / 10_000n; // lowest within -10 % of the maximum
        expect(breaker.wouldHalt(1, up, t)).toBe(false);
        expect(breaker.wouldHalt(1, up + 1n, t)).toBe(true);
        expect(breaker.wouldHalt(1, down, t)).toBe(false);
        expect(breaker.wouldHalt(1, down - 1n, t)).toBe(true);
        checks += 1;
      }
    }
    expect(checks).toBeGreaterThan(50);
    expect(breaker.isHalted(1)).toBe(false);
  });
});

describe("KillSwitch", () => {
  it("refuses new orders while engaged and reports who and why", () => {
    const kill = new KillSwitch();
    const seen: boolean[] = [];
    kill.onChange((s) => seen.push(s.engaged));
    expect(() => kill.assertOpen()).not.toThrow();
    kill.engage("incident 42", 1_000);
    expect(kill.state).toEqual({ engaged: true, reason: "incident 42", since: 1_000 });
    expect(thrownCode(() => kill.assertOpen())).toBe("KILL_SWITCH");
    kill.disengage(2_000);
    expect(kill.engaged).toBe(false);
    expect(() => kill.assertOpen()).not.toThrow();
    expect(seen).toEqual([true, false]);
  });
});
