/**
 * The one base error of the sequencer service. Its `code` comes from the registry in
 * `error-codes.ts`, which also fixes the HTTP status; `details` is a JSON-safe object shown
 * to clients; `cause` keeps the underlying error for logs only (never sent to clients).
 */
import { errorCodes, type ErrorCode } from "./error-codes.js";

/** JSON-safe extra information for clients (bigints are rendered as decimal strings). */
export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface ClearmatchErrorOptions {
  /** Shown to clients under `error.details`. Default: none. */
  readonly details?: ErrorDetails;
  /** The underlying error, for logs. Default: none. */
  readonly cause?: unknown;
}

export class ClearmatchError extends Error {
  override readonly name = "ClearmatchError";
  /** HTTP status of `code`, from the registry. */
  readonly status: number;
  readonly details: ErrorDetails | undefined;

  constructor(
    /** Stable machine-readable code from the registry. */
    readonly code: ErrorCode,
    /** For humans; defaults to the code's description. May change between versions. */
    message?: string,
    options: ClearmatchErrorOptions = {},
  ) {
    super(message ?? errorCodes[code].description, { cause: options.cause });
    this.status = errorCodes[code].status;
    this.details = options.details;
  }
}

/** Type guard. */
export function isClearmatchError(error: unknown): error is ClearmatchError {
  return error instanceof ClearmatchError;
}
