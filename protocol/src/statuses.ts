/**
 * The status vocabularies of the wire, one per life cycle: the API's views carry them, the SDK
 * checks them, the API document lists them.
 */
/** Life cycle of an order in the book. */
export const ORDER_STATUSES = [
  "open",
  "partially_filled",
  "filled",
  "cancelled",
  "expired",
] as const;
/** Off-chain life cycle of a fill (DESIGN.md, "Two-phase commit"). */
export const FILL_STATUSES = [
  "matched",
  "batched",
  "committed",
  "finalized",
  "rolled_back",
] as const;
/** Life cycle of a batch. */
export const BATCH_STATUSES = ["open", "committed", "finalized", "rolled_back"] as const;
/** `paused`: on-chain guardian pause; `halted`: circuit breaker or operator (cancel-only). */
export const MARKET_STATUSES = ["active", "paused", "halted"] as const;
