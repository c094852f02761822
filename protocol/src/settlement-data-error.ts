/**
 * Errors of the settlement-data builders (leaves, trees, deltas). A stable `code` per cause;
 * all of them are permanent faults (a retry cannot fix the input).
 */

/** Registry of the codes the settlement-data builders throw. */
export const SettlementDataErrorCode = {
  /** A fill field is out of its Solidity type's range, malformed, or out of place. */
  InvalidFill: "INVALID_FILL",
  /** A fill names a market the caller gave no tokens for. */
  UnknownMarket: "UNKNOWN_MARKET",
  /** A batch must hold at least one fill. */
  EmptyBatch: "EMPTY_BATCH",
} as const;
export type SettlementDataErrorCode =
  (typeof SettlementDataErrorCode)[keyof typeof SettlementDataErrorCode];

/** Base error of the settlement-data builders. */
export class SettlementDataError extends Error {
  override readonly name = "SettlementDataError";

  constructor(
    /** Stable machine-readable code from `SettlementDataErrorCode`. */
    readonly code: SettlementDataErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
