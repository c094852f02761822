/**
 * The batcher builds each cut's record (tree and proofs) a slice at a time, letting the event
 * loop through; batches must still reach the settlement pipeline in cut order, since the
 * contract commits them in sequence.
 */
import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import type { FillLeaf } from "@clearmatch/protocol";
import { createLogger } from "../src/logging/logger.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { MemoryBatchStore, type BatchRecord } from "../src/settlement/batch-store.js";
import type { SettlementPipeline } from "../src/settlement/settlement-pipeline.js";
import { Batcher } from "../src/settlement/batcher.js";
import type { CoreBatch } from "../src/core/core-types.js";
import { ExchangeCore } from "../src/core/exchange-core.js";
import { T0, chainRecords, hash, initRecord } from "./helpers/core-records.js";

const MAKER = "0x000000000000000000000000000000000000000a" as Address;
const TAKER = "0x000000000000000000000000000000000000000b" as Address;

function leaves(batchId: bigint, count: number): FillLeaf[] {
  return Array.from({ length: count }, (_, index) => ({
    batchId,
    index,
    makerOrderHash: hash(2 * index + 1),
    takerOrderHash: hash(2 * index + 2),
    maker: MAKER,
    taker: TAKER,
    marketId: 1,
    takerSide: index % 2,
    price: 2_000n * 10n ** 6n,
    baseAmount: 10n ** 15n,
    quoteAmount: 2n * 10n ** 6n,
    makerFee: 0n,
    takerFee: 2_000n,
    makerFilledAfter: 10n ** 15n,
    takerFilledAfter: 10n ** 15n,
    takerFok: false,
    fokRunEnd: false,
  }));
}

function cut(batchId: bigint, fills: FillLeaf[]): CoreBatch {
  return {
    batchId,
    fillIds: fills.map((_, i) => Number(batchId) * 10_000 + i),
    state: "BATCHED",
    cutAt: T0,
  };
}

/**
 * A batcher over a core that knows the given cuts as its live batches (`cuts`: what the core's
 * `batch(id)` answers), with a pipeline that records what it is handed.
 */
function rig() {
  const core = new ExchangeCore();
  const { market } = chainRecords();
  core.apply(initRecord());
  core.apply(market());
  const cuts = new Map<bigint, CoreBatch>();
  core.batch = (batchId: bigint) => cuts.get(batchId);
  const submitted: BatchRecord[] = [];
  const store = new MemoryBatchStore();
  const pipeline = {
    submit: async (record: BatchRecord) => {
      submitted.push(record);
      await store.put(record);
    },
  } as unknown as SettlementPipeline;
  const cutLive = (batchId: bigint, fills: FillLeaf[]) => {
    const batch = cut(batchId, fills);
    cuts.set(batchId, batch);
    return batch;
  };
  return { core, cuts, submitted, store, pipeline, cutLive };
}

const settle = async (done: () => boolean) => {
  for (let i = 0; i < 2_000 && !done(); i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
};

describe("batcher", () => {
  it("hands batches to the pipeline in cut order although a large one takes longer to build", async () => {
    const { core, submitted, store, pipeline, cutLive } = rig();
    const batcher = new Batcher({
      core,
      pipeline,
      store,
      commit: () => Promise.reject(new Error("not used")),
      maxFills: 1_000,
      maxMs: 60_000,
      now: () => T0,
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics(),
    });

    const large = leaves(1n, 3_000);
    const small = leaves(2n, 1);
    batcher.submitCut(cutLive(1n, large), large);
    batcher.submitCut(cutLive(2n, small), small);
    await settle(() => submitted.length >= 2);

    expect(submitted.map((r) => r.batchId)).toEqual([1n, 2n]);
    expect(submitted[0]!.fillCount).toBe(3_000);
    expect((submitted[0]!.fills[2_999] as { fillId: number }).fillId).toBe(10_000 + 2_999);
    expect(submitted[1]!.fills).toHaveLength(1);
  });

  it("never hands over, and removes, the records of batches withdrawn while they were built", async () => {
    const { core, cuts, submitted, store, pipeline, cutLive } = rig();
    const batcher = new Batcher({
      core,
      pipeline,
      store,
      commit: () => Promise.reject(new Error("not used")),
      maxFills: 1_000,
      maxMs: 60_000,
      now: () => T0,
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics(),
    });
    const first = leaves(1n, 10);
    batcher.submitCut(cutLive(1n, first), first);
    await settle(() => submitted.length >= 1);
    // Batch 2 is cut, then withdrawn with batch 1 (a recut from 1) while its tree is built.
    const large = leaves(2n, 3_000);
    batcher.submitCut(cutLive(2n, large), large);
    cuts.clear();
    await batcher.withdraw(1n);
    expect(submitted.map((r) => r.batchId)).toEqual([1n]);
    expect(await store.list()).toEqual([]);
    // The next cut takes id 1 again and goes through.
    const again = leaves(1n, 2);
    batcher.submitCut(cutLive(1n, again), again);
    await settle(() => submitted.length >= 2);
    expect(submitted.map((r) => r.fillCount)).toEqual([10, 2]);
    expect((await store.list()).map((r) => r.fillCount)).toEqual([2]);
  });
});
