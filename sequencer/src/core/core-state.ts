/**
 * The exchange core's state (everything but the engine and the ledger) and the context its
 * modules act on: admission, fills, chain events, rollback, batch cut, retention and snapshot each
 * take a `CoreContext` and change it only through what it holds.
 */
import type { Address, Hex } from "viem";
import type { Order } from "@clearmatch/protocol";
import type { MatchingEngine } from "../engine/matching-engine.js";
import type { MarketConfig } from "../engine/types.js";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { ErrorCode } from "../errors/error-codes.js";
import { lowercase } from "../crypto/lowercase.js";
import type { BalanceLedger } from "./balance-ledger.js";
import type { ReservationTerms } from "./ledger-state.js";
import type {
  ApplyResult,
  CoreBatch,
  CoreFill,
  CoreOrder,
  CoreOrderStatus,
  KillSwitchState,
  MarketHalt,
} from "./core-types.js";
import type { HistoryArchive } from "./history.js";

/** Default of the init record's `expiryMarginSec` (journals written before it existed). */
export const DEFAULT_EXPIRY_MARGIN_SEC = 30;

const ZERO = "0x0000000000000000000000000000000000000000" as Address;

/** Order statuses after which an order never trades again. */
export const CLOSED: ReadonlySet<CoreOrderStatus> = new Set(["filled", "cancelled", "expired"]);

export function emptyState() {
  return {
    initialized: false,
    nextBatchId: 1n,
    feeRecipient: ZERO,
    makerFeeBps: 0,
    takerFeeBps: 0,
    expiryMarginSec: DEFAULT_EXPIRY_MARGIN_SEC,
    lastPosition: -1n,
    paused: false,
    /** The next order's acceptance number (`CoreOrder.seq`). */
    nextOrderSeq: 1,
    orders: new Map<string, CoreOrder>(),
    fills: new Map<number, CoreFill>(),
    /** Per order hash (lowercase): its fills not yet final; absent when none. */
    unsettled: new Map<string, number>(),
    /** Pruned at the next tick (retention.ts): orders that may be done, final fills and batches. */
    pruneOrders: new Set<string>(),
    pruneFills: [] as number[],
    pruneBatches: [] as string[],
    batches: new Map<string, CoreBatch>(),
    /** Fill ids waiting for a batch. */
    matched: new Set<number>(),
    chainCancels: new Set<string>(),
    nonceFloors: new Map<string, bigint>(),
    /** Current withdrawal request per `account:token` (a new one replaces it). */
    withdrawals: new Map<string, bigint>(),
    challenges: new Map<string, { batchId: bigint; orderHash: Hex }>(),
    /** Per batch id: order hashes the chain proved against (fraud proof, upheld challenge). */
    provenOrders: new Map<string, (string | number)[]>(),
    lastPrice: new Map<number, bigint>(),
    bookSeq: new Map<number, bigint>(),
    accountOrders: new Map<string, (string | number)[]>(),
    accountFills: new Map<string, (string | number)[]>(),
    marketFills: new Map<string, (string | number)[]>(),
    /** Accounts that ever deposited. */
    depositors: new Set<string>(),
    /** Global kill switch (admin): no new orders while engaged. */
    killSwitch: { engaged: false } as KillSwitchState,
    /** Halted markets (admin or circuit breaker): cancel-only until resumed. */
    halts: new Map<number, MarketHalt>(),
  };
}

export type CoreState = ReturnType<typeof emptyState>;

/** What the core's modules act on. */
export interface CoreContext {
  s: CoreState;
  readonly engine: MatchingEngine;
  ledger: BalanceLedger;
  readonly history: HistoryArchive;
}

export function pushIndex(
  map: Map<string, (string | number)[]>,
  key: string,
  value: string | number,
): void {
  const k = lowercase(key);
  let list = map.get(k);
  if (!list) map.set(k, (list = []));
  list.push(value);
}

/** The key of an account's withdrawal request in one token (`CoreState.withdrawals`). */
export function withdrawalKey(account: Address, token: Address): string {
  return `${account.toLowerCase()}:${token.toLowerCase()}`;
}

export function refused(code: ErrorCode, details?: Record<string, unknown>): ApplyResult {
  return {
    outputs: [],
    mutated: false,
    error: new ClearmatchError(code, undefined, details ? { details } : {}),
  };
}

/** What the ledger reserves for `remaining` of order `o` in `market`. */
export function reservationTerms(
  orderHash: Hex,
  o: Order,
  market: MarketConfig,
  remaining: bigint,
): ReservationTerms {
  return {
    orderHash,
    account: o.trader,
    side: o.side,
    price: o.price,
    remaining,
    maxFeeBps: o.maxFeeBps,
    baseToken: market.baseToken,
    quoteToken: market.quoteToken,
    baseDecimals: market.baseDecimals,
  };
}

/** An order by hash, live or archived. */
export function findOrder(c: CoreContext, orderHash: Hex): CoreOrder | undefined {
  return c.s.orders.get(lowercase(orderHash)) ?? c.history.order(orderHash);
}
