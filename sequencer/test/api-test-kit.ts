/**
 * Test helpers for the HTTP app: a stub `OrderService` (routing and edge tests only: it does
 * not verify signatures) and a server on an ephemeral port.
 */
import type { OrderView, SignedOrder } from "@clearmatch/protocol";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { Address, Hex } from "viem";
import type { AdminControls } from "../src/intake/admin-controls.js";
import { KillSwitch, riskAdminControls } from "./helpers/risk-admin-controls.js";
import { createApp, createExpressApp, type AppDeps } from "../src/api/app.js";
import type { OrderService } from "../src/read/order-service.js";
import { ClearmatchError } from "../src/errors/clearmatch-error.js";
import { createLogger } from "../src/logging/logger.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { CircuitBreaker } from "../src/intake/circuit-breaker.js";

export const TRADER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;

/** A schema-valid signed order body (the signature is not checked by the stub). */
export function orderBody(
  overrides: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
) {
  return {
    order: {
      trader: TRADER,
      marketId: 1,
      side: 0,
      price: "2000000000",
      amount: "1000000000000000000",
      nonce: "1",
      expiry: "1900000000",
      maxFeeBps: 30,
      flags: 0,
      ...overrides,
    },
    signature: `0x${"ab".repeat(65)}`,
    ...top,
  };
}

/** The stub's `GET /v1/info`. */
export const EXCHANGE_INFO = {
  domain: {
    name: "Clearmatch",
    version: "1",
    chainId: 31337,
    verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address,
  },
  orders: {
    expiryMarginSec: 30,
    maxLifetimeSec: 7_776_000,
    maxBatchOrders: 100,
    priceBandBps: 1000,
  },
  rateLimit: { perSecond: 50, burst: 100 },
};

/** Orders with these market ids make the stub throw (to test error mapping). */
export const STUB_UNKNOWN_MARKET = 404;
export const STUB_RATE_LIMITED = 429;
export const STUB_CRASH = 500;

export class StubOrderService implements OrderService {
  readonly submitted: SignedOrder[] = [];
  readonly #accepted = new Map<Hex, OrderView>();

  #view(signed: SignedOrder): OrderView {
    const orderHash = `0x${signed.order.nonce.toString(16).padStart(64, "0")}` as Hex;
    return {
      orderHash,
      order: signed.order,
      signature: signed.signature,
      status: "open",
      filled: 0n,
      acceptedAt: 1,
    };
  }

  async submitOrder(signed: SignedOrder) {
    this.submitted.push(signed);
    const { marketId } = signed.order;
    if (marketId === STUB_UNKNOWN_MARKET)
      throw new ClearmatchError("UNKNOWN_MARKET", undefined, { details: { marketId } });
    if (marketId === STUB_RATE_LIMITED)
      throw new ClearmatchError("RATE_LIMITED", undefined, { details: { retryAfterMs: 1500 } });
    if (marketId === STUB_CRASH) throw new Error("db password hunter2 at /srv/secret.ts:42");
    const view = this.#view(signed);
    const existing = this.#accepted.get(view.orderHash);
    if (existing) return { created: false, order: existing };
    this.#accepted.set(view.orderHash, view);
    return { created: true, order: view };
  }

  async submitOrders(orders: readonly SignedOrder[]) {
    const results = [];
    for (const order of orders) {
      try {
        results.push({ ok: true as const, result: await this.submitOrder(order) });
      } catch (error) {
        results.push({ ok: false as const, error: error as ClearmatchError });
      }
    }
    return results;
  }

  async cancel(cancel: { orderHash: Hex }) {
    const order = this.#accepted.get(cancel.orderHash);
    if (!order) throw new ClearmatchError("UNKNOWN_ORDER");
    return { order: { ...order, status: "cancelled" as const } };
  }

  async getOrder(orderHash: Hex) {
    const order = this.#accepted.get(orderHash);
    if (!order) throw new ClearmatchError("UNKNOWN_ORDER");
    return order;
  }

  async getInfo() {
    return EXCHANGE_INFO;
  }

  async getMarkets() {
    return [
      {
        marketId: 1,
        baseToken: "0x1000000000000000000000000000000000000001" as Address,
        quoteToken: "0x2000000000000000000000000000000000000002" as Address,
        baseDecimals: 18,
        tickSize: 10n ** 6n,
        lotSize: 10n ** 12n,
        status: "active" as const,
        makerFeeBps: 0,
        takerFeeBps: 10,
      },
    ];
  }

  lastBookDepth: number | undefined;
  async getBook(marketId: number, depth: number) {
    if (marketId !== 1) throw new ClearmatchError("UNKNOWN_MARKET");
    this.lastBookDepth = depth;
    return {
      marketId,
      sequence: 7n,
      bids: [{ price: 2n ** 100n, amount: 5n, orders: 1 }],
      asks: [],
    };
  }

  async getTrades() {
    return [];
  }
  async getAccountOrders(account: Address) {
    return [...this.#accepted.values()].filter((o) => o.order.trader === account);
  }
  /** Accepted orders in acceptance order, `seq` from 1, after the cursor `after`. */
  async getAcceptedOrders(limit: number, after?: string) {
    return [...this.#accepted.values()]
      .map((o, i) => ({ ...o, seq: i + 1 }))
      .filter((o) => o.seq > Number(after ?? 0))
      .slice(0, limit);
  }
  async getAccountFills() {
    return [];
  }
  async getAccountBalances(account: Address) {
    void account;
    return [];
  }
  lastBatchesQuery: unknown;
  async getBatches(query: { limit: number; before?: bigint | undefined }) {
    this.lastBatchesQuery = query;
    return [];
  }
  async getBatch(batchId: bigint) {
    return { batchId, status: "committed" as const, fillCount: 3 };
  }
  async getFillProof(fillId: string): Promise<never> {
    throw new ClearmatchError("UNKNOWN_FILL", undefined, { details: { fillId } });
  }
}

/** A pino destination that keeps the parsed lines. */
export function captureLogs(): { lines: Record<string, unknown>[]; destination: Writable } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n"))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

export interface TestServer {
  readonly base: string;
  readonly server: Server;
  readonly service: StubOrderService;
  readonly killSwitch: KillSwitch;
  readonly breaker: CircuitBreaker;
  readonly logs: Record<string, unknown>[];
  readonly deps: AppDeps;
  close(): Promise<void>;
}

/**
 * The app on an ephemeral port, on a stub service. `expressOnly` serves the Express app alone,
 * without the order fast path in front of it (the fast path's tests compare the two).
 */
export async function startServer(
  overrides: Partial<AppDeps> = {},
  { expressOnly = false }: { expressOnly?: boolean } = {},
): Promise<TestServer> {
  const service = new StubOrderService();
  const killSwitch = new KillSwitch();
  const breaker = new CircuitBreaker({ moveBps: 1500, windowMs: 60_000 });
  const { lines, destination } = captureLogs();
  const adminControls: AdminControls = riskAdminControls({
    killSwitch,
    circuitBreaker: breaker,
    now: () => 1_000,
    assertMarket: (marketId) => {
      if (marketId !== 1) throw new ClearmatchError("UNKNOWN_MARKET");
    },
  });
  const deps: AppDeps = {
    orderService: service,
    adminControls,
    metrics: createMetrics(),
    logger: createLogger({ level: "debug", destination }),
    readiness: () => ({ ready: true, checks: { journal: true } }),
    ...overrides,
  };
  const server = createServer(expressOnly ? createExpressApp(deps) : createApp(deps));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    service,
    killSwitch,
    breaker,
    logs: lines,
    deps,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
