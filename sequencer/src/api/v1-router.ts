/**
 * The public `/v1` routes. Each handler validates its input with the wire schemas and calls
 * the injected `OrderService`; the service's ClearmatchErrors flow to the error handler.
 *
 * | method | path | answer |
 * | --- | --- | --- |
 * | POST | /v1/orders | 201 new order, 200 identical resubmission: `OrderView` (+ `fills`) |
 * | POST | /v1/orders/batch | 200 `{ results: [{ status, order? , error? }] }`, one per order |
 * | GET | /v1/orders/:orderHash | `OrderView` |
 * | POST | /v1/cancels | 200 `{ order }` |
 * | GET | /v1/markets | `{ markets }` |
 * | GET | /v1/markets/:marketId/book?depth= | `BookView` |
 * | GET | /v1/markets/:marketId/trades?limit= | `{ trades }` |
 * | GET | /v1/accounts/:address/orders?limit=&after= | `{ orders, nextCursor? }` |
 * | GET | /v1/accounts/:address/fills?limit=&after= | `{ fills, nextCursor? }` |
 * | GET | /v1/accounts/:address/balances | `{ balances }` |
 * | GET | /v1/feed/orders?limit=&after= | `{ orders, nextCursor? }`: every accepted signed order, oldest first |
 * | GET | /v1/batches?limit=&before= | `{ batches }` |
 * | GET | /v1/batches/:batchId | `BatchView` |
 * | GET | /v1/fills/:fillId/proof | `FillProofView` |
 *
 * Order bodies go through hand-written parsers first (`parseSignedOrderFast`: the schema's result
 * without zod's cost); anything they do not accept is validated by the schema for its issues.
 *
 * A batch is validated as a whole (one malformed order refuses the request with 400, so
 * nothing malformed reaches the service); valid batches are answered per order, each result
 * with the status a single submission would have had.
 *
 * Account orders and fills page with a cursor: an answer carries `nextCursor` (its last order
 * hash or fill id) when more remain; `?after=<nextCursor>` returns the next page. Lists are
 * newest first and append-only, so paging yields each item exactly once while new ones arrive.
 */
import { Router } from "express";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { Metrics } from "../metrics/metrics.js";
import type { RateLimiter } from "../intake/rate-limiter.js";
import { errorBody } from "./error-handler.js";
import type { OrderService } from "../read/order-service.js";
import { route } from "./route.js";
import {
  addressParamsSchema,
  batchesQuerySchema,
  batchIdParamsSchema,
  bookQuerySchema,
  fillIdParamsSchema,
  listQuerySchema,
  marketIdParamsSchema,
  orderHashParamsSchema,
  pagedListQuerySchema,
  parseSignedOrderBatchFast,
  parseSignedOrderFast,
} from "./schemas.js";
import {
  signedCancelSchema,
  signedOrderBatchSchema,
  signedOrderSchema,
} from "@clearmatch/protocol";
import { validate } from "./validate.js";

export interface V1RouterDeps {
  readonly orderService: OrderService;
  readonly metrics: Metrics;
  /** Optional per-client-IP limit on write routes (one token per order or cancel). */
  readonly ipRateLimiter?: RateLimiter | undefined;
  /** Wall clock for the rate limiter, ms since the epoch. */
  readonly now: () => number;
  readonly maxBatchOrders: number;
}

/** An order submission's answer: the HTTP status and the JSON body (bigints as they are). */
export interface IntakeAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * The two order-submitting routes as functions of the parsed JSON body and the client's IP
 * (for the optional per-IP limit), shared by the Express routes and the fast path in front of
 * Express (`fast-intake.ts`), so both answer every submission alike.
 */
export interface IntakeRoutes {
  /** POST /v1/orders: 201 new order, 200 identical resubmission. */
  single(body: unknown, ip: string | undefined): Promise<IntakeAnswer>;
  /** POST /v1/orders/batch: 200 with one result per order. */
  batch(body: unknown, ip: string | undefined): Promise<IntakeAnswer>;
}

/** The optional per-IP limit: `cost` tokens (orders or cancels) from the client's bucket. */
function ipThrottle(deps: V1RouterDeps): (ip: string | undefined, cost: number) => void {
  return (ip, cost) => {
    deps.ipRateLimiter?.consume(`ip:${ip ?? "unknown"}`, deps.now(), cost);
  };
}

export function createIntakeRoutes(deps: V1RouterDeps): IntakeRoutes {
  const { orderService: service, metrics } = deps;
  const batchSchema = signedOrderBatchSchema(deps.maxBatchOrders);
  const throttle = ipThrottle(deps);
  return {
    async single(body, ip) {
      const order = parseSignedOrderFast(body) ?? validate(signedOrderSchema, body, "body");
      throttle(ip, 1);
      const result = await service.submitOrder(order);
      metrics.ordersAccepted.inc({ result: result.created ? "created" : "duplicate" });
      return { status: result.created ? 201 : 200, body: result };
    },
    async batch(body, ip) {
      const { orders } =
        parseSignedOrderBatchFast(body, deps.maxBatchOrders) ?? validate(batchSchema, body, "body");
      throttle(ip, orders.length);
      const results = await service.submitOrders(orders);
      if (results.length !== orders.length) {
        throw new Error(
          `submitOrders returned ${results.length} results for ${orders.length} orders`,
        );
      }
      return {
        status: 200,
        body: {
          results: results.map((item) => {
            if (item.ok) {
              metrics.ordersAccepted.inc({
                result: item.result.created ? "created" : "duplicate",
              });
              return { status: item.result.created ? 201 : 200, ...item.result };
            }
            const error =
              item.error instanceof ClearmatchError ? item.error : new ClearmatchError("INTERNAL");
            metrics.ordersRejected.inc({ code: error.code });
            return { status: error.status, ...errorBody(error) };
          }),
        },
      };
    },
  };
}

