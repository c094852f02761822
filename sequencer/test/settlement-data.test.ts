import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { bytesToHex, encodeAbiParameters, getAddress, type Address, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import {
  type Delta,
  type FillLeaf,
  buildDeltas,
  type MarketTokens,
  FILL_LEAF_ENCODING,
  encodeFillLeaf,
  fillLeafTuple,
  hashFillLeaf,
  buildFillTree,
  buildFillTreeAsync,
  buildMerkleTree,
  processProof,
  SettlementDataError,
} from "@clearmatch/protocol";
import { SeededRandom } from "./support/seeded-random.js";
import { vectors } from "./support/shared-vectors.js";

const encoding = [...FILL_LEAF_ENCODING];
const batchFills = vectors.batch.fillIndices.map((i) => vectors.fills[i]!.fill);
const markets = new Map<number, MarketTokens>([[vectors.market.marketId, vectors.market]]);

function randomFill(
  rng: SeededRandom,
  batchId: bigint,
  index: number,
  traders: Address[],
): FillLeaf {
  return {
    batchId,
    index,
    makerOrderHash: rng.hex(32),
    takerOrderHash: rng.hex(32),
    maker: rng.pick(traders),
    taker: rng.pick(traders),
    marketId: rng.below(3),
    takerSide: rng.below(2),
    price: rng.uint(128),
    baseAmount: rng.uint(100),
    quoteAmount: rng.uint(100),
    makerFee: rng.uint(90),
    takerFee: rng.uint(90),
    makerFilledAfter: rng.uint(128),
    takerFilledAfter: rng.uint(128),
    takerFok: false,
    fokRunEnd: false,
  };
}

function randomBatch(rng: SeededRandom, size: number, traders: Address[]): FillLeaf[] {
  const batchId = rng.uint(64);
  return Array.from({ length: size }, (_, i) => randomFill(rng, batchId, i, traders));
}

function expectSettlementError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SettlementDataError);
    expect((error as SettlementDataError).code).toBe(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("fill leaf", () => {
  it("hashes every vector fill to its leaf hash", () => {
    for (const { fill, leafHash } of vectors.fills) expect(hashFillLeaf(fill)).toBe(leafHash);
  });

  it("encodes as viem's encodeAbiParameters and hashes as StandardMerkleTree (500 random fills)", () => {
    const rng = new SeededRandom(1);
    const traders = Array.from({ length: 8 }, () => rng.address());
    const types = encoding.map((type) => ({ type }));
    const tree = StandardMerkleTree.of([fillLeafTuple(vectors.fills[0]!.fill)], encoding);
    for (let i = 0; i < 500; i++) {
      const fill = randomFill(rng, rng.uint(64), Number(rng.uint(32)), traders);
      expect(bytesToHex(encodeFillLeaf(fill))).toBe(
        encodeAbiParameters(types, fillLeafTuple(fill)),
      );
      expect(hashFillLeaf(fill)).toBe(tree.leafHash(fillLeafTuple(fill)));
    }
  });

  it.each([
    ["batchId above uint64", { batchId: 1n << 64n }],
    ["negative price", { price: -1n }],
    ["baseAmount above uint128", { baseAmount: 1n << 128n }],
    ["index above uint32", { index: 2 ** 32 }],
    ["takerSide above uint8", { takerSide: 256 }],
    ["a short order hash", { makerOrderHash: "0x1234" as Hex }],
    ["a malformed maker", { maker: "0xnot-an-address" as Address }],
  ])("rejects a fill with %s as INVALID_FILL", (_, patch) => {
    expectSettlementError(() => hashFillLeaf({ ...batchFills[0]!, ...patch }), "INVALID_FILL");
  });
});

describe("fill tree", () => {
  it("builds the vector batch's root and proofs", () => {
    const tree = buildFillTree(batchFills);
    expect(tree.root).toBe(vectors.batch.root);
    expect(tree.proofs).toEqual(vectors.batch.proofs);
    expect(tree.leafHashes).toEqual(
      vectors.batch.fillIndices.map((i) => vectors.fills[i]!.leafHash),
    );
  });

  it.each([1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 100, 1000])(
    "equals StandardMerkleTree.of on a random batch of %i fills",
    (size) => {
      const rng = new SeededRandom(size);
      const traders = Array.from({ length: 5 }, () => rng.address());
      const fills = randomBatch(rng, size, traders);
      const ours = buildFillTree(fills);
      const reference = StandardMerkleTree.of(fills.map(fillLeafTuple), encoding, {
        sortLeaves: false,
      });
      expect(ours.root).toBe(reference.root);
      // Checking every proof of the 1000-fill tree against OZ takes seconds; sample it.
      const step = size > 100 ? 37 : 1;
      for (let i = 0; i < size; i += step) {
        expect(ours.proofs[i]).toEqual(reference.getProof(i));
        expect(ours.leafHashes[i]).toBe(reference.leafHash(fillLeafTuple(fills[i]!)));
      }
      for (let i = 0; i < size; i++)
        expect(processProof(ours.leafHashes[i]!, ours.proofs[i]!)).toBe(ours.root);
    },
  );

  it("builds a 10,000-fill batch without StandardMerkleTree's per-proof rehashing", () => {
    const rng = new SeededRandom(10_000);
    const traders = Array.from({ length: 100 }, () => rng.address());
    const fills = randomBatch(rng, 10_000, traders);
    const start = performance.now();
    const tree = buildFillTree(fills);
    const elapsed = performance.now() - start;
    expect(tree.proofs).toHaveLength(10_000);
    expect(processProof(tree.leafHashes[4321]!, tree.proofs[4321]!)).toBe(tree.root);
    // Loose bound (shared 2-core CI): catches a quadratic or OZ-speed regression, not noise.
    expect(elapsed).toBeLessThan(10_000);
  });

  it.each([1, 2, 3, 129, 1000])(
    "builds the same tree a slice at a time, letting the event loop through (%i fills)",
    async (size) => {
      const rng = new SeededRandom(size + 7);
      const traders = Array.from({ length: 5 }, () => rng.address());
      const fills = randomBatch(rng, size, traders);
      let immediates = 0;
      const count = () => {
        immediates++;
        if (!done) setImmediate(count);
      };
      let done = false;
      setImmediate(count);
      const sliced = await buildFillTreeAsync(fills, 16);
      done = true;
      expect(sliced).toEqual(buildFillTree(fills));
      // Leaf hashes, node hashes and proofs of 1,000 fills are ~190 slices of 16: other callbacks
      // ran between them. A one-fill tree is built without pausing.
      if (size >= 129) expect(immediates).toBeGreaterThan(size / 16);
    },
  );

  it("refuses a malformed batch the same way when built a slice at a time", async () => {
    await expect(buildFillTreeAsync([])).rejects.toMatchObject({ code: "EMPTY_BATCH" });
  });

  it("rejects a proof for another leaf", () => {
    const tree = buildFillTree(batchFills);
    expect(processProof(tree.leafHashes[0]!, tree.proofs[1]!)).not.toBe(tree.root);
  });

  it("refuses an empty batch", () => {
    expectSettlementError(() => buildFillTree([]), "EMPTY_BATCH");
    expectSettlementError(() => buildMerkleTree([]), "EMPTY_BATCH");
  });

  it("refuses fills out of place or from another batch", () => {
    const [a, b] = batchFills;
    expectSettlementError(() => buildFillTree([b!, a!]), "INVALID_FILL");
    expectSettlementError(
      () => buildFillTree([a!, { ...b!, batchId: b!.batchId + 1n }]),
      "INVALID_FILL",
    );
  });
});

/** Reference netting: every movement, summed per pair by BigInt keys, sorted as uint160s. */
function referenceDeltas(
  fills: FillLeaf[],
  tokens: Map<number, MarketTokens>,
  feeRecipient: Address,
): Delta[] {
  const sums = new Map<string, bigint>();
  const add = (account: Address, token: Address, amount: bigint) => {
    const key = `${BigInt(account)}/${BigInt(token)}`;
    sums.set(key, (sums.get(key) ?? 0n) + amount);
  };
  for (const f of fills) {
    const { baseToken, quoteToken } = tokens.get(f.marketId)!;
    const buyerIsTaker = f.takerSide === 0;
    const buyer = buyerIsTaker ? f.taker : f.maker;
    const seller = buyerIsTaker ? f.maker : f.taker;
    add(buyer, baseToken, f.baseAmount);
    add(buyer, quoteToken, -f.quoteAmount - (buyerIsTaker ? f.takerFee : f.makerFee));
    add(seller, baseToken, -f.baseAmount);
    add(seller, quoteToken, f.quoteAmount - (buyerIsTaker ? f.makerFee : f.takerFee));
    add(feeRecipient, quoteToken, f.makerFee + f.takerFee);
  }
  const toAddress = (x: string) => getAddress(`0x${BigInt(x).toString(16).padStart(40, "0")}`);
  return [...sums.entries()]
    .map(([key, delta]) => {
      const [account, token] = key.split("/") as [string, string];
      return { account: toAddress(account), token: toAddress(token), delta };
    })
    .sort((x, y) => {
      const [a, b] =
        x.account === y.account
          ? [BigInt(x.token), BigInt(y.token)]
          : [BigInt(x.account), BigInt(y.account)];
      return a < b ? -1 : a > b ? 1 : 0;
    });
}

describe("deltas", () => {
  it("nets the vector batch into the vector deltas", () => {
    expect(buildDeltas(batchFills, markets, vectors.feeRecipient)).toEqual(vectors.deltas);
  });

  it("matches a reference netting, in strictly increasing (account, token) order, zero-sum per token", () => {
    for (let seed = 0; seed < 40; seed++) {
      const rng = new SeededRandom(seed);
      // Few traders and tokens so pairs repeat and some net to zero; the fee recipient may trade.
      const traders = Array.from({ length: 1 + rng.below(6) }, () => rng.address());
      const tokens = Array.from({ length: 4 }, () => getAddress(rng.address()));
      const byMarket = new Map<number, MarketTokens>([
        [0, { baseToken: tokens[0]!, quoteToken: tokens[1]! }],
        [1, { baseToken: tokens[2]!, quoteToken: tokens[1]! }],
        [2, { baseToken: tokens[3]!, quoteToken: tokens[0]! }],
      ]);
      const feeRecipient = rng.below(2) ? traders[0]! : rng.address();
      const fills = randomBatch(rng, 1 + rng.below(60), traders);
      // Opposite fills so some pairs cancel out exactly.
      if (rng.below(2))
        fills.push({
          ...fills[0]!,
          takerSide: 1 - fills[0]!.takerSide,
          makerFee: 0n,
          takerFee: 0n,
        });

      const deltas = buildDeltas(fills, (id) => byMarket.get(id), feeRecipient);
      expect(deltas, `seed ${seed}`).toEqual(referenceDeltas(fills, byMarket, feeRecipient));
      for (let i = 1; i < deltas.length; i++) {
        const [p, c] = [deltas[i - 1]!, deltas[i]!];
        const increasing =
          BigInt(p.account) < BigInt(c.account) ||
          (BigInt(p.account) === BigInt(c.account) && BigInt(p.token) < BigInt(c.token));
        expect(increasing, `seed ${seed}, delta ${i}`).toBe(true);
      }
      for (const token of tokens)
        expect(deltas.filter((d) => d.token === token).reduce((s, d) => s + d.delta, 0n)).toBe(0n);
      // v2 keeps a zero delta for each pair the fills touch and net out (the commit points at it).
      const touched = new Set(
        fills.flatMap((f) => {
          const m = byMarket.get(f.marketId)!;
          return [
            f.maker + m.baseToken,
            f.maker + m.quoteToken,
            f.taker + m.baseToken,
            f.taker + m.quoteToken,
            feeRecipient + m.quoteToken,
          ].map((k) => k.toLowerCase());
        }),
      );
      expect(deltas.length).toBe(touched.size);
    }
  });

  it("charges the buyer quote plus fee and credits the seller quote minus fee", () => {
    const [maker, taker, fee] = [
      "0x00000000000000000000000000000000000000aa",
      "0x00000000000000000000000000000000000000bb",
      "0x00000000000000000000000000000000000000cc",
    ] as const;
    const fill = {
      ...batchFills[0]!,
      maker,
      taker,
      baseAmount: 10n,
      quoteAmount: 1000n,
      makerFee: 1n,
      takerFee: 3n,
    };
    const { baseToken: base, quoteToken: quote } = vectors.market;
    const pick = (deltas: Delta[], account: string, token: string) =>
      deltas.find((d) => d.account.toLowerCase() === account && d.token === token)?.delta;

    const takerBuys = buildDeltas([{ ...fill, takerSide: 0 }], markets, fee);
    expect(pick(takerBuys, taker, base)).toBe(10n);
    expect(pick(takerBuys, taker, quote)).toBe(-1003n);
    expect(pick(takerBuys, maker, base)).toBe(-10n);
    expect(pick(takerBuys, maker, quote)).toBe(999n);
    expect(pick(takerBuys, fee, quote)).toBe(4n);

    const takerSells = buildDeltas([{ ...fill, takerSide: 1 }], markets, fee);
    expect(pick(takerSells, maker, base)).toBe(10n);
    expect(pick(takerSells, maker, quote)).toBe(-1001n);
    expect(pick(takerSells, taker, base)).toBe(-10n);
    expect(pick(takerSells, taker, quote)).toBe(997n);
  });

  it("refuses a fill on a market it has no tokens for", () => {
    expectSettlementError(
      () => buildDeltas([{ ...batchFills[0]!, marketId: 99 }], markets, vectors.feeRecipient),
      "UNKNOWN_MARKET",
    );
  });

  it("refuses a fill with an invalid taker side", () => {
    expectSettlementError(
      () => buildDeltas([{ ...batchFills[0]!, takerSide: 2 }], markets, vectors.feeRecipient),
      "INVALID_FILL",
    );
  });
});
