/**
 * Cursor paging of `GET /v1/accounts/:address/fills` and `/orders` over the real service stack
 * below HTTP (router, ClearmatchService, ExchangeCore): more items than the 1,000 cap come back
 * page by page, each exactly once, newest first, also while new ones arrive; a bad cursor is a
 * 400 INVALID_CURSOR. The SDK pages through the same routes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address } from "viem";
import { isClearmatchApiError } from "../../sdk/src/client-errors.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { MemoryBatchStore } from "../src/settlement/batch-store.js";
import { ClearmatchService } from "../src/read/clearmatch-service.js";
import { ExchangeCore } from "../src/core/exchange-core.js";
import type { OrderIntake } from "../src/intake/order-intake.js";
import type { ServiceRecord } from "../src/core/service-record.js";
import { EXCHANGE_INFO, startServer, type TestServer } from "./api-test-kit.js";
import { sdkClient } from "./sdk-fixtures.js";
import { USDC, WETH, chainRecords, hash, initRecord, orderRecord } from "./helpers/core-records.js";
import { allAccountFills, allAccountOrders } from "../src/read/paging.js";

const BUYER = "0x000000000000000000000000000000000000000A" as Address;
const SELLER = "0x000000000000000000000000000000000000000b" as Address;
const OTHER = "0x000000000000000000000000000000000000000C" as Address;
const LOT = 10n ** 15n;
const PRICE = 2_000n * 10n ** 6n;
const FILLS = 2_345;

let n = 0;
const { chain, market } = chainRecords(hash(999_999));
const order = (trader: Address, side: number, amount: bigint): ServiceRecord => {
  n += 1;
  return orderRecord(n, trader, side, PRICE, amount);
};

function apply(core: ExchangeCore, record: ServiceRecord) {
  const result = core.apply(record);
  if (result.error) throw result.error;
  return result;
}

/** The seller's one big resting ask, taken by `bids` one-lot bids: one fill each. */
function trade(core: ExchangeCore, bids: number) {
  for (let i = 0; i < bids; i++) apply(core, order(BUYER, 0, LOT));
}

async function getJson(url: string) {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as any };
}

