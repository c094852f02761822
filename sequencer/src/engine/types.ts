/**
 * The engine's boundary types: what goes in (inputs, which the journal records) and what comes
 * out (events). All amounts are bigint atoms here; the engine works in ticks and lots inside.
 */

/** 0x-prefixed lowercase hex, 32 bytes: an order's EIP-712 digest. */
export type Hex32 = `0x${string}`;
/** 0x-prefixed hex, 20 bytes. Compared case-insensitively (the engine lowercases). */
export type Address = `0x${string}`;

export const SIDE_BUY = 0;
export const SIDE_SELL = 1;
export type Side = typeof SIDE_BUY | typeof SIDE_SELL;

export const FLAG_POST_ONLY = 1;
export const FLAG_IOC = 2;
export const FLAG_FOK = 4;

/**
 * The signed EIP-712 `Order` (DESIGN.md): the engine takes the one definition the hasher, the API
 * and the SDK use.
 */
import type { FillTerms, Order } from "@clearmatch/protocol";
export type { Order };

/** A market as governance registered it on-chain, plus the sequencer's fee schedule. */
export interface MarketConfig {
  /** uint32. */
  marketId: number;
  baseToken: Address;
  quoteToken: Address;
  /** Price step, quote atoms per whole base unit. */
  tickSize: bigint;
  /** Base amount step, base atoms. */
  lotSize: bigint;
  /** Decimals of the base token; `(lotSize * tickSize) % 10^baseDecimals` must be 0. */
  baseDecimals: number;
  /** Fee charged to the resting side, basis points of the quote amount (0..10000). */
  makerFeeBps: number;
  /** Fee charged to the incoming side, basis points of the quote amount (0..10000). */
  takerFeeBps: number;
}

/**
 * Self-trade prevention: what happens when an incoming order would match a resting order of the
 * same trader. See docs/engine.md for why CANCEL_MAKER is the default.
 */
export type SelfTradePrevention = "CANCEL_MAKER" | "CANCEL_TAKER" | "CANCEL_BOTH";

/**
 * Every input carries `time` (unix seconds, the sequencer's clock when it accepted the input).
 * The engine never reads a clock: it uses max(time seen so far) as "now".
 */
export type EngineInput =
  | AddMarketInput
  | SetMarketPausedInput
  | PlaceInput
  | CancelInput
  | AmendInput
  | InvalidateNoncesInput
  | ExpireInput;

export interface AddMarketInput {
  type: "addMarket";
  time: number;
  market: MarketConfig;
}

export interface SetMarketPausedInput {
  type: "setMarketPaused";
  time: number;
  marketId: number;
  paused: boolean;
}

export interface PlaceInput {
  type: "place";
  time: number;
  /** EIP-712 digest of `order`, computed (and the signature checked) before the engine. */
  orderHash: Hex32;
  order: Order;
}

/** `source` "chain" is an on-chain `cancelOrder` event: honoured even for unseen orders. */
export interface CancelInput {
  type: "cancel";
  time: number;
  orderHash: Hex32;
  source: "user" | "chain";
}

/**
 * Change a resting order. `amount` is the new total (filled included), at most the signed amount;
 * `price` must stay within the signed limit. A pure size reduction keeps time priority; anything
 * else re-queues the order (a price change may trade, as an incoming order would).
 */
export interface AmendInput {
  type: "amend";
  time: number;
  orderHash: Hex32;
  amount?: bigint;
  price?: bigint;
}

/** On-chain `invalidateNonces`: cancels the trader's orders with `nonce < minNonce`. */
export interface InvalidateNoncesInput {
  type: "invalidateNonces";
  time: number;
  trader: Address;
  minNonce: bigint;
}

/** Advance time: expire every resting order with `expiry <= time`. */
export interface ExpireInput {
  type: "expire";
  time: number;
}

