import type { OrderPool } from "./order-pool.js";
import type { Address, ClosedStatus, Hex32, MarketConfig, Order } from "./types.js";

/** Bumped whenever the layout below changes; restore refuses other versions. */
export const snapshotVersion = 1;

/** bigint fields travel as decimal strings so the snapshot is plain JSON. */
export type Json<T> = { [K in keyof T]: T[K] extends bigint ? string : T[K] };

export interface OrderSnapshot {
  hash: Hex32;
  seq: number;
  /** Current limit (may differ from the signed price after an amend). */
  ticks: number;
  price: string;
  lots: number;
  filled: number;
  total: number;
  signed: Json<Order>;
}

export interface MarketSnapshot {
  config: Json<MarketConfig>;
  paused: boolean;
  /** Bids best first, each level in time priority, then asks the same way. */
  orders: OrderSnapshot[];
}

/** The engine's whole state. Canonical: sorted wherever the engine keeps unordered sets. */
export interface EngineSnapshot {
  version: number;
  now: number;
  nextSeq: number;
  nextFillId: number;
  markets: MarketSnapshot[];
  closed: Array<[string, ClosedStatus]>;
  /** [expiry, seq, orderHash], sorted. */
  expiries: Array<[number, number, string]>;
  /** [trader, minNonce], sorted by trader. */
  minNonces: Array<[string, string]>;
}

export function marketToJson(c: MarketConfig): Json<MarketConfig> {
  return { ...c, tickSize: c.tickSize.toString(), lotSize: c.lotSize.toString() };
}

export function marketFromJson(c: Json<MarketConfig>): MarketConfig {
  return { ...c, tickSize: BigInt(c.tickSize), lotSize: BigInt(c.lotSize) };
}

/** Slot `s` of `p`, an open order of `trader` (lowercased), as snapshot JSON. */
export function orderToJson(p: OrderPool, s: number, trader: Address): OrderSnapshot {
  const m = p.market(s);
  return {
    hash: p.hash[s]!,
    seq: p.seq(s),
    ticks: p.ticks(s),
    price: m.priceOf(p.ticks(s)).toString(),
    lots: p.lots(s),
    filled: p.filled(s),
    total: p.total(s),
    // The signed order, rebuilt exactly from what the pool keeps (see OrderPool).
    signed: {
      // Lowercased like everywhere in the engine, so a replayed journal gives the same bytes.
      trader,
      marketId: m.marketId,
      side: p.side(s),
      price: m.priceOf(p.signedTicks(s)).toString(),
      amount: m.atoms(p.signedLots(s)).toString(),
      nonce: p.nonce(s).toString(),
      expiry: p.signedExpiry(s).toString(),
      maxFeeBps: p.maxFee(s),
      flags: p.flags(s),
    },
  };
}

/** The signed order of an order snapshot. */
export function signedFromJson(j: OrderSnapshot): Order {
  const s = j.signed;
  return {
    trader: s.trader,
    marketId: s.marketId,
    side: s.side,
    price: BigInt(s.price),
    amount: BigInt(s.amount),
    nonce: BigInt(s.nonce),
    expiry: BigInt(s.expiry),
    maxFeeBps: s.maxFeeBps,
    flags: s.flags,
  };
}

/** JSON text of a snapshot (bigints are already strings). */
export function encodeSnapshot(s: EngineSnapshot): string {
  return JSON.stringify(s);
}

export function decodeSnapshot(text: string): EngineSnapshot {
  return JSON.parse(text) as EngineSnapshot;
}
