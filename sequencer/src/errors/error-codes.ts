/**
 * The single registry of Clearmatch's stable error codes. Every error the service reports
 * (HTTP body, WebSocket error frame, log line) carries one of these codes; clients and tests
 * branch on the code, never on the message. `docs/api-errors.md` is rendered from this table
 * (`sequencer/src/errors/render-error-doc.ts`) and a test keeps the two in sync.
 *
 * Status policy: every rejection of client input is a 4xx.
 * - 400: the request itself is malformed (syntax, schema, signature, domain).
 * - 401/403: admin authentication; an order or cancel the signer does not own.
 * - 404: the named resource (route, market, order, batch, fill) does not exist.
 * - 408/431: the HTTP request itself did not arrive in time or its headers are too large.
 * - 409: the request conflicts with the state of the order or fill it names (cancelled, nonce
 *   invalidated, already filled, a different order under the same hash, not batched yet).
 * - 422: well-formed, but a trading rule refuses it (tick, lot, balance, band, flags, fee).
 * - 423: trading is locked by an operator or a safety mechanism (kill switch, circuit-breaker
 *   halt, on-chain pause). The client is not at fault, but the request is refused by policy
 *   rather than by a server fault, so it is not a 5xx: retrying the same request after the
 *   lock lifts succeeds, and load balancers must not count it as a server error.
 * - 429: rate limited (`Retry-After` is set).
 * - 5xx only for faults of the service itself (`INTERNAL`, `NOT_READY`, `OVERLOADED`).
 */

/** What the registry records about one code. */
export interface ErrorCodeInfo {
  /** HTTP status the API answers with. */
  readonly status: number;
  /** One line for humans; the default message of an error with this code. */
  readonly description: string;
}

