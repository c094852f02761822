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
import type {
  AcceptedOrderView,
  BalanceView,
  BatchView,
  BookView,
  CancelResult,
  ExchangeInfo,
  FillProofView,
  FillView,
  MarketView,
  OrderView,
  SignedCancel,
  SignedOrder,
  SubmitOrderResult,
  TradeView,
} from "@clearmatch/protocol";
import type { ClearmatchError } from "../errors/clearmatch-error.js";

/** One order of a batch submission: accepted, or refused with its own error. */
export type BatchItemResult =
  | { readonly ok: true; readonly result: SubmitOrderResult }
  | { readonly ok: false; readonly error: ClearmatchError };

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
