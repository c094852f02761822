/**
 * Time is the chain's (DESIGN.md, "Time"): the real service on a real chain, judged by the
 * contract's own rules (the shared rule code) at the commit block.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getBlock } from "viem/actions";
import { BatchStatus } from "../src/chain/settlement-client.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { advanceTime, eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  config,
  fundTraders,
  get,
  ONE_ETH,
  post,
  serviceEnv,
  signedOrder,
  traderIndex,
  USDC,
  wire,
} from "./helpers/service-kit.js";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("service time is the chain's (real chain, real service)", () => {
  let chain: DevChain;
  let proxy: TcpProxy;
  let service: RunningService;

  const chainNow = async () =>
    Number((await getBlock(chain.stack.publicClient, { blockTag: "latest" })).timestamp);

  beforeAll(async () => {
    chain = await startDevChain();
    await fundTraders(chain);
    proxy = await startTcpProxy(chain.node.url);
    const env = await serviceEnv(chain, {
      RPC_URL: proxy.url,
      COMMIT_LATENCY_MAX: "6",
      LOG_LEVEL: process.env.TEST_LOG ?? "silent",
    });
    service = await startService(config(env));
  }, 120_000);

  afterAll(async () => {
    proxy?.open();
    await service?.stop();
    await proxy?.close();
    await chain?.stop();
  });

  beforeEach(() => proxy.open());

  it("keeps the embedded chain's clock with the wall clock, also when idle", async () => {
    // The deployment and funding mined dozens of blocks: by default each was a second ahead.
    const skew = (await chainNow()) - Date.now() / 1000;
    expect(Math.abs(skew)).toBeLessThan(5);
    const before = await chainNow();
    await sleep(2_500);
    expect(await chainNow()).toBeGreaterThan(before);
  });

  it("refuses an order that the chain's clock has expired although the wall clock has not", async () => {
    await advanceTime(chain.node.url, 120);
    await eventually(
      async () => ((await chainNow()) - Date.now() / 1000 > 100 ? true : undefined),
      10_000,
    );
    await sleep(300); // the service's clock reads the new head
    // 90 s of life by the wall clock (more than the 30 s margin), 30 s behind the chain's.
    const order = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(2_000n),
      amount: ONE_ETH,
      expiry: BigInt(Math.floor(Date.now() / 1000) + 90),
    });
    const res = await post(service.url, "/v1/orders", wire(order));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("ORDER_EXPIRED");
    const metrics = await fetch(`${service.url}/metrics`).then((r) => r.text());
    const skew = Number(/^clearmatch_chain_clock_skew_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(skew).toBeGreaterThan(100);
  });

  it("refuses new orders with CHAIN_UNAVAILABLE while no commit can land in time, then accepts again", async () => {
    proxy.cut();
    await eventually(
      async () => {
        const ready = await fetch(`${service.url}/metrics`).then((r) => r.text());
        return /^clearmatch_chain_commit_ready 0$/m.test(ready) ? true : undefined;
      },
      15_000,
      "the clock to notice",
    );
    const order = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(2_000n),
      amount: ONE_ETH,
    });
    const refused = await post(service.url, "/v1/orders", wire(order));
    expect(refused.status).toBe(423);
    expect(refused.body.error.code).toBe("CHAIN_UNAVAILABLE");
    expect(refused.body.error.details.reason).toMatch(/no chain head read/);
    expect((await get(service.url, `/v1/orders/${order.hash}`)).status).toBe(404);
    proxy.open();
    await eventually(
      async () => {
        const res = await post(service.url, "/v1/orders", wire(order));
        return res.status === 201 ? res : undefined;
      },
      15_000,
      "orders accepted again",
    );
  });

  it("never commits a fill whose order expired while its commit was delayed: the batch is withdrawn", async () => {
    // Settle what earlier tests left, so this batch is the only one waiting.
    await eventually(() => (service.core.matchedCount === 0 ? true : undefined), 15_000);
    await eventually(
      () => (service.core.liveBatches().every((b) => b.state !== "BATCHED") ? true : undefined),
      15_000,
    );
    const committedBefore = await chain.client.nextBatchId();
    const expiry = BigInt((await chainNow()) + 45);
    // Below the earlier test's resting ask (2,000), so the bid meets this ask only.
    const ask = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(1_950n),
      amount: ONE_ETH / 10n,
      expiry,
    });
    const bid = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(1_950n),
      amount: ONE_ETH / 10n,
    });
    // The chain becomes unreachable right after the match: the cut cannot be committed.
    expect((await post(service.url, "/v1/orders", wire(ask))).status).toBe(201);
    proxy.cut();
    const taken = await post(service.url, "/v1/orders", wire(bid));
    expect(taken.status).toBe(201);
    const fillId = Number(taken.body.fills[0].fillId);
    await eventually(
      () => (service.core.fill(fillId)?.state === "BATCHED" ? true : undefined),
      10_000,
      "the fill cut",
    );
    // Meanwhile the chain's time passes the ask's expiry.
    await advanceTime(chain.node.url, 60);
    proxy.open();
    const busted = await eventually(
      () => {
        const f = service.core.fill(fillId);
        return f?.state === "ROLLED_BACK" ? f : undefined;
      },
      30_000,
      "the fill busted by the self-audit",
    );
    expect(busted.bustReason).toMatch(/self-audit: Expired|order expires before the commit/);
    // Nothing provable reached the chain: every batch committed since is clean by the rules.
    await eventually(() => (service.core.matchedCount === 0 ? true : undefined), 15_000);
    const next = await chain.client.nextBatchId();
    for (let id = committedBefore; id < next; id++) {
      const b = service.core.batch(id)!;
      expect(b.fillIds).not.toContain(fillId);
      expect((await chain.client.batch(id)).status).not.toBe(BatchStatus.RolledBack);
    }
    const ask_ = await get(service.url, `/v1/orders/${ask.hash}`);
    expect(ask_.body.filled).toBe("0");
    expect(ask_.body.busted).toBe((ONE_ETH / 10n).toString());
    const metrics = await fetch(`${service.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/clearmatch_self_audits_total\{outcome="withdrawn"\} [1-9]/);
  }, 90_000);
});
