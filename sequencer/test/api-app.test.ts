import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logging/logger.js";
import { RateLimiter } from "../src/intake/rate-limiter.js";
import {
  STUB_CRASH,
  STUB_RATE_LIMITED,
  STUB_UNKNOWN_MARKET,
  TRADER,
  captureLogs,
  orderBody,
  postJson,
  startServer,
  type TestServer,
} from "./api-test-kit.js";

const MAX_UINT128 = ((1n << 128n) - 1n).toString();
const ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123";

let t: TestServer;
beforeAll(async () => {
  t = await startServer({ options: { maxBatchOrders: 5, adminToken: ADMIN_TOKEN } });
});
afterAll(() => t.close());

async function errorOf(response: Response): Promise<{ status: number; code: string; body: any }> {
  const body = (await response.json()) as any;
  return { status: response.status, code: body?.error?.code, body };
}

describe("order intake", () => {
  it("accepts a new signed order with 201 and parses integers to bigint", async () => {
    const response = await postJson(
      `${t.base}/v1/orders`,
      orderBody({ nonce: "100", amount: MAX_UINT128 }),
    );
    expect(response.status).toBe(201);
    const body = (await response.json()) as any;
    expect(body.order.order.amount).toBe(MAX_UINT128);
    const received = t.service.submitted.at(-1)!;
    expect(received.order.amount).toBe((1n << 128n) - 1n);
    expect(typeof received.order.nonce).toBe("bigint");
    expect(received.order.trader).toBe(TRADER);
  });

  it("answers 200 for an identical resubmission", async () => {
    await postJson(`${t.base}/v1/orders`, orderBody({ nonce: "101" }));
    const again = await postJson(`${t.base}/v1/orders`, orderBody({ nonce: "101" }));
    expect(again.status).toBe(200);
  });

  it("accepts a lowercase trader and small integers given as decimal strings", async () => {
    const body = orderBody({
      nonce: "102",
      trader: TRADER.toLowerCase(),
      marketId: "1",
      side: "1",
      maxFeeBps: "0",
    });
    const response = await postJson(`${t.base}/v1/orders`, body);
    expect(response.status).toBe(201);
    expect(t.service.submitted.at(-1)!.order).toMatchObject({
      trader: TRADER,
      marketId: 1,
      side: 1,
      maxFeeBps: 0,
    });
  });

  it("normalises the signature to lowercase hex", async () => {
    await postJson(
      `${t.base}/v1/orders`,
      orderBody({ nonce: "103" }, { signature: `0x${"AB".repeat(65)}` }),
    );
    expect(t.service.submitted.at(-1)!.signature).toBe(`0x${"ab".repeat(65)}`);
  });

  it("maps the service's error codes to their statuses", async () => {
    const unknown = await errorOf(
      await postJson(`${t.base}/v1/orders`, orderBody({ marketId: STUB_UNKNOWN_MARKET })),
    );
    expect(unknown).toMatchObject({
      status: 404,
      code: "UNKNOWN_MARKET",
      body: { error: { details: { marketId: 404 } } },
    });
  });

  it("answers 429 with Retry-After when the service rate-limits the account", async () => {
    const response = await postJson(
      `${t.base}/v1/orders`,
      orderBody({ marketId: STUB_RATE_LIMITED }),
    );
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("2");
    expect((await errorOf(response)).code).toBe("RATE_LIMITED");
  });

  it("answers an unexpected fault with a bare 500 INTERNAL, logging it without leaking it", async () => {
    const response = await postJson(`${t.base}/v1/orders`, orderBody({ marketId: STUB_CRASH }));
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: { code: "INTERNAL", message: expect.any(String) } });
    expect(text).not.toMatch(/hunter2|secret|\.ts/);
    expect(t.logs.some((l) => l.level === 50 && JSON.stringify(l).includes("hunter2"))).toBe(true);
  });

  it("answers a batch with one result per order", async () => {
    const response = await postJson(`${t.base}/v1/orders/batch`, {
      orders: [
        orderBody({ nonce: "200" }),
        orderBody({ nonce: "200" }),
        orderBody({ marketId: STUB_UNKNOWN_MARKET }),
      ],
    });
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as any;
    expect(results.map((r: any) => r.status)).toEqual([201, 200, 404]);
    expect(results[2].error.code).toBe("UNKNOWN_MARKET");
    expect(results[0].order.orderHash).toMatch(/^0x0+c8$/);
  });

  it("cancels by signed cancel and reports an unknown order", async () => {
    await postJson(`${t.base}/v1/orders`, orderBody({ nonce: "300" }));
    const orderHash = `0x${(300).toString(16).padStart(64, "0")}`;
    const ok = await postJson(`${t.base}/v1/cancels`, {
      orderHash,
      signature: `0x${"11".repeat(65)}`,
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).order.status).toBe("cancelled");
    const missing = await postJson(`${t.base}/v1/cancels`, {
      orderHash: `0x${"99".repeat(32)}`,
      signature: `0x${"11".repeat(65)}`,
    });
    expect(await errorOf(missing)).toMatchObject({ status: 404, code: "UNKNOWN_ORDER" });
  });
});

