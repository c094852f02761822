/**
 * The one place where errors become HTTP answers: `{ error: { code, message, details } }`
 * with the status the registry gives the code. Errors of the JSON body parser are mapped to
 * their codes here too; anything unexpected is logged with its stack and answered as a bare
 * 500 INTERNAL, so internals never leak.
 */
import type { ErrorRequestHandler, RequestHandler } from "express";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";

/** `type` values of body-parser's errors and the codes they stand for. */
const BODY_PARSER_ERRORS: Record<string, ClearmatchError["code"]> = {
  "entity.parse.failed": "MALFORMED_JSON",
  "entity.too.large": "PAYLOAD_TOO_LARGE",
  "charset.unsupported": "UNSUPPORTED_MEDIA_TYPE",
  "encoding.unsupported": "UNSUPPORTED_MEDIA_TYPE",
  "request.aborted": "BAD_REQUEST",
  "request.size.invalid": "BAD_REQUEST",
};

/** The error as a ClearmatchError, or undefined when it is unexpected. */
export function toClearmatchError(error: unknown): ClearmatchError | undefined {
  if (error instanceof ClearmatchError) return error;
  // The router's decoding of a path parameter (`/v1/orders/%zz`): a malformed request.
  if (error instanceof URIError) {
    return new ClearmatchError("BAD_REQUEST", "the path is not valid percent-encoding", {
      cause: error,
    });
  }
  if (typeof error === "object" && error !== null && "type" in error) {
    const code = BODY_PARSER_ERRORS[String(error.type)];
    if (code) return new ClearmatchError(code, undefined, { cause: error });
  }
  return undefined;
}

/** Body of an error answer (also used for the items of a batch answer). */
export function errorBody(error: ClearmatchError): {
  error: { code: string; message: string; details?: unknown };
} {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

export const notFound: RequestHandler = () => {
  throw new ClearmatchError("NOT_FOUND");
};

/** An error's HTTP answer: status, the headers it adds, and the body. */
export interface ErrorAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ReturnType<typeof errorBody>;
}

/**
 * What `thrown` is answered with, counted and logged as the error handler does it (shared by
 * Express's error handler and the order fast path, so both answer every error alike).
 * `orderIntake` counts the refusal in `orders_rejected_total`.
 */
export function errorAnswer(
  thrown: unknown,
  deps: { logger: Logger; metrics: Metrics },
  request: { method: string | undefined; path: string; orderIntake: boolean },
): ErrorAnswer {
  let error = toClearmatchError(thrown);
  if (error === undefined) {
    deps.logger.error(
      { err: thrown, method: request.method, path: request.path },
      "unexpected error",
    );
    error = new ClearmatchError("INTERNAL");
  } else if (error.status >= 500) {
    deps.logger.error({ err: error, method: request.method, path: request.path }, error.message);
  }
  if (request.orderIntake) deps.metrics.ordersRejected.inc({ code: error.code });
  const headers: Record<string, string> = {};
  const retryAfterMs = error.details?.["retryAfterMs"];
  if (typeof retryAfterMs === "number") {
    headers["Retry-After"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  }
  const allow = error.details?.["allow"];
  if (error.code === "METHOD_NOT_ALLOWED" && Array.isArray(allow))
    headers["Allow"] = allow.join(", ");
  if (error.code === "UNAUTHORIZED")
    headers["WWW-Authenticate"] = 'Bearer realm="clearmatch-admin"';
  // A body the client is still sending is not worth reading (413, 415): close afterwards.
  if (error.code === "PAYLOAD_TOO_LARGE" || error.code === "UNSUPPORTED_MEDIA_TYPE") {
    headers["Connection"] = "close";
  }
  return { status: error.status, headers, body: errorBody(error) };
}

export function errorHandler(deps: { logger: Logger; metrics: Metrics }): ErrorRequestHandler {
  return (thrown, req, res, next) => {
    const answer = errorAnswer(thrown, deps, {
      method: req.method,
      path: req.path,
      orderIntake: res.locals["orderIntake"] === true,
    });
    if (res.headersSent) {
      next(thrown);
      return;
    }
    res.set(answer.headers);
    res.status(answer.status).json(answer.body);
  };
}
