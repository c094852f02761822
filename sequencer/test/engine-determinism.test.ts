import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { benchMix, fullMix, generateStream, streamMarket } from "../bench/order-stream.js";
import { formatEvent } from "../src/engine/event-format.js";
import { MatchingEngine } from "../src/engine/matching-engine.js";
import type { EngineInput, FillEvent } from "../src/engine/types.js";
import { hashRun } from "./engine-replay-hash.js";

const OPS = 40_000;
const SEED = 20_240_601;

describe("matching engine: determinism", () => {
  const { inputs } = generateStream({ ops: OPS, seed: SEED, mix: fullMix, lifetime: 120 });

  it("exercises every kind of event in the generated log", () => {
    const seen = new Set<string>();
    const e = new MatchingEngine();
    for (const input of inputs) {
      for (const ev of e.apply(input)) {
        seen.add(ev.type === "rejected" || ev.type === "cancelled" ? ev.reason : ev.type);
      }
    }
    for (const kind of ["fill", "rested", "filled", "expired", "amended", "level"]) {
      expect(seen).toContain(kind);
    }
    for (const reason of ["USER", "IOC_REMAINDER", "SELF_TRADE", "NONCE_INVALIDATED"]) {
      expect(seen).toContain(reason);
    }
    expect(seen).toContain("FOK_UNFILLABLE");
    expect(seen).toContain("POST_ONLY_WOULD_CROSS");
  });

  it("gives byte-identical output when the same log is replayed twice", () => {
    expect(hashRun(inputs)).toBe(hashRun(inputs));
  });

  it("gives byte-identical output in another process", () => {
    const child = fileURLToPath(new URL("./engine-replay-child.ts", import.meta.url));
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", child, String(OPS), String(SEED)],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(out).toBe(hashRun(inputs));
  });

  it("continues identically after a snapshot and restore midway", () => {
    const whole = new MatchingEngine();
    const h1 = createHash("sha256");
    const h2 = createHash("sha256");
    const cut = Math.floor(inputs.length * 0.6);
    let split = new MatchingEngine();
    for (let i = 0; i < inputs.length; i++) {
      for (const ev of whole.apply(inputs[i]!)) h1.update(formatEvent(ev));
      if (i === cut) split = MatchingEngine.restore(JSON.parse(JSON.stringify(split.snapshot())));
      for (const ev of split.apply(inputs[i]!)) h2.update(formatEvent(ev));
    }
    expect(h2.digest("hex")).toBe(h1.digest("hex"));
    expect(split.snapshot()).toEqual(whole.snapshot());
  });
});

/**
 * A deliberately naive book: a flat list scanned and sorted on every order. Slow and obviously
 * price-time; the engine must agree with it fill for fill.
 */
class NaiveBook {
  private orders: Array<{
    hash: string;
    trader: string;
    side: number;
    ticks: number;
    lots: number;
    total: number;
    filled: number;
    prio: number;
    post: boolean;
    limit: number;
  }> = [];
  private prio = 0;
  private closed = new Set<string>();
  readonly fills: string[] = [];

