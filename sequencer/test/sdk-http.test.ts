/**
 * The SDK against the real Express app and WebSocket hub (`createApp` + `startHttpServer`),
 * with the stub OrderService recording what the routes handed it.
 */
import { type FillProofView, cancelTypes, orderTypes } from "@clearmatch/protocol";
import { recoverTypedDataAddress, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClearmatchClient } from "../../sdk/src/clearmatch-client.js";
import { ClearmatchApiError, ClearmatchClientError } from "../../sdk/src/client-errors.js";
import { streamChannels, type StreamEvent, type StreamState } from "../../sdk/src/stream.js";
import { decodeExchangeInfo } from "../../sdk/src/wire.js";
import { KillSwitch, riskAdminControls } from "./helpers/risk-admin-controls.js";
import { createApp } from "../src/api/app.js";
import { startHttpServer, type HttpServer } from "../src/api/http-server.js";
import { createLogger } from "../src/logging/logger.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { CircuitBreaker } from "../src/intake/circuit-breaker.js";
import {
  EXCHANGE_INFO,
  STUB_CRASH,
  STUB_RATE_LIMITED,
  STUB_UNKNOWN_MARKET,
  StubOrderService,
} from "./api-test-kit.js";
import { devKey, domain, proofFixture, sdkClient } from "./sdk-fixtures.js";

/** The stub, plus fill proofs it can serve. */
class ProofStub extends StubOrderService {
  readonly proofs = new Map<string, FillProofView>();
  override async getFillProof(fillId: string): Promise<never> {
    const proof = this.proofs.get(fillId);
    if (proof) return proof as never;
    return super.getFillProof(fillId);
  }
}

async function startStack(port = 0) {
  const service = new ProofStub();
  const logger = createLogger({ level: "silent" });
  const app = createApp({
    orderService: service,
    adminControls: riskAdminControls({
      killSwitch: new KillSwitch(),
      circuitBreaker: new CircuitBreaker({ moveBps: 1500, windowMs: 60_000 }),
      now: () => 1_000,
    }),
    metrics: createMetrics(),
    logger,
    readiness: () => ({ ready: true }),
  });
  const http = await startHttpServer({
    app,
    logger,
    port,
    shutdownGraceMs: 100,
    stream: { heartbeatMs: 0 },
  });
  return { service, http, baseUrl: `http://127.0.0.1:${http.address.port}` };
}

const trader = devKey(10);
let stack: Awaited<ReturnType<typeof startStack>>;
let client: ClearmatchClient;
/** Request bodies the client sent, as JSON text. */
const sent: { url: string; body: string | undefined }[] = [];

beforeAll(async () => {
  stack = await startStack();
  client = sdkClient(trader, {
    baseUrl: `${stack.baseUrl}/v1/`,
    fetch: (input, init) => {
      sent.push({ url: String(input), body: init?.body as string | undefined });
      return fetch(input, init);
    },
  });
});

afterAll(async () => {
  await stack.http.close();
});

const lastBody = () => JSON.parse(sent.at(-1)!.body!);

