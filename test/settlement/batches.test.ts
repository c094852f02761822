import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeAbiParameters, getAddress, isAddressEqual, keccak256, pad, toHex } from "viem";
import { gridFill, patchRecord, RECORD, splitByCaps } from "../helpers/commit-batch.js";
import {
  DEPOSIT_BASE,
  DEPOSIT_QUOTE,
  MARKET_ID,
  ONE_BASE,
  PARAMS,
  SELL,
  createSettlementTest,
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
    // Real packed fills throughout: only the refusal under test stands in the way.
    const p = await f.prepare([f.simpleTrade().fill]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, p.packed, p.deltas], {
        account: f.wallets.alice.account,
      }),
      f.settlement,
      "SettlementUnauthorized",
      [f.addr(f.wallets.alice)],
    );
    const p2 = await f.prepare([f.simpleTrade().fill], undefined, 2n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([2n, p2.packed, p2.deltas], seq),
      f.settlement,
      "SettlementBatchOutOfOrder",
      [1n, 2n],
    );
    // No fills: nothing to justify any delta, so nothing to commit (with or without deltas).
    for (const deltas of [[], p.deltas]) {
      await viem.assertions.revertWithCustomError(
        f.settlement.write.commitBatch([1n, "0x", deltas], seq),
        f.settlement,
        "SettlementEmptyBatch",
      );
    }
    await f.settlement.write.pause({ account: f.wallets.guardian.account });
    await viem.assertions.revertWithCustomError(
      f.settlement.write.commitBatch([1n, p.packed, p.deltas], seq),
      f.settlement,
      "SettlementPaused",
    );
  });

  it("refuses unsorted or unbalanced deltas, and balanced deltas the fills do not net to", async () => {
    const f = await t.load();
    const seq = { account: f.wallets.sequencer.account };
    const p = await f.prepare([f.simpleTrade().fill]);
    const ds = p.deltas; // base and quote of alice and bob, the fee recipient's quote: sorted
    assert.equal(ds.length, 5);
    const swapped = [ds[1]!, ds[0]!, ...ds.slice(2)];
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, p.packed, swapped], seq),
      f.settlement,
      "SettlementDeltasNotSorted",
      [1n],
    );
    const repeated = [ds[0]!, ds[0]!, ...ds.slice(1)];
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, p.packed, repeated], seq),
      f.settlement,
      "SettlementDeltasNotSorted",
      [1n],
    );
    // One atom more to someone: unbalanced, refused before the fills are even read.
    const last = ds.length - 1;
    const unbalanced = ds.map((d, i) => (i === last ? { ...d, delta: d.delta + 1n } : d));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, p.packed, unbalanced], seq),
      f.settlement,
      "SettlementDeltasNotBalanced",
      [f.quote.address],
    );
    // Balanced, but one atom of quote moved between two pairs: the fills do not net to it.
    const quoteIdx = ds.flatMap((d, i) => (isAddressEqual(d.token, f.quote.address) ? [i] : []));
    const [from, to] = [quoteIdx[0]!, quoteIdx[1]!];
    const moved = ds.map((d, i) =>
      i === from ? { ...d, delta: d.delta - 1n } : i === to ? { ...d, delta: d.delta + 1n } : d,
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, p.packed, moved], seq),
      f.settlement,
      "SettlementDeltaNotNetted",
      [BigInt(from)],
    );
  });

  it("takes a zero delta for a pair the fills net out, and requires it", async () => {
    const f = await t.load();
    const seq = { account: f.wallets.sequencer.account };
    // Fees zero: the fee recipient's quote pair is touched but nets to zero.
    const { fill } = f.simpleTrade({ makerFee: 0n, takerFee: 0n });
    const p = await f.prepare([fill]);
    const fee = f.addr(f.wallets.feeRecipient);
    const zero = p.deltas.findIndex((d) => isAddressEqual(d.account, fee));
    assert.ok(zero >= 0);
    assert.equal(p.deltas[zero]!.delta, 0n);
    // Without it, the record's fee index points at another account's quote delta.
    const without = p.deltas.filter((_, i) => i !== zero);
    const other = without.findIndex((d) => isAddressEqual(d.token, f.quote.address));
    const repointed = patchRecord(p.packed, 0, RECORD.feeQuote, 2, BigInt(other));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, repointed, without], seq),
      f.settlement,
      "SettlementFillDeltaMismatch",
      [0n],
    );
    // ... or at no delta at all.
    const outOfRange = patchRecord(p.packed, 0, RECORD.feeQuote, 2, BigInt(without.length));
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, outOfRange, without], seq),
      f.settlement,
      "SettlementFillDeltaMismatch",
      [0n],
    );
    const c = await f.commit([fill]);
    assert.deepEqual(c.deltas, p.deltas);
    await f.passWindow();
    await f.settlement.write.finalizeBatch([c.batchId, c.deltas]);
    // Finalize skips the zero delta: the fee recipient's balance was never written.
    assert.equal(await f.settlement.read.balanceOf([fee, f.quote.address]), 0n);
    assert.equal((await f.settlement.read.batch([c.batchId])).status, FINALIZED);
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
    // A taker fee above bob's signed 30 bps: committable, and provably fraudulent.
    const bad = f.simpleTrade();
    bad.fill.takerFee = (bad.fill.quoteAmount * 30n) / 10_000n + 1n;
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

  it("settles 1,000 real fills netted over 100 traders within 13,000 gas per fill (regression bound)", async () => {
    const f = await t.load();
    const traders = Array.from({ length: 100 }, (_, i) =>
      getAddress(pad(toHex(0xc1ea0000n + BigInt(i)), { size: 20 })),
    );
    // Every trader deposits both tokens first (a first-time credit costs a fresh slot: not what a
    // steady-state batch pays, so not measured).
    for (const trader of traders) {
      await networkHelpers.impersonateAccount(trader);
      await networkHelpers.setBalance(trader, 10n ** 20n);
      await f.base.write.mint([trader, DEPOSIT_BASE]);
      await f.quote.write.mint([trader, DEPOSIT_QUOTE]);
      await f.base.write.approve([f.settlement.address, DEPOSIT_BASE], { account: trader });
      await f.quote.write.approve([f.settlement.address, DEPOSIT_QUOTE], { account: trader });
      await f.settlement.write.deposit([f.base.address, DEPOSIT_BASE], { account: trader });
      await f.settlement.write.deposit([f.quote.address, DEPOSIT_QUOTE], { account: trader });
    }
    // The fee recipient's first credit, not measured either.
    const first = await f.commit([f.simpleTrade().fill]);
    await f.passWindow();
    await f.settlement.write.finalizeBatch([first.batchId, first.deltas]);

    // 1,000 fills between the 100 traders (each maker once per ten fills), prices on the tick,
    // amounts on the lot, 10 bps fees: one base and one quote delta per trader, plus the fee's.
    const market = { ...f.markets.get(MARKET_ID)!, marketId: MARKET_ID };
    const fills = Array.from({ length: 1_000 }, (_, i) =>
      gridFill(
        market,
        traders[i % 100]!,
        traders[(i + 1 + ((i * 7) % 99)) % 100]!, // never the maker
        i % 2,
        BigInt(1 + ((i * 37) % 500)),
        BigInt(199_000 + ((i * 131) % 2_000)),
        `gas ${i}`,
      ),
    ).map((fill) => ({
      ...fill,
      makerFee: fill.quoteAmount / 1_000n,
      takerFee: fill.quoteAmount / 1_000n,
    }));
    // 1,000 fills are more than one commit's 120,000 bytes carry: two batches, cut at the caps.
    const chunks = splitByCaps(fills, f.markets, f.addr(f.wallets.feeRecipient));
    assert.equal(chunks.length, 2);
    let [commitGas, finalizeGas, deltas] = [0n, 0n, 0];
    for (const chunk of chunks) {
      const b = await f.commit(chunk);
      assert.equal(b.deltas.length, 201);
      deltas += b.deltas.length;
      commitGas += (await t.publicClient.getTransactionReceipt({ hash: b.hash })).gasUsed;
      await f.passWindow();
      const hash = await f.settlement.write.finalizeBatch([b.batchId, b.deltas]);
      finalizeGas += (await t.publicClient.getTransactionReceipt({ hash })).gasUsed;
      assert.equal((await f.settlement.read.batch([b.batchId])).status, FINALIZED);
    }
    console.log(
      `      commitBatch ${commitGas} gas + finalizeBatch ${finalizeGas} gas for ${deltas} deltas` +
        ` in ${chunks.length} batches (1,000 fills, 100 traders) = ` +
        `${(commitGas + finalizeGas) / 1_000n} gas/fill`,
    );
    // A regression bound on what the v2 commit costs today (about 12,500 gas per fill, most of it
    // CommitLib rebuilding every leaf, ~7,000 of execution and ~1,500 of calldata per fill); the
    // 5,000 gas per fill target is reported, met or not, by `npm run bench:gas`.
    assert.ok(commitGas + finalizeGas <= 13_000n * 1_000n);
  });
});
