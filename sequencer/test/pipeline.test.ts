import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWalletClient, http, type Account, type Address, type Hex } from "viem";
import { revertErrorName } from "../src/chain/chain-errors.js";
import { settlementAbi } from "../src/chain/settlement-abi.js";
import { BatchStatus } from "../src/chain/settlement-client.js";
import type { Delta } from "../src/eip712/types.js";
import { devAccount, DEV_ROLES, fundAndDeposit } from "../src/devchain/deploy-dev-stack.js";
import { FileBatchStore, type BatchRecord } from "../src/pipeline/batch-store.js";
import { FILL_LEAF_ENCODING } from "../src/settlement/fill-leaf.js";
import { SettlementPipeline } from "../src/pipeline/settlement-pipeline.js";
import {
  advanceTime,
  eventually,
  startDevChain,
  uniqueQueue,
  type DevChain,
} from "./helpers/dev-chain.js";

const buyer = devAccount(DEV_ROLES.firstTrader).account.address;
const seller = devAccount(DEV_ROLES.firstTrader + 1).account.address;
const feeRecipient = devAccount(DEV_ROLES.feeRecipient).account.address;

/** One fill: `buyer` takes 1 WETH from `seller` at 2,000 USDC, 10 bps taker fee, as a batch record. */
function oneFillBatch(batchId: bigint, weth: Address, usdc: Address): BatchRecord {
  const base = 10n ** 18n;
  const quote = 2_000n * 10n ** 6n;
  const takerFee = quote / 1_000n;
  const fill = [
    batchId,
    0,
    `0x${"11".repeat(32)}`,
    `0x${"22".repeat(32)}`,
    seller,
    buyer,
    1,
    0,
    quote,
    base,
    quote,
    0n,
    takerFee,
    base,
    base,
  ];
  const tree = StandardMerkleTree.of([fill], [...FILL_LEAF_ENCODING]);
  const deltas: Delta[] = [
    { account: buyer, token: weth, delta: base },
    { account: buyer, token: usdc, delta: -(quote + takerFee) },
    { account: seller, token: weth, delta: -base },
    { account: seller, token: usdc, delta: quote },
    { account: feeRecipient, token: usdc, delta: takerFee },
  ].sort((a, b) => {
    const x = BigInt(a.account) - BigInt(b.account) || BigInt(a.token) - BigInt(b.token);
    return x < 0n ? -1 : x > 0n ? 1 : 0;
  });
  return {
    batchId,
    fillsRoot: tree.root as Hex,
    fillCount: 1,
    deltas,
    fills: [fill.map(String)],
    state: "BATCHED",
    cutAtMs: Date.now(),
  };
}

