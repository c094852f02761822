/**
 * The caps that keep every batch settleable (review finding 3): `commitBatch` refuses more than
 * 1,024 fills or 512 deltas, and the worst batch the caps admit (512 deltas, every credit a new
 * storage slot, a negative balance at the last delta, so finalize applies 511 credits and undoes
 * them all) still finalizes (rolls back) within the 15M gas budget, measured by the gas limit
 * `estimateGas` asks for, not the gas used.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, pad, toHex, zeroHash, type Address } from "viem";
import { createSettlementTest } from "../helpers/settlement-fixture.js";

const BUDGET = 15_000_000n;
const NEGATIVE_BALANCE = 4; // ISettlement.RollbackReason

describe("Settlement batch limits", async () => {
  const t = await createSettlementTest();
  const { viem } = t;

  /** 511 credits of 1 to fresh accounts, then one debit of 511 from an empty account (sorts last). */
  function worstDeltas(token: Address) {
    const credits = Array.from({ length: 511 }, (_, i) => ({
      account: getAddress(pad(toHex(0x1000 + i), { size: 20 })),
      token,
      delta: 1n,
    }));
    const debit = { account: getAddress(`0x${"ff".repeat(20)}`), token, delta: -511n };
    return [...credits, debit];
  }

  it("refuses a batch over 1,024 fills or 512 deltas", async () => {
    const f = await t.load();
    const as = { account: f.wallets.sequencer.account };
    const deltas = worstDeltas(f.base.address);
    const tooMany = [
      { account: getAddress(pad("0x01", { size: 20 })), token: f.base.address, delta: 1n },
      ...deltas.slice(0, -1),
      { ...deltas.at(-1)!, delta: -512n },
    ];
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, zeroHash, tooMany, 1], as),
      f.settlement,
      "SettlementBatchTooLarge",
      [1, 513n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, zeroHash, deltas, 1025], as),
      f.settlement,
      "SettlementBatchTooLarge",
      [1025, 512n],
    );
    await f.settlement.write.commitBatch([1n, zeroHash, deltas, 1024], as);
  });

  it("finalizes (rolls back) the worst batch the caps admit within 15M gas", async () => {
    const f = await t.load();
    const deltas = worstDeltas(f.base.address);
    const commit = {
      address: f.settlement.address,
      abi: f.settlement.abi,
      functionName: "commitBatch",
      args: [1n, zeroHash, deltas, 1024],
      account: f.wallets.sequencer.account,
    } as const;
    const commitGas = await t.publicClient.estimateContractGas(commit);
    await f.settlement.write.commitBatch([1n, zeroHash, deltas, 1024], {
      account: f.wallets.sequencer.account,
    });
    await f.passWindow();
    const finalizeGas = await t.publicClient.estimateContractGas({
      address: f.settlement.address,
      abi: f.settlement.abi,
      functionName: "finalizeBatch",
      args: [1n, deltas],
      account: f.wallets.dave.account,
    });
    console.log(`      worst case: commit ${commitGas} gas, finalize ${finalizeGas} gas`);
    assert.ok(commitGas < BUDGET, `commit asks ${commitGas}`);
    assert.ok(finalizeGas < BUDGET, `finalize asks ${finalizeGas}`);
    await viem.assertions.emitWithArgs(
      f.settlement.write.finalizeBatch([1n, deltas], {
        account: f.wallets.dave.account,
        gas: BUDGET,
      }),
      f.settlement,
      "BatchesRolledBack",
      [1n, 1n, NEGATIVE_BALANCE],
    );
    assert.equal(await f.settlement.read.balanceOf([deltas[0]!.account, f.base.address]), 0n);
  });
});
