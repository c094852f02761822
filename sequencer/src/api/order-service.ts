/**
 * The contract between the HTTP layer and the sequencer's core. The routes validate the wire
 * format (`schemas.ts`) and hand typed, bigint-valued inputs to an `OrderService`; the real
 * implementation (signature checks, risk, engine, journal) is plugged in at wiring time.
 *
 * Rules for implementations:
 * - Refuse with a `ClearmatchError` whose code is in the registry (`UNKNOWN_MARKET`,
 *   `BAD_SIGNATURE`, `INSUFFICIENT_BALANCE`, `KILL_SWITCH`, `RATE_LIMITED`, ...). Any other
 *   thrown error is reported to the client as a bare 500 INTERNAL and logged.
 * - Submitting the identical signed order again is idempotent: answer `created: false` with
 *   the order's current view (the route answers 200 instead of 201). The same order hash with
 *   a different signature is `DUPLICATE_ORDER`.
 * - The per-account rate limit (RATE_LIMIT_PER_SEC/BURST) belongs here, keyed by the account
 *   recovered from the signature: keying it by a claimed address would let anyone exhaust a
 *   victim's bucket. The HTTP layer only applies the optional per-IP limit.
 * - Amounts are bigint; the HTTP layer renders them as decimal strings.
 */
import type { Address, Hex } from "viem";
import type { FillLeaf, Order } from "@clearmatch/protocol";
import type { ClearmatchError } from "../errors/clearmatch-error.js";
import type { Balance } from "../risk/balance-ledger.js";
import type { SignedCancel, SignedOrder } from "./schemas.js";

/** Life-cycle of an order in the book. */
export type OrderStatus = "open" | "partially_filled" | "filled" | "cancelled" | "expired";

/** Off-chain life-cycle of a fill (DESIGN.md, "Two-phase commit"). */
export type FillStatus = "matched" | "batched" | "committed" | "finalized" | "rolled_back";

/** Life-cycle of a batch. */
export type BatchStatus = "open" | "committed" | "finalized" | "rolled_back";

export interface OrderView {
  /** EIP-712 digest: the order id. */
  readonly orderHash: Hex;
  readonly order: Order;
  readonly signature: Hex;
  readonly status: OrderStatus;
  /** Filled base amount, busted fills excluded. */
  readonly filled: bigint;
  /**
   * Base amount of fills that were busted (present only when some were). Busted quantity does not
   * trade again: an order closed as filled that lost a fill this way is `cancelled`.
   */
  readonly busted?: bigint;
  /** When the sequencer accepted it, ms since the epoch. */
  readonly acceptedAt: number;
}

/** An order of the order feed: an accepted order with its place in acceptance order. */
export interface AcceptedOrderView extends OrderView {
  /** Acceptance number, exchange-wide (1, 2, ...): the feed's order and cursor. */
  readonly seq: number;
}

export interface SubmitOrderResult {
  /** `false` when the identical signed order was already accepted (HTTP 200, else 201). */
  readonly created: boolean;
  readonly order: OrderView;
  /** Fills the order took at once, if any. */
  readonly fills?: readonly FillView[];
}

/** One order of a batch submission: accepted, or refused with its own error. */
export type BatchItemResult =
  | { readonly ok: true; readonly result: SubmitOrderResult }
  | { readonly ok: false; readonly error: ClearmatchError };

export interface CancelResult {
  /** The order after the cancel (status `cancelled`). */
  readonly order: OrderView;
}

export interface MarketView {
  readonly marketId: number;
  readonly baseToken: Address;
  readonly quoteToken: Address;
  readonly baseDecimals: number;
  /** Price step, quote atoms per whole base unit. */
  readonly tickSize: bigint;
  /** Amount step, base atoms. */
  readonly lotSize: bigint;
  /** `paused`: on-chain guardian pause; `halted`: circuit breaker or operator (cancel-only). */
  readonly status: "active" | "paused" | "halted";
  /** Fees the market charges, in basis points of the quote amount. */
  readonly makerFeeBps: number;
  readonly takerFeeBps: number;
}

export interface BookLevel {
  readonly price: bigint;
  /** Total unfilled base amount at this price. */
  readonly amount: bigint;
  /** Number of resting orders at this price. */
  readonly orders: number;
}

export interface BookView {
  readonly marketId: number;
  /** Increases with every book change; stream updates carry it so clients can resync. */
  readonly sequence: bigint;
  /** Best (highest) first. */
  readonly bids: readonly BookLevel[];
  /** Best (lowest) first. */
  readonly asks: readonly BookLevel[];
}

export interface TradeView {
  readonly fillId: string;
  readonly marketId: number;
  readonly price: bigint;
  readonly baseAmount: bigint;
  readonly quoteAmount: bigint;
  /** 0: the taker bought; 1: the taker sold. */
  readonly takerSide: number;
  readonly matchedAt: number;
}

