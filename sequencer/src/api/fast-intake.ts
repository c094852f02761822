/**
 * The order submission routes (`POST /v1/orders`, `POST /v1/orders/batch`) answered in front of
 * Express. Express's per-request work (request and response prototypes, the router's walk over
 * its layers, body-parser's stream plumbing, `res.json`'s header bookkeeping) cost about as much
 * main-thread time as the exchange core's whole apply of an order; this path keeps only what
 * such a request needs: read the body, parse it, run the shared route (`IntakeRoutes`), write
 * one answer.
 *
 * It takes only requests whose answer it gives exactly as the Express app would: the path
 * exactly, a plain `application/json` body (no charset but utf-8, no content encoding, a
 * Content-Length within the body limit, not chunked), and the client IP straight from the
 * socket (no trusted proxy). Everything else, malformed headers and oversized bodies included,
 * goes to the Express app, which answers it with its own code (415, 413, ...). What it answers
 * itself goes through the same route functions and the same error answers (`errorAnswer`), with
 * the same headers and metrics; `test/api-fast-intake.test.ts` compares both paths on a corpus.
 */
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  RequestListener,
  ServerResponse,
} from "node:http";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import { errorAnswer } from "./error-handler.js";
import type { IntakeRoutes } from "./v1-router.js";

export interface FastIntakeOptions {
  readonly routes: IntakeRoutes;
  /** Largest body taken here (the app's body limit); larger ones go to Express (413). */
  readonly maxBodyBytes: number;
  /** With a trusted proxy the client IP comes from X-Forwarded-For: Express handles that. */
  readonly trustProxy: boolean;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Renders bigints (the app's `json replacer`). */
  readonly jsonReplacer: (key: string, value: unknown) => unknown;
  /** Everything not taken here. */
  readonly fallback: RequestListener;
}

type Endpoint = "single" | "batch";

/** The headers every answer of the app carries (the Express app sets them first too). */
export const ANSWER_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };
const JSON_TYPE = "application/json; charset=utf-8";

/** Times an order submission from now to its answer in `order_ack_latency_seconds`. */
export function timeOrderAck(res: ServerResponse, metrics: Metrics, endpoint: Endpoint): void {
  const arrived = performance.now();
  res.once("finish", () => {
    metrics.orderAckLatency.observe({ endpoint }, (performance.now() - arrived) / 1000);
  });
}

/**
 * Whether the body is one this path reads exactly as body-parser would (`express.json` with
 * `inflate: false, strict: true`) and `requireJson` lets through; anything else goes to Express.
 */
export function plainJsonBody(headers: IncomingHttpHeaders, maxBodyBytes: number): boolean {
  if (headers["transfer-encoding"] !== undefined || headers["content-encoding"] !== undefined) {
    return false;
  }
  const length = headers["content-length"];
  if (length === undefined || !/^[1-9][0-9]{0,9}$/.test(length) || Number(length) > maxBodyBytes) {
    return false;
  }
  const type = headers["content-type"];
  if (type === undefined) return false;
  const semi = type.indexOf(";");
  if (semi === -1) return type.trim().toLowerCase() === "application/json";
  if (type.slice(0, semi).trim().toLowerCase() !== "application/json") return false;
  const param = type
    .slice(semi + 1)
    .trim()
    .toLowerCase();
  return param === "charset=utf-8" || param === 'charset="utf-8"';
}

/** The body as body-parser's strict JSON parser reads it (a BOM skipped, objects and arrays only). */
export function parseJsonBody(body: Buffer): unknown {
  const start =
    body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  const text = body.toString("utf8", start);
  const first = /^[\x20\x09\x0a\x0d]*(.)/s.exec(text)?.[1];
  if (first !== "{" && first !== "[") throw new ClearmatchError("MALFORMED_JSON");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ClearmatchError("MALFORMED_JSON", undefined, { cause: error });
  }
}

export function withFastIntake(options: FastIntakeOptions): RequestListener {
  const { routes, maxBodyBytes, metrics, fallback } = options;
  if (options.trustProxy) return fallback;

  const write = (
    res: ServerResponse,
    status: number,
    extra: Record<string, string>,
    text: string,
  ) => {
    res.writeHead(status, {
      ...ANSWER_HEADERS,
      ...extra,
      "Content-Type": JSON_TYPE,
      "Content-Length": Buffer.byteLength(text),
    });
    res.end(text);
  };

  const answer = async (
    req: IncomingMessage,
    res: ServerResponse,
    endpoint: Endpoint,
    body: Buffer,
  ) => {
    let status: number;
    let text: string;
    try {
      const parsed = parseJsonBody(body);
      const ip = req.socket.remoteAddress;
      const result = await (endpoint === "single"
        ? routes.single(parsed, ip)
        : routes.batch(parsed, ip));
      status = result.status;
      text = JSON.stringify(result.body, options.jsonReplacer);
    } catch (thrown) {
      const error = errorAnswer(thrown, options, {
        method: req.method,
        path: req.url ?? "",
        orderIntake: true,
      });
      write(res, error.status, error.headers, JSON.stringify(error.body, options.jsonReplacer));
      return;
    }
    write(res, status, {}, text);
  };

  return (req, res) => {
    const endpoint: Endpoint | undefined =
      req.url === "/v1/orders" ? "single" : req.url === "/v1/orders/batch" ? "batch" : undefined;
    if (
      endpoint === undefined ||
      req.method !== "POST" ||
      !plainJsonBody(req.headers, maxBodyBytes)
    ) {
      fallback(req, res);
      return;
    }
    timeOrderAck(res, metrics, endpoint);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    // A client that goes away mid-body gets no answer (its socket is gone); nothing is applied.
    req.once("error", () => undefined);
    req.once("end", () => {
      void answer(req, res, endpoint, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
  };
}
