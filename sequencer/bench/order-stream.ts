import { MatchingEngine } from "../src/engine/matching-engine.js";
import type {
  Address,
  EngineEvent,
  EngineInput,
  Hex32,
  MarketConfig,
  PlaceInput,
} from "../src/engine/types.js";

/**
 * A deterministic, seeded stream of engine inputs for benchmarks and replay tests. Orders rest
 * around a random-walking mid price; some cross it. Cancels and amends name orders that are
 * live at that point (the generator follows the book with its own engine while it generates).
 */

/** ETH/USDC-like market: tick 0.01 USDC (6 decimals), lot 0.001 ETH (18 decimals). */
export const streamMarket: MarketConfig = {
  marketId: 7,
  baseToken: "0x00000000000000000000000000000000000000e1",
  quoteToken: "0x00000000000000000000000000000000000000a1",
  tickSize: 10_000n,
  lotSize: 10n ** 15n,
  baseDecimals: 18,
  makerFeeBps: 2,
  takerFeeBps: 5,
};

export interface StreamMix {
  /** Relative weights of each kind of operation. */
  limit: number;
  cancel: number;
  market: number;
  /** FOK, post-only, amends, sweeps, nonce invalidations: 0 in the benchmark mix. */
  fok?: number;
  postOnly?: number;
  amend?: number;
  expire?: number;
  invalidate?: number;
}

/** The benchmark mix: 70% limit orders, 20% cancels of live orders, 10% market orders. */
export const benchMix: StreamMix = { limit: 70, cancel: 20, market: 10 };
/** Every input kind, for replay and determinism tests. */
export const fullMix: StreamMix = {
  limit: 60,
  cancel: 14,
  market: 8,
  fok: 3,
  postOnly: 5,
  amend: 6,
  expire: 2,
  invalidate: 2,
};

export interface StreamOptions {
  ops: number;
  seed: number;
  mix?: StreamMix;
  traders?: number;
  /** Seconds each order lives; omitted: never within the stream (the benchmark's peer has no expiry). */
  lifetime?: number;
}

export type OpKind = "limit" | "cancel" | "market" | "other";

export interface Stream {
  /** The first input registers `streamMarket`. */
  inputs: EngineInput[];
  /** Kind of each input, for latency by kind. */
  kinds: OpKind[];
}

/**
 * `s` as one flat (sequential) string, as `JSON.parse` or the journal decoder would hand it over:
 * a template literal is a concatenation (a cons string), which every character read has to walk.
 */
function flat(s: string): Hex32 {
  return Buffer.from(s, "latin1").toString("latin1") as Hex32;
}

/** SplitMix32-style generator: tiny, fast, and identical everywhere. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

export function generateStream(options: StreamOptions): Stream {
  const { ops, seed, mix = benchMix, traders = 500 } = options;
  const rand = rng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const m = streamMarket;
  const tick = m.tickSize;
  const lot = m.lotSize;
  const traderIds: Address[] = [];
  for (let i = 0; i < traders; i++) traderIds.push(`0x${(i + 1).toString(16).padStart(40, "0")}`);

  const weights = [
    mix.limit,
    mix.cancel,
    mix.market,
    mix.fok ?? 0,
    mix.postOnly ?? 0,
    mix.amend ?? 0,
    mix.expire ?? 0,
    mix.invalidate ?? 0,
  ];
  const total = weights.reduce((a, b) => a + b, 0);

  // Live orders, for cancels and amends: swap-remove array plus index.
  const live: Hex32[] = [];
  const where = new Map<string, number>();
  const nonces = new Map<string, bigint>();
  const track = (events: EngineEvent[]) => {
    for (const e of events) {
      if (e.type === "rested") {
        if (!where.has(e.orderHash)) {
          where.set(e.orderHash, live.length);
          live.push(e.orderHash);
        }
      } else if (e.type === "filled" || e.type === "cancelled" || e.type === "expired") {
        const i = where.get(e.orderHash);
        if (i === undefined) continue;
        const last = live.pop()!;
        if (last !== e.orderHash) {
          live[i] = last;
          where.set(last, i);
        }
        where.delete(e.orderHash);
      }
    }
  };

  const engine = new MatchingEngine();
  const inputs: EngineInput[] = [];
  const kinds: OpKind[] = [];
  const push = (input: EngineInput, kind: OpKind) => {
    inputs.push(input);
    kinds.push(kind);
    track(engine.apply(input));
  };
  push({ type: "addMarket", time: 1_700_000_000, market: m }, "other");

  let time = 1_700_000_000;
  let mid = 200_000; // ticks: 2000.00 USDC
  let n = 0;
  const newOrder = (side: number, ticks: number, lots: number, flags: number): PlaceInput => {
    n++;
    const trader = traderIds[int(traders)]!;
    const nonce = (nonces.get(trader) ?? 0n) + BigInt(1 + int(3));
    nonces.set(trader, nonce);
    const expiry = options.lifetime === undefined ? 4_000_000_000 : time + options.lifetime;
    return {
      type: "place",
      time,
      orderHash: flat(`0x${n.toString(16).padStart(64, "0")}`),
      order: {
        trader,
        marketId: m.marketId,
        side,
        price: BigInt(ticks) * tick,
        amount: BigInt(lots) * lot,
        nonce,
        expiry: BigInt(expiry),
        maxFeeBps: 10,
        flags,
      },
    };
  };
  /** A limit price: mostly a few ticks behind the mid, sometimes through it. */
  const limitTicks = (side: number) => {
    const away = int(24) - 4; // -4..19 ticks: about one in six crosses
    return side === 0 ? mid - away : mid + away;
  };

  while (inputs.length < ops + 1) {
    if (inputs.length % 1000 === 0) time++;
    if (rand() < 0.02) mid += int(3) - 1;
    let r = rand() * total;
    let k = 0;
    while (r >= weights[k]!) r -= weights[k++]!;
    const side = int(2);
    switch (k) {
      case 0:
        push(newOrder(side, limitTicks(side), 1 + int(100), 0), "limit");
        break;
      case 1: {
        if (live.length === 0) continue;
        const h = live[int(live.length)]!;
        push({ type: "cancel", time, orderHash: h, source: "user" }, "cancel");
        break;
      }
      case 2: {
        // A market order: IOC with a protective price 50 ticks through the mid.
        const protect = side === 0 ? mid + 50 : mid - 50;
        push(newOrder(side, protect, 1 + int(60), 2), "market");
        break;
      }
      case 3:
        push(newOrder(side, side === 0 ? mid + 3 : mid - 3, 1 + int(80), 4), "other");
        break;
      case 4:
        push(newOrder(side, limitTicks(side), 1 + int(100), 1), "other");
        break;
      case 5: {
        if (live.length === 0) continue;
        const h = live[int(live.length)]!;
        const view = engine.order(h);
        const lots = Number(view.amount! / lot);
        const filledLots = Number(view.filled! / lot);
        const input: EngineInput =
          rand() < 0.5 && lots - filledLots > 1
            ? { type: "amend", time, orderHash: h, amount: BigInt(lots - 1) * lot }
            : { type: "amend", time, orderHash: h, price: view.price! + BigInt(int(3) - 1) * tick };
        push(input, "other");
        break;
      }
      case 6:
        time += 1 + int(30);
        push({ type: "expire", time }, "other");
        break;
      default: {
        const trader = traderIds[int(traders)]!;
        const latest = nonces.get(trader) ?? 0n;
        const min = latest > 4n ? latest - BigInt(int(4)) : latest;
        push({ type: "invalidateNonces", time, trader, minNonce: min }, "other");
      }
    }
  }
  return { inputs, kinds };
}