/** The `/v1` routes; the order submissions answer through `intake` (`createIntakeRoutes`). */
export function createV1Router(deps: V1RouterDeps, intake: IntakeRoutes): Router {
  const { orderService: service } = deps;
  const router = Router();
  const throttle = ipThrottle(deps);

  route(router, "/orders/batch", {
    post: async (req, res) => {
      const { status, body } = await intake.batch(req.body, req.ip);
      res.status(status).json(body);
    },
  });

  route(router, "/orders", {
    post: async (req, res) => {
      const { status, body } = await intake.single(req.body, req.ip);
      res.status(status).json(body);
    },
  });

  route(router, "/orders/:orderHash", {
    get: async (req, res) => {
      const { orderHash } = validate(orderHashParamsSchema, req.params, "params");
      res.json(await service.getOrder(orderHash));
    },
  });

  route(router, "/cancels", {
    post: async (req, res) => {
      const cancel = validate(signedCancelSchema, req.body, "body");
      throttle(req.ip, 1);
      res.status(200).json(await service.cancel(cancel));
    },
  });

  route(router, "/info", {
    get: async (_req, res) => {
      res.json(await service.getInfo());
    },
  });

  route(router, "/markets", {
    get: async (_req, res) => {
      res.json({ markets: await service.getMarkets() });
    },
  });

  route(router, "/markets/:marketId/book", {
    get: async (req, res) => {
      const { marketId } = validate(marketIdParamsSchema, req.params, "params");
      const { depth } = validate(bookQuerySchema, req.query, "query");
      res.json(await service.getBook(marketId, depth));
    },
  });

  route(router, "/markets/:marketId/trades", {
    get: async (req, res) => {
      const { marketId } = validate(marketIdParamsSchema, req.params, "params");
      const { limit } = validate(listQuerySchema, req.query, "query");
      res.json({ trades: await service.getTrades(marketId, limit) });
    },
  });

  route(router, "/accounts/:address/orders", {
    get: async (req, res) => {
      const { address } = validate(addressParamsSchema, req.params, "params");
      const { limit, after } = validate(pagedListQuerySchema, req.query, "query");
      // One more than asked tells whether another page follows.
      const orders = await service.getAccountOrders(address, limit + 1, after);
      res.json(page("orders", orders, limit, (o) => o.orderHash));
    },
  });

  route(router, "/accounts/:address/fills", {
    get: async (req, res) => {
      const { address } = validate(addressParamsSchema, req.params, "params");
      const { limit, after } = validate(pagedListQuerySchema, req.query, "query");
      const fills = await service.getAccountFills(address, limit + 1, after);
      res.json(page("fills", fills, limit, (f) => f.fillId));
    },
  });

  route(router, "/feed/orders", {
    get: async (req, res) => {
      const { limit, after } = validate(pagedListQuerySchema, req.query, "query");
      const orders = await service.getAcceptedOrders(limit + 1, after);
      res.json(page("orders", orders, limit, (o) => String(o.seq)));
    },
  });

  route(router, "/accounts/:address/balances", {
    get: async (req, res) => {
      const { address } = validate(addressParamsSchema, req.params, "params");
      res.json({ balances: await service.getAccountBalances(address) });
    },
  });

  route(router, "/batches", {
    get: async (req, res) => {
      const query = validate(batchesQuerySchema, req.query, "query");
      res.json({ batches: await service.getBatches(query) });
    },
  });

  route(router, "/batches/:batchId", {
    get: async (req, res) => {
      const { batchId } = validate(batchIdParamsSchema, req.params, "params");
      res.json(await service.getBatch(batchId));
    },
  });

  route(router, "/fills/:fillId/proof", {
    get: async (req, res) => {
      const { fillId } = validate(fillIdParamsSchema, req.params, "params");
      res.json(await service.getFillProof(fillId));
    },
  });

  return router;
}

/** `{ [key]: first limit items, nextCursor? }`: the cursor is set when more items remain. */
function page<K extends string, T>(
  key: K,
  items: readonly T[],
  limit: number,
  cursorOf: (item: T) => string,
): Record<K, readonly T[]> & { nextCursor?: string } {
  const shown = items.slice(0, limit);
  const more = items.length > limit && shown.length > 0;
  return {
    [key]: shown,
    ...(more ? { nextCursor: cursorOf(shown[shown.length - 1]!) } : {}),
  } as Record<K, readonly T[]> & { nextCursor?: string };
}
