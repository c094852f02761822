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
