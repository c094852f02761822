/**
 * The SDK's errors: one base class with a stable `code` and a `cause`, and the API error that
 * carries the server's own code (see `docs/api-errors.md` for the registry).
 */

/** Codes of faults found on the client side (the server's codes come as `ClearmatchApiError`). */
export type ClientErrorCode =
  /** The request never got an answer: DNS, connection refused, reset. `cause` holds why. */
  | "NETWORK_ERROR"
  /** No answer within `requestTimeoutMs`. */
  | "TIMEOUT"
  /** A 2xx answer whose body is not the documented shape. */
  | "BAD_RESPONSE"
  /** A signing or on-chain method was called on a client built without `wallet`. */
  | "WALLET_REQUIRED"
  /** An on-chain method was called on a client built without `publicClient`. */
  | "PUBLIC_CLIENT_REQUIRED"
  /** The wallet has no account (a browser wallet that was not connected). */
  | "NO_ACCOUNT"
  /** The wallet or public client is on another chain than `chainId`. */
  | "WRONG_CHAIN"
  /** The server signs under another EIP-712 domain than this client (`checkDomain`). */
  | "DOMAIN_MISMATCH"
  /** `buildOrder` parameters out of range or contradictory. */
  | "INVALID_ORDER_PARAMS"
  /** A transaction could not be sent (for example it reverts in simulation); `details.errorName` when decoded. */
  | "TRANSACTION_FAILED"
  /** A transaction was mined but reverted. */
  | "TRANSACTION_REVERTED"
  /** A fill proof did not verify (`challengeFill` checks it before spending gas). */
  | "INVALID_FILL_PROOF";

export interface ClearmatchClientErrorOptions {
  /** JSON-safe extra information. Default: none. */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  /** The underlying error. Default: none. */
  readonly cause?: unknown;
}

/** Base of every error the SDK throws. Branch on `code`, not on the message. */
export class ClearmatchClientError extends Error {
  override name = "ClearmatchClientError";
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    /** Stable machine-readable code. */
    readonly code: ClientErrorCode | (string & {}),
    message: string,
    options: ClearmatchClientErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.details = options.details;
  }
}

/**
 * The server refused a request: `{ error: { code, message, details } }` with a 4xx/5xx status,
 * or an `error` frame on the stream. `code` is the server's stable code (`UNKNOWN_MARKET`,
 * `BAD_SIGNATURE`, `INSUFFICIENT_BALANCE`, `RATE_LIMITED`, ...); an answer that is not in that
 * shape (a proxy's HTML 502, say) gets the code `HTTP_ERROR`.
 */
export class ClearmatchApiError extends ClearmatchClientError {
  override name = "ClearmatchApiError";

  constructor(
    code: string,
    message: string,
    /** HTTP status; undefined for stream error frames. */
    readonly status: number | undefined,
    options: ClearmatchClientErrorOptions = {},
  ) {
    super(code, message, options);
  }

  /** For `RATE_LIMITED`: how long to wait before retrying, when the server said. */
  get retryAfterMs(): number | undefined {
    const value = this.details?.["retryAfterMs"];
    return typeof value === "number" ? value : undefined;
  }
}

/** Type guard for a server refusal with `code` (any code when omitted). */
export function isClearmatchApiError(error: unknown, code?: string): error is ClearmatchApiError {
  return error instanceof ClearmatchApiError && (code === undefined || error.code === code);
}