export interface FillView extends TradeView {
  readonly status: FillStatus;
  readonly makerOrderHash: Hex;
  readonly takerOrderHash: Hex;
  readonly maker: Address;
  readonly taker: Address;
  readonly makerFee: bigint;
  readonly takerFee: bigint;
  /** Set once the fill is in a batch. */
  readonly batchId?: bigint;
  readonly index?: number;
  /** Why the fill was busted (status `rolled_back`): it never settles. */
  readonly bustReason?: string;
}

/** One account's funds in one token (see `risk/balance-ledger.ts`). */
export type BalanceView = Balance;

export interface BatchView {
  readonly batchId: bigint;
  readonly status: BatchStatus;
  readonly fillCount: number;
  /** Merkle root of the fills, once cut. */
  readonly fillsRoot?: Hex;
  readonly commitTxHash?: Hex;
  readonly finalizeTxHash?: Hex;
  /** ms since the epoch. */
  readonly committedAt?: number;
  readonly finalizedAt?: number;
  /** End of the challenge window, seconds since the epoch (chain time). */
  readonly challengeDeadline?: bigint;
}

/** Everything needed to verify a fill or to build a fraud proof against it. */
export interface FillProofView {
  readonly fillId: string;
  readonly leaf: FillLeaf;
  readonly leafHash: Hex;
  /** OpenZeppelin StandardMerkleTree proof of `leaf` under `batch.fillsRoot`. */
  readonly proof: readonly Hex[];
  readonly batch: BatchView;
  readonly makerOrder: SignedOrder & { readonly orderHash: Hex };
  readonly takerOrder: SignedOrder & { readonly orderHash: Hex };
}

/**
 * What a client needs before it signs anything (`GET /v1/info`): the EIP-712 domain, and the
 * limits an order is checked against. Markets, ticks, lots and fees are in `GET /v1/markets`.
 */
export interface ExchangeInfo {
  /** The EIP-712 domain every order and cancel is signed under. */
  readonly domain: {
    readonly name: string;
    readonly version: string;
    readonly chainId: number;
    readonly verifyingContract: Address;
  };
  readonly orders: {
    /** An order must arrive with more than this many seconds before its expiry (ORDER_EXPIRED). */
    readonly expiryMarginSec: number;
    /** Its expiry may lie at most this many seconds ahead of its arrival (EXPIRY_TOO_FAR). */
    readonly maxLifetimeSec: number;
    /** Most orders in one `POST /v1/orders/batch`. */
    readonly maxBatchOrders: number;
    /** Limit prices beyond this many basis points of the market's reference are refused (PRICE_BAND). */
    readonly priceBandBps: number;
  };
  /** Per-account token bucket of orders and cancels (RATE_LIMITED). */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number };
}

export interface OrderService {
  /** The EIP-712 domain and the order limits (`GET /v1/info`). */
  getInfo(): Promise<ExchangeInfo>;
  /** Checks, accepts (journaled before answering) and matches one signed order. */
  submitOrder(order: SignedOrder): Promise<SubmitOrderResult>;
  /** Like `submitOrder` for each order in sequence; one result per order, same order. */
  submitOrders(orders: readonly SignedOrder[]): Promise<readonly BatchItemResult[]>;
  /** Cancels by a `Cancel` signed by the order's trader; idempotent. */
  cancel(cancel: SignedCancel): Promise<CancelResult>;
  getOrder(orderHash: Hex): Promise<OrderView>;
  getMarkets(): Promise<readonly MarketView[]>;
  getBook(marketId: number, depth: number): Promise<BookView>;
  /** Newest first. */
  getTrades(marketId: number, limit: number): Promise<readonly TradeView[]>;
  /**
   * Newest first, at most `limit`; with `after` (an order hash the previous page returned), the
   * orders after it in that order. INVALID_CURSOR when `after` is not one of the account's orders.
   */
  getAccountOrders(
    account: Address,
    limit: number,
    after?: string | undefined,
  ): Promise<readonly OrderView[]>;
  /**
   * The order feed: every accepted signed order of every account, oldest first (by `seq`), at most
   * `limit`; with `after` (a `seq` the previous page returned), the orders accepted after it.
   * Third parties check committed fills against it without trusting the sequencer.
   * INVALID_CURSOR when `after` is not a decimal `seq`.
   */
  getAcceptedOrders(
    limit: number,
    after?: string | undefined,
  ): Promise<readonly AcceptedOrderView[]>;
  /**
   * Newest first (highest fill id first), at most `limit`; with `after` (a fill id the previous
   * page returned), the fills after it. INVALID_CURSOR when `after` is not one of the account's.
   */
  getAccountFills(
    account: Address,
    limit: number,
    after?: string | undefined,
  ): Promise<readonly FillView[]>;
  getAccountBalances(account: Address): Promise<readonly BalanceView[]>;
  /** Newest first; `before` pages backwards (batch ids below it). */
  getBatches(query: { limit: number; before?: bigint | undefined }): Promise<readonly BatchView[]>;
  getBatch(batchId: bigint): Promise<BatchView>;
  getFillProof(fillId: string): Promise<FillProofView>;
}
