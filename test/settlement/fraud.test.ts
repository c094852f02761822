import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BUY,
  CANCEL_GRACE,
  LOT,
  ONE_BASE,
  quoteOf,
  SELL,
  createSettlementTest,
  type Fill,
  type Order,
  type SettlementFixture,
} from "../helpers/settlement-fixture.js";

/** ISettlement.FraudKind */
const Kind = {
  PriceWorseThanLimit: 0,
  OverFilled: 1,
  FeeAboveMax: 2,
  Expired: 3,
  WrongMarket: 4,
  WrongTrader: 5,
  WrongSide: 6,
  Cancelled: 7,
  NonceInvalidated: 8,
  MarketPaused: 9,
  BadQuoteAmount: 10,
  OffTickOrLot: 11,
  MislabelledLeaf: 12,
  NotMakersPrice: 13,
  FlagsViolated: 14,
  FokPartial: 15,
} as const;
const FRAUD_PROOF = 0;
const CONFLICTING_FILLS = 1;
const FINALIZED = 2;
const ROLLED_BACK = 3;

describe("Settlement fraud proofs", async () => {
  const t = await createSettlementTest();
  const { viem, networkHelpers } = t;

  /** The taker side of the plain trade: bob buys up to 1 WETH at 2,100 USDC, 30 bps max fee. */
  const bobBuys = (f: SettlementFixture, o: Partial<Order> = {}) =>
    f.order(f.addr(f.wallets.bob), { side: BUY, price: 2_100n * 10n ** 6n, ...o });
  const aliceSells = (f: SettlementFixture, o: Partial<Order> = {}) =>
    f.order(f.addr(f.wallets.alice), { side: SELL, ...o });

  /** Neither side of the batch's first fill is provable against its order. */
  async function provesNothing(
    f: SettlementFixture,
    c: Awaited<ReturnType<SettlementFixture["commit"]>>,
    maker: Order,
    taker: Order,
  ) {
    for (const [order, isMaker] of [
      [maker, true],
      [taker, false],
    ] as const) {
      await viem.assertions.revertWithCustomError(
        f.settlement.write.proveFillFraud([c.fills[0]!, c.proofs[0]!, order, isMaker]),
        f.settlement,
        "SettlementNoFraud",
      );
    }
  }

  /** Commits `fill` as a batch (plus a later batch to show the cascade) and proves it fraudulent. */
  async function proves(
    f: SettlementFixture,
    fill: Fill,
    order: Order,
    isMaker: boolean,
    kind: number,
  ) {
    const c = await f.commit([fill]);
    const later = await f.commit([f.simpleTrade().fill]);
    const proof = c.proofs[0]!;
    const { result } = await f.settlement.simulate.proveFillFraud([
      c.fills[0]!,
      proof,
      order,
      isMaker,
    ]);
    assert.equal(result, kind);
    const tx = f.settlement.write.proveFillFraud([c.fills[0]!, proof, order, isMaker]);
    await viem.assertions.emitWithArgs(tx, f.settlement, "FraudProven", [
      c.batchId,
      f.hashOrder(order),
      kind,
    ]);
    const rolledBack = await t.publicClient.getContractEvents({
      address: f.settlement.address,
      abi: f.settlement.abi,
      eventName: "BatchesRolledBack",
    });
    assert.deepEqual(rolledBack.at(-1)!.args, {
      fromBatchId: c.batchId,
      toBatchId: later.batchId,
      reason: FRAUD_PROOF,
    });
    assert.equal((await f.settlement.read.batch([c.batchId])).status, ROLLED_BACK);
    assert.equal((await f.settlement.read.batch([later.batchId])).status, ROLLED_BACK);
  }

  it("proves WrongTrader: the fill names another trader than the order's", async () => {
    const f = await t.load();
    const taker = bobBuys(f);
    const fill = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n, { taker: f.addr(f.wallets.carol) });
    await proves(f, fill, taker, false, Kind.WrongTrader);
  });

  it("proves WrongMarket: the order is for another market", async () => {
    const f = await t.load();
    const taker = bobBuys(f, { marketId: 2 });
    await proves(
      f,
      f.fillOf(aliceSells(f), taker, ONE_BASE / 2n, { takerSide: BUY }),
      taker,
      false,
      Kind.WrongMarket,
    );
  });

  it("proves WrongSide: a maker order filled on the side it did not take", async () => {
    const f = await t.load();
    const maker = aliceSells(f, { side: BUY });
    await proves(f, f.fillOf(maker, bobBuys(f), ONE_BASE / 2n), maker, true, Kind.WrongSide);
  });

  it("proves PriceWorseThanLimit: a buyer filled above its limit", async () => {
    const f = await t.load();
    const taker = bobBuys(f, { price: 1_900n * 10n ** 6n });
    await proves(
      f,
      f.fillOf(aliceSells(f), taker, ONE_BASE / 2n),
      taker,
      false,
      Kind.PriceWorseThanLimit,
    );
  });

  it("proves PriceWorseThanLimit: a seller filled below its limit", async () => {
    const f = await t.load();
    const maker = aliceSells(f, { price: 2_000n * 10n ** 6n });
    const fill = f.fillOf(maker, bobBuys(f), ONE_BASE / 2n, {
      price: 1_990n * 10n ** 6n,
      quoteAmount: 995n * 10n ** 6n,
    });
    await proves(f, fill, maker, true, Kind.PriceWorseThanLimit);
  });

  it("proves OverFilled: cumulative fill above the order amount", async () => {
    const f = await t.load();
    const taker = bobBuys(f);
    const fill = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n, {
      takerFilledAfter: ONE_BASE + LOT,
    });
    await proves(f, fill, taker, false, Kind.OverFilled);
  });

  it("refuses at commit a cumulative fill below the fill itself (no OverFilled proof needed)", async () => {
    const f = await t.load();
    const taker = bobBuys(f);
    const fill = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n, { takerFilledAfter: ONE_BASE / 4n });
    const p = await f.prepare([fill]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([p.batchId, p.packed, p.deltas], {
        account: f.wallets.sequencer.account,
      }),
      f.settlement,
      "SettlementBadFill",
      [0n],
    );
  });

  it("proves FeeAboveMax: a fee above the signed maxFeeBps", async () => {
    const f = await t.load();
    const taker = bobBuys(f);
    const fill = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n);
    fill.takerFee = (fill.quoteAmount * 30n) / 10_000n + 1n;
    await proves(f, fill, taker, false, Kind.FeeAboveMax);
  });

  it("proves Expired: an order whose expiry is not after the commit time", async () => {
    const f = await t.load();
    const now = (await t.publicClient.getBlock()).timestamp;
    const taker = bobBuys(f, { expiry: now + 1n }); // the commit block is later than now + 1
    await proves(f, f.fillOf(aliceSells(f), taker, ONE_BASE / 2n), taker, false, Kind.Expired);
  });

  it("proves Cancelled: cancelled on-chain at least the cancel grace before the commit", async () => {
    const f = await t.load();
    const taker = bobBuys(f);
    await f.settlement.write.cancelOrder([f.hashOrder(taker)], { account: f.wallets.bob.account });
    await networkHelpers.mine(CANCEL_GRACE - 1); // the commit lands CANCEL_GRACE blocks after
    await proves(f, f.fillOf(aliceSells(f), taker, ONE_BASE / 2n), taker, false, Kind.Cancelled);
  });

  it("does not let a trader make its own fill provable by cancelling or bumping its nonce just before the commit (finding 10)", async () => {
    const f = await t.load();
    const taker = bobBuys(f, { nonce: 4n });
    const maker = aliceSells(f);
    // Both land in the block before the commit (the v1 race: the prover then picked when to roll
    // back every later batch); within the grace they bind nothing.
    await f.settlement.write.cancelOrder([f.hashOrder(taker)], { account: f.wallets.bob.account });
    await networkHelpers.mine(CANCEL_GRACE - 3);
    await f.settlement.write.invalidateNonces([9n], { account: f.wallets.alice.account });
    const c = await f.commit([f.fillOf(maker, taker, ONE_BASE / 2n)]);
    assert.equal(
      (await f.settlement.read.batch([c.batchId])).cancelCutoffBlock,
      (await t.publicClient.getBlockNumber()) - BigInt(CANCEL_GRACE),
    );
    await provesNothing(f, c, maker, taker);
  });

  it("proves NonceInvalidated: the trader raised its minimum nonce the cancel grace before the commit", async () => {
    const f = await t.load();
    const taker = bobBuys(f, { nonce: 4n });
    await f.settlement.write.invalidateNonces([5n], { account: f.wallets.bob.account });
    await networkHelpers.mine(CANCEL_GRACE - 1);
    await proves(
      f,
      f.fillOf(aliceSells(f), taker, ONE_BASE / 2n),
      taker,
      false,
      Kind.NonceInvalidated,
    );
  });

  it("proves MarketPaused: the market was paused at the commit", async () => {
    const f = await t.load();
    const taker = bobBuys(f);
    await f.settlement.write.setMarketPaused([1, true], { account: f.wallets.guardian.account });
    await proves(f, f.fillOf(aliceSells(f), taker, ONE_BASE / 2n), taker, false, Kind.MarketPaused);
  });

  it("cannot commit a BadQuoteAmount or OffTickOrLot fill: the contract rebuilds quote and grid", async () => {
    const f = await t.load();
    const taker = bobBuys(f);
    const honest = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n);
    // The record carries lots and ticks, not amounts: an off-grid amount cannot be packed ...
    await assert.rejects(f.prepare([f.fillOf(aliceSells(f), taker, LOT / 2n)]), /not a multiple/);
    // ... and a quote off base x price cannot be carried: the leaf committed holds the exact one,
    await assert.rejects(
      f.prepare([{ ...honest, quoteAmount: honest.quoteAmount + 1n }]),
      /rebuilds its quoteAmount/,
    );
    const c = await f.commit([honest]);
    // so the forged leaf has no proof, and the committed one is no fraud.
    await viem.assertions.revertWithCustomError(
      f.settlement.write.proveFillFraud([
        { ...c.fills[0]!, quoteAmount: honest.quoteAmount + 1n },
        c.proofs[0]!,
        taker,
        false,
      ]),
      f.settlement,
      "SettlementInvalidProof",
    );
    await viem.assertions.revertWithCustomError(
      f.settlement.write.proveFillFraud([c.fills[0]!, c.proofs[0]!, taker, false]),
      f.settlement,
      "SettlementNoFraud",
    );
  });

  it("proves NotMakersPrice: the taker's price improvement handed to the maker (finding 9)", async () => {
    const f = await t.load();
    const maker = aliceSells(f); // limit 2,000 USDC; bob's limit is 2,100
    const fill = f.fillOf(maker, bobBuys(f), ONE_BASE / 2n, {
      price: 2_050n * 10n ** 6n,
      quoteAmount: 1_025n * 10n ** 6n,
    });
    await proves(f, fill, maker, true, Kind.NotMakersPrice);
  });

  it("proves FlagsViolated: a post-only order that took, an IOC or FOK order that rested (finding 9)", async () => {
    const postOnlyTaker = async () => {
      const f = await t.load();
      const taker = bobBuys(f, { flags: 1 });
      await proves(
        f,
        f.fillOf(aliceSells(f), taker, ONE_BASE / 2n),
        taker,
        false,
        Kind.FlagsViolated,
      );
    };
    await postOnlyTaker();
    for (const flags of [2, 4]) {
      const f = await t.load();
      const maker = aliceSells(f, { flags });
      await proves(f, f.fillOf(maker, bobBuys(f), ONE_BASE / 2n), maker, true, Kind.FlagsViolated);
    }
    // The legitimate roles are no fraud: a post-only maker, an IOC taker in part, a FOK taker
    // whole (its leaf claiming FOK, as the sequencer's does).
    const f = await t.load();
    const maker = aliceSells(f, { flags: 1, amount: 2n * ONE_BASE });
    for (const [flags, base] of [
      [2, ONE_BASE / 2n],
      [4, ONE_BASE],
    ] as const) {
      const taker = bobBuys(f, { flags, nonce: BigInt(10 + flags) });
      const c = await f.commit([
        f.fillOf(maker, taker, base, {
          makerFilledAfter: flags === 2 ? base : ONE_BASE / 2n + base,
        }),
      ]);
      await provesNothing(f, c, maker, taker);
    }
  });

  it("proves a leaf's FOK claim against its order, and a FOK order filled in part (finding 9)", async () => {
    // A FOK order whose leaf does not say so (or a leaf claiming FOK for another order): the
    // commit-time run checks would not apply, so the claim itself is provable.
    let f = await t.load();
    const fok = bobBuys(f, { flags: 4 });
    await proves(
      f,
      f.fillOf(aliceSells(f), fok, ONE_BASE, { takerFok: false }),
      fok,
      false,
      Kind.FlagsViolated,
    );
    f = await t.load();
    const plain = bobBuys(f);
    await proves(
      f,
      f.fillOf(aliceSells(f), plain, ONE_BASE, { takerFok: true }),
      plain,
      false,
      Kind.FlagsViolated,
    );
    // Half of a FOK order, its run ending in the batch below the amount.
    f = await t.load();
    const half = bobBuys(f, { flags: 4 });
    await proves(f, f.fillOf(aliceSells(f), half, ONE_BASE / 2n), half, false, Kind.FokPartial);
    // Two fills of one FOK order in one batch: the run is whole, neither leaf is provable.
    f = await t.load();
    const whole = bobBuys(f, { flags: 4 });
    const [a, b] = [aliceSells(f), aliceSells(f, { nonce: 2n })];
    const c = await f.commit([
      f.fillOf(a, whole, ONE_BASE / 2n),
      f.fillOf(b, whole, ONE_BASE / 2n, { takerFilledAfter: ONE_BASE }),
    ]);
    assert.deepEqual(
      c.fills.map((x) => [x.takerFok, x.fokRunEnd]),
      [
        [true, false],
        [true, true],
      ],
    );
    for (const i of [0, 1])
      await viem.assertions.revertWithCustomError(
        f.settlement.write.proveFillFraud([c.fills[i]!, c.proofs[i]!, whole, false]),
        f.settlement,
        "SettlementNoFraud",
      );
  });

  it("refuses at commit a FOK run that does not start at 0, has a gap, or disagrees on the flag", async () => {
    const f = await t.load();
    const fok = bobBuys(f, { flags: 4, amount: 2n * ONE_BASE });
    const [a, b] = [aliceSells(f), aliceSells(f, { nonce: 2n })];
    const seq = { account: f.wallets.sequencer.account };
    const refuse = async (fills: Fill[], index: bigint) => {
      const batchId = await f.settlement.read.nextBatchId();
      const p = await f.prepare(fills, undefined, batchId);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.commitBatch([batchId, p.packed, p.deltas], seq),
        f.settlement,
        "SettlementBadFill",
        [index],
      );
    };
    // The run's first fill claims the order's second half: the first half is elsewhere (or never).
    await refuse([f.fillOf(a, fok, ONE_BASE, { takerFilledAfter: 2n * ONE_BASE })], 0n);
    // A gap: 0.5, then 0.5 more claimed as reaching 1.5.
    await refuse(
      [
        f.fillOf(a, fok, ONE_BASE / 2n),
        f.fillOf(b, fok, ONE_BASE / 2n, { takerFilledAfter: (3n * ONE_BASE) / 2n }),
      ],
      1n,
    );
    // Adjacent fills of one taker order, one claiming FOK and one not.
    await refuse(
      [
        f.fillOf(a, fok, ONE_BASE / 2n),
        f.fillOf(b, fok, ONE_BASE / 2n, { takerFilledAfter: ONE_BASE, takerFok: false }),
      ],
      1n,
    );
  });

  it("reports the first fraud in the fixed order when a fill has several", async () => {
    const f = await t.load();
    const taker = bobBuys(f, { price: 1_900n * 10n ** 6n });
    const fill = f.fillOf(aliceSells(f), taker, ONE_BASE / 2n, { takerFilledAfter: 2n * ONE_BASE });
    await proves(f, fill, taker, false, Kind.PriceWorseThanLimit);
  });

  it("finds no fraud in a valid fill, nor in a cancel, nonce bump or pause after the commit", async () => {
    const f = await t.load();
    const { fill, makerOrder, takerOrder } = f.simpleTrade();
    // Paused and unpaused again before the commit: active at the commit.
    await f.settlement.write.setMarketPaused([1, true], { account: f.wallets.guardian.account });
    await f.settlement.write.setMarketPaused([1, false], { account: f.wallets.timelock.account });
    const c = await f.commit([fill]);
    await f.settlement.write.cancelOrder([f.hashOrder(takerOrder)], {
      account: f.wallets.bob.account,
    });
    await f.settlement.write.invalidateNonces([9n], { account: f.wallets.alice.account });
    await f.settlement.write.setMarketPaused([1, true], { account: f.wallets.guardian.account });
    await provesNothing(f, c, makerOrder, takerOrder);
  });

  it("labels every leaf itself: a leaf claiming another batch id or index has no proof (finding 4)", async () => {
    const f = await t.load();
    const { fill, makerOrder, takerOrder } = f.simpleTrade();
    // A malicious sequencer packs a fill labelled for batch 7, index 1: the record has no label,
    // the contract hashes the leaf with the committed id and the record's position.
    const c = await f.commit([{ ...fill, batchId: 7n, index: 1 }]);
    assert.equal(c.fills[0]!.batchId, c.batchId);
    assert.equal(c.fills[0]!.index, 0);
    for (const label of [{ batchId: 7n }, { index: 1 }] as const) {
      const leaf = { ...c.fills[0]!, ...label };
      await viem.assertions.revertWithCustomError(
        f.settlement.write.proveMislabelledFill([c.batchId, leaf, c.proofs[0]!], {
          account: f.wallets.dave.account,
        }),
        f.settlement,
        "SettlementInvalidProof",
      );
    }
    // The leaf as committed is labelled right: no fraud, and order-based proofs reach it.
    await viem.assertions.revertWithCustomError(
      f.settlement.write.proveMislabelledFill([c.batchId, c.fills[0]!, c.proofs[0]!]),
      f.settlement,
      "SettlementNoFraud",
    );
    await provesNothing(f, c, makerOrder, takerOrder);
  });

  it("refuses a fill not in the batch, an order that does not hash to the fill's, or a batch not pending", async () => {
    const f = await t.load();
    const { fill, makerOrder, takerOrder } = f.simpleTrade();
    const c = await f.commit([
      fill,
      { ...fill, baseAmount: LOT, quoteAmount: quoteOf(LOT, fill.price) },
    ]);
    await viem.assertions.revertWithCustomError(
      f.settlement.write.proveFillFraud([c.fills[0]!, c.proofs[1]!, takerOrder, false]),
      f.settlement,
      "SettlementInvalidProof",
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.proveFillFraud([c.fills[0]!, c.proofs[0]!, makerOrder, false]),
      f.settlement,
      "SettlementOrderMismatch",
      [f.hashOrder(takerOrder)],
    );
    await f.passWindow();
    await f.settlement.write.finalizeBatch([c.batchId, c.deltas]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.proveFillFraud([c.fills[0]!, c.proofs[0]!, takerOrder, false]),
      f.settlement,
      "SettlementBatchNotPending",
      [c.batchId],
    );
  });

  describe("conflicting fills", () => {
    /** Two fills of alice's 1 WETH sell order, each of 0.5 WETH, with the given cumulative amounts. */
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

    it("rolls back the later batch when two fills claim the same part of an order", async () => {
      const f = await t.load();
      const { c1, c2, a, b } = await twoFills(f, ONE_BASE / 2n, ONE_BASE / 2n);
      await f.passWindow();
      await f.settlement.write.finalizeBatch([c1.batchId, c1.deltas]);
      await viem.assertions.emitWithArgs(
        f.settlement.write.proveConflictingFills([a, c1.proofs[0]!, true, b, c2.proofs[0]!, true]),
        f.settlement,
        "BatchesRolledBack",
        [c2.batchId, c2.batchId, CONFLICTING_FILLS],
      );
      assert.equal((await f.settlement.read.batch([c1.batchId])).status, FINALIZED);
      assert.equal((await f.settlement.read.batch([c2.batchId])).status, ROLLED_BACK);
    });

    it("finds no conflict between disjoint parts, or a fill and itself", async () => {
      const f = await t.load();
      const { c1, c2, a, b } = await twoFills(f, ONE_BASE / 2n, ONE_BASE);
      await viem.assertions.revertWithCustomError(
        f.settlement.write.proveConflictingFills([a, c1.proofs[0]!, true, b, c2.proofs[0]!, true]),
        f.settlement,
        "SettlementNoFraud",
      );
      await viem.assertions.revertWithCustomError(
        f.settlement.write.proveConflictingFills([a, c1.proofs[0]!, true, a, c1.proofs[0]!, true]),
        f.settlement,
        "SettlementNoFraud",
      );
    });

    it("refuses fills of different orders, and conflicts between finalized batches", async () => {
      const f = await t.load();
      const { c1, c2, a, b } = await twoFills(f, ONE_BASE / 2n, ONE_BASE / 2n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.proveConflictingFills([a, c1.proofs[0]!, true, b, c2.proofs[0]!, false]),
        f.settlement,
        "SettlementOrderMismatch",
        [a.makerOrderHash],
      );
      await viem.assertions.revertWithCustomError(
        f.settlement.write.proveConflictingFills([
          { ...a, baseAmount: LOT },
          c1.proofs[0]!,
          true,
          b,
          c2.proofs[0]!,
          true,
        ]),
        f.settlement,
        "SettlementInvalidProof",
      );
      await f.passWindow();
      await f.settlement.write.finalizeBatch([c1.batchId, c1.deltas]);
      await f.settlement.write.finalizeBatch([c2.batchId, c2.deltas]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.proveConflictingFills([a, c1.proofs[0]!, true, b, c2.proofs[0]!, true]),
        f.settlement,
        "SettlementBatchNotPending",
        [c2.batchId],
      );
    });
  });
});
