/**
 * The SDK's public entry point (a library's one index: inside, every module imports from the
 * file that defines the thing).
 */
export {
  ClearmatchClient,
  type SignedOrderWithHash,
  type SubmitOrdersItem,
  type ListOptions,
  type Page,
  type PageOptions,
} from "./clearmatch-client.js";
export type { ClearmatchClientOptions } from "./client-options.js";
export {
  ClearmatchApiError,
  ClearmatchClientError,
  isClearmatchApiError,
  type ClientErrorCode,
} from "./client-errors.js";
export { clockNonce, nonceFloorAt, type OrderDefaults, type OrderParams } from "./order-params.js";
export {
  streamChannels,
  type StreamEvent,
  type StreamState,
  type StreamSubscription,
  type SubscribeOptions,
} from "./stream.js";
export type {
  FillProofFailure,
  FillProofVerification,
  OnChainBatchInfo,
  ProvableFraud,
} from "./verify-fill-proof.js";
export {
  CommitContextReader,
  type CommitContextReaderOptions,
  type OnChainBatchRecord,
} from "@clearmatch/protocol";
export {
  FRAUD_KINDS,
  findFraud,
  type CommitContext,
  type FraudKindName,
} from "@clearmatch/protocol";
export { watchMyFills, type SignedOrderStore, type WatchMyFillsOptions } from "./watch-my-fills.js";
export { Watchtower } from "./watchtower.js";
export type {
  ChallengeOutcome,
  ChallengeSent,
  CursorStore,
  ProofSent,
  WatchtowerOptions,
  WatchtowerStats,
} from "./watchtower-types.js";
export { FeedOrderSource, MapOrderSource, type OrderSource } from "./order-sources.js";
export type { DepositResult, TxResult } from "./onchain-actions.js";
export { fillStruct, type FillStruct } from "@clearmatch/protocol";
export * from "./wire.js";
// Actions (viem-style): one per file, each a function of an `Api` (`HttpTransport`).
export type { Api } from "./actions/api.js";
export { HttpTransport } from "./http-transport.js";
export { getAcceptedOrdersPage } from "./actions/get-accepted-orders.js";
export { getAccountBalances } from "./actions/get-account-balances.js";
export { getAccountFillsPage } from "./actions/get-account-fills.js";
export { getAccountOrdersPage } from "./actions/get-account-orders.js";
export { getBatch } from "./actions/get-batch.js";
export { getBatches } from "./actions/get-batches.js";
export { getBook } from "./actions/get-book.js";
export { getFillProof } from "./actions/get-fill-proof.js";
export { getInfo } from "./actions/get-info.js";
export { getMarkets } from "./actions/get-markets.js";
export { getOrder } from "./actions/get-order.js";
export { getTrades } from "./actions/get-trades.js";
export { checkDomain } from "./actions/check-domain.js";
export { signCancel, signOrder, type Signer } from "./actions/sign.js";
export { submitCancel } from "./actions/submit-cancel.js";
export { submitOrder } from "./actions/submit-order.js";
export { submitOrders } from "./actions/submit-orders.js";
export { OrderFlags, Side, type Order, type FillLeaf } from "@clearmatch/protocol";
export type {
  BalanceView,
  BatchView,
  BookView,
  CancelResult,
  ExchangeInfo,
  FillProofView,
  FillView,
  MarketView,
  OrderView,
  SubmitOrderResult,
  TradeView,
} from "@clearmatch/protocol";
