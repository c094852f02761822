import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccount, DEV_ROLES } from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { BatchStatus } from "../src/chain/settlement-client.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { advanceTime, eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  config,
  get,
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
import { allBatches } from "../src/read/paging.js";

describe("service lifecycle (hardhat node + Redis, real signatures over HTTP)", () => {
  let chain: DevChain;
  let service: RunningService;
  let env: Record<string, string>;
  /** What the first test left behind, for the second. */
  const done: { batchId?: bigint; filledBid?: `0x${string}` } = {};

  beforeAll(async () => {
    chain = await startDevChain({ challengeWindow: 30n });
    await fundTraders(chain, { secondBuyer: true });
    env = await serviceEnv(chain, { EXPIRY_TICK_MS: "200" });
    service = await startService(config(env));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await chain?.stop();
  });

  it("matches signed orders, commits and finalizes the batch, and the vault equals the sequencer's finalized view", async () => {
    const url = service.url;
    const ask = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(2_000n),
      amount: 2n * ONE_ETH,
    });
    expect((await post(url, "/v1/orders", wire(ask))).status).toBe(201);
    const bid1 = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(2_000n),
      amount: ONE_ETH,
    });
    const r1 = await post(url, "/v1/orders", wire(bid1));
    expect(r1.status).toBe(201);
    expect(r1.body.fills?.length ?? r1.body.order?.fills?.length ?? 1).toBeGreaterThan(0);
    const bid2 = await signedOrder(chain, traderIndex(2), {
      side: 0,
      price: USDC(2_000n),
      amount: ONE_ETH / 2n,
    });
    expect((await post(url, "/v1/orders", wire(bid2))).status).toBe(201);

    const fills = await get(url, `/v1/accounts/${trader(1)}/fills`);
    expect(fills.status).toBe(200);
    const startBatch = allBatches(service.core).at(-1)?.batchId;
    // Cut, commit (chain event), advance past the window, finalize.
    const batchId = await eventually(
      () => allBatches(service.core).find((b) => b.state === "COMMITTED")?.batchId,
      30_000,
      "a committed batch",
    );
    expect(startBatch === undefined || startBatch <= batchId).toBe(true);
    await advanceTime(chain.node.url, 31);
    await eventually(
      () => (service.core.batch(batchId)?.state === "FINALIZED" ? true : undefined),
      30_000,
      "finalization",
    );
    expect((await chain.client.batch(batchId)).status).toBe(BatchStatus.Finalized);

    const proof = await get(url, `/v1/fills/${service.core.batch(batchId)!.fillIds[0]}/proof`);
    expect(proof.status).toBe(200);
    expect(proof.body.makerOrder.signature).toMatch(/^0x/);

    const accounts = [
      trader(0),
      trader(1),
      trader(2),
      devAccount(DEV_ROLES.feeRecipient).account.address,
    ];
    for (const account of accounts) {
      for (const token of Object.values(chain.stack.tokens)) {
        const onChain = await chain.client.balanceOf(account, token);
        expect(service.core.ledger.balance(account, token).finalized, `${account} ${token}`).toBe(
          onChain,
        );
      }
    }
    expect(
      service.core.ledger.balance(trader(1), chain.stack.tokens.USDC!).finalized,
    ).toBeGreaterThan(0n);
    service.core.ledger.checkInvariants();
    done.batchId = batchId;
    done.filledBid = r1.body.order.orderHash;
  }, 90_000);

  it("serves settled orders, fills, proofs and batches from the archive once they leave memory, across a restart", async () => {
    const batchId = done.batchId!;
    const fillId = service.core.batch(batchId)!.fillIds[0]!;
    const paths = [
      `/v1/orders/${done.filledBid}`,
      `/v1/accounts/${trader(0)}/orders`,
      `/v1/accounts/${trader(0)}/fills`,
      `/v1/fills/${fillId}/proof`,
      `/v1/batches/${batchId}`,
      `/v1/batches`,
      `/v1/markets/1/trades`,
    ];
    const read = async () => Promise.all(paths.map(async (p) => (await get(service.url, p)).body));
    /** Entries pruned from the core that wait for the archive (the next snapshot writes it). */
    const pending = async () => {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      return Number(/^clearmatch_history_pending_entries (\d+)$/m.exec(text)![1]);
    };
    const before = await read();
    // The next clock tick prunes the finalized batch, its fills and the filled bid.
    await eventually(
      () => (service.core.liveBatches().some((b) => b.batchId === batchId) ? undefined : true),
      10_000,
      "the finalized batch leaves memory",
    );
    const state = service.core.snapshot().state as { orders: [string, unknown][] };
    expect(state.orders.map(([hash]) => hash)).not.toContain(done.filledBid!.toLowerCase());
    expect(await read()).toEqual(before);
    // No snapshot yet (SNAPSHOT_EVERY is 10,000 records): they wait in memory.
    expect(await pending()).toBeGreaterThan(0);
    expect(before[0].status).toBe("filled");
    expect(before[1].orders.map((o: { orderHash: string }) => o.orderHash)).toContain(
      done.filledBid,
    );
    expect(before[3].leafHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(before[4].status).toBe("finalized");

    // The shutdown snapshot archives them first; the restarted service reads them from disk.
    await service.stop();
    service = await startService(config(env));
    expect(await pending()).toBe(0);
    expect(await read()).toEqual(before);
  }, 60_000);
});