/** Stable reject codes: clients and the API map on these, never on messages. */
export type RejectReason =
  | "UNKNOWN_MARKET"
  | "MARKET_EXISTS"
  | "INVALID_MARKET"
  | "MARKET_PAUSED"
  | "INVALID_SIDE"
  | "INVALID_FLAGS"
  | "INVALID_PRICE"
  | "INVALID_AMOUNT"
  | "INVALID_MAX_FEE"
  /** The order hash is not "0x" + 64 lowercase hex digits. */
  | "INVALID_ORDER_HASH"
  | "TICK_VIOLATION"
  | "LOT_VIOLATION"
  | "PRICE_OUT_OF_RANGE"
  | "AMOUNT_OUT_OF_RANGE"
  | "EXPIRED"
  | "NONCE_INVALIDATED"
  | "DUPLICATE_ORDER"
  | "UNKNOWN_ORDER"
  | "ORDER_CLOSED"
  | "POST_ONLY_WOULD_CROSS"
  | "FOK_UNFILLABLE"
  | "AMEND_NO_CHANGE"
  | "AMEND_ABOVE_SIGNED"
  | "AMEND_NOT_ABOVE_FILLED"
  | "AMEND_BEYOND_LIMIT"
  | "LEVEL_CAPACITY";

/** Why an accepted order left the book without filling completely. */
export type CancelReason =
  "USER" | "CHAIN" | "IOC_REMAINDER" | "SELF_TRADE" | "NONCE_INVALIDATED" | "LEVEL_CAPACITY";

/** A match: the terms of its fill leaf (all but its batch, index and FOK flags), and an id. */
export interface FillEvent extends FillTerms {
  type: "fill";
  /** Engine-wide fill counter, from 1: a stable id for busts and the stream. */
  fillId: number;
  makerOrderHash: Hex32;
  takerOrderHash: Hex32;
  takerSide: Side;
}

/** An accepted order now rests on the book (possibly after partial fills). */
export interface RestedEvent {
  type: "rested";
  orderHash: Hex32;
  marketId: number;
  side: Side;
  price: bigint;
  /** Base atoms still open on the book. */
  remaining: bigint;
  /** Cumulative filled base atoms. */
  filled: bigint;
}

/** An order filled completely (as taker or maker). */
export interface FilledEvent {
  type: "filled";
  orderHash: Hex32;
  marketId: number;
  filled: bigint;
}

export interface CancelledEvent {
  type: "cancelled";
  orderHash: Hex32;
  marketId: number;
  reason: CancelReason;
  /** Cumulative filled base atoms at cancellation. */
  filled: bigint;
}

export interface ExpiredEvent {
  type: "expired";
  orderHash: Hex32;
  marketId: number;
  filled: bigint;
}

export interface AmendedEvent {
  type: "amended";
  orderHash: Hex32;
  marketId: number;
  price: bigint;
  /** New total amount (filled included). */
  amount: bigint;
  keptPriority: boolean;
}

export interface RejectedEvent {
  type: "rejected";
  input: EngineInput["type"];
  /** The order the input named, or "" for inputs that name none. */
  orderHash: Hex32 | "";
  reason: RejectReason;
}

/** Aggregate size at one price changed (0 = level gone). One per touched level per input. */
export interface LevelEvent {
  type: "level";
  marketId: number;
  side: Side;
  price: bigint;
  size: bigint;
}

export interface MarketEvent {
  type: "market";
  marketId: number;
  status: "added" | "paused" | "active";
}

export type EngineEvent =
  | FillEvent
  | RestedEvent
  | FilledEvent
  | CancelledEvent
  | ExpiredEvent
  | AmendedEvent
  | RejectedEvent
  | LevelEvent
  | MarketEvent;

/** Engine-wide options, applied in `resolveEngineOptions`. */
export interface EngineOptions {
  /** Default "CANCEL_MAKER" (Binance's default mode, and CME's default "cancel resting"). */
  selfTradePrevention?: SelfTradePrevention;
  /** Emit `level` events for market data. Default true. */
  emitLevelEvents?: boolean;
  /**
   * Orders (open, or closed and not yet past their expiry) the engine sizes its tables for up
   * front. Default 1,024; the tables grow past it, but growing copies them, so a long-running
   * sequencer should set roughly the number of orders it expects to hold.
   */
  initialCapacity?: number;
}

/** Aggregated book side, best price first. */
export interface DepthSnapshot {
  marketId: number;
  bids: Array<{ price: bigint; size: bigint; orders: number }>;
  asks: Array<{ price: bigint; size: bigint; orders: number }>;
}

/** How an order left the book (or never entered it). */
export type ClosedStatus = "FILLED" | "CANCELLED" | "REJECTED" | "EXPIRED";
export type OrderStatus = "OPEN" | ClosedStatus | "UNKNOWN";
