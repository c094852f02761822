/**
 * One HTTP exchange with the API: JSON in, JSON out, the server's error body turned into a
 * `ClearmatchApiError`, network faults and timeouts into `ClearmatchClientError` with a cause.
 */
import { ClearmatchApiError, ClearmatchClientError } from "./client-errors.js";

export interface HttpRequest {
  readonly method: "GET" | "POST";
  /** Path below the API root, e.g. `/v1/orders`. */
  readonly path: string;
  /** Query parameters; undefined values are left out. */
  readonly query?: Readonly<Record<string, string | number | bigint | undefined>>;
  /** JSON body (already in wire form: no bigints). */
  readonly body?: unknown;
}

export interface HttpTransportOptions {
  /** The service root, without `/v1`. */
  readonly baseUrl: string;
  readonly fetch: typeof globalThis.fetch;
  /** Per-request timeout; 0 disables it. */
  readonly timeoutMs: number;
}

export class HttpTransport {
  constructor(private readonly options: HttpTransportOptions) {}

  /** Sends the request and returns the parsed JSON of a 2xx answer. */
  async request(req: HttpRequest): Promise<unknown> {
    const url = new URL(this.options.baseUrl + req.path);
    for (const [key, value] of Object.entries(req.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, value.toString());

    const init: RequestInit = {
      method: req.method,
      headers: {
        accept: "application/json",
        ...(req.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
      ...(this.options.timeoutMs > 0
        ? { signal: AbortSignal.timeout(this.options.timeoutMs) }
        : {}),
    };

    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(url, init);
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      throw new ClearmatchClientError(
        timedOut ? "TIMEOUT" : "NETWORK_ERROR",
        timedOut
          ? `${req.method} ${req.path}: no answer within ${this.options.timeoutMs} ms`
          : `${req.method} ${req.path}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, details: { method: req.method, path: req.path } },
      );
    }

    if (!response.ok) throw apiError(response, text, req);
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ClearmatchClientError(
        "BAD_RESPONSE",
        `${req.method} ${req.path}: answer is not JSON`,
        { cause: error, details: { status: response.status } },
      );
    }
  }
}

/** The server's `{ error: { code, message, details } }`, or `HTTP_ERROR` when it is not that. */
function apiError(response: Response, text: string, req: HttpRequest): ClearmatchApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error =
    typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
  if (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string"
  ) {
    const { code, message, details } = error as {
      code: string;
      message?: unknown;
      details?: unknown;
    };
    return new ClearmatchApiError(
      code,
      typeof message === "string" ? message : code,
      response.status,
      {
        details:
          typeof details === "object" && details !== null
            ? (details as Record<string, unknown>)
            : undefined,
      },
    );
  }
  return new ClearmatchApiError(
    "HTTP_ERROR",
    `${req.method} ${req.path}: HTTP ${response.status} ${response.statusText}`.trim(),
    response.status,
    { details: { body: text.slice(0, 500) } },
  );
}
