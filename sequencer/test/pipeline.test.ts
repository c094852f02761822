import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWalletClient, http, type Account, type Address, type Hex } from "viem";
import { revertErrorName } from "../src/chain/chain-errors.js";
import { settlementAbi, type FillLeaf, buildBatchCommit } from "@clearmatch/protocol";
import { BatchStatus } from "../src/chain/settlement-client.js";
import {
  devAccount,
  devCommitMarkets,
  DEV_ROLES,
  fundAndDeposit,
  type DevStack,
} from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { FileBatchStore, type BatchRecord } from "../src/settlement/batch-store.js";
import { SettlementPipeline } from "../src/settlement/settlement-pipeline.js";
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

/** One fill: `buyer` takes 1 WETH from `seller` at `quote` (2,000 USDC), 10 bps taker fee. */
function oneFillBatch(batchId: bigint, stack: DevStack, quote = 2_000n * 10n ** 6n): BatchRecord {
  const base = 10n ** 18n;
  const fill: FillLeaf = {
    batchId,
    index: 0,
    makerOrderHash: `0x${"11".repeat(32)}`,
    takerOrderHash: `0x${"22".repeat(32)}`,
    maker: seller,
    taker: buyer,
    marketId: 1,
    takerSide: 0,
    price: quote,
    baseAmount: base,
    quoteAmount: quote,
    makerFee: 0n,
    takerFee: quote / 1_000n,
    makerFilledAfter: base,
    takerFilledAfter: base,
    takerFok: false,
    fokRunEnd: false,
  };
  const commit = buildBatchCommit([fill], devCommitMarkets(stack), feeRecipient);
  return {
    batchId,
    fillsRoot: commit.root,
    fillCount: 1,
    deltas: commit.deltas,
    commitFills: commit.commitFills,
    fills: [fill],
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
      await pipeline.submit(oneFillBatch(id, chain.stack));
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
    const record = oneFillBatch(id, chain.stack);
    // The "crashed" process sent the commit, then died before recording it.
    await chain.client.commitBatch(id, record.commitFills, record.deltas);
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
    // The buyer holds 10,000 USDC and the fill costs it 20,000: the deltas the contract checks
    // against the fill at commit leave it negative at finalize.
    const record = oneFillBatch(id, chain.stack, 20_000n * 10n ** 6n);
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
    const record = oneFillBatch(id, chain.stack);
    // The revert is decoded from the raw estimateGas answer, and it is a "not yet".
    await call(DEV_ROLES.guardian, "pause");
    const refused = await chain.client
      .commitBatch(id, record.commitFills, record.deltas)
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