export const errorCodes = {
  // 400: malformed requests
  BAD_REQUEST: { status: 400, description: "The request is malformed." },
  MALFORMED_JSON: {
    status: 400,
    description: "The body is not valid JSON (or not an object/array).",
  },
  VALIDATION_FAILED: {
    status: 400,
    description:
      "The body, path or query does not match the schema; `details.issues` lists each problem.",
  },
  INVALID_CURSOR: {
    status: 400,
    description:
      "The paging cursor (`after`) is not one the list returned: pass the previous page's `nextCursor`.",
  },
  BAD_SIGNATURE: {
    status: 400,
    description: "The signature is malformed or does not recover to the order's trader.",
  },
  TOO_MANY_SUBSCRIPTIONS: {
    status: 400,
    description: "A WebSocket client asked for more channels than WS_MAX_SUBSCRIPTIONS.",
  },
  WRONG_CHAIN: {
    status: 400,
    description: "The message was signed for another chain id than this sequencer's.",
  },
  WRONG_CONTRACT: {
    status: 400,
    description: "The message was signed for another settlement contract than this sequencer's.",
  },

  // 401/403: authentication and ownership
  UNAUTHORIZED: {
    status: 401,
    description: "The admin bearer token is missing or wrong.",
  },
  ADMIN_DISABLED: {
    status: 403,
    description: "Admin endpoints are disabled because ADMIN_TOKEN is not configured.",
  },
  NOT_ORDER_OWNER: {
    status: 403,
    description: "The cancel is signed by someone other than the order's trader.",
  },

  // 404/405/408/413/415/431: resources and transport
  NOT_FOUND: { status: 404, description: "No such route or resource." },
  UNKNOWN_MARKET: { status: 404, description: "No market with this id is registered." },
  UNKNOWN_ORDER: { status: 404, description: "No order with this hash is known." },
  UNKNOWN_BATCH: { status: 404, description: "No batch with this id exists." },
  UNKNOWN_FILL: { status: 404, description: "No fill with this id exists." },
  METHOD_NOT_ALLOWED: {
    status: 405,
    description: "The route exists but not for this method; `Allow` lists the methods.",
  },
  REQUEST_TIMEOUT: {
    status: 408,
    description: "The request did not arrive completely within the server's request timeout.",
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    description:
      "The body exceeds MAX_BODY_BYTES (judged from `Content-Length` before reading it); the connection is closed.",
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: "The body must be `application/json` in UTF-8, without content encoding.",
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    description: "The request line and headers exceed the server's header size limit.",
  },

  // 409: conflicts with the named order's state
  DUPLICATE_ORDER: {
    status: 409,
    description:
      "An order with this hash exists with a different signature. (Resubmitting the identical signed order is idempotent and answers 200.)",
  },
  ORDER_CANCELLED: { status: 409, description: "The order was cancelled (off-chain or on-chain)." },
  ORDER_FILLED: { status: 409, description: "The order is already completely filled." },
  NONCE_INVALIDATED: {
    status: 409,
    description: "The order's nonce is below the trader's on-chain minimum nonce.",
  },
  FILL_NOT_BATCHED: {
    status: 409,
    description:
      "The fill exists but is not in a stored batch (yet): it has no proof until its batch is cut; `details.state` is the fill's state.",
  },

  // 422: trading rules
  ORDER_EXPIRED: { status: 422, description: "The order's expiry is not in the future." },
  EXPIRY_TOO_FAR: {
    status: 422,
    description:
      "The order's expiry lies further ahead than the sequencer's maximum order lifetime (`MAX_ORDER_LIFETIME_SEC`).",
  },
  TICK_VIOLATION: {
    status: 422,
    description: "The price is not a multiple of the market's tick size.",
  },
  LOT_VIOLATION: {
    status: 422,
    description: "The amount is not a multiple of the market's lot size.",
  },
  AMOUNT_TOO_LARGE: {
    status: 422,
    description: "The amount or its quote value exceeds what the market or settlement can hold.",
  },
  INSUFFICIENT_BALANCE: {
    status: 422,
    description:
      "Available balance (finalized + pending - reserved - withdrawal requests) does not cover the order.",
  },
  PRICE_BAND: {
    status: 422,
    description:
      "The limit (or a market order's protective) price is outside the band around the reference price.",
  },
  INVALID_FLAGS: {
    status: 422,
    description: "The flag combination is contradictory (for example post-only with IOC or FOK).",
  },
  POST_ONLY_WOULD_CROSS: {
    status: 422,
    description: "A post-only order would take liquidity.",
  },
  FOK_UNFILLABLE: {
    status: 422,
    description: "A fill-or-kill order cannot be filled completely at once.",
  },
  FEE_TOO_LOW: {
    status: 422,
    description:
      "The order's maxFeeBps is below the fee it may be charged: the taker fee for an order that can take liquidity (not post-only), the maker fee for a post-only one; `details.minFeeBps` is the minimum.",
  },

  // 423: trading locked by policy
  MARKET_HALTED: {
    status: 423,
    description: "The market is halted (circuit breaker or operator): cancel-only until resumed.",
  },
  MARKET_PAUSED: {
    status: 423,
    description: "The market is paused on-chain by the guardian: cancel-only until unpaused.",
  },
  SETTLEMENT_PAUSED: {
    status: 423,
    description:
      "The settlement contract is paused by the guardian: no new orders until the guardian or the timelock unpauses it (cancels and withdrawals still work).",
  },
  CHAIN_UNAVAILABLE: {
    status: 423,
    description:
      "The chain cannot take a commit within COMMIT_LATENCY_MAX (RPC unreachable, or the chain stopped producing blocks): no new orders until it can, so no fill is matched that could expire before its commit (cancels still work). `details.reason` says which.",
  },
  KILL_SWITCH: {
    status: 423,
    description: "The global kill switch is engaged: no new orders are accepted; cancels are.",
  },

  // 429
  RATE_LIMITED: {
    status: 429,
    description: "Too many requests for this account or client; retry after `Retry-After` seconds.",
  },

  // 5xx: faults of the service, never of the client's input
  INTERNAL: { status: 500, description: "An unexpected fault; details are in the service's logs." },
  CONFIG_INVALID: {
    status: 500,
    description: "The environment configuration is invalid (start-up only, never sent to clients).",
  },
  NOT_READY: { status: 503, description: "The service is not ready (readiness check failing)." },
  OVERLOADED: {
    status: 503,
    description: "The service sheds load (intake queue full); retry after `Retry-After` seconds.",
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A stable error code. */
export type ErrorCode = keyof typeof errorCodes;

/** Every code, in registry order (for docs and tests). */
export const allErrorCodes: readonly ErrorCode[] = Object.keys(errorCodes) as ErrorCode[];

/** Whether `value` is a registered code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(errorCodes, value);
}
