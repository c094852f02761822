import { RestingOrder } from "./resting-order.js";
import type { Address, Hex32, MarketConfig, Order, Side } from "./types.js";
import type { ClosedStatus } from "./matching-engine.js";

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

export function orderToJson(o: RestingOrder): OrderSnapshot {
  const s = o.signed;
  return {
    hash: o.hash,
    seq: o.seq,
    ticks: o.ticks,
    price: o.price.toString(),
    lots: o.lots,
    filled: o.filled,
    total: o.total,
    signed: {
      // Lowercased like everywhere in the engine, so a replayed journal gives the same bytes.
      trader: o.trader,
      marketId: s.marketId,
      side: s.side,
      price: s.price.toString(),
      amount: s.amount.toString(),
      nonce: s.nonce.toString(),
      expiry: s.expiry.toString(),
      maxFeeBps: s.maxFeeBps,
      flags: s.flags,
    },
  };
}

export function orderFromJson(j: OrderSnapshot): RestingOrder {
  const s = j.signed;
  const signed: Order = {
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
  const expiry =
    signed.expiry <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(signed.expiry) : Infinity;
  const o = new RestingOrder(
    j.hash,
    s.trader.toLowerCase() as Address,
    s.marketId,
    s.side as Side,
    j.ticks,
    BigInt(j.price),
    j.lots,
    expiry,
    j.seq,
    signed,
  );
  o.filled = j.filled;
  o.total = j.total;
  return o;
}

/** JSON text of a snapshot (bigints are already strings). */
export function encodeSnapshot(s: EngineSnapshot): string {
  return JSON.stringify(s);
}

export function decodeSnapshot(text: string): EngineSnapshot {
  return JSON.parse(text) as EngineSnapshot;
}
