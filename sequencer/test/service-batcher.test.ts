/**
 * The batcher builds each cut's record (tree and proofs) a slice at a time, letting the event
 * loop through; batches must still reach the settlement pipeline in cut order, since the
 * contract commits them in sequence.
 */
import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import type { FillLeaf } from "../src/eip712/types.js";
import { createLogger } from "../src/logging/logger.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { MemoryBatchStore, type BatchRecord } from "../src/pipeline/batch-store.js";
import type { SettlementPipeline } from "../src/pipeline/settlement-pipeline.js";
import { Batcher } from "../src/service/batcher.js";
import type { CoreBatch } from "../src/service/core-types.js";
import { ExchangeCore } from "../src/service/exchange-core.js";
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

describe("batcher", () => {
  it("hands batches to the pipeline in cut order although a large one takes longer to build", async () => {
    const core = new ExchangeCore();
    const { market } = chainRecords();
    core.apply(initRecord());
    core.apply(market());
    const submitted: BatchRecord[] = [];
    const pipeline = {
      submit: (record: BatchRecord) => {
        submitted.push(record);
        return Promise.resolve();
      },
    } as unknown as SettlementPipeline;
    const batcher = new Batcher({
      core,
      pipeline,
      store: new MemoryBatchStore(),
      commit: () => Promise.reject(new Error("not used")),
      maxFills: 1_000,
      maxMs: 60_000,
      now: () => T0,
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics(),
    });

    const large = leaves(1n, 3_000);
    const small = leaves(2n, 1);
    batcher.submitCut(cut(1n, large), large);
    batcher.submitCut(cut(2n, small), small);
    for (let i = 0; i < 2_000 && submitted.length < 2; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }

    expect(submitted.map((r) => r.batchId)).toEqual([1n, 2n]);
    expect(submitted[0]!.fillCount).toBe(3_000);
    expect((submitted[0]!.fills[2_999] as { fillId: number }).fillId).toBe(10_000 + 2_999);
    expect(submitted[1]!.fills).toHaveLength(1);
  });
});
