/**
 * What the settlement contract can prove about a fill, judged exactly as the contract judges it:
 * `FillLib.findFraud` (a fill against the signed order it names, under the chain's state at the
 * batch's commit), `FillLib.overlaps` (two fills of one order claiming the same part of it, what
 * `proveConflictingFills` rolls back) and `MarketLib.quoteIsExact` / `onGrid`.
 *
 * One rule set, three users: the sequencer's pre-commit self-audit (`audit-batch.ts`: it must never
 * commit a provable fill), the SDK's `verifyFillProof` and the demo's final audit
 * (`scripts/lib/audit-committed.ts`). `test/settlement/fraud-rules-agree.test.ts` proves, kind by
 * kind, that the contract's `proveFillFraud` returns the kind these rules return.
 *
 * Pure: no I/O, no Node-only imports, bigint for every on-chain integer (browser-safe, in the
 * shared `protocol/` package). Inputs are assumed within their Solidity ranges (a leaf that is
 * not cannot be hashed, so it cannot be committed or proven either).
 *
 * What the contract does NOT prove (so neither do these rules; DESIGN.md lists some of them):
 * - a FOK order filled in part (it needs the leaf to say which fill is the order's last; the v2
 *   commit of docs/protocol.md, section 3);
 *
 * A leaf naming another batch or an index beyond the batch's fill count is provable on its own,
 * without an order (`proveMislabelledFill`, kind `MislabelledLeaf`); `audit-batch.ts` reports it as
 * a leaf fault the sequencer must never commit. On-chain cancels and nonce bumps count up to the
 * batch's `cancelCutoffBlock` (the cancel grace before the commit block).
 */
import type { Address, Hex } from "viem";
import { OrderFlags, type FillLeaf, type Order } from "./eip712.js";

/** `ISettlement.FraudKind`, in enum order: the index of a name is its on-chain value. */
export const FRAUD_KINDS = [
  "PriceWorseThanLimit",
  "OverFilled",
  "FeeAboveMax",
  "Expired",
  "WrongMarket",
  "WrongTrader",
  "WrongSide",
  "Cancelled",
  "NonceInvalidated",
  "MarketPaused",
  "BadQuoteAmount",
  "OffTickOrLot",
  "MislabelledLeaf",
  "NotMakersPrice",
  "FlagsViolated",
  "FokPartial",
] as const;

/** A `FraudKind` by name. */
export type FraudKindName = (typeof FRAUD_KINDS)[number];

/** The on-chain `uint8` value of a fraud kind (as `FraudProven` emits it). */
export function fraudKindCode(kind: FraudKindName): number {
  return FRAUD_KINDS.indexOf(kind);
}

/** The fraud kind of an on-chain `uint8` value; undefined for a value the enum does not have. */
export function fraudKindName(code: number | bigint): FraudKindName | undefined {
  return FRAUD_KINDS[Number(code)];
}

/** `FillLib.BPS`: fees are capped in basis points of the quote amount. */
export const BPS = 10_000n;

/** `OrderLib.SIDE_BUY`. */
const SIDE_BUY = 0;

/** The fields of `ISettlement.Market` the rules read. */
export interface MarketRules {
  /** `market.registered`: a fill naming an unregistered market is `WrongMarket`. */
  readonly registered: boolean;
  /** Price step, quote atoms per whole base unit (uint128). */
  readonly tickSize: bigint;
  /** Base amount step, base atoms (uint128). */
  readonly lotSize: bigint;
  /** Decimals of the base token (uint8, at most 38). */
  readonly baseDecimals: number;
}

/** The market struct of an unregistered market id (what the contract's storage reads as). */
export const UNREGISTERED_MARKET: MarketRules = {
  registered: false,
  tickSize: 0n,
  lotSize: 0n,
  baseDecimals: 0,
};

/**
 * Mirror of `FillLib.CommitContext`: what the chain said about the order and its market at the
 * batch's commit (`SettlementProofs._commitContext`).
 */
export interface CommitContext {
  /** `batch.committedAt`: the commit block's timestamp, unix seconds. */
  readonly committedAt: bigint;
  /** The order was cancelled on-chain (by its trader) at or before `batch.cancelCutoffBlock`. */
  readonly cancelledBeforeCommit: boolean;
  /** The trader's minimum nonce at the end of block `batch.cancelCutoffBlock`. */
  readonly minNonceBeforeCommit: bigint;
  /** The market was paused at the end of block commitBlock - 1 or at the end of commitBlock. */
  readonly marketPausedAtCommit: boolean;
  /** The fill's market (`market(fill.marketId)`). */
  readonly market: MarketRules;
}

/** Mirror of `FillLib.Side`: one side of a fill as the order on that side sees it. */
export interface FillSide {
  readonly trader: Address;
  /** 0 buy, 1 sell; 2 (maker) or the raw value (taker) if the fill's takerSide is malformed. */
  readonly side: number;
  readonly fee: bigint;
  readonly filledAfter: bigint;
}

/** Mirror of `FillLib.sideOf`: the maker's or the taker's side of `fill`. */
export function sideOf(fill: FillLeaf, isMaker: boolean): FillSide {
  if (isMaker) {
    return {
      trader: fill.maker,
      side: fill.takerSide > 1 ? 2 : 1 - fill.takerSide,
      fee: fill.makerFee,
      filledAfter: fill.makerFilledAfter,
    };
  }
  return {
    trader: fill.taker,
    side: fill.takerSide,
    fee: fill.takerFee,
    filledAfter: fill.takerFilledAfter,
  };
}

/** Mirror of `MarketLib.quoteIsExact`: `quoteAmount == baseAmount * price / 10^baseDecimals`, exactly. */
export function quoteIsExact(
  market: MarketRules,
  baseAmount: bigint,
  price: bigint,
  quoteAmount: bigint,
): boolean {
  const notional = baseAmount * price;
  const unit = 10n ** BigInt(market.baseDecimals);
  return notional % unit === 0n && notional / unit === quoteAmount;
}