describe("account fills and orders: cursor paging", () => {
  const core = new ExchangeCore();
  let t: TestServer;

  beforeAll(async () => {
    for (const r of [
      initRecord(0),
      market(),
      chain("Deposited", { account: BUYER, token: USDC, amount: 10n ** 30n }),
      chain("Deposited", { account: SELLER, token: WETH, amount: 10n ** 30n }),
      order(SELLER, 1, 10n ** 24n),
    ] satisfies ServiceRecord[])
      apply(core, r);
    trade(core, FILLS);
    const service = new ClearmatchService({
      core,
      intake: {} as OrderIntake, // queries only
      store: new MemoryBatchStore(),
      metrics: createMetrics(),
      info: EXCHANGE_INFO,
    });
    t = await startServer({ orderService: service });
  });
  afterAll(async () => t?.close());

  const fillsUrl = (account: Address, query: string) =>
    `${t.base}/v1/accounts/${account}/fills${query}`;

  it("pages through more fills than the list cap, each exactly once, newest first", async () => {
    const first = await getJson(fillsUrl(BUYER, ""));
    expect(first.status).toBe(200);
    expect(first.body.fills).toHaveLength(100); // default limit
    expect(first.body.nextCursor).toBe(first.body.fills[99].fillId);

    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await getJson(
        fillsUrl(BUYER, `?limit=1000${after === undefined ? "" : `&after=${after}`}`),
      );
      expect(page.status).toBe(200);
      pages += 1;
      seen.push(...page.body.fills.map((f: { fillId: string }) => f.fillId));
      after = page.body.nextCursor;
    } while (after !== undefined);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(FILLS);
    expect(new Set(seen).size).toBe(FILLS);
    const all = allAccountFills(core, BUYER).map((f) => String(f.fillId));
    expect(seen).toEqual(all); // newest (highest id) first
    expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => b - a));
  });

  it("sets nextCursor only while more fills remain (none after an exactly full last page)", async () => {
    const all = allAccountFills(core, SELLER);
    const after = all[all.length - 346]!.fillId; // 345 older fills remain after it
    const full = await getJson(fillsUrl(SELLER, `?limit=345&after=${after}`));
    expect(full.body.fills).toHaveLength(345);
    expect(full.body.nextCursor).toBeUndefined();
    const short = await getJson(fillsUrl(SELLER, `?limit=344&after=${after}`));
    expect(short.body.nextCursor).toBe(short.body.fills[343].fillId);
    const end = await getJson(fillsUrl(SELLER, `?after=${all.at(-1)!.fillId}`));
    expect(end.body).toEqual({ fills: [] });
  });

  it("stays exact while new fills arrive between pages (they go before the first page)", async () => {
    const before = new Set(allAccountFills(core, BUYER).map((f) => String(f.fillId)));
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await getJson(
        fillsUrl(BUYER, `?limit=400${after === undefined ? "" : `&after=${after}`}`),
      );
      seen.push(...page.body.fills.map((f: { fillId: string }) => f.fillId));
      after = page.body.nextCursor;
      trade(core, 7); // newer than every page already read
    } while (after !== undefined);
    expect(seen).toHaveLength(before.size);
    expect(new Set(seen)).toEqual(before);
  });

  it("pages an account's orders by order hash the same way", async () => {
    const all = allAccountOrders(core, BUYER).map((o) => o.orderHash);
    expect(all.length).toBeGreaterThan(1000);
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await getJson(
        `${t.base}/v1/accounts/${BUYER}/orders?limit=1000${after ? `&after=${after}` : ""}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.orders.map((o: { orderHash: string }) => o.orderHash));
      after = page.body.nextCursor;
    } while (after !== undefined);
    expect(seen).toEqual(all);
    const one = await getJson(`${t.base}/v1/accounts/${SELLER}/orders`);
    expect(one.body.orders).toHaveLength(1);
    expect(one.body.nextCursor).toBeUndefined();
  });

  it("answers 400 INVALID_CURSOR for a cursor that is not one of the account's", async () => {
    const buyerFill = allAccountFills(core, BUYER)[0]!.fillId;
    for (const url of [
      fillsUrl(BUYER, "?after=abc"),
      fillsUrl(BUYER, "?after=-1"),
      fillsUrl(BUYER, "?after=01"),
      fillsUrl(BUYER, "?after=99999999"),
      fillsUrl(OTHER, `?after=${buyerFill}`),
      `${t.base}/v1/accounts/${BUYER}/orders?after=0x1234`,
      `${t.base}/v1/accounts/${BUYER}/orders?after=${hash(999_998)}`,
      `${t.base}/v1/accounts/${OTHER}/orders?after=${allAccountOrders(core, BUYER)[0]!.orderHash}`,
    ]) {
      const res = await getJson(url);
      expect([res.status, res.body.error.code], url).toEqual([400, "INVALID_CURSOR"]);
    }
    const tooLong = await getJson(fillsUrl(BUYER, `?after=${"1".repeat(101)}`));
    expect([tooLong.status, tooLong.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
  });

  it("is wrapped by the SDK: pages with nextCursor, iterates every fill, reports INVALID_CURSOR", async () => {
    const client = sdkClient(undefined, { baseUrl: t.base });
    const page = await client.getAccountFillsPage(BUYER, { limit: 5 });
    expect(page.items).toHaveLength(5);
    const next = await client.getAccountFillsPage(BUYER, { limit: 5, after: page.nextCursor! });
    expect(next.items[0]!.fillId).toBe(String(Number(page.items[4]!.fillId) - 1));
    const orders = await client.getAccountOrdersPage(BUYER, { limit: 3 });
    expect(orders.nextCursor).toBe(orders.items[2]!.orderHash);
    const ids: string[] = [];
    for await (const f of client.allAccountFills(BUYER, { limit: 1000 })) ids.push(f.fillId);
    expect(ids).toEqual(allAccountFills(core, BUYER).map((f) => String(f.fillId)));
    const bad = await client.getAccountFills(BUYER, { after: "x" }).catch((e: unknown) => e);
    expect(isClearmatchApiError(bad, "INVALID_CURSOR")).toBe(true);
  });

  it("pages the order feed through every accepted order, oldest first, each exactly once", async () => {
    const seqs: number[] = [];
    let after = "";
    for (;;) {
      const { status, body } = await getJson(`${t.base}/v1/feed/orders?limit=1000${after}`);
      expect(status).toBe(200);
      seqs.push(...(body.orders as { seq: number }[]).map((o) => o.seq));
      if (body.nextCursor === undefined) break;
      after = `&after=${body.nextCursor}`;
    }
    // The seller's ask, every bid and the orders earlier tests added, in acceptance order, none
    // twice and none missing.
    expect(seqs.length).toBeGreaterThan(FILLS);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const bad = await getJson(`${t.base}/v1/feed/orders?after=x`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_CURSOR");
  });
});
