/**
 * The TypeScript fraud rules (`protocol/src/fraud-rules.ts`, with the commit context
 * rebuilt from chain data by `protocol/src/commit-context.ts`) agree with the contract: for every
 * FraudKind a fraudulent fill is committed, the TS rules name a kind, and `proveFillFraud` emits
 * `FraudProven` with that same kind; for valid fills (including the block-boundary cases of the
 * time rules) the TS rules say none and the contract reverts `SettlementNoFraud`. The same for
 * conflicting fills and `proveConflictingFills`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Hex } from "viem";
import { CommitContextReader } from "@clearmatch/protocol";
import { auditBatch, findConflicts } from "../../sequencer/src/settlement/audit-batch.js";
import {
  findFraud,
  fraudKindCode,
  type CommitContext,
  type FraudKindName,
} from "@clearmatch/protocol";
import {
  BUY,
  CANCEL_GRACE,
  LOT,
  ONE_BASE,
  SELL,
  createSettlementTest,
  type Fill,
  type Order,
  type SettlementFixture,
} from "../helpers/settlement-fixture.js";
import { patchRecord, prepareCommit, RECORD } from "../helpers/commit-batch.js";

describe("fraud rules agree with the contract", async () => {
  const t = await createSettlementTest();
  const { viem } = t;

  const bobBuys = (f: SettlementFixture, o: Partial<Order> = {}) =>
    f.order(f.addr(f.wallets.bob), { side: BUY, price: 2_100n * 10n ** 6n, ...o });
  const aliceSells = (f: SettlementFixture, o: Partial<Order> = {}) =>
    f.order(f.addr(f.wallets.alice), { side: SELL, ...o });

  const setAutomine = (on: boolean) =>
    t.connection.provider.request({ method: "evm_setAutomine", params: [on] });

  /** The TS verdict on one side of a committed fill, under the context read from the chain. */
  async function tsVerdict(f: SettlementFixture, fill: Fill, order: Order, isMaker: boolean) {
    const reader = new CommitContextReader(t.publicClient, f.settlement.address);
    const ctx = await reader.contextFor(fill, order, f.hashOrder(order));
    return { kind: findFraud(fill, order, isMaker, ctx), ctx };
  }

  /**
   * Judges `order` on its side of the committed `c.fills[0]` both ways and checks they agree; when
   * `expected` is a kind, also checks the contract emits it and the batch audit reports it.
   */
  async function agree(
    f: SettlementFixture,
    c: Awaited<ReturnType<SettlementFixture["commit"]>>,
    order: Order,
    isMaker: boolean,
    expected: FraudKindName | undefined,
  ) {
    const fill = c.fills[0]!;
    const proof = c.proofs[0]!;
    const { kind, ctx } = await tsVerdict(f, fill, order, isMaker);
    assert.equal(kind, expected, "TS rules");

    // The batch audit, under the same chain contexts, reports the same kind for that side.
    const other = isMaker ? fill.takerOrderHash : fill.makerOrderHash;
    const audit = auditBatch({
      batchId: c.batchId,
      leaves: c.fills,
      orders: (h: Hex) =>
        h.toLowerCase() === f.hashOrder(order).toLowerCase() ? order : undefined,
      commit: (): CommitContext => ctx,
      hashOrder: f.hashOrder,
    });
    const mine = audit.faults.filter((x) => x.orderHash.toLowerCase() !== other.toLowerCase());
    assert.deepEqual(
      mine.map((x) => x.kind),
      expected === undefined ? [] : [expected],
      "audit",
    );

    if (expected === undefined) {
      await viem.assertions.revertWithCustomError(
        f.settlement.write.proveFillFraud([fill, proof, order, isMaker]),
        f.settlement,
        "SettlementNoFraud",
      );
      return;
    }
    const { result } = await f.settlement.simulate.proveFillFraud([fill, proof, order, isMaker]);
    assert.equal(result, fraudKindCode(expected), "contract's returned kind");
    await viem.assertions.emitWithArgs(
      f.settlement.write.proveFillFraud([fill, proof, order, isMaker]),
      f.settlement,
      "FraudProven",
      [c.batchId, f.hashOrder(order), fraudKindCode(expected)],
    );
  }

  /** A fraud case: the fill (and chain setup) and which order to prove it against. */
  interface Case {
    readonly name: string;
    readonly kind: FraudKindName;
    build(f: SettlementFixture): Promise<{ fill: Fill; order: Order; isMaker: boolean }>;
    /**
     * Set for a fill the v2 commit cannot carry (the contract rebuilds every leaf from packed
     * records: batch id, index, quote and the grid are its own, a record that cannot be a fill is
     * refused): checks how it is refused instead of proving it.
     */
    readonly refused?: (f: SettlementFixture, fill: Fill) => Promise<void>;
  }

  /** The packing cannot express `fill` (`prepare` throws, naming `what`). */
  const packingRefuses = (what: RegExp) => async (f: SettlementFixture, fill: Fill) => {
    await assert.rejects(f.prepare([fill]), what);
  };

  /** Packed as given, the contract refuses `fill`'s record with `error(args)`. */
  const contractRefuses =
    (
      error: "SettlementBadFill" | "SettlementUnknownMarket",
      args: [bigint] | [number],
      patch?: (packed: Hex) => Hex,
      extraMarket?: number,
    ) =>
    async (f: SettlementFixture, fill: Fill) => {
      const markets = new Map(f.markets);
      if (extraMarket !== undefined) markets.set(extraMarket, f.markets.get(1)!);
      const p = prepareCommit(1n, [fill], markets, f.addr(f.wallets.feeRecipient), undefined);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.commitBatch([1n, patch ? patch(p.packed) : p.packed, p.deltas], {
          account: f.wallets.sequencer.account,
        }),
        f.settlement,
        error,
        args as [bigint], // one argument: the record's index, or the market id
      );
    };

  const cases: Case[] = [
    {
      name: "the fill names another taker",
      kind: "WrongTrader",
      build: async (f) => {
        const taker = bobBuys(f);
        const fill = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n, {
          taker: f.addr(f.wallets.carol),
        });
        return { fill, order: taker, isMaker: false };
      },
    },
    {
      name: "the order is for another market",
      kind: "WrongMarket",
      build: async (f) => {
        const taker = bobBuys(f, { marketId: 2 });
        return {
          fill: f.fillOf(aliceSells(f), taker, ONE_BASE / 2n),
          order: taker,
          isMaker: false,
        };
      },
    },
    {
      name: "the fill names an unregistered market",
      kind: "WrongMarket",
      build: async (f) => {
        const taker = bobBuys(f, { marketId: 9 });
        const maker = aliceSells(f, { marketId: 9 });
        const fill = f.fillOf(maker, taker, ONE_BASE / 2n, { marketId: 9 });
        return { fill, order: taker, isMaker: false };
      },
      refused: contractRefuses("SettlementUnknownMarket", [9], undefined, 9),
    },
    {
      name: "a maker order filled on the side it did not take",
      kind: "WrongSide",
      build: async (f) => {
        const maker = aliceSells(f, { side: BUY });
        return { fill: f.fillOf(maker, bobBuys(f), ONE_BASE / 2n), order: maker, isMaker: true };
      },
    },
    {
      name: "a malformed takerSide",
      kind: "WrongSide",
      build: async (f) => {
        const maker = aliceSells(f);
        const fill = f.fillOf(maker, bobBuys(f), ONE_BASE / 2n, { takerSide: 7 });
        return { fill, order: maker, isMaker: true };
      },
      refused: async (f, fill) => {
        await packingRefuses(/takerSide/)(f, fill);
        await contractRefuses("SettlementBadFill", [0n], (packed) =>
          patchRecord(packed, 0, RECORD.takerSide, 1, 7n),
        )(f, { ...fill, takerSide: 0 });
      },
    },
    {
      name: "a buyer filled above its limit",
      kind: "PriceWorseThanLimit",
      build: async (f) => {
        const taker = bobBuys(f, { price: 1_900n * 10n ** 6n });
        return {
          fill: f.fillOf(aliceSells(f), taker, ONE_BASE / 2n),
          order: taker,
          isMaker: false,
        };
      },
    },
    {
      name: "a seller filled below its limit",
      kind: "PriceWorseThanLimit",
      build: async (f) => {
        const maker = aliceSells(f);
        const fill = f.fillOf(maker, bobBuys(f), ONE_BASE / 2n, {
          price: 1_990n * 10n ** 6n,
          quoteAmount: 995n * 10n ** 6n,
        });
        return { fill, order: maker, isMaker: true };
      },
    },
    {
      name: "cumulative fill above the order amount",
      kind: "OverFilled",
      build: async (f) => {
        const taker = bobBuys(f);
        const fill = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n, {
          takerFilledAfter: ONE_BASE + LOT,
        });
        return { fill, order: taker, isMaker: false };
      },
    },
    {
      name: "cumulative fill below the fill itself",
      kind: "OverFilled",
      build: async (f) => {
        const maker = aliceSells(f);
        const fill = f.fillOf(maker, bobBuys(f), ONE_BASE / 2n, { makerFilledAfter: LOT });
        return { fill, order: maker, isMaker: true };
      },
      refused: contractRefuses("SettlementBadFill", [0n]),
    },
    {
      name: "a fee one atom above maxFeeBps",
      kind: "FeeAboveMax",
      build: async (f) => {
        const taker = bobBuys(f);
        const fill = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n);
        fill.takerFee = (fill.quoteAmount * 30n) / 10_000n + 1n;
        return { fill, order: taker, isMaker: false };
      },
    },
    {
      name: "expiry not after the commit time",
      kind: "Expired",
      build: async (f) => {
        const now = (await t.publicClient.getBlock()).timestamp;
        const taker = bobBuys(f, { expiry: now + 1n });
        return {
          fill: f.fillOf(aliceSells(f), taker, ONE_BASE / 2n),
          order: taker,
          isMaker: false,
        };
      },
    },
    {
      name: "cancelled on-chain the cancel grace before the commit block",
      kind: "Cancelled",
      build: async (f) => {
        const taker = bobBuys(f);
        await f.settlement.write.cancelOrder([f.hashOrder(taker)], {
          account: f.wallets.bob.account,
        });
        await t.networkHelpers.mine(CANCEL_GRACE - 1);
        return {
          fill: f.fillOf(aliceSells(f), taker, ONE_BASE / 2n),
          order: taker,
          isMaker: false,
        };
      },
    },
    {
      name: "nonce invalidated the cancel grace before the commit block",
      kind: "NonceInvalidated",
      build: async (f) => {
        const maker = aliceSells(f, { nonce: 4n });
        await f.settlement.write.invalidateNonces([5n], { account: f.wallets.alice.account });
        await t.networkHelpers.mine(CANCEL_GRACE - 1);
        return { fill: f.fillOf(maker, bobBuys(f), ONE_BASE / 2n), order: maker, isMaker: true };
      },
    },
    {
      name: "market paused before the commit block",
      kind: "MarketPaused",
      build: async (f) => {
        const taker = bobBuys(f);
        await f.settlement.write.setMarketPaused([1, true], {
          account: f.wallets.guardian.account,
        });
        return {
          fill: f.fillOf(aliceSells(f), taker, ONE_BASE / 2n),
          order: taker,
          isMaker: false,
        };
      },
    },
    {
      name: "quote one atom off base × price / 10^decimals",
      kind: "BadQuoteAmount",
      build: async (f) => {
        const taker = bobBuys(f);
        const fill = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n);
        fill.quoteAmount += 1n;
        return { fill, order: taker, isMaker: false };
      },
      refused: async (f, fill) => {
        await packingRefuses(/rebuilds its quoteAmount/)(f, fill);
        // The record carries no quote: committed, the leaf holds the exact one, and the forged
        // leaf has no proof against the stored root.
        const c = await f.commit([{ ...fill, quoteAmount: fill.quoteAmount - 1n }]);
        await viem.assertions.revertWithCustomError(
          f.settlement.write.proveFillFraud([
            { ...c.fills[0]!, quoteAmount: fill.quoteAmount },
            c.proofs[0]!,
            bobBuys(f),
            false,
          ]),
          f.settlement,
          "SettlementInvalidProof",
        );
      },
    },
    {
      name: "a base amount off the lot grid",
      kind: "OffTickOrLot",
      build: async (f) => {
        const taker = bobBuys(f);
        return { fill: f.fillOf(aliceSells(f), taker, LOT / 2n), order: taker, isMaker: false };
      },
      refused: packingRefuses(/base amount .* is not a multiple/),
    },
    {
      name: "a price off the tick grid",
      kind: "OffTickOrLot",
      build: async (f) => {
        const maker = aliceSells(f, { price: 2_000n * 10n ** 6n + 100n });
        // quote exact: 1 WETH at 2,000.0001 USDC
        return { fill: f.fillOf(maker, bobBuys(f), ONE_BASE), order: maker, isMaker: true };
      },
      refused: packingRefuses(/price .* is not a multiple/),
    },
    {
      name: "a maker filled above its limit: the taker's price improvement handed to the maker",
      kind: "NotMakersPrice",
      build: async (f) => {
        const maker = aliceSells(f); // 2,000 USDC limit; bob would pay up to 2,100
        const fill = f.fillOf(maker, bobBuys(f), ONE_BASE / 2n, {
          price: 2_100n * 10n ** 6n,
          quoteAmount: 1_050n * 10n ** 6n,
        });
        return { fill, order: maker, isMaker: true };
      },
    },
    {
      name: "a post-only order filled as taker",
      kind: "FlagsViolated",
      build: async (f) => {
        const taker = bobBuys(f, { flags: 1 });
        return {
          fill: f.fillOf(aliceSells(f), taker, ONE_BASE / 2n),
          order: taker,
          isMaker: false,
        };
      },
    },
    {
      name: "an IOC order filled as maker (it rested)",
      kind: "FlagsViolated",
      build: async (f) => {
        const maker = aliceSells(f, { flags: 2 });
        return { fill: f.fillOf(maker, bobBuys(f), ONE_BASE / 2n), order: maker, isMaker: true };
      },
    },
    {
      name: "a FOK order filled as maker (it rested)",
      kind: "FlagsViolated",
      build: async (f) => {
        const maker = aliceSells(f, { flags: 4 });
        return { fill: f.fillOf(maker, bobBuys(f), ONE_BASE / 2n), order: maker, isMaker: true };
      },
    },
    {
      name: "several frauds: the first in the contract's order",
      kind: "PriceWorseThanLimit",
      build: async (f) => {
        const taker = bobBuys(f, { price: 1_900n * 10n ** 6n });
        const fill = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n, {
          takerFilledAfter: 2n * ONE_BASE,
          takerFee: 10n ** 9n,
        });
        return { fill, order: taker, isMaker: false };
      },
    },
  ];

  for (const c of cases) {
    const refused = c.refused;
    if (refused !== undefined) {
      it(`${c.kind}: ${c.name}: no v2 commit can carry it`, async () => {
        const f = await t.load();
        const { fill } = await c.build(f);
        await refused(f, fill);
      });
      continue;
    }
    it(`${c.kind}: ${c.name}`, async () => {
      const f = await t.load();
      const { fill, order, isMaker } = await c.build(f);
      await agree(f, await f.commit([fill]), order, isMaker, c.kind);
    });
  }

  it("a valid fill: no fraud on either side, both ways", async () => {
    const f = await t.load();
    const { fill, makerOrder, takerOrder } = f.simpleTrade();
    const c = await f.commit([fill]);
    await agree(f, c, makerOrder, true, undefined);
    await agree(f, c, takerOrder, false, undefined);
  });

  it("no fraud for a cancel, nonce bump or pause after the commit, or a pause lifted before it", async () => {
    const f = await t.load();
    const { fill, makerOrder, takerOrder } = f.simpleTrade();
    await f.settlement.write.setMarketPaused([1, true], { account: f.wallets.guardian.account });
    await f.settlement.write.setMarketPaused([1, false], { account: f.wallets.timelock.account });
    const c = await f.commit([fill]);
    await f.settlement.write.cancelOrder([f.hashOrder(takerOrder)], {
      account: f.wallets.bob.account,
    });
    await f.settlement.write.invalidateNonces([9n], { account: f.wallets.alice.account });
    await f.settlement.write.setMarketPaused([1, true], { account: f.wallets.guardian.account });
    await agree(f, c, makerOrder, true, undefined);
    await agree(f, c, takerOrder, false, undefined);
  });

  it("a cancel or nonce bump within the cancel grace does not count", async () => {
    const f = await t.load();
    const { fill, makerOrder, takerOrder } = f.simpleTrade();
    await f.settlement.write.cancelOrder([f.hashOrder(takerOrder)], {
      account: f.wallets.bob.account,
    });
    await f.settlement.write.invalidateNonces([9n], { account: f.wallets.alice.account });
    await t.networkHelpers.mine(CANCEL_GRACE - 3);
    const c = await f.commit([fill]);
    await agree(f, c, makerOrder, true, undefined);
    await agree(f, c, takerOrder, false, undefined);
  });

  it("a cancel or nonce bump in the commit's own block does not count; a pause there does", async () => {
    const f = await t.load();
    const { fill, makerOrder, takerOrder } = f.simpleTrade();
    await setAutomine(false);
    let c: Awaited<ReturnType<SettlementFixture["commit"]>>;
    try {
      await f.settlement.write.cancelOrder([f.hashOrder(takerOrder)], {
        account: f.wallets.bob.account,
      });
      await f.settlement.write.invalidateNonces([9n], { account: f.wallets.alice.account });
      c = await f.commit([fill]);
      await t.networkHelpers.mine();
    } finally {
      await setAutomine(true);
    }
    const b = await f.settlement.read.batch([c.batchId]);
    assert.equal(
      await f.settlement.read.cancelledAtBlock([f.addr(f.wallets.bob), f.hashOrder(takerOrder)]),
      b.commitBlock,
    );
    await agree(f, c, makerOrder, true, undefined);
    await agree(f, c, takerOrder, false, undefined);

    // Paused in the commit's block (after it, even): doubt goes to the traders.
    const g = await t.load();
    const trade = g.simpleTrade();
    await setAutomine(false);
    let d: Awaited<ReturnType<SettlementFixture["commit"]>>;
    try {
      d = await g.commit([trade.fill]);
      await g.settlement.write.setMarketPaused([1, true], { account: g.wallets.guardian.account });
      await t.networkHelpers.mine();
    } finally {
      await setAutomine(true);
    }
    await agree(g, d, trade.takerOrder, false, "MarketPaused");
  });

  describe("conflicting fills", () => {
    async function twoFills(f: SettlementFixture, firstAfter: bigint, secondAfter: bigint) {
      const maker = aliceSells(f);
      const one = f.fillOf(maker, bobBuys(f), ONE_BASE / 2n, { makerFilledAfter: firstAfter });
      const two = f.fillOf(maker, bobBuys(f, { nonce: 2n }), ONE_BASE / 2n, {
        makerFilledAfter: secondAfter,
      });
      const c1 = await f.commit([one]);
      const c2 = await f.commit([two]);
      return { c1, c2, a: c1.fills[0]!, b: c2.fills[0]! };
    }

    it("TS finds the conflict the contract rolls back (later batch, earlier one finalized)", async () => {
      const f = await t.load();
      const { c1, c2, a, b } = await twoFills(f, ONE_BASE / 2n, ONE_BASE / 2n);
      const conflicts = findConflicts([b], [a]);
      assert.equal(conflicts.length, 1);
      assert.equal(conflicts[0]!.laterBatchId, c2.batchId);
      assert.equal(conflicts[0]!.orderHash, a.makerOrderHash);
      await f.passWindow();
      await f.settlement.write.finalizeBatch([c1.batchId, c1.deltas]);
      await viem.assertions.emitWithArgs(
        f.settlement.write.proveConflictingFills([a, c1.proofs[0]!, true, b, c2.proofs[0]!, true]),
        f.settlement,
        "BatchesRolledBack",
        [c2.batchId, c2.batchId, 1],
      );
    });

    it("TS finds no conflict where the contract finds none", async () => {
      const f = await t.load();
      const { c1, c2, a, b } = await twoFills(f, ONE_BASE / 2n, ONE_BASE);
      assert.deepEqual(findConflicts([a, b]), []);
      await viem.assertions.revertWithCustomError(
        f.settlement.write.proveConflictingFills([a, c1.proofs[0]!, true, b, c2.proofs[0]!, true]),
        f.settlement,
        "SettlementNoFraud",
      );
      assert.deepEqual(findConflicts([a, a]), []);
      await viem.assertions.revertWithCustomError(
        f.settlement.write.proveConflictingFills([a, c1.proofs[0]!, true, a, c1.proofs[0]!, true]),
        f.settlement,
        "SettlementNoFraud",
      );
    });
  });
});