/** Mirror of `MarketLib.onGrid`: price a multiple of the tick and base amount of the lot. */
export function onGrid(market: MarketRules, price: bigint, baseAmount: bigint): boolean {
  // A registered market has non-zero steps; Solidity would revert (division by zero) otherwise,
  // which the WrongMarket check before this one makes unreachable.
  if (market.tickSize === 0n || market.lotSize === 0n) return false;
  return price % market.tickSize === 0n && baseAmount % market.lotSize === 0n;
}

/** Addresses compare as 160-bit numbers, whatever their case (checksummed or not). */
export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Mirror of `FillLib.findFraud`: the first way in which `fill` contradicts `order` (its maker order
 * if `isMaker`, else its taker order) under `ctx`, in the contract's fixed order of checks; undefined
 * if the contract would revert `SettlementNoFraud`.
 *
 * It does not check that `order` hashes to the fill's order hash: the contract reverts
 * `SettlementOrderMismatch` for such an order before judging (callers check the hash).
 */
export function findFraud(
  fill: FillLeaf,
  order: Order,
  isMaker: boolean,
  ctx: CommitContext,
): FraudKindName | undefined {
  const s = sideOf(fill, isMaker);
  if (!sameAddress(order.trader, s.trader)) return "WrongTrader";
  if (order.marketId !== fill.marketId || !ctx.market.registered) return "WrongMarket";
  if (order.side !== s.side) return "WrongSide";
  if (order.side === SIDE_BUY ? fill.price > order.price : fill.price < order.price)
    return "PriceWorseThanLimit";
  if (s.filledAfter > order.amount || s.filledAfter < fill.baseAmount) return "OverFilled";
  if (s.fee * BPS > fill.quoteAmount * BigInt(order.maxFeeBps)) return "FeeAboveMax";
  if (order.expiry <= ctx.committedAt) return "Expired";
  if (ctx.cancelledBeforeCommit) return "Cancelled";
  if (ctx.minNonceBeforeCommit > order.nonce) return "NonceInvalidated";
  if (ctx.marketPausedAtCommit) return "MarketPaused";
  if (!quoteIsExact(ctx.market, fill.baseAmount, fill.price, fill.quoteAmount))
    return "BadQuoteAmount";
  if (!onGrid(ctx.market, fill.price, fill.baseAmount)) return "OffTickOrLot";
  if (isMaker && fill.price !== order.price) return "NotMakersPrice";
  if (
    isMaker
      ? (order.flags & (OrderFlags.ImmediateOrCancel | OrderFlags.FillOrKill)) !== 0
      : (order.flags & OrderFlags.PostOnly) !== 0 ||
        ((order.flags & OrderFlags.FillOrKill) !== 0) !== fill.takerFok
  )
    return "FlagsViolated";
  if (!isMaker && fill.takerFok && fill.fokRunEnd && fill.takerFilledAfter < order.amount)
    return "FokPartial";
  return undefined;
}

/**
 * Mirror of `FillLib.overlaps`: whether two fills of one order claim overlapping parts of it. Each
 * covers `[filledAfter - baseAmount, filledAfter)`; empty fills cover nothing; a fill with
 * `filledAfter < baseAmount` is clamped to start at 0.
 */
export function overlaps(baseA: bigint, afterA: bigint, baseB: bigint, afterB: bigint): boolean {
  if (baseA === 0n || baseB === 0n) return false;
  const startA = afterA > baseA ? afterA - baseA : 0n;
  const startB = afterB > baseB ? afterB - baseB : 0n;
  return startA < afterB && startB < afterA;
}

/** The order hash on one side of a fill. */
export function orderHashOf(fill: FillLeaf, isMaker: boolean): Hex {
  return isMaker ? fill.makerOrderHash : fill.takerOrderHash;
}

/** Whether two leaves are the same leaf (hash alike): every field equal, hex case aside. */
export function sameLeaf(a: FillLeaf, b: FillLeaf): boolean {
  return (
    a.batchId === b.batchId &&
    a.index === b.index &&
    sameAddress(a.makerOrderHash, b.makerOrderHash) &&
    sameAddress(a.takerOrderHash, b.takerOrderHash) &&
    sameAddress(a.maker, b.maker) &&
    sameAddress(a.taker, b.taker) &&
    a.marketId === b.marketId &&
    a.takerSide === b.takerSide &&
    a.price === b.price &&
    a.baseAmount === b.baseAmount &&
    a.quoteAmount === b.quoteAmount &&
    a.makerFee === b.makerFee &&
    a.takerFee === b.takerFee &&
    a.makerFilledAfter === b.makerFilledAfter &&
    a.takerFilledAfter === b.takerFilledAfter
  );
}

/**
 * The pure part of `proveConflictingFills`: whether leaf `a` on side `aIsMaker` and leaf `b` on
 * side `bIsMaker` name the same order and claim overlapping parts of it (and are not the same
 * leaf). The contract also needs both batches pending or finalized and the later one pending; it
 * then rolls back the later batch.
 */
export function fillsConflict(
  a: FillLeaf,
  aIsMaker: boolean,
  b: FillLeaf,
  bIsMaker: boolean,
): boolean {
  if (!sameAddress(orderHashOf(a, aIsMaker), orderHashOf(b, bIsMaker))) return false;
  if (sameLeaf(a, b)) return false;
  const sideA = sideOf(a, aIsMaker);
  const sideB = sideOf(b, bIsMaker);
  return overlaps(a.baseAmount, sideA.filledAfter, b.baseAmount, sideB.filledAfter);
}
