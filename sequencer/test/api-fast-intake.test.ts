/**
 * The order fast path in front of Express (`api/fast-intake.ts`): it must answer every order
 * submission exactly as the Express app alone does (status, body byte for byte, headers, what
 * reaches the service, the metrics), and hand everything it does not take to Express.
 */
import { request, type IncomingHttpHeaders, type RequestListener } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonBody, plainJsonBody, withFastIntake } from "../src/api/fast-intake.js";
import type { IntakeRoutes } from "../src/api/v1-router.js";
import { ClearmatchError } from "../src/errors/clearmatch-error.js";
import { createLogger } from "../src/logging/logger.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { RateLimiter } from "../src/intake/rate-limiter.js";
import {
  STUB_CRASH,
  STUB_RATE_LIMITED,
  STUB_UNKNOWN_MARKET,
  TRADER,
  captureLogs,
  orderBody,
  startServer,
  type TestServer,
} from "./api-test-kit.js";

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One raw request with exactly these headers (Content-Length from the body unless given). */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string = "",
): Promise<Answer> {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        method,
        path,
        headers: {
          ...(bytes.length > 0 && !("transfer-encoding" in headers)
            ? { "content-length": String(bytes.length) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(bytes);
  });
}

const JSON_HEADERS = { "content-type": "application/json" };
const json = (value: unknown) => JSON.stringify(value);
const COMPARED_HEADERS = [
  "content-type",
  "content-length",
  "cache-control",
  "x-content-type-options",
  "retry-after",
  "allow",
  "connection",
];

/** Requests both paths must answer alike: [name, method, path, headers, body]. */
const corpus: [string, string, string, Record<string, string>, Buffer | string][] = [
  ["a new order", "POST", "/v1/orders", JSON_HEADERS, json(orderBody({ nonce: "1" }))],
  [
    "its identical resubmission",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    json(orderBody({ nonce: "1" })),
  ],
  [
    "a lowercase trader and small integers as strings",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    json(orderBody({ nonce: "2", trader: TRADER.toLowerCase(), marketId: "1", side: "1" })),
  ],
  [
    "charset=UTF-8",
    "POST",
    "/v1/orders",
    { "content-type": "application/json; charset=UTF-8" },
    json(orderBody({ nonce: "3" })),
  ],
  [
    'charset="utf-8" without a space',
    "POST",
    "/v1/orders",
    { "content-type": 'Application/JSON;charset="utf-8"' },
    json(orderBody({ nonce: "4" })),
  ],
  [
    "a byte order mark",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json(orderBody({ nonce: "5" })))]),
  ],
  [
    "leading whitespace",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    ` \r\n\t${json(orderBody({ nonce: "6" }))}\n`,
  ],
  ["malformed JSON", "POST", "/v1/orders", JSON_HEADERS, '{"order": {'],
  ["a JSON string", "POST", "/v1/orders", JSON_HEADERS, '"order"'],
  ["a JSON number", "POST", "/v1/orders", JSON_HEADERS, "42"],
  ["whitespace only", "POST", "/v1/orders", JSON_HEADERS, "   "],
  ["an array", "POST", "/v1/orders", JSON_HEADERS, "[]"],
  ["an empty object", "POST", "/v1/orders", JSON_HEADERS, "{}"],
  [
    "invalid UTF-8",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]),
  ],
  [
    "an unknown field",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    json({ ...orderBody({ nonce: "7" }), extra: 1 }),
  ],
  [
    "a __proto__ key",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    `{"__proto__": {"x": 1}, ${json(orderBody({ nonce: "8" })).slice(1)}`,
  ],
  [
    "a fractional price",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    json(orderBody({ nonce: "9", price: "1.5" })),
  ],
  [
    "an unknown market (service error)",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    json(orderBody({ nonce: "10", marketId: STUB_UNKNOWN_MARKET })),
  ],
  [
    "a rate-limited account (Retry-After)",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    json(orderBody({ nonce: "11", marketId: STUB_RATE_LIMITED })),
  ],
  [
    "an unexpected fault",
    "POST",
    "/v1/orders",
    JSON_HEADERS,
    json(orderBody({ nonce: "12", marketId: STUB_CRASH })),
  ],
  [
    "a batch",
    "POST",
    "/v1/orders/batch",
    JSON_HEADERS,
    json({
      orders: [
        orderBody({ nonce: "13" }),
        orderBody({ nonce: "1" }),
        orderBody({ nonce: "14", marketId: STUB_UNKNOWN_MARKET }),
        orderBody({ nonce: "15", marketId: STUB_CRASH }),
      ],
    }),
  ],
  [
    "a batch with a malformed order",
    "POST",
    "/v1/orders/batch",
    JSON_HEADERS,
    json({ orders: [orderBody({ nonce: "16" }), { order: {} }] }),
  ],
  [
    "a batch over the limit",
    "POST",
    "/v1/orders/batch",
    JSON_HEADERS,
    json({ orders: Array.from({ length: 6 }, (_, i) => orderBody({ nonce: String(20 + i) })) }),
  ],
  // Not taken by the fast path: Express answers both servers' requests.
  ["text/plain", "POST", "/v1/orders", { "content-type": "text/plain" }, json(orderBody())],
  [
    "a latin1 charset",
    "POST",
    "/v1/orders",
    { "content-type": "application/json; charset=latin1" },
    json(orderBody()),
  ],
  [
    "gzip encoding",
    "POST",
    "/v1/orders",
    { ...JSON_HEADERS, "content-encoding": "gzip" },
    json(orderBody()),
  ],
  ["an oversized body", "POST", "/v1/orders", JSON_HEADERS, json({ pad: "x".repeat(70_000) })],
  [
    "a chunked body",
    "POST",
    "/v1/orders",
    { ...JSON_HEADERS, "transfer-encoding": "chunked" },
    json(orderBody({ nonce: "30" })),
  ],
  ["a trailing slash", "POST", "/v1/orders/", JSON_HEADERS, json(orderBody({ nonce: "31" }))],
  ["a query string", "POST", "/v1/orders?x=1", JSON_HEADERS, json(orderBody({ nonce: "32" }))],
  ["GET on the order route", "GET", "/v1/orders", {}, ""],
  ["an empty body", "POST", "/v1/orders", { ...JSON_HEADERS, "content-length": "0" }, ""],
];

