/**
 * The API's wire types, as clients and the server see them once decoded (amounts as bigint; on
 * the wire they are decimal strings): the views the REST API and the stream return, and the
 * signed messages clients send. The sequencer's routes produce them, the SDK decodes into them.
 */
import type { Address, Hex } from "viem";
import type { Cancel, FillLeaf, Order } from "./eip712.js";
import type { BATCH_STATUSES, FILL_STATUSES, MARKET_STATUSES, ORDER_STATUSES } from "./statuses.js";

/** Life cycle of an order in the book. */
export type OrderStatus = (typeof ORDER_STATUSES)[number];
/** Off-chain life cycle of a fill (DESIGN.md, "Two-phase commit"). */
export type FillStatus = (typeof FILL_STATUSES)[number];
/** Life cycle of a batch. */
export type BatchStatus = (typeof BATCH_STATUSES)[number];

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
  readonly status: (typeof MARKET_STATUSES)[number];
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

/** One account's funds in one token (the sequencer's ledger, `core/balance-ledger.ts`). */
export interface BalanceView {
  readonly token: Address;
  readonly finalized: bigint;
  readonly pending: bigint;
  readonly reserved: bigint;
  readonly withdrawalRequested: bigint;
  /** finalized + pending - reserved - withdrawalRequested. */
  readonly available: bigint;
}

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

/** A wallet-signed order, as parsed from the wire. */
export interface SignedOrder {
  readonly order: Order;
  readonly signature: Hex;
  /** Chain the client says it signed for (hint only; the signature decides). */
  readonly chainId?: number | undefined;
  /** Contract the client says it signed for (hint only; the signature decides). */
  readonly verifyingContract?: Address | undefined;
}

/** A wallet-signed `Cancel`, as parsed from the wire. */
export interface SignedCancel extends Cancel {
  readonly signature: Hex;
  readonly chainId?: number | undefined;
  readonly verifyingContract?: Address | undefined;
}
