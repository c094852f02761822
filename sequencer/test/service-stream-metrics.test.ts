import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address } from "viem";
import { ClearmatchClient } from "../../sdk/src/clearmatch-client.js";
import type { StreamEvent } from "../../sdk/src/stream.js";
import { streamShapes, wireFixture } from "./helpers/wire-snapshot.js";
import { devAccount, DEV_ROLES } from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { advanceTime, eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  config,
  ONE_ETH,
  post,
  serviceEnv,
  signedOrder,
  trader,
  traderIndex,
  USDC,
  wire,
  fundTraders,
} from "./helpers/service-kit.js";

/** `name{labels} value` lines of a Prometheus exposition, by series. */
function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const at = line.lastIndexOf(" ");
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

describe("stream and metrics of the running service (hardhat node + Redis)", () => {
  let chain: DevChain;
  let service: RunningService;
  const events: StreamEvent[] = [];
  let closeStream = () => {};
  let queueName = "";

  beforeAll(async () => {
    chain = await startDevChain({ challengeWindow: 20n });
    await fundTraders(chain);
    const env = await serviceEnv(chain);
    queueName = env.QUEUE_NAME!;
    service = await startService(config(env));
  }, 120_000);

  afterAll(async () => {
    closeStream();
    await service?.stop();
    await chain?.stop();
  });

  it("streams book levels, the trade, the account's order and fill events and batch status changes", async () => {
    const sdk = new ClearmatchClient({
      baseUrl: service.url,
      chainId: chain.stack.chain.id,
      settlement: chain.stack.settlement,
    });
    const sub = sdk.subscribe(
      ["book:1", "trades:1", `account:${trader(0)}`, "batches", "orders"],
      (e) => events.push(e),
    );
    closeStream = () => sub.close();
    await sub.ready;

    const ask = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(2_000n),
      amount: 2n * ONE_ETH,
    });
    expect((await post(service.url, "/v1/orders", wire(ask))).status).toBe(201);
    const bid = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(2_000n),
      amount: ONE_ETH,
    });
    const placed = await post(service.url, "/v1/orders", wire(bid));
    expect(placed.status).toBe(201);
    const fillId = placed.body.fills[0].fillId as string;

    const of = (channel: string, event: string) =>
      events.filter((e) => e.channel === channel && e.event === event);
    const batchStatus = (status: string) =>
      of("batches", "batch").find((e) => (e.data as { status: string }).status === status);
    const committed = await eventually(() => batchStatus("committed"), 30_000, "committed");
    await advanceTime(chain.node.url, 21);
    await eventually(() => batchStatus("finalized"), 30_000, "finalized");

    // The ask rested (2 ETH at 2,000) and was half taken: the level shows 2 ETH, then 1 ETH.
    const asks = of("book:1", "level").map((e) => e.data as { side: string; amount: unknown });
    expect(asks.every((l) => l.side === "ask")).toBe(true);
    expect(asks.map((l) => BigInt(String(l.amount)))).toEqual([2n * ONE_ETH, ONE_ETH]);
    const [trade] = of("trades:1", "trade");
    expect(trade?.data).toMatchObject({ fillId, takerOrderHash: bid.hash });
    expect(BigInt(String((trade!.data as { baseAmount: unknown }).baseAmount))).toBe(ONE_ETH);
    const account = `account:${trader(0)}`;
    expect(of(account, "order").map((e) => (e.data as { orderHash: string }).orderHash)).toContain(
      bid.hash,
    );
    expect(of(account, "fill").map((e) => (e.data as { fillId: string }).fillId)).toEqual([fillId]);
    // Only trader 0's events on its account channel: the maker's order was not sent there.
    expect(
      of(account, "order").every((e) => (e.data as { orderHash: string }).orderHash === bid.hash),
    ).toBe(true);
    // The order feed: both accepted orders once each, in acceptance order, signed, with `seq`
    // (the order's later fills change its status, not the feed).
    const feed = of("orders", "order").map((e) => e.data as { orderHash: string; seq: number });
    expect(feed.map((o) => o.orderHash)).toEqual([ask.hash, bid.hash]);
    expect(feed[1]!.seq).toBe(feed[0]!.seq + 1);
    const page = await sdk.getAcceptedOrdersPage({ after: String(feed[0]!.seq - 1) });
    expect(page.items.slice(0, 2).map((o) => [o.orderHash, o.signature])).toEqual([
      [ask.hash, ask.signature],
      [bid.hash, bid.signature],
    ]);
    const statuses = of("batches", "batch")
      .filter((e) => (e.data as { batchId: unknown }).batchId === (committed.data as any).batchId)
      .map((e) => (e.data as { status: string }).status);
    expect(statuses).toEqual(["open", "committed", "finalized"]);
    // The shapes of every message kind seen, against the wire snapshot.
    const shapes = streamShapes(events);
    expect(shapes).toEqual(await wireFixture("stream-events", shapes));
  }, 60_000);

  it("exposes orders accepted and rejected by code, batch size, latencies, queue depth and head lag on /metrics", async () => {
    // A refusal on the single-order path: an order for a market that does not exist.
    const unknown = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(2_000n),
      amount: ONE_ETH,
      marketId: 999,
    });
    const refused = await post(service.url, "/v1/orders", wire(unknown));
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const code = refused.body.error.code as string;
    expect(code).toBe("UNKNOWN_MARKET");

    // The depth gauge is refreshed by the batcher's reconcile (every 2 s): all jobs done.
    const depth = `clearmatch_queue_depth{queue="${queueName}"}`;
    const m = await eventually(
      async () => {
        const m = parseMetrics(await (await fetch(`${service.url}/metrics`)).text());
        return m.get(depth) === 0 ? m : undefined;
      },
      10_000,
      "an empty settlement queue",
    );
    expect(m.get('clearmatch_orders_accepted_total{result="created"}')).toBe(2);
    expect(m.get(`clearmatch_orders_rejected_total{code="${code}"}`)).toBe(1);
    expect(m.get("clearmatch_match_latency_seconds_count")).toBe(2);
    expect(m.get("clearmatch_match_latency_seconds_sum")).toBeLessThan(1);
    // Every answer on the intake paths is timed, the refusal included.
    expect(m.get('clearmatch_order_ack_latency_seconds_count{endpoint="single"}')).toBe(3);
    expect(m.get('clearmatch_order_ack_latency_seconds_sum{endpoint="single"}')).toBeGreaterThan(0);
    expect(m.get('clearmatch_order_ack_latency_seconds_bucket{le="+Inf",endpoint="single"}')).toBe(
      3,
    );
    // All three signers (the refused order's too: it is checked before the core) came from the
    // verify pool's worker (VERIFY_THREADS defaults to 1); none fell back to the event loop.
    expect(m.get('clearmatch_signature_checks_total{path="worker"}')).toBe(3);
    expect(m.get('clearmatch_signature_checks_total{path="main"}') ?? 0).toBe(0);
    // Every record the service journaled (orders, chain events, clock ticks) went through a
    // durable write, timed.
    expect(m.get("clearmatch_journal_commit_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(m.get("clearmatch_journal_commit_seconds_sum")).toBeGreaterThan(0);
    expect(m.get("clearmatch_batch_size_fills_count")).toBe(1);
    expect(m.get("clearmatch_batch_size_fills_sum")).toBe(1);
    expect(m.get("clearmatch_batch_commit_latency_seconds_count")).toBe(1);
    expect(m.get("clearmatch_batch_commit_latency_seconds_sum")).toBeLessThan(30);
    expect(m.get("clearmatch_batch_finalize_latency_seconds_count")).toBe(1);
    expect(m.get("clearmatch_batch_finalize_latency_seconds_sum")).toBeGreaterThan(0);
    expect(m.get("clearmatch_match_to_finality_seconds_count")).toBe(1);
    expect(m.get("clearmatch_match_to_finality_seconds_sum")).toBeGreaterThan(0);
    const lag = m.get("clearmatch_chain_head_lag_blocks");
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(5);
    for (const account of [
      trader(0),
      trader(1),
      devAccount(DEV_ROLES.feeRecipient).account.address,
    ])
      for (const token of Object.values(chain.stack.tokens))
        expect(service.core.ledger.balance(account, token).finalized).toBe(
          await chain.client.balanceOf(account, token),
        );
  }, 30_000);
});
