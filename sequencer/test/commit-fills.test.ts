/**
 * The v2 commit's packed fills (docs/protocol.md, section 3): the sequencer's encoder against the
 * vectors' independent one (viem's encodePacked), the decoder a watcher uses against the fills
 * it packed, and the byte cap the cut keeps.
 */
import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import {
  type FillLeaf,
  buildBatchCommit,
  commitCalldataBytes,
  decodeCommitFills,
  encodeCommitFills,
  FILL_RECORD_BYTES,
  MAX_COMMIT_BYTES,
  type CommitMarket,
  buildDeltas,
  DeltaPairBudget,
  markFokRunEnds,
  SettlementDataError,
} from "@clearmatch/protocol";
import { SeededRandom } from "./support/seeded-random.js";
import { vectors } from "./support/shared-vectors.js";

const batchFills = vectors.batch.fillIndices.map((i) => vectors.fills[i]!.fill);
const markets = new Map<number, CommitMarket>([[vectors.market.marketId, vectors.market]]);

/** A random on-grid fill of market 1 (tick 10^4, lot 10^14, 18 decimals). */
function randomFill(rng: SeededRandom, batchId: bigint, index: number, traders: Address[]) {
  const { tickSize, lotSize } = vectors.market;
  const lots = 1n + rng.uint(20);
  const price = (1n + rng.uint(30)) * tickSize;
  const baseAmount = lots * lotSize;
  const fill: FillLeaf = {
    batchId,
    index,
    makerOrderHash: rng.hex(32),
    takerOrderHash: rng.hex(32),
    maker: rng.pick(traders),
    taker: rng.pick(traders),
    marketId: 1,
    takerSide: rng.below(2),
    price,
    baseAmount,
    quoteAmount: (baseAmount * price) / 10n ** 18n,
    makerFee: rng.uint(40),
    takerFee: rng.uint(40),
    makerFilledAfter: baseAmount + rng.uint(8) * lotSize,
    takerFilledAfter: baseAmount + rng.uint(8) * lotSize,
    takerFok: rng.below(2) === 1,
    fokRunEnd: false,
  };
  return fill;
}

describe("packed commit fills", () => {
  it("packs the vector batch exactly as the independent encoder does, and reads it back", () => {
    const packed = encodeCommitFills(batchFills, vectors.deltas, markets, vectors.feeRecipient);
    expect(packed).toBe(vectors.batch.commitFills);
    expect((packed.length - 2) / 2).toBe(batchFills.length * FILL_RECORD_BYTES);
    expect(decodeCommitFills(vectors.batch.batchId, packed, vectors.deltas, markets)).toEqual(
      batchFills,
    );
  });

  it("round-trips random batches, and their root is the one the batch commits to", () => {
    const rng = new SeededRandom(20);
    for (let seed = 0; seed < 40; seed++) {
      const traders = Array.from({ length: 1 + rng.below(6) }, () => rng.address());
      const batchId = rng.uint(64);
      // FOK run ends marked as the contract marks them (the decoder derives them).
      const fills = markFokRunEnds(
        Array.from({ length: 1 + rng.below(50) }, (_, i) => randomFill(rng, batchId, i, traders)),
      );
      const feeRecipient = rng.below(2) ? traders[0]! : rng.address();
      const commit = buildBatchCommit(fills, markets, feeRecipient);
      const back = decodeCommitFills(batchId, commit.commitFills, commit.deltas, markets);
      // Addresses come back as the deltas spell them (checksummed); compare case-blind.
      const lower = (f: FillLeaf) => ({
        ...f,
        maker: f.maker.toLowerCase(),
        taker: f.taker.toLowerCase(),
      });
      expect(back.map(lower), `seed ${seed}`).toEqual(fills.map(lower));
      expect(buildBatchCommit(back, markets, feeRecipient).root).toBe(commit.root);
    }
  });

  it("refuses a fill off the market's grid, or whose delta is missing", () => {
    const fill = batchFills[0]!;
    const deltas = buildDeltas([fill], markets, vectors.feeRecipient);
    expect(() =>
      encodeCommitFills(
        [{ ...fill, price: fill.price + 1n }],
        deltas,
        markets,
        vectors.feeRecipient,
      ),
    ).toThrow(SettlementDataError);
    expect(() => encodeCommitFills([fill], deltas.slice(1), markets, vectors.feeRecipient)).toThrow(
      SettlementDataError,
    );
    expect(() => decodeCommitFills(1n, "0x00", deltas, markets)).toThrow(SettlementDataError);
  });

  it("cuts a batch before its commit calldata passes the byte cap", () => {
    // Two traders and one market: 5 pairs at most, so only the byte cap can stop the cut.
    const budget = new DeltaPairBudget(512);
    const tokens = vectors.market;
    const [a, b] = [
      "0x00000000000000000000000000000000000000aa",
      "0x00000000000000000000000000000000000000bb",
    ] as const;
    let taken = 0;
    while (budget.tryTake({ maker: a, taker: b }, tokens, vectors.feeRecipient)) taken++;
    expect(commitCalldataBytes(taken, 5)).toBeLessThanOrEqual(MAX_COMMIT_BYTES);
    expect(commitCalldataBytes(taken + 1, 5)).toBeGreaterThan(MAX_COMMIT_BYTES);
    expect(taken).toBeGreaterThan(800);
  });
});
