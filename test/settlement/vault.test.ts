import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEPOSIT_BASE,
  ONE_BASE,
  PARAMS,
  createSettlementTest,
} from "../helpers/settlement-fixture.js";

describe("Settlement vault: deposits, withdrawals, on-chain cancels", async () => {
  const t = await createSettlementTest();
  const { viem, networkHelpers } = t;

  it("credits a deposit of an allowed token and keeps the per-token total", async () => {
    const f = await t.load();
    const alice = f.wallets.alice;
    const tx = f.settlement.write.deposit([f.base.address, ONE_BASE], { account: alice.account });
    await viem.assertions.emitWithArgs(tx, f.settlement, "Deposited", [
      f.addr(alice),
      f.base.address,
      ONE_BASE,
    ]);
    assert.equal(
      await f.settlement.read.balanceOf([f.addr(alice), f.base.address]),
      DEPOSIT_BASE + ONE_BASE,
    );
    assert.equal(
      await f.settlement.read.totalBalance([f.base.address]),
      4n * DEPOSIT_BASE + ONE_BASE,
    );
    assert.equal(await f.base.read.balanceOf([f.settlement.address]), 4n * DEPOSIT_BASE + ONE_BASE);
  });

  it("refuses deposits of tokens not allowed, of zero, while paused, or that deliver less", async () => {
    const f = await t.load();
    const as = { account: f.wallets.alice.account };
    const other = await viem.deployContract("TestERC20", ["Other", "OTH", 18]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.deposit([other.address, 1n], as),
      f.settlement,
      "SettlementTokenNotAllowed",
      [other.address],
    );
    await viem.assertions.revertWithCustomError(
      f.settlement.write.deposit([f.base.address, 0n], as),
      f.settlement,
      "SettlementZeroAmount",
    );
    const taxed = await viem.deployContract("FeeOnTransferERC20", ["Taxed", "TAX", 100]);
    await f.settlement.write.setTokenAllowed([taxed.address, true], {
      account: f.wallets.timelock.account,
    });
    await taxed.write.mint([f.addr(f.wallets.alice), 1_000n]);
    await taxed.write.approve([f.settlement.address, 1_000n], as);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.deposit([taxed.address, 1_000n], as),
      f.settlement,
      "SettlementDeflationaryToken",
      [taxed.address, 1_000n, 990n],
    );
    await f.settlement.write.pause({ account: f.wallets.guardian.account });
    await viem.assertions.revertWithCustomError(
      f.settlement.write.deposit([f.base.address, 1n], as),
      f.settlement,
      "SettlementPaused",
    );
  });

  it("records a withdrawal request, replacing an earlier one", async () => {
    const f = await t.load();
    const as = { account: f.wallets.alice.account };
    await f.settlement.write.requestWithdrawal([f.base.address, ONE_BASE], as);
    const tx = f.settlement.write.requestWithdrawal([f.base.address, 2n * ONE_BASE], as);
    await viem.assertions.emit(tx, f.settlement, "WithdrawalRequested");
    const now = (await t.publicClient.getBlock()).timestamp;
    assert.deepEqual(
      await f.settlement.read.withdrawalRequest([f.addr(f.wallets.alice), f.base.address]),
      {
        amount: 2n * ONE_BASE,
        executableAt: now + PARAMS.withdrawalDelay,
      },
    );
    await viem.assertions.revertWithCustomError(
      f.settlement.write.requestWithdrawal([f.base.address, 0n], as),
      f.settlement,
      "SettlementZeroAmount",
    );
  });

  it("cancels a withdrawal request, also while paused, and only an existing one (finding 11)", async () => {
    const f = await t.load();
    const as = { account: f.wallets.alice.account };
    const alice = f.addr(f.wallets.alice);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.cancelWithdrawal([f.base.address], as),
      f.settlement,
      "SettlementNoWithdrawalRequest",
      [alice, f.base.address],
    );
    await f.settlement.write.requestWithdrawal([f.base.address, ONE_BASE], as);
    await f.settlement.write.pause({ account: f.wallets.guardian.account });
    await viem.assertions.emitWithArgs(
      f.settlement.write.cancelWithdrawal([f.base.address], as),
      f.settlement,
      "WithdrawalCancelled",
      [alice, f.base.address],
    );
    assert.deepEqual(await f.settlement.read.withdrawalRequest([alice, f.base.address]), {
      amount: 0n,
      executableAt: 0n,
    });
    await networkHelpers.time.increase(PARAMS.withdrawalDelay);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.withdraw([f.base.address], as),
      f.settlement,
      "SettlementNoWithdrawalRequest",
      [alice, f.base.address],
    );
  });

  it("withdraws only a matured request, even while paused, and at most the balance left", async () => {
    const f = await t.load();
    const alice = f.wallets.alice;
    const as = { account: alice.account };
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.withdraw([f.base.address], as),
      f.settlement,
      "SettlementNoWithdrawalRequest",
      [f.addr(alice), f.base.address],
    );
    // alice asks for everything, then a batch she signed for spends half a WETH of it.
    await f.settlement.write.requestWithdrawal([f.base.address, DEPOSIT_BASE], as);
    const { executableAt } = await f.settlement.read.withdrawalRequest([
      f.addr(alice),
      f.base.address,
    ]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.withdraw([f.base.address], as),
      f.settlement,
      "SettlementWithdrawalNotReady",
      [executableAt],
    );
    const { fill } = f.simpleTrade();
    const c = await f.commit([fill]);
    await f.passWindow();
    await f.settlement.write.finalizeBatch([c.batchId, c.deltas]);
    await networkHelpers.time.increaseTo(executableAt);
    await f.settlement.write.pause({ account: f.wallets.guardian.account });
    const left = DEPOSIT_BASE - fill.baseAmount;
    await viem.assertions.emitWithArgs(
      f.settlement.write.withdraw([f.base.address], as),
      f.settlement,
      "Withdrawn",
      [f.addr(alice), f.base.address, left],
    );
    assert.equal(await f.settlement.read.balanceOf([f.addr(alice), f.base.address]), 0n);
    assert.equal(await f.settlement.read.totalBalance([f.base.address]), 4n * DEPOSIT_BASE - left);
    assert.equal(
      (await f.settlement.read.withdrawalRequest([f.addr(alice), f.base.address])).amount,
      0n,
    );
  });

  it("cancels an order hash at the first cancel's block", async () => {
    const f = await t.load();
    const as = { account: f.wallets.bob.account };
    const hash = f.hashOrder(f.order(f.addr(f.wallets.bob)));
    await viem.assertions.emitWithArgs(
      f.settlement.write.cancelOrder([hash], as),
      f.settlement,
      "OrderCancelled",
      [f.addr(f.wallets.bob), hash],
    );
    const block = await t.publicClient.getBlockNumber();
    await f.settlement.write.cancelOrder([hash], as);
    assert.equal(await f.settlement.read.cancelledAtBlock([f.addr(f.wallets.bob), hash]), block);
    assert.equal(await f.settlement.read.cancelledAtBlock([f.addr(f.wallets.alice), hash]), 0n);
  });

  it("raises the minimum nonce, keeping its history by block", async () => {
    const f = await t.load();
    const bob = f.addr(f.wallets.bob);
    const as = { account: f.wallets.bob.account };
    await viem.assertions.emitWithArgs(
      f.settlement.write.invalidateNonces([5n], as),
      f.settlement,
      "NoncesInvalidated",
      [bob, 5n],
    );
    const first = await t.publicClient.getBlockNumber();
    await f.settlement.write.invalidateNonces([9n], as);
    assert.equal(await f.settlement.read.minNonce([bob]), 9n);
    assert.equal(await f.settlement.read.minNonceAt([bob, first - 1n]), 0n);
    assert.equal(await f.settlement.read.minNonceAt([bob, first]), 5n);
    assert.equal(await f.settlement.read.minNonceAt([bob, first + 1n]), 9n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.invalidateNonces([9n], as),
      f.settlement,
      "SettlementNonceNotIncreasing",
      [9n, 9n],
    );
  });
});