describe("order fast path: answers exactly as the Express app alone", () => {
  let fast: TestServer;
  let express: TestServer;
  beforeAll(async () => {
    const options = { options: { maxBatchOrders: 5 } };
    fast = await startServer(options);
    express = await startServer(options, { expressOnly: true });
  });
  afterAll(async () => {
    await fast.close();
    await express.close();
  });

  for (const [name, method, path, headers, body] of corpus) {
    it(`answers ${name} alike`, async () => {
      const a = await send(fast.base, method, path, headers, body);
      const b = await send(express.base, method, path, headers, body);
      expect(a.status).toBe(b.status);
      expect(a.body).toBe(b.body);
      for (const header of COMPARED_HEADERS) {
        expect(a.headers[header], header).toEqual(b.headers[header]);
      }
      expect(fast.service.submitted).toEqual(express.service.submitted);
    });
  }

  it("counted every submission alike in the metrics", async () => {
    const counts = async (t: TestServer) => {
      const out: Record<string, number> = {};
      for (const metric of [
        t.deps.metrics.ordersAccepted,
        t.deps.metrics.ordersRejected,
        t.deps.metrics.orderAckLatency,
      ]) {
        const { name, values } = await metric.get();
        for (const v of values) {
          const sample = ("metricName" in v ? v.metricName : undefined) ?? name;
          if (sample.endsWith("_bucket") || sample.endsWith("_sum")) continue;
          out[`${sample}${JSON.stringify(v.labels)}`] = v.value;
        }
      }
      return out;
    };
    const a = await counts(fast);
    const b = await counts(express);
    // Latency sums differ; their counts must not.
    for (const key of Object.keys(a)) if (key.includes("_sum")) (delete a[key], delete b[key]);
    expect(a).toEqual(b);
    expect(a['clearmatch_orders_accepted_total{"result":"created"}']).toBeGreaterThan(5);
    expect(a['clearmatch_orders_rejected_total{"code":"MALFORMED_JSON"}']).toBeGreaterThan(3);
  });

  it("logs the unexpected fault of the single submission alike", () => {
    // A batch item's fault is answered in its result, not logged by the error handler.
    const faults = (t: TestServer) => t.logs.filter((l) => l["msg"] === "unexpected error");
    expect(faults(fast)).toHaveLength(1);
    expect(faults(express)).toHaveLength(1);
    expect(faults(fast)[0]!["path"]).toBe(faults(express)[0]!["path"]);
  });
});