  apply(input: EngineInput): void {
    const tick = streamMarket.tickSize;
    const lot = streamMarket.lotSize;
    if (input.type === "place") {
      const o = input.order;
      if (this.closed.has(input.orderHash)) return;
      this.closed.add(input.orderHash);
      const ticks = Number(o.price / tick);
      const lots = Number(o.amount / lot);
      const taker = {
        hash: input.orderHash,
        trader: o.trader,
        side: o.side,
        ticks,
        lots,
        total: lots,
        filled: 0,
        prio: 0,
        post: o.flags === 1,
        limit: ticks,
      };
      const crossing = this.crossing(taker);
      if (taker.post && crossing.length > 0) return;
      if (o.flags === 4) {
        const avail = crossing
          .filter((r) => r.trader !== taker.trader)
          .reduce((s, r) => s + r.lots, 0);
        if (avail < lots) return;
      }
      this.take(taker, crossing);
      if (taker.lots > 0 && o.flags !== 2 && o.flags !== 4) {
        taker.prio = ++this.prio;
        this.orders.push(taker);
      }
    } else if (input.type === "cancel") {
      this.orders = this.orders.filter((r) => r.hash !== input.orderHash);
    } else if (input.type === "amend") {
      const r = this.orders.find((x) => x.hash === input.orderHash);
      if (r === undefined) return;
      const ticks = input.price === undefined ? r.ticks : Number(input.price / tick);
      const total = input.amount === undefined ? r.total : Number(input.amount / lot);
      if (r.side === 0 ? ticks > r.limit : ticks < r.limit) return; // beyond the signed limit
      if (total <= r.filled || (ticks === r.ticks && total === r.total)) return;
      if (ticks === r.ticks && total < r.total) {
        r.lots -= r.total - total;
        r.total = total;
        return;
      }
      if (ticks === r.ticks) {
        r.lots = total - r.filled;
        r.total = total;
        r.prio = ++this.prio;
        return;
      }
      const probe = { ...r, ticks };
      if (r.post && this.crossing(probe).length > 0) return;
      this.orders = this.orders.filter((x) => x !== r);
      r.ticks = ticks;
      r.total = total;
      r.lots = total - r.filled;
      this.take(r, this.crossing(r));
      if (r.lots > 0) {
        r.prio = ++this.prio;
        this.orders.push(r);
      }
    }
  }

  private crossing(t: { side: number; ticks: number }) {
    return this.orders
      .filter((r) => r.side !== t.side && (t.side === 0 ? r.ticks <= t.ticks : r.ticks >= t.ticks))
      .sort((a, b) => (t.side === 0 ? a.ticks - b.ticks : b.ticks - a.ticks) || a.prio - b.prio);
  }

  private take(t: NaiveBook["orders"][number], crossing: NaiveBook["orders"]): void {
    for (const r of crossing) {
      if (t.lots === 0) break;
      if (r.trader === t.trader) {
        this.orders = this.orders.filter((x) => x !== r); // cancel the resting order
        continue;
      }
      const q = Math.min(r.lots, t.lots);
      r.lots -= q;
      r.filled += q;
      t.lots -= q;
      t.filled += q;
      this.fills.push(`${r.hash}|${t.hash}|${r.ticks}|${q}|${r.filled}|${t.filled}`);
      if (r.lots === 0) this.orders = this.orders.filter((x) => x !== r);
    }
  }

  depth(side: number): Array<[number, number]> {
    const byPrice = new Map<number, number>();
    for (const r of this.orders) {
      if (r.side === side) byPrice.set(r.ticks, (byPrice.get(r.ticks) ?? 0) + r.lots);
    }
    return [...byPrice].sort((a, b) => (side === 0 ? b[0] - a[0] : a[0] - b[0]));
  }
}

describe("matching engine: agrees with a naive reference book", () => {
  for (const [name, mix] of [
    ["the benchmark mix", benchMix],
    ["a mix with FOK, post-only and amends", { ...fullMix, expire: 0, invalidate: 0 }],
  ] as const) {
    it(`fills identically on ${name}`, () => {
      const { inputs } = generateStream({ ops: 6_000, seed: 99, mix, traders: 40 });
      const engine = new MatchingEngine();
      const naive = new NaiveBook();
      const got: string[] = [];
      const tick = streamMarket.tickSize;
      const lot = streamMarket.lotSize;
      for (const input of inputs) {
        for (const ev of engine.apply(input)) {
          if (ev.type !== "fill") continue;
          const f: FillEvent = ev;
          got.push(
            `${f.makerOrderHash}|${f.takerOrderHash}|${f.price / tick}|${f.baseAmount / lot}|` +
              `${f.makerFilledAfter / lot}|${f.takerFilledAfter / lot}`,
          );
        }
        naive.apply(input);
      }
      expect(got.length).toBeGreaterThan(1000);
      expect(got).toEqual(naive.fills);
      const depth = engine.depth(streamMarket.marketId)!;
      const asLots = (rows: typeof depth.bids) =>
        rows.map((r) => [Number(r.price / tick), Number(r.size / lot)]);
      expect(asLots(depth.bids)).toEqual(naive.depth(0));
      expect(asLots(depth.asks)).toEqual(naive.depth(1));
    });
  }
});
