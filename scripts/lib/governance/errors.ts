/** Why a governance step refuses: a stable code and a message, before anything is sent. */

export const GovernanceErrorCode = {
  /** Fewer valid owner signatures than the Safe's threshold. */
  ThresholdNotMet: "THRESHOLD_NOT_MET",
  /** The timelock operation is scheduled but its delay has not passed. */
  DelayNotPassed: "DELAY_NOT_PASSED",
  /** The timelock does not know the operation (never scheduled, or cancelled). */
  NotScheduled: "NOT_SCHEDULED",
  /** The timelock operation is already scheduled (schedule step) . */
  AlreadyScheduled: "ALREADY_SCHEDULED",
  /** The timelock operation, or this Safe transaction, already ran. */
  AlreadyExecuted: "ALREADY_EXECUTED",
  /** The Safe's nonce moved past the transaction's: rebuild it (`prepare`) and sign again. */
  StaleNonce: "STALE_NONCE",
  /** A signer is not an owner of the Safe, or a signature does not recover to its signer. */
  BadSignature: "BAD_SIGNATURE",
  /** The proposal file is for another chain or malformed. */
  BadProposal: "BAD_PROPOSAL",
} as const;
export type GovernanceErrorCode = (typeof GovernanceErrorCode)[keyof typeof GovernanceErrorCode];

export class GovernanceError extends Error {
  constructor(
    readonly code: GovernanceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "GovernanceError";
  }
}