describe("order fast path: what it takes", () => {
  const logs = captureLogs();
  let base: string;
  let close: () => Promise<void>;
  const fallbacks: string[] = [];
  const seen: unknown[] = [];
  let limiterNow = 0;
  const limiter = new RateLimiter({ ratePerSec: 1, burst: 2 });

  beforeAll(async () => {
    const routes: IntakeRoutes = {
      async single(body, ip) {
        limiter.consume(`ip:${ip}`, limiterNow, 1);
        seen.push(body);
        return { status: 201, body: { big: 2n ** 70n, ip } };
      },
      async batch() {
        throw new ClearmatchError("KILL_SWITCH");
      },
    };
    const fallback: RequestListener = (req, res) => {
      fallbacks.push(`${req.method} ${req.url}`);
      res.statusCode = 418;
      res.end();
    };
    const listener = withFastIntake({
      routes,
      maxBodyBytes: 100,
      trustProxy: false,
      metrics: createMetrics(),
      logger: createLogger({ level: "debug", destination: logs.destination }),
      jsonReplacer: (_key, value) => (typeof value === "bigint" ? value.toString() : value),
      fallback,
    });
    const server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
  });
  afterAll(() => close());

  it("answers plain JSON submissions itself, bigints as strings, the socket's IP as the client's", async () => {
    const a = await send(base, "POST", "/v1/orders", JSON_HEADERS, '{"a":1}');
    expect(a.status).toBe(201);
    expect(JSON.parse(a.body)).toEqual({ big: (2n ** 70n).toString(), ip: "127.0.0.1" });
    expect(a.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(a.headers["cache-control"]).toBe("no-store");
    expect(seen).toEqual([{ a: 1 }]);
    const b = await send(base, "POST", "/v1/orders/batch", JSON_HEADERS, '{"orders":[]}');
    expect(b.status).toBe(new ClearmatchError("KILL_SWITCH").status);
    expect(JSON.parse(b.body).error.code).toBe("KILL_SWITCH");
    expect(fallbacks).toEqual([]);
  });

  it("answers a route's error, the per-IP limit's included, with its code", async () => {
    const c = await send(base, "POST", "/v1/orders", JSON_HEADERS, '{"a":2}');
    expect(c.status).toBe(201);
    const limited = await send(base, "POST", "/v1/orders", JSON_HEADERS, '{"a":3}');
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body).error.code).toBe("RATE_LIMITED");
    expect(limited.headers["retry-after"]).toBe("1");
    limiterNow = 1_000;
    expect((await send(base, "POST", "/v1/orders", JSON_HEADERS, '{"a":4}')).status).toBe(201);
    expect(fallbacks).toEqual([]);
  });

  it("hands everything else to the fallback, body unread", async () => {
    const cases: [string, string, Record<string, string>, string][] = [
      ["GET", "/v1/orders", {}, ""],
      ["POST", "/v1/orders/", JSON_HEADERS, "{}"],
      ["POST", "/v1/orders?a=1", JSON_HEADERS, "{}"],
      ["POST", "/v1/cancels", JSON_HEADERS, "{}"],
      ["POST", "/v1/orders", { "content-type": "text/plain" }, "{}"],
      ["POST", "/v1/orders", { "content-type": "application/json; charset=latin1" }, "{}"],
      ["POST", "/v1/orders", { "content-type": "application/json;" }, "{}"],
      ["POST", "/v1/orders", { ...JSON_HEADERS, "content-encoding": "identity" }, "{}"],
      ["POST", "/v1/orders", { ...JSON_HEADERS, "transfer-encoding": "chunked" }, "{}"],
      ["POST", "/v1/orders", JSON_HEADERS, "x".repeat(101)],
      ["POST", "/v1/orders", { ...JSON_HEADERS, "content-length": "0" }, ""],
    ];
    for (const [method, path, headers, body] of cases) {
      fallbacks.length = 0;
      const answer = await send(base, method, path, headers, body);
      expect(answer.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(418);
      expect(fallbacks).toEqual([`${method} ${path}`]);
    }
  });

  it("leaves everything to Express behind a trusted proxy (the client IP is in X-Forwarded-For)", () => {
    const fallback: RequestListener = () => undefined;
    const listener = withFastIntake({
      routes: {
        single: async () => ({ status: 201, body: {} }),
        batch: async () => ({ status: 200, body: {} }),
      },
      maxBodyBytes: 100,
      trustProxy: true,
      metrics: createMetrics(),
      logger: createLogger({ level: "silent" }),
      jsonReplacer: (_key, value) => value,
      fallback,
    });
    expect(listener).toBe(fallback);
  });

  it("takes exactly the headers body-parser reads alike", () => {
    const plain = (headers: IncomingHttpHeaders) => plainJsonBody(headers, 100);
    expect(plain({ "content-type": "application/json", "content-length": "100" })).toBe(true);
    expect(plain({ "content-type": "application/json", "content-length": "101" })).toBe(false);
    expect(plain({ "content-type": "application/json", "content-length": "010" })).toBe(false);
    expect(plain({ "content-type": "application/json", "content-length": "1e2" })).toBe(false);
    expect(plain({ "content-type": "application/json" })).toBe(false);
    expect(plain({ "content-type": "application/jsonx", "content-length": "5" })).toBe(false);
    expect(
      plain({ "content-type": "application/json; charset=utf-16", "content-length": "5" }),
    ).toBe(false);
    expect(
      plain({ "content-type": "application/json; charset=utf-8; x=1", "content-length": "5" }),
    ).toBe(false);
  });

  it("parses bodies as body-parser's strict JSON does", () => {
    expect(parseJsonBody(Buffer.from('\ufeff{"a":1}'))).toEqual({ a: 1 });
    expect(parseJsonBody(Buffer.from(" [1]"))).toEqual([1]);
    for (const bad of ['"a"', "1", "null", "true", "", " ", "{", "{}x"]) {
      expect(() => parseJsonBody(Buffer.from(bad)), bad).toThrow(
        expect.objectContaining({ code: "MALFORMED_JSON" }),
      );
    }
  });
});
