import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeAbiParameters, keccak256, pad, toHex, zeroHash } from "viem";
import {
  DEPOSIT_BASE,
  DEPOSIT_QUOTE,
  ONE_BASE,
  PARAMS,
  SELL,
  createSettlementTest,
  sortDeltas,
  type Delta,
} from "../helpers/settlement-fixture.js";

const PENDING = 1;
const FINALIZED = 2;
const ROLLED_BACK = 3;
const NEGATIVE_BALANCE = 4;

describe("Settlement batches: commit, window, finalize", async () => {
  const t = await createSettlementTest();
  const { viem, networkHelpers } = t;

  it("commits a batch: stores its hash, times and window, and emits BatchCommitted", async () => {
    const f = await t.load();
    const { fill } = f.simpleTrade();
    const c = await f.commit([fill]);
    const block = await t.publicClient.getBlock();
    const b = await f.settlement.read.batch([c.batchId]);
    assert.equal(c.batchId, 1n);
    assert.equal(b.fillsRoot, c.root);
    // The committed hash is keccak256(abi.encode(deltas)), as DESIGN.md and the sequencer have it.
    const deltaTuple = [
      {
        type: "tuple[]",
        components: [
          { name: "account", type: "address" },
          { name: "token", type: "address" },
          { name: "delta", type: "int256" },
        ],
      },
    ] as const;
    assert.equal(b.deltasHash, keccak256(encodeAbiParameters(deltaTuple, [c.deltas])));
    assert.equal(b.committedAt, block.timestamp);
    assert.equal(b.commitBlock, block.number);
    assert.equal(b.finalizableAt, block.timestamp + PARAMS.challengeWindow);
    assert.equal(b.fillCount, 1);
    assert.equal(b.status, PENDING);
    assert.equal(await f.settlement.read.nextBatchId(), 2n);
    assert.equal(await f.settlement.read.nextFinalizeId(), 1n);
    await viem.assertions.emit(c.hash, f.settlement, "BatchCommitted");
  });

  it("finalizes after the window: applies the deltas, keeps totals, emits BatchFinalized", async () => {
    const f = await t.load();
    const { fill } = f.simpleTrade();
    const c = await f.commit([fill]);
    await f.passWindow();
    await viem.assertions.emitWithArgs(
      f.settlement.write.finalizeBatch([c.batchId, c.deltas]),
      f.settlement,
      "BatchFinalized",
      [c.batchId],
    );
    const [alice, bob, fee] = [f.wallets.alice, f.wallets.bob, f.wallets.feeRecipient].map(f.addr);
    const q = fill.quoteAmount;
    assert.equal(
      await f.settlement.read.balanceOf([alice!, f.base.address]),
      DEPOSIT_BASE - fill.baseAmount,
    );
    assert.equal(
      await f.settlement.read.balanceOf([bob!, f.base.address]),
      DEPOSIT_BASE + fill.baseAmount,
    );
    assert.equal(
      await f.settlement.read.balanceOf([alice!, f.quote.address]),
      DEPOSIT_QUOTE + q - fill.makerFee,
    );
    assert.equal(
      await f.settlement.read.balanceOf([bob!, f.quote.address]),
      DEPOSIT_QUOTE - q - fill.takerFee,
    );
    assert.equal(
      await f.settlement.read.balanceOf([fee!, f.quote.address]),
      fill.makerFee + fill.takerFee,
    );
    assert.equal(await f.settlement.read.totalBalance([f.quote.address]), 4n * DEPOSIT_QUOTE);
    assert.equal((await f.settlement.read.batch([c.batchId])).status, FINALIZED);
    assert.equal(await f.settlement.read.nextFinalizeId(), 2n);
  });

  it("refuses commits from anyone but the sequencer, while paused, out of order or empty", async () => {
    const f = await t.load();
    const seq = { account: f.wallets.sequencer.account };
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, zeroHash, [], 1], { account: f.wallets.alice.account }),
      f.settlement,
      "SettlementUnauthorized",
      [f.addr(f.wallets.alice)],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([2n, zeroHash, [], 1], seq),
      f.settlement,
      "SettlementBatchOutOfOrder",
      [1n, 2n],
    );
    await viem.assertions.revertWithCustomError(
      f.settlement.write.commitBatch([1n, zeroHash, [], 0], seq),
      f.settlement,
      "SettlementEmptyBatch",
    );
    await f.settlement.write.pause({ account: f.wallets.guardian.account });
    await viem.assertions.revertWithCustomError(
      f.settlement.write.commitBatch([1n, zeroHash, [], 1], seq),
      f.settlement,
      "SettlementPaused",
    );
  });

  it("refuses unsorted, zero or unbalanced deltas", async () => {
    const f = await t.load();
    const seq = { account: f.wallets.sequencer.account };
    const sorted = sortDeltas([
      { account: f.addr(f.wallets.alice), token: f.quote.address, delta: 1n },
      { account: f.addr(f.wallets.bob), token: f.quote.address, delta: -1n },
    ]);
    const a = sorted[0]!;
    const b = sorted[1]!;
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, zeroHash, [b, a], 1], seq),
      f.settlement,
      "SettlementDeltasNotSorted",
      [1n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, zeroHash, [a, a], 1], seq),
      f.settlement,
      "SettlementDeltasNotSorted",
      [1n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, zeroHash, [a, { ...b, delta: 0n }], 1], seq),
      f.settlement,
      "SettlementDeltaZero",
      [1n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, zeroHash, [a, { ...b, delta: -2n }], 1], seq),
      f.settlement,
      "SettlementDeltasNotBalanced",
      [f.quote.address],
    );
  });

  it("finalizes strictly in order, only after the window, only with the committed deltas, not while paused", async () => {
    const f = await t.load();
    const { fill } = f.simpleTrade();
    const c1 = await f.commit([fill]);
    const c2 = await f.commit([fill]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.finalizeBatch([c2.batchId, c2.deltas]),
      f.settlement,
      "SettlementBatchOutOfOrder",
      [1n, 2n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.finalizeBatch([c1.batchId, c1.deltas]),
      f.settlement,
      "SettlementBatchNotFinalizable",
      [1n],
    );
    await f.passWindow();
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.finalizeBatch([c1.batchId, c1.deltas.slice(1)]),
      f.settlement,
      "SettlementDeltasMismatch",
      [1n],
    );
    await f.settlement.write.pause({ account: f.wallets.guardian.account });
    await viem.assertions.revertWithCustomError(
      f.settlement.write.finalizeBatch([c1.batchId, c1.deltas]),
      f.settlement,
      "SettlementPaused",
    );
    await f.settlement.write.unpause({ account: f.wallets.timelock.account });
    await f.settlement.write.finalizeBatch([c1.batchId, c1.deltas]);
    await f.settlement.write.finalizeBatch([c2.batchId, c2.deltas]);
    // Nothing pending: the next id to finalize has not been committed.
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.finalizeBatch([3n, []]),
      f.settlement,
      "SettlementBatchNotPending",
      [3n],
    );
  });

  it("rolls back a batch whose delta would make a balance negative, and every later pending batch", async () => {
    const f = await t.load();
    // carol sells more WETH than she holds.
    const makerOrder = f.order(f.addr(f.wallets.carol), { side: SELL, amount: 1_000n * ONE_BASE });
    const takerOrder = f.order(f.addr(f.wallets.dave), {
      amount: 1_000n * ONE_BASE,
      price: 2_100n * 10n ** 6n,
    });
    const tooBig = f.fillOf(makerOrder, takerOrder, DEPOSIT_BASE + ONE_BASE, {
      makerFee: 0n,
      takerFee: 0n,
    });
    const c1 = await f.commit([tooBig]);
    const c2 = await f.commit([f.simpleTrade().fill]);
    await f.passWindow();
    const before = await f.settlement.read.balanceOf([f.addr(f.wallets.dave), f.base.address]);
    const { result } = await f.settlement.simulate.finalizeBatch([c1.batchId, c1.deltas]);
    assert.equal(result, false);
    await viem.assertions.emitWithArgs(
      f.settlement.write.finalizeBatch([c1.batchId, c1.deltas]),
      f.settlement,
      "BatchesRolledBack",
      [1n, 2n, NEGATIVE_BALANCE],
    );
    // Nothing applied, not even the credit sorted before the failing debit.
    assert.equal(
      await f.settlement.read.balanceOf([f.addr(f.wallets.dave), f.base.address]),
      before,
    );
    assert.equal((await f.settlement.read.batch([c1.batchId])).status, ROLLED_BACK);
    assert.equal((await f.settlement.read.batch([c2.batchId])).status, ROLLED_BACK);
    assert.equal(await f.settlement.read.nextFinalizeId(), 3n);
    // Ids are not reused: the sequencer re-batches as batch 3.
    const c3 = await f.commit([f.simpleTrade().fill]);
    assert.equal(c3.batchId, 3n);
    await f.passWindow();
    await f.settlement.write.finalizeBatch([c3.batchId, c3.deltas]);
    assert.equal((await f.settlement.read.batch([3n])).status, FINALIZED);
  });

  it("keeps earlier pending batches finalizable when a later one rolls back", async () => {
    const f = await t.load();
    const c1 = await f.commit([f.simpleTrade().fill]);
    const bad = f.simpleTrade();
    bad.fill.quoteAmount += 1n;
    const c2 = await f.commit([bad.fill]);
    const c3 = await f.commit([f.simpleTrade().fill]);
    await f.settlement.write.proveFillFraud([c2.fills[0]!, c2.proofs[0]!, bad.takerOrder, false]);
    assert.equal((await f.settlement.read.batch([c1.batchId])).status, PENDING);
    assert.equal((await f.settlement.read.batch([c3.batchId])).status, ROLLED_BACK);
    assert.equal(await f.settlement.read.nextFinalizeId(), c1.batchId);
    await f.passWindow();
    await f.settlement.write.finalizeBatch([c1.batchId, c1.deltas]);
    // Finalization skips the rolled-back range and resumes at the next batch to be committed.
    assert.equal(await f.settlement.read.nextFinalizeId(), 4n);
    const c4 = await f.commit([f.simpleTrade().fill]);
    await f.passWindow();
    await f.settlement.write.finalizeBatch([c4.batchId, c4.deltas]);
    assert.equal((await f.settlement.read.batch([c4.batchId])).status, FINALIZED);
  });

  it("lets a trader escape with the sequencer gone: request, wait, withdraw", async () => {
    const f = await t.load();
    const alice = f.wallets.alice;
    await f.settlement.write.requestWithdrawal([f.base.address, DEPOSIT_BASE], {
      account: alice.account,
    });
    await networkHelpers.time.increase(PARAMS.withdrawalDelay);
    const before = await f.base.read.balanceOf([f.addr(alice)]);
    await f.settlement.write.withdraw([f.base.address], { account: alice.account });
    assert.equal(await f.base.read.balanceOf([f.addr(alice)]), before + DEPOSIT_BASE);
    assert.equal(await f.settlement.read.balanceOf([f.addr(alice), f.base.address]), 0n);
    assert.equal(await f.settlement.read.totalBalance([f.base.address]), 3n * DEPOSIT_BASE);
  });

  it("stays under 2,000 gas per fill committing and finalizing 1,000 fills netted over 100 traders", async () => {
    const f = await t.load();
    const funded = [f.wallets.alice, f.wallets.bob, f.wallets.carol, f.wallets.dave].map(f.addr);
    const traders = Array.from({ length: 100 }, (_, i) =>
      pad(toHex(0xc1ea0000n + BigInt(i)), { size: 20 }),
    );
    const perTraderBase = ONE_BASE;
    const perTraderQuote = 2_000n * 10n ** 6n;
    const commitDeltas = async (deltas: Delta[], fillCount: number) => {
      const batchId = await f.settlement.read.nextBatchId();
      const sorted = sortDeltas(deltas);
      const hash = await f.settlement.write.commitBatch([batchId, zeroHash, sorted, fillCount], {
        account: f.wallets.sequencer.account,
      });
      return { batchId, deltas: sorted, hash };
    };
    // Batch A gives every trader a balance in both tokens (first-time credits cost a fresh slot:
    // not what a steady-state batch pays, so not measured).
    const fund: Delta[] = [];
    for (const a of funded) {
      fund.push({ account: a, token: f.base.address, delta: -25n * perTraderBase });
      fund.push({ account: a, token: f.quote.address, delta: -25n * perTraderQuote });
    }
    for (const a of traders) {
      fund.push({ account: a, token: f.base.address, delta: perTraderBase });
      fund.push({ account: a, token: f.quote.address, delta: perTraderQuote });
    }
    const a = await commitDeltas(fund, traders.length);
    await f.passWindow();
    await f.settlement.write.finalizeBatch([a.batchId, a.deltas]);
    // Batch B: 1,000 fills between 100 traders net to one base and one quote delta per trader,
    // plus the fee recipient's.
    const trade: Delta[] = [];
    const base = ONE_BASE / 100n;
    const quote = 20n * 10n ** 6n;
    const fee = quote / 1_000n;
    traders.forEach((account, i) => {
      const buys = i % 2 === 0;
      trade.push({ account, token: f.base.address, delta: buys ? base : -base });
      trade.push({ account, token: f.quote.address, delta: (buys ? -quote : quote) - fee });
    });
    trade.push({
      account: f.addr(f.wallets.feeRecipient),
      token: f.quote.address,
      delta: 100n * fee,
    });
    const b = await commitDeltas(trade, 1_000);
    const commitGas = (await t.publicClient.getTransactionReceipt({ hash: b.hash })).gasUsed;
    await f.passWindow();
    const hash = await f.settlement.write.finalizeBatch([b.batchId, b.deltas]);
    const finalizeGas = (await t.publicClient.getTransactionReceipt({ hash })).gasUsed;
    assert.equal((await f.settlement.read.batch([b.batchId])).status, FINALIZED);
    console.log(
      `      commitBatch ${commitGas} gas + finalizeBatch ${finalizeGas} gas for ${b.deltas.length} deltas` +
        ` (1,000 fills, 100 traders) = ${(commitGas + finalizeGas) / 1_000n} gas/fill`,
    );
    assert.ok(commitGas + finalizeGas < 2_000n * 1_000n);
  });
});