describe("bad input corpus: every case gets its 4xx code and never reaches the service", () => {
  const ok = orderBody();
  const order = ok.order;
  const sig = ok.signature;
  const json = { "content-type": "application/json" };
  const cases: [name: string, path: string, init: RequestInit, status: number, code: string][] = [
    ["malformed JSON", "/v1/orders", { body: '{"order": {', headers: json }, 400, "MALFORMED_JSON"],
    [
      "a JSON string instead of an object",
      "/v1/orders",
      { body: '"order"', headers: json },
      400,
      "MALFORMED_JSON",
    ],
    [
      "an oversized body",
      "/v1/orders",
      { body: JSON.stringify({ pad: "x".repeat(70_000) }), headers: json },
      413,
      "PAYLOAD_TOO_LARGE",
    ],
    [
      "text/plain",
      "/v1/orders",
      { body: JSON.stringify(ok), headers: { "content-type": "text/plain" } },
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    [
      "no content type",
      "/v1/orders",
      { body: new TextEncoder().encode(JSON.stringify(ok)) },
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    [
      "form encoding",
      "/v1/orders",
      { body: "a=1", headers: { "content-type": "application/x-www-form-urlencoded" } },
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    [
      "a latin1 charset",
      "/v1/orders",
      { body: JSON.stringify(ok), headers: { "content-type": "application/json; charset=latin1" } },
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    [
      "gzip content encoding",
      "/v1/orders",
      { body: JSON.stringify(ok), headers: { ...json, "content-encoding": "gzip" } },
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    ["an empty body", "/v1/orders", { body: "{}", headers: json }, 400, "VALIDATION_FAILED"],
    [
      "a missing field",
      "/v1/orders",
      {
        body: JSON.stringify({ order: { ...order, amount: undefined }, signature: sig }),
        headers: json,
      },
      400,
      "VALIDATION_FAILED",
    ],
    [
      "a missing signature",
      "/v1/orders",
      { body: JSON.stringify({ order }), headers: json },
      400,
      "VALIDATION_FAILED",
    ],
    [
      "an extra order field",
      "/v1/orders",
      {
        body: JSON.stringify({ order: { ...order, leverage: 10 }, signature: sig }),
        headers: json,
      },
      400,
      "VALIDATION_FAILED",
    ],
    [
      "an extra top-level field",
      "/v1/orders",
      { body: JSON.stringify({ ...ok, admin: true }), headers: json },
      400,
      "VALIDATION_FAILED",
    ],
    [
      "a __proto__ field",
      "/v1/orders",
      {
        body: `{"order":${JSON.stringify(order)},"signature":"${sig}","__proto__":{"x":1}}`,
        headers: json,
      },
      400,
      "VALIDATION_FAILED",
    ],
  ];
  const field = (name: string, value: unknown): [string, string, RequestInit, number, string] => [
    `${name}`,
    "/v1/orders",
    {
      body: JSON.stringify({ order: { ...order, ...(value as object) }, signature: sig }),
      headers: json,
    },
    400,
    "VALIDATION_FAILED",
  ];
  cases.push(
    field("a float amount string", { amount: "1.5" }),
    field("a float amount number", { amount: 1.5 }),
    field("an integer amount as a JSON number", { amount: 100 }),
    field("a negative amount", { amount: "-1" }),
    field("a zero amount", { amount: "0" }),
    field("a zero price", { price: "0" }),
    field("an amount with a leading zero", { amount: "0100" }),
    field("an amount in exponent notation", { amount: "1e18" }),
    field("an amount with whitespace", { amount: " 100" }),
    field("an amount in hex", { amount: "0x64" }),
    field("an amount with trailing junk", { amount: "100abc" }),
    field("a price above uint128", { price: (1n << 128n).toString() }),
    field("a very long number string", { price: "9".repeat(5000) }),
    field("a nonce above uint64", { nonce: (1n << 64n).toString() }),
    field("an expiry above uint64", { expiry: "18446744073709551616" }),
    field("a marketId above uint32", { marketId: 2 ** 32 }),
    field("a fractional marketId", { marketId: 1.5 }),
    field("a negative marketId", { marketId: -1 }),
    field("a boolean side", { side: true }),
    field("side 2", { side: 2 }),
    field("unknown flag bits", { flags: 8 }),
    field("maxFeeBps above 100 %", { maxFeeBps: 10_001 }),
    field("a trader with a wrong checksum", {
      trader: "0x70997970c51812dc3a010c7d01b50e0d17dc79C8",
    }),
    field("a short trader address", { trader: "0x7099797051812dc3a010c7d01b50e0d17dc79c8" }),
    field("a null trader", { trader: null }),
  );
  for (const [name, signature] of [
    ["a short signature", `0x${"ab".repeat(64)}`],
    ["a long signature", `0x${"ab".repeat(66)}`],
    ["a signature that is not hex", `0x${"zz".repeat(65)}`],
    ["a signature without 0x", "ab".repeat(65)],
  ]) {
    cases.push([
      name!,
      "/v1/orders",
      { body: JSON.stringify({ order, signature }), headers: json },
      400,
      "VALIDATION_FAILED",
    ]);
  }
  cases.push(
    [
      "a wrong-typed chainId hint",
      "/v1/orders",
      { body: JSON.stringify({ ...ok, chainId: "0x89" }), headers: json },
      400,
      "VALIDATION_FAILED",
    ],
    [
      "an empty batch",
      "/v1/orders/batch",
      { body: JSON.stringify({ orders: [] }), headers: json },
      400,
      "VALIDATION_FAILED",
    ],
    [
      "a batch above the maximum",
      "/v1/orders/batch",
      { body: JSON.stringify({ orders: Array(6).fill(ok) }), headers: json },
      400,
      "VALIDATION_FAILED",
    ],
    [
      "a batch with one bad order",
      "/v1/orders/batch",
      { body: JSON.stringify({ orders: [ok, { ...ok, signature: "0x" }] }), headers: json },
      400,
      "VALIDATION_FAILED",
    ],
    [
      "a batch that is a bare array",
      "/v1/orders/batch",
      { body: JSON.stringify([ok]), headers: json },
      400,
      "VALIDATION_FAILED",
    ],
    [
      "a cancel with a short hash",
      "/v1/cancels",
      { body: JSON.stringify({ orderHash: "0x1234", signature: sig }), headers: json },
      400,
      "VALIDATION_FAILED",
    ],
    [
      "a cancel with an extra field",
      "/v1/cancels",
      {
        body: JSON.stringify({ orderHash: `0x${"11".repeat(32)}`, signature: sig, trader: TRADER }),
        headers: json,
      },
      400,
      "VALIDATION_FAILED",
    ],
  );

  for (const [name, path, init, status, code] of cases) {
    it(`refuses ${name} with ${status} ${code}`, async () => {
      const before = t.service.submitted.length;
      const response = await fetch(`${t.base}${path}`, { method: "POST", ...init });
      expect(await errorOf(response)).toMatchObject({ status, code });
      expect(t.service.submitted.length).toBe(before);
    });
  }

  it("names the offending field in VALIDATION_FAILED details", async () => {
    const response = await postJson(`${t.base}/v1/orders/batch`, {
      orders: [ok, { ...ok, order: { ...order, price: "1.0" } }],
    });
    const { body } = await errorOf(response);
    expect(body.error.details.issues).toContainEqual({
      path: "body.orders.1.order.price",
      message: expect.any(String),
    });
  });

  const gets: [string, string, number, string][] = [
    ["GET", "/v1/nope", 404, "NOT_FOUND"],
    ["GET", "/", 404, "NOT_FOUND"],
    ["GET", "/v1/orders", 405, "METHOD_NOT_ALLOWED"],
    ["GET", "/v1/orders/batch", 405, "METHOD_NOT_ALLOWED"],
    ["DELETE", "/v1/markets", 405, "METHOD_NOT_ALLOWED"],
    ["PUT", "/healthz", 405, "METHOD_NOT_ALLOWED"],
    ["GET", "/v1/markets/abc/book", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/markets/4294967296/book", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/markets/1/book?depth=0", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/markets/1/book?depth=501", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/markets/1/book?depth=1&depth=2", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/markets/1/book?sort=asc", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/markets/2/book", 404, "UNKNOWN_MARKET"],
    ["GET", "/v1/accounts/0x1234/orders", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/orders/0x1234", 400, "VALIDATION_FAILED"],
    ["GET", `/v1/orders/0x${"77".repeat(32)}`, 404, "UNKNOWN_ORDER"],
    ["GET", "/v1/batches/-1", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/batches/18446744073709551616", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/batches?before=abc", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/fills/a%20b/proof", 400, "VALIDATION_FAILED"],
    ["GET", "/v1/fills/42/proof", 404, "UNKNOWN_FILL"],
  ];
  for (const [method, path, status, code] of gets) {
    it(`answers ${method} ${path} with ${status} ${code}`, async () => {
      expect(await errorOf(await fetch(`${t.base}${path}`, { method }))).toMatchObject({
        status,
        code,
      });
    });
  }

  it("lists the allowed methods on 405 and answers OPTIONS", async () => {
    const response = await fetch(`${t.base}/v1/orders`);
    expect(response.headers.get("allow")).toBe("POST");
    const options = await fetch(`${t.base}/v1/markets`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("queries", () => {
  it("renders bigints as decimal strings and applies the default depth", async () => {
    const response = await fetch(`${t.base}/v1/markets/1/book`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      marketId: 1,
      sequence: "7",
      bids: [{ price: (2n ** 100n).toString(), amount: "5", orders: 1 }],
      asks: [],
    });
    expect(t.service.lastBookDepth).toBe(50);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("parses batch ids up to uint64 and paging parameters", async () => {
    const response = await fetch(`${t.base}/v1/batches/18446744073709551615`);
    expect(await response.json()).toMatchObject({ batchId: "18446744073709551615", fillCount: 3 });
    await fetch(`${t.base}/v1/batches?limit=10&before=5`);
    expect(t.service.lastBatchesQuery).toEqual({ limit: 10, before: 5n });
  });

  it("lists markets and an account's orders by checksummed address", async () => {
    const markets = (await (await fetch(`${t.base}/v1/markets`)).json()) as any;
    expect(markets.markets[0]).toMatchObject({ marketId: 1, tickSize: "1000000" });
    const orders = (await (
      await fetch(`${t.base}/v1/accounts/${TRADER.toLowerCase()}/orders`)
    ).json()) as any;
    expect(orders.orders.length).toBeGreaterThan(0);
  });
});

describe("per-IP rate limit", () => {
  it("answers 429 RATE_LIMITED with Retry-After once the client's bucket is empty", async () => {
    let now = 0;
    const s = await startServer({
      ipRateLimiter: new RateLimiter({ ratePerSec: 1, burst: 3 }),
      now: () => now,
    });
    try {
      expect((await postJson(`${s.base}/v1/orders`, orderBody({ nonce: "1" }))).status).toBe(201);
      expect((await postJson(`${s.base}/v1/orders`, orderBody({ nonce: "2" }))).status).toBe(201);
      const batch = await postJson(`${s.base}/v1/orders/batch`, {
        orders: [orderBody({ nonce: "3" }), orderBody({ nonce: "4" })],
      });
      expect(await errorOf(batch)).toMatchObject({ status: 429, code: "RATE_LIMITED" });
      expect(batch.headers.get("retry-after")).toBe("1");
      expect((await postJson(`${s.base}/v1/orders`, orderBody({ nonce: "5" }))).status).toBe(201);
      const limited = await postJson(`${s.base}/v1/orders`, orderBody({ nonce: "6" }));
      expect(await errorOf(limited)).toMatchObject({ status: 429, code: "RATE_LIMITED" });
      expect(s.service.submitted.map((o) => o.order.nonce)).toEqual([1n, 2n, 5n]);
      now = 1_000;
      expect((await postJson(`${s.base}/v1/orders`, orderBody({ nonce: "6" }))).status).toBe(201);
      expect((await fetch(`${s.base}/v1/markets`)).status).toBe(200); // reads are not limited
    } finally {
      await s.close();
    }
  });
});

describe("admin", () => {
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it("refuses a missing or wrong bearer token with 401", async () => {
    const missing = await postJson(`${t.base}/v1/admin/kill-switch`, { engaged: true });
    expect(await errorOf(missing)).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    for (const header of [
      `Bearer ${ADMIN_TOKEN}x`,
      `Bearer ${ADMIN_TOKEN.slice(1)}`,
      `Basic ${ADMIN_TOKEN}`,
      ADMIN_TOKEN,
      "Bearer ",
    ]) {
      const wrong = await postJson(
        `${t.base}/v1/admin/kill-switch`,
        { engaged: true },
        { authorization: header },
      );
      expect(await errorOf(wrong)).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    }
    expect(t.killSwitch.engaged).toBe(false);
  });

  it("engages and releases the kill switch with the token", async () => {
    const on = await postJson(
      `${t.base}/v1/admin/kill-switch`,
      { engaged: true, reason: "incident" },
      auth,
    );
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ engaged: true, reason: "incident", since: 1_000 });
    expect(t.killSwitch.engaged).toBe(true);
    expect(
      await (await fetch(`${t.base}/v1/admin/kill-switch`, { headers: auth })).json(),
    ).toMatchObject({ engaged: true });
    await postJson(`${t.base}/v1/admin/kill-switch`, { engaged: false }, auth);
    expect(t.killSwitch.engaged).toBe(false);
    expect(t.logs.some((l) => l.msg === "admin: kill switch set" && l.level === 40)).toBe(true);
    expect(JSON.stringify(t.logs)).not.toContain(ADMIN_TOKEN);
  });

  it("validates admin bodies", async () => {
    const bad = await postJson(`${t.base}/v1/admin/kill-switch`, { engaged: "yes" }, auth);
    expect(await errorOf(bad)).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
  });

  it("halts and resumes a market, and refuses an unknown one", async () => {
    const halt = await fetch(`${t.base}/v1/admin/markets/1/halt`, {
      method: "POST",
      headers: auth,
    });
    expect(await halt.json()).toMatchObject({ marketId: 1, cause: "operator" });
    expect(t.breaker.isHalted(1)).toBe(true);
    const resume = await postJson(`${t.base}/v1/admin/markets/1/resume`, {}, auth);
    expect(await resume.json()).toEqual({ marketId: 1, resumed: true });
    expect(t.breaker.isHalted(1)).toBe(false);
    const unknown = await postJson(`${t.base}/v1/admin/markets/9/halt`, { reason: "x" }, auth);
    expect(await errorOf(unknown)).toMatchObject({ status: 404, code: "UNKNOWN_MARKET" });
  });

  it("answers 403 ADMIN_DISABLED when no token is configured", async () => {
    const s = await startServer();
    try {
      const response = await postJson(`${s.base}/v1/admin/kill-switch`, { engaged: true }, auth);
      expect(await errorOf(response)).toMatchObject({ status: 403, code: "ADMIN_DISABLED" });
      expect(s.killSwitch.engaged).toBe(false);
    } finally {
      await s.close();
    }
  });
});

describe("operations endpoints", () => {
  it("answers /healthz", async () => {
    const response = await fetch(`${t.base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers /readyz from the injected check, failing closed on errors and timeouts", async () => {
    expect(await (await fetch(`${t.base}/readyz`)).json()).toEqual({
      status: "ready",
      checks: { journal: true },
    });
    const cases = [
      {
        readiness: () => ({ ready: false, checks: { redis: "down" } }),
        body: { status: "not_ready", checks: { redis: "down" } },
      },
      {
        readiness: () => Promise.reject(new Error("password=hunter2")),
        body: { status: "not_ready" },
      },
      {
        readiness: () => new Promise<never>(() => undefined),
        body: { status: "not_ready", checks: { readiness: "timeout" } },
      },
    ];
    for (const { readiness, body } of cases) {
      const s = await startServer({ readiness, options: { readinessTimeoutMs: 50 } });
      try {
        const response = await fetch(`${s.base}/readyz`);
        expect(response.status).toBe(503);
        expect(await response.json()).toEqual(body);
      } finally {
        await s.close();
      }
    }
  });

  it("exposes the metrics in a parseable Prometheus text format", async () => {
    const response = await fetch(`${t.base}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const samples = new Map<string, number>();
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|\+Inf|NaN)$/.exec(
        line,
      );
      expect(match, `unparseable line: ${line}`).not.toBeNull();
      samples.set(match![1]!, Number(match![2]));
    }
    for (const name of [
      "clearmatch_orders_accepted_total",
      "clearmatch_orders_rejected_total",
      "clearmatch_match_latency_seconds",
      "clearmatch_batch_size_fills",
      "clearmatch_batch_commit_latency_seconds",
      "clearmatch_batch_finalize_latency_seconds",
      "clearmatch_match_to_finality_seconds",
      "clearmatch_queue_depth",
      "clearmatch_chain_head_lag_blocks",
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    // Earlier tests in this file were accepted and refused: the counters saw them by code.
    expect(samples.get('clearmatch_orders_accepted_total{result="created"}')).toBeGreaterThan(0);
    expect(samples.get('clearmatch_orders_accepted_total{result="duplicate"}')).toBeGreaterThan(0);
    expect(
      samples.get('clearmatch_orders_rejected_total{code="VALIDATION_FAILED"}'),
    ).toBeGreaterThan(10);
    expect(samples.get('clearmatch_orders_rejected_total{code="MALFORMED_JSON"}')).toBe(2);
    expect(samples.get('clearmatch_orders_rejected_total{code="PAYLOAD_TOO_LARGE"}')).toBe(1);
    expect(samples.get('clearmatch_orders_rejected_total{code="UNKNOWN_MARKET"}')).toBe(2);
  });
});

describe("logger", () => {
  it("writes structured JSON lines and redacts secrets", () => {
    const { lines, destination } = captureLogs();
    const logger = createLogger({ destination });
    logger.info(
      {
        req: { headers: { authorization: "Bearer s3cret" } },
        config: { SEQUENCER_PRIVATE_KEY: "0xkey", PORT: 1 },
      },
      "started",
    );
    logger.debug("hidden at the default level");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      name: "clearmatch-sequencer",
      msg: "started",
      req: { headers: { authorization: "[redacted]" } },
      config: { SEQUENCER_PRIVATE_KEY: "[redacted]", PORT: 1 },
    });
  });
});