describe("settlement pipeline (BullMQ on Redis, hardhat node)", () => {
  let chain: DevChain;
  let dir: string;
  let weth: Address;
  let usdc: Address;

  beforeAll(async () => {
    chain = await startDevChain({ challengeWindow: 30n });
    weth = chain.stack.tokens.WETH!;
    usdc = chain.stack.tokens.USDC!;
    await fundAndDeposit(
      chain.stack,
      chain.node.url,
      DEV_ROLES.firstTrader,
      usdc,
      10_000n * 10n ** 6n,
    );
    await fundAndDeposit(
      chain.stack,
      chain.node.url,
      DEV_ROLES.firstTrader + 1,
      weth,
      5n * 10n ** 18n,
    );
    dir = await mkdtemp(join(tmpdir(), "clearmatch-pipeline-"));
  });

  afterAll(async () => {
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("commits, waits out the window, finalizes, and the vault balances move by the deltas", async () => {
    const store = new FileBatchStore(join(dir, "a"));
    const seen: string[] = [];
    const pipeline = new SettlementPipeline(
      store,
      chain.client,
      {
        committed: (r) => seen.push(`committed:${r.batchId}`),
        finalized: (r) => seen.push(`finalized:${r.batchId}`),
      },
      { queueName: uniqueQueue("pipeline"), waitPollMs: 200, maxDelayMs: 500 },
    );
    await pipeline.start();
    try {
      const id = await chain.client.nextBatchId();
      await pipeline.submit(oneFillBatch(id, weth, usdc));
      await eventually(async () =>
        (await store.get(id))?.state === "COMMITTED" ? true : undefined,
      );
      expect((await chain.client.batch(id)).status).toBe(BatchStatus.Pending);

      await advanceTime(chain.node.url, 31);
      await eventually(async () =>
        (await store.get(id))?.state === "FINALIZED" ? true : undefined,
      );
      expect((await chain.client.batch(id)).status).toBe(BatchStatus.Finalized);
      expect(await chain.client.balanceOf(buyer, weth)).toBe(10n ** 18n);
      expect(await chain.client.balanceOf(seller, usdc)).toBe(2_000n * 10n ** 6n);
      expect(await chain.client.balanceOf(feeRecipient, usdc)).toBe(2n * 10n ** 6n);
      expect(seen).toEqual([`committed:${id}`, `finalized:${id}`]);
    } finally {
      await pipeline.stop();
    }
  });

  it("never commits twice: a batch committed before a crash is recognised on-chain, not re-sent", async () => {
    const id = await chain.client.nextBatchId();
    const record = oneFillBatch(id, weth, usdc);
    // The "crashed" process sent the commit, then died before recording it.
    await chain.client.commitBatch(id, record.fillsRoot, record.deltas, record.fillCount);
    const store = new FileBatchStore(join(dir, "b"));
    await store.put(record);

    const pipeline = new SettlementPipeline(
      store,
      chain.client,
      {},
      {
        queueName: uniqueQueue("pipeline"),
        waitPollMs: 200,
        maxDelayMs: 500,
      },
    );
    await pipeline.start(); // recover() re-enqueues the BATCHED record
    try {
      await eventually(async () =>
        (await store.get(id))?.state === "COMMITTED" ? true : undefined,
      );
      expect(await chain.client.nextBatchId()).toBe(id + 1n);
      expect((await store.get(id))?.commitTx).toBeUndefined();
      await advanceTime(chain.node.url, 31);
      await eventually(async () =>
        (await store.get(id))?.state === "FINALIZED" ? true : undefined,
      );
    } finally {
      await pipeline.stop();
    }
  });

  it("records a rollback when finalizing would make a balance negative", async () => {
    const id = await chain.client.nextBatchId();
    const record = oneFillBatch(id, weth, usdc);
    // Inflate what the buyer pays beyond its balance (and what the seller gets, to stay balanced).
    for (const d of record.deltas) {
      if (d.token === usdc && d.account === buyer) d.delta -= 10n ** 12n;
      if (d.token === usdc && d.account === seller) d.delta += 10n ** 12n;
    }
    const store = new FileBatchStore(join(dir, "c"));
    const rolled: bigint[] = [];
    const pipeline = new SettlementPipeline(
      store,
      chain.client,
      { rolledBack: (r) => rolled.push(r.batchId) },
      { queueName: uniqueQueue("pipeline"), waitPollMs: 200, maxDelayMs: 500 },
    );
    await pipeline.start();
    try {
      await pipeline.submit(record);
      await eventually(async () =>
        (await store.get(id))?.state === "COMMITTED" ? true : undefined,
      );
      await advanceTime(chain.node.url, 31);
      await eventually(async () =>
        (await store.get(id))?.state === "ROLLED_BACK" ? true : undefined,
      );
      expect((await chain.client.batch(id)).status).toBe(BatchStatus.RolledBack);
      expect(rolled).toEqual([id]);
    } finally {
      await pipeline.stop();
    }
  });
  it("waits while the contract is paused and commits once the timelock unpauses it", async () => {
    const as = (index: number) =>
      createWalletClient({
        chain: chain.stack.chain,
        transport: http(chain.node.url),
        account: devAccount(index).account as Account,
      });
    const call = async (index: number, functionName: "pause" | "unpause") => {
      const hash = await as(index).writeContract({
        address: chain.stack.settlement,
        abi: settlementAbi,
        functionName,
      });
      await chain.stack.publicClient.waitForTransactionReceipt({ hash });
    };
    const id = await chain.client.nextBatchId();
    const record = oneFillBatch(id, weth, usdc);
    // The revert is decoded from the raw estimateGas answer, and it is a "not yet".
    await call(DEV_ROLES.guardian, "pause");
    const refused = await chain.client
      .commitBatch(id, record.fillsRoot, record.deltas, record.fillCount)
      .catch((e: unknown) => e);
    expect(revertErrorName(refused)).toBe("SettlementPaused");

    const store = new FileBatchStore(join(dir, "d"));
    const failed: bigint[] = [];
    const pipeline = new SettlementPipeline(
      store,
      chain.client,
      { failed: (batchId) => failed.push(batchId) },
      { queueName: uniqueQueue("pipeline"), waitPollMs: 200, maxDelayMs: 500 },
    );
    await pipeline.start();
    try {
      await pipeline.submit(record);
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await store.get(id))?.state).toBe("BATCHED");
      expect(await chain.client.nextBatchId()).toBe(id);
      await call(DEV_ROLES.admin, "unpause");
      await eventually(async () =>
        (await store.get(id))?.state === "COMMITTED" ? true : undefined,
      );
      expect(failed).toEqual([]);
    } finally {
      await pipeline.stop();
    }
  });
});
