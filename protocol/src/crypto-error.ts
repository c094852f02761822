/**
 * Errors of the signature and hashing primitives. `code` is a code of the service's error
 * registry (`sequencer/src/errors/error-codes.ts`: `BAD_SIGNATURE`, `VALIDATION_FAILED`), so
 * the API can rethrow it as a `ClearmatchError` unchanged; `reason` is a stable finer cause
 * for logs, metrics and tests. Messages are for humans and may change.
 */

/** Stable finer causes, each with the registry code it belongs to. */
export const CryptoErrorReason = {
  /** The signature is not 65 bytes (r ‖ s ‖ v) of well-formed hex. */
  SignatureLength: "SIGNATURE_LENGTH",
  /** `v` is none of 0, 1, 27, 28. */
  SignatureV: "SIGNATURE_V",
  /** `s` is above secp256k1n / 2: the malleable twin EIP-2 forbids. */
  SignatureHighS: "SIGNATURE_HIGH_S",
  /** `r` or `s` is zero or not below the curve order n. */
  SignatureRange: "SIGNATURE_R_S_RANGE",
  /** No public key is recoverable from this signature and digest. */
  SignatureUnrecoverable: "SIGNATURE_UNRECOVERABLE",
  /** A message field (or a digest) is out of its Solidity type's range or malformed. */
  FieldOutOfRange: "FIELD_OUT_OF_RANGE",
} as const;
export type CryptoErrorReason = (typeof CryptoErrorReason)[keyof typeof CryptoErrorReason];

/** Registry code of each reason. */
export type CryptoErrorCode = "BAD_SIGNATURE" | "VALIDATION_FAILED";

/** Base error of the crypto and EIP-712 primitives. */
export class CryptoError extends Error {
  override readonly name = "CryptoError";
  /** Stable code of the service's registry. */
  readonly code: CryptoErrorCode;

  constructor(
    /** Stable finer cause. */
    readonly reason: CryptoErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code =
      reason === CryptoErrorReason.FieldOutOfRange ? "VALIDATION_FAILED" : "BAD_SIGNATURE";
  }
}
