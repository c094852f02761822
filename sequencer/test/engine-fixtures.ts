import { MatchingEngine } from "../src/engine/matching-engine.js";
import type {
  Address,
  EngineEvent,
  EngineOptions,
  FillEvent,
  Hex32,
  MarketConfig,
  Order,
} from "../src/engine/types.js";

/** 1 base unit = 10^18 atoms; price in quote atoms (6 decimals) per whole base unit. */
export const ETH = 10n ** 18n;
export const USDC = 10n ** 6n;

/** ETH/USDC-like: tick 0.01 USDC, lot 0.001 ETH: (10^15 * 10^4) % 10^18 == 0. */
export const market: MarketConfig = {
  marketId: 1,
  baseToken: "0x00000000000000000000000000000000000000b1",
  quoteToken: "0x00000000000000000000000000000000000000a1",
  tickSize: 10_000n,
  lotSize: 10n ** 15n,
  baseDecimals: 18,
  makerFeeBps: 10,
  takerFeeBps: 20,
};

export const alice: Address = "0x00000000000000000000000000000000000a11ce";
export const bob: Address = "0x0000000000000000000000000000000000000b0b";
export const carol: Address = "0x00000000000000000000000000000000000ca201";

export const FAR = 4_000_000_000n;

let counter = 0;
/** A distinct fake order hash (the engine treats it as an opaque id). */
export function hashOf(label: string): Hex32 {
  const hex = Buffer.from(label).toString("hex").padEnd(64, "0").slice(0, 64);
  return `0x${hex}`;
}

export function nextHash(): Hex32 {
  counter++;
  return `0x${counter.toString(16).padStart(64, "0")}`;
}

export function order(partial: Partial<Order> & Pick<Order, "trader" | "side">): Order {
  return {
    marketId: market.marketId,
    price: 2000n * USDC,
    amount: ETH,
    nonce: 1n,
    expiry: FAR,
    maxFeeBps: 100,
    flags: 0,
    ...partial,
  };
}

/** An engine with `market` registered at time 1000. */
export function newEngine(options: EngineOptions = {}, config = market): MatchingEngine {
  const engine = new MatchingEngine(options);
  engine.apply({ type: "addMarket", time: 1000, market: config });
  return engine;
}

export function place(
  engine: MatchingEngine,
  o: Order,
  hash: Hex32 = nextHash(),
  time = 1000,
): EngineEvent[] {
  return engine.apply({ type: "place", time, orderHash: hash, order: o });
}

export function fills(events: EngineEvent[]): FillEvent[] {
  return events.filter((e): e is FillEvent => e.type === "fill");
}

export function ofType<T extends EngineEvent["type"]>(
  events: EngineEvent[],
  type: T,
): Array<Extract<EngineEvent, { type: T }>> {
  return events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);
}