describe("SDK over HTTP", () => {
  it("places an order in exactly the wire format the schemas accept", async () => {
    const result = await client.placeOrder({
      marketId: 1,
      side: "buy",
      price: 2_000_000_000n,
      amount: 2n ** 100n,
      postOnly: true,
    });
    const body = lastBody();
    expect(body.order).toMatchObject({
      trader: trader.address,
      marketId: 1,
      side: 0,
      price: "2000000000",
      amount: (2n ** 100n).toString(),
      maxFeeBps: 30,
      flags: 1,
    });
    expect(body.order.nonce).toMatch(/^[1-9][0-9]*$/);
    expect(body.order.expiry).toMatch(/^[1-9][0-9]*$/);
    expect(body).toMatchObject({
      chainId: domain.chainId,
      verifyingContract: domain.verifyingContract,
    });

    const received = stack.service.submitted.at(-1)!;
    expect(received.order.amount).toBe(2n ** 100n);
    expect(received.chainId).toBe(domain.chainId);
    expect(
      await recoverTypedDataAddress({
        domain,
        types: orderTypes,
        primaryType: "Order",
        message: received.order,
        signature: received.signature,
      }),
    ).toBe(trader.address);

    expect(result.created).toBe(true);
    expect(result.order.order).toEqual(received.order);
    expect(result.order.filled).toBe(0n);
  });

  it("pages the order feed oldest first, each order with a signature that recovers to its trader", async () => {
    for (const price of [2_001_000_000n, 2_002_000_000n, 2_003_000_000n])
      await client.placeOrder({ marketId: 1, side: "buy", price, amount: 10n ** 18n });
    const seen: number[] = [];
    let after: string | undefined;
    do {
      const page = await client.getAcceptedOrdersPage({ limit: 2, ...(after ? { after } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const o of page.items) {
        seen.push(o.seq);
        expect(
          await recoverTypedDataAddress({
            domain,
            types: orderTypes,
            primaryType: "Order",
            message: o.order,
            signature: o.signature,
          }),
        ).toBe(o.order.trader);
      }
      after = page.nextCursor;
    } while (after !== undefined);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("resubmits the identical signed order idempotently", async () => {
    const signed = await client.signOrder(
      await client.buildOrder({ marketId: 1, side: "sell", price: 5n, amount: 7n }),
    );
    expect((await client.submitOrder(signed)).created).toBe(true);
    expect((await client.submitOrder(signed)).created).toBe(false);
  });

  it("submits a batch and answers per order, refusals as ClearmatchApiError", async () => {
    const good = await client.signOrder(
      await client.buildOrder({ marketId: 1, side: "buy", price: 1n, amount: 1n }),
    );
    const bad = await client.signOrder(
      await client.buildOrder({
        marketId: STUB_UNKNOWN_MARKET,
        side: "buy",
        price: 1n,
        amount: 1n,
      }),
    );
    const [first, second] = await client.submitOrders([good, bad]);
    expect(first).toMatchObject({ ok: true, status: 201 });
    expect(first?.ok && first.result.order.order.nonce).toBe(good.order.nonce);
    expect(second).toMatchObject({ ok: false, status: 404 });
    const error = !second?.ok ? second?.error : undefined;
    expect(error).toBeInstanceOf(ClearmatchApiError);
    expect(error).toMatchObject({
      code: "UNKNOWN_MARKET",
      status: 404,
      details: { marketId: STUB_UNKNOWN_MARKET },
    });
    expect(lastBody().orders).toHaveLength(2);
  });

  it("cancels with a Cancel signed by the wallet", async () => {
    const placed = await client.placeOrder({ marketId: 1, side: "buy", price: 3n, amount: 3n });
    const { order } = await client.cancelOrder(placed.order.orderHash);
    expect(order.status).toBe("cancelled");
    const body = lastBody();
    expect(body.orderHash).toBe(placed.order.orderHash);
    expect(
      await recoverTypedDataAddress({
        domain,
        types: cancelTypes,
        primaryType: "Cancel",
        message: { orderHash: body.orderHash as Hex },
        signature: body.signature,
      }),
    ).toBe(trader.address);
  });

  it("decodes query answers with exact bigints and sends the query parameters", async () => {
    const book = await client.getBook(1, { depth: 3 });
    expect(stack.service.lastBookDepth).toBe(3);
    expect(book).toEqual({
      marketId: 1,
      sequence: 7n,
      bids: [{ price: 2n ** 100n, amount: 5n, orders: 1 }],
      asks: [],
    });

    const [market] = await client.getMarkets();
    expect(market).toMatchObject({
      marketId: 1,
      tickSize: 10n ** 6n,
      lotSize: 10n ** 12n,
      status: "active",
    });

    expect(await client.getBatches({ limit: 5, before: 2n ** 63n })).toEqual([]);
    expect(stack.service.lastBatchesQuery).toEqual({ limit: 5, before: 2n ** 63n });
    expect(await client.getBatch(2n ** 64n - 1n)).toEqual({
      batchId: 2n ** 64n - 1n,
      status: "committed",
      fillCount: 3,
    });

    const orders = await client.getAccountOrders(trader.address, { limit: 10 });
    expect(orders.length).toBeGreaterThan(0);
    expect(
      orders.every((o) => o.order.trader === trader.address && typeof o.order.price === "bigint"),
    ).toBe(true);
    const placed = orders[0]!;
    expect(await client.getOrder(placed.orderHash)).toEqual(placed);
    expect(await client.getTrades(1)).toEqual([]);
    expect(await client.getAccountFills(trader.address)).toEqual([]);
    expect(await client.getAccountBalances(trader.address)).toEqual([]);
  });

  it("reads the server's domain and order limits, and refuses a client signing under another domain", async () => {
    expect(await client.getInfo()).toEqual(EXCHANGE_INFO);
    expect(sent.at(-1)!.url).toMatch(/\/v1\/info$/);

    // This client signs for the shared vectors' contract; the stub serves another one.
    const mismatch = await client.checkDomain().catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(ClearmatchClientError);
    expect(mismatch).toMatchObject({
      code: "DOMAIN_MISMATCH",
      details: { server: EXCHANGE_INFO.domain, client: domain },
    });

    const matching = sdkClient(trader, {
      baseUrl: stack.baseUrl,
      settlement: EXCHANGE_INFO.domain.verifyingContract,
    });
    expect(await matching.checkDomain()).toEqual(EXCHANGE_INFO);
    const otherChain = sdkClient(trader, {
      baseUrl: stack.baseUrl,
      chainId: 137,
      settlement: EXCHANGE_INFO.domain.verifyingContract,
    });
    await expect(otherChain.checkDomain()).rejects.toMatchObject({ code: "DOMAIN_MISMATCH" });
  });

  it("refuses an info answer of the wrong shape as BAD_RESPONSE, naming the field", () => {
    const body = structuredClone(EXCHANGE_INFO) as any;
    body.orders.maxLifetimeSec = "soon";
    expect(() => decodeExchangeInfo(body)).toThrow(/info\.orders\.maxLifetimeSec/);
    expect(() => decodeExchangeInfo({ ...EXCHANGE_INFO, domain: undefined })).toThrow(
      expect.objectContaining({ code: "BAD_RESPONSE" }),
    );
  });

  it("surfaces API refusals as ClearmatchApiError with the server's code, status and details", async () => {
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (e: unknown) => e,
      );

    const unknown = await refusal(client.getOrder(`0x${"00".repeat(31)}ff`));
    expect(unknown).toBeInstanceOf(ClearmatchApiError);
    expect(unknown).toMatchObject({ code: "UNKNOWN_ORDER", status: 404 });

    const limited = (await refusal(
      client.placeOrder({ marketId: STUB_RATE_LIMITED, side: "buy", price: 1n, amount: 1n }),
    )) as ClearmatchApiError;
    expect(limited).toMatchObject({ code: "RATE_LIMITED", status: 429 });
    expect(limited.retryAfterMs).toBe(1500);

    expect(await refusal(client.getFillProof("9:9"))).toMatchObject({
      code: "UNKNOWN_FILL",
      status: 404,
      details: { fillId: "9:9" },
    });
    expect(
      await refusal(
        client.placeOrder({ marketId: STUB_CRASH, side: "buy", price: 1n, amount: 1n }),
      ),
    ).toMatchObject({ code: "INTERNAL", status: 500 });

    // A body the schema refuses (a truncated signature) comes back as the schema's code.
    const signed = await client.signOrder(
      await client.buildOrder({ marketId: 1, side: "buy", price: 1n, amount: 1n }),
    );
    expect(await refusal(client.submitOrder({ ...signed, signature: "0x1234" }))).toMatchObject({
      code: "VALIDATION_FAILED",
      status: 400,
    });
  });

  it("wraps network faults with their cause", async () => {
    const offline = sdkClient(trader, { baseUrl: "http://127.0.0.1:1" });
    const error = await offline.getMarkets().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClearmatchClientError);
    expect(error).not.toBeInstanceOf(ClearmatchApiError);
    expect(error).toMatchObject({ code: "NETWORK_ERROR" });
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it("fetches a fill proof over the wire and verifies it", async () => {
    const f = await proofFixture(9n);
    stack.service.proofs.set("9:2", f.proofs[2]!);
    const proof = await client.getFillProof("9:2");
    expect(proof).toEqual(f.proofs[2]);
    expect(await client.verifyFillProof(proof)).toMatchObject({
      valid: true,
      root: f.proofs[2]!.batch.fillsRoot,
    });
  });
});

/** Events as they arrive, with a waiter. */
function collector() {
  const events: StreamEvent[] = [];
  return {
    events,
    onMessage: (event: StreamEvent) => events.push(event),
    async next(count: number) {
      for (let i = 0; i < 200 && events.length < count; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(events.length).toBeGreaterThanOrEqual(count);
      return events[count - 1]!;
    },
  };
}

describe("SDK stream", () => {
  it("subscribes and receives events of the real hub", async () => {
    const received = collector();
    const account = streamChannels.account(trader.address);
    const sub = client.subscribe(
      ["book:1", `account:${trader.address.toLowerCase()}`],
      received.onMessage,
    );
    await sub.ready;
    expect(stack.http.hub.subscriberCount(account)).toBe(1);

    stack.http.hub.publish("book:1", "update", { sequence: 8n });
    stack.http.hub.publish(account, "fill", { baseAmount: 2n ** 70n });
    expect(await received.next(1)).toEqual({
      channel: "book:1",
      event: "update",
      data: { sequence: "8" },
    });
    expect(await received.next(2)).toEqual({
      channel: account,
      event: "fill",
      data: { baseAmount: (2n ** 70n).toString() },
    });

    sub.remove(["book:1"]);
    sub.add([streamChannels.batches]);
    for (let i = 0; i < 100 && stack.http.hub.subscriberCount("batches") === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(stack.http.hub.subscriberCount("book:1")).toBe(0);
    stack.http.hub.publish("batches", "committed", { batchId: 1 });
    expect((await received.next(3)).channel).toBe("batches");

    sub.close();
    for (let i = 0; i < 100 && stack.http.hub.clientCount > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(stack.http.hub.clientCount).toBe(0);
    expect(sub.state).toBe("closed");
  });

  it("rejects `ready` with the server's code when it refuses a channel", async () => {
    const errors: unknown[] = [];
    const sub = client.subscribe(["fills:1"], () => undefined, { onError: (e) => errors.push(e) });
    await expect(sub.ready).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect(errors[0]).toBeInstanceOf(ClearmatchApiError);
    sub.close();
  });

  it("reconnects and resubscribes after the server goes away", async () => {
    let other = await startStack();
    const port = other.http.address.port;
    const streaming = sdkClient(trader, {
      baseUrl: other.baseUrl,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    const received = collector();
    const states: StreamState[] = [];
    const sub = streaming.subscribe(["trades:1"], received.onMessage, {
      onStateChange: (s) => states.push(s),
    });
    await sub.ready;
    other.http.hub.publish("trades:1", "trade", { n: 1 });
    await received.next(1);

    await other.http.close();
    other = await startStack(port);
    try {
      for (let i = 0; i < 300 && other.http.hub.subscriberCount("trades:1") === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(other.http.hub.subscriberCount("trades:1")).toBe(1);
      other.http.hub.publish("trades:1", "trade", { n: 2 });
      expect((await received.next(2)).data).toEqual({ n: 2 });
      expect(states).toContain("reconnecting");
      expect(states.at(-1)).toBe("open");
    } finally {
      sub.close();
      await other.http.close();
    }
  });
});
