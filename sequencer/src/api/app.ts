/**
 * The HTTP app factory. Everything it talks to is injected, so tests drive it with stubs and
 * the service wires the real implementations.
 *
 * Pipeline: security headers → health, readiness, metrics → content-type check (415) → JSON
 * body (limit → 413, malformed → 400) → `/v1/admin` (bearer) → `/v1` → 404 → error handler.
 * Bigints in answers are rendered as decimal strings.
 *
 * `createApp` puts the order fast path (`fast-intake.ts`) in front of that Express app: plain
 * JSON order submissions are answered there, by the same route functions, everything else by
 * Express. `createExpressApp` is the Express app alone (the fast path's tests compare the two).
 */
import { openApiDocument } from "./openapi.js";
import type { RequestListener } from "node:http";
import express, { type Express, type RequestHandler } from "express";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { RateLimiter } from "../intake/rate-limiter.js";
import type { AdminControls } from "../intake/admin-controls.js";
import { createAdminRouter } from "./admin-router.js";
import { resolveAppOptions, type AppOptions } from "./app-options.js";
import { errorHandler, notFound } from "./error-handler.js";
import { ANSWER_HEADERS, timeOrderAck, withFastIntake } from "./fast-intake.js";
import type { OrderService } from "../read/order-service.js";
import { route } from "./route.js";
import { createIntakeRoutes, createV1Router, type IntakeRoutes } from "./v1-router.js";

/** What `/readyz` reports. */
export interface ReadinessReport {
  readonly ready: boolean;
  /** Per dependency: `true`/`false` or a short status word (no internals). */
  readonly checks?: Readonly<Record<string, boolean | string>>;
}

export interface AppDeps {
  readonly orderService: OrderService;
  readonly adminControls: AdminControls;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Readiness of the dependencies (journal open, Redis, RPC, caught up with the chain). */
  readonly readiness: () => ReadinessReport | Promise<ReadinessReport>;
  /** Optional per-client-IP limiter on write routes. Default: none. */
  readonly ipRateLimiter?: RateLimiter | undefined;
  /** Wall clock, ms since the epoch. Default: `Date.now`. */
  readonly now?: () => number;
  readonly options?: AppOptions;
}

/** Paths whose POST submits orders: their refusals count in `orders_rejected_total`. */
const ORDER_INTAKE_PATHS = new Set(["/v1/orders", "/v1/orders/batch"]);

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** The `charset` parameter of a Content-Type, lowercase and unquoted, if it names one. */
function charsetOf(type: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(type ?? "");
  return match ? (match[1] ?? match[2] ?? "").toLowerCase() : undefined;
}

/** Requests that carry a body must say it is JSON in UTF-8; bodiless requests pass. */
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody =
    req.headers["transfer-encoding"] !== undefined ||
    (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0");
  if (hasBody && !req.is("application/json")) throw new ClearmatchError("UNSUPPORTED_MEDIA_TYPE");
  const charset = hasBody ? charsetOf(req.headers["content-type"]) : undefined;
  if (charset !== undefined && charset !== "utf-8") {
    throw new ClearmatchError("UNSUPPORTED_MEDIA_TYPE", "the body must be UTF-8", {
      details: { charset },
    });
  }
  next();
};

/**
 * The JSON body parser behind a size guard: a declared Content-Length over the limit is refused
 * at once, before a byte is read, and a chunked body as soon as it passes the limit (body-parser
 * alone reads the whole body off before answering). The answer closes the connection.
 */
function jsonBody(maxBodyBytes: number): RequestHandler {
  const parse = express.json({ limit: maxBodyBytes, strict: true, inflate: false });
  const tooLarge = () =>
    new ClearmatchError("PAYLOAD_TOO_LARGE", undefined, { details: { maxBodyBytes } });
  return (req, res, next) => {
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > maxBodyBytes) {
      next(tooLarge());
      return;
    }
    let done = false;
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBodyBytes) finish(tooLarge());
    };
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      req.off("data", count);
      next(error);
    };
    // Counted alongside the parser's own reader (both attached before the stream flows).
    if (declared === undefined) req.on("data", count);
    parse(req, res, finish);
  };
}

/** The app's request listener: the order fast path, then the Express app. */
export function createApp(deps: AppDeps): RequestListener {
  const options = resolveAppOptions(deps.options);
  const routes = intakeRoutes(deps, options.maxBatchOrders);
  return withFastIntake({
    routes,
    maxBodyBytes: options.maxBodyBytes,
    trustProxy: options.trustProxy,
    metrics: deps.metrics,
    logger: deps.logger,
    jsonReplacer,
    fallback: createExpressApp(deps, routes),
  });
}

function intakeRoutes(deps: AppDeps, maxBatchOrders: number): IntakeRoutes {
  return createIntakeRoutes({
    orderService: deps.orderService,
    metrics: deps.metrics,
    ipRateLimiter: deps.ipRateLimiter,
    now: deps.now ?? Date.now,
    maxBatchOrders,
  });
}

/** The Express app alone, every route included (`routes`: the order routes it uses). */
export function createExpressApp(deps: AppDeps, routes?: IntakeRoutes): Express {
  const options = resolveAppOptions(deps.options);
  const now = deps.now ?? Date.now;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("json replacer", jsonReplacer);
  app.set("trust proxy", options.trustProxy ? 1 : false);

  app.use((req, res, next) => {
    res.set(ANSWER_HEADERS);
    if (req.method === "POST" && ORDER_INTAKE_PATHS.has(req.path)) {
      res.locals["orderIntake"] = true;
      timeOrderAck(res, deps.metrics, req.path === "/v1/orders" ? "single" : "batch");
    }
    next();
  });

  const ops = express.Router();
  route(ops, "/healthz", {
    get: (_req, res) => {
      res.json({ status: "ok" });
    },
  });
  route(ops, "/readyz", {
    get: async (_req, res) => {
      const report = await checkReadiness(deps, options.readinessTimeoutMs);
      res.status(report.ready ? 200 : 503).json({
        status: report.ready ? "ready" : "not_ready",
        ...(report.checks ? { checks: report.checks } : {}),
      });
    },
  });
  route(ops, "/v1/openapi.json", {
    get: (_req, res) => {
      res.json(openApiDocument);
    },
  });
  route(ops, "/metrics", {
    get: async (_req, res) => {
      res.set("Content-Type", deps.metrics.registry.contentType);
      res.send(await deps.metrics.registry.metrics());
    },
  });
  app.use(ops);

  app.use(requireJson);
  app.use(jsonBody(options.maxBodyBytes));
  app.use(
    "/v1/admin",
    createAdminRouter({
      adminControls: deps.adminControls,
      logger: deps.logger,
      adminToken: options.adminToken,
    }),
  );
  app.use(
    "/v1",
    createV1Router(
      {
        orderService: deps.orderService,
        metrics: deps.metrics,
        ipRateLimiter: deps.ipRateLimiter,
        now,
        maxBatchOrders: options.maxBatchOrders,
      },
      routes ?? intakeRoutes(deps, options.maxBatchOrders),
    ),
  );
  app.use(notFound);
  app.use(errorHandler({ logger: deps.logger, metrics: deps.metrics }));
  return app;
}

async function checkReadiness(deps: AppDeps, timeoutMs: number): Promise<ReadinessReport> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessReport>((resolve) => {
    timer = setTimeout(
      () => resolve({ ready: false, checks: { readiness: "timeout" } }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(deps.readiness), timeout]);
  } catch (error) {
    deps.logger.warn({ err: error }, "readiness check failed");
    return { ready: false };
  } finally {
    clearTimeout(timer);
  }
}
