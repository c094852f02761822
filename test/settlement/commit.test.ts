/**
 * The v2 commit against a malicious sequencer and for watchers (contracts/libraries/CommitLib.sol):
 * deltas no fill justifies cannot be committed, nor a batch without fills, nor a commit sent
 * through a contract; anyone rebuilds a committed batch's fills, and its root, from the commit
 * transaction's input alone; the calldata cap holds to the byte.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeFunctionData, isAddressEqual, type Hex } from "viem";
import { decodeCommitFills, decodeCommitInput, buildFillTree } from "@clearmatch/protocol";
import {
  commitCalldataBytes,
  MAX_COMMIT_BYTES,
  maxFillsFor,
  prepareCommit,
} from "../helpers/commit-batch.js";
import {
  BUY,
  ONE_BASE,
  SELL,
  buildTree,
  createSettlementTest,
  sortDeltas,
  type SettlementFixture,
} from "../helpers/settlement-fixture.js";

describe("Settlement v2 commit: packed fills", async () => {
  const t = await createSettlementTest();
  const { viem } = t;

  const seq = (f: SettlementFixture) => ({ account: f.wallets.sequencer.account });

  it("refuses deltas moving funds from alice to bob that the fill does not justify", async () => {
    const f = await t.load();
    const { fill } = f.simpleTrade();
    const honest = await f.prepare([fill]);
    const [alice, bob] = [f.addr(f.wallets.alice), f.addr(f.wallets.bob)];
    const stolen = 100n * 10n ** 6n;
    const steal = (account: string, token: string, by: bigint) =>
      honest.deltas.map((d) =>
        isAddressEqual(d.account, account as Hex) && isAddressEqual(d.token, token as Hex)
          ? { ...d, delta: d.delta + by }
          : d,
      );
    // 100 USDC more from alice to bob than the fill moves: balanced, sorted, and refused at the
    // first delta that differs from what its fills net to.
    const deltas = steal(alice, f.quote.address, -stolen).map((d) =>
      isAddressEqual(d.account, bob) && isAddressEqual(d.token, f.quote.address)
        ? { ...d, delta: d.delta + stolen }
        : d,
    );
    const p = await f.prepare([fill], deltas);
    const first = deltas.findIndex((d, i) => d.delta !== honest.deltas[i]!.delta);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([p.batchId, p.packed, p.deltas], seq(f)),
      f.settlement,
      "SettlementDeltaNotNetted",
      [BigInt(first)],
    );
    // Nor can the theft ride on a delta no fill points at: carol's credit, out of alice's quote.
    const carol = f.addr(f.wallets.carol);
    const withCarol = sortDeltas([
      ...steal(alice, f.quote.address, -stolen),
      { account: carol, token: f.quote.address, delta: stolen },
    ]);
    const q = await f.prepare([fill], withCarol);
    // Refused at alice's quote delta or carol's, whichever sorts first.
    const mismatch = Math.min(
      ...[alice, carol].map((a) =>
        withCarol.findIndex(
          (d) => isAddressEqual(d.account, a) && isAddressEqual(d.token, f.quote.address),
        ),
      ),
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([q.batchId, q.packed, q.deltas], seq(f)),
      f.settlement,
      "SettlementDeltaNotNetted",
      [BigInt(mismatch)],
    );
    // The honest deltas commit.
    const c = await f.commit([fill]);
    assert.deepEqual(c.deltas, honest.deltas);
  });

  it("refuses a batch with no fills", async () => {
    const f = await t.load();
    const { deltas } = await f.prepare([f.simpleTrade().fill]);
    for (const ds of [[], deltas]) {
      await viem.assertions.revertWithCustomError(
        f.settlement.write.commitBatch([1n, "0x", ds], seq(f)),
        f.settlement,
        "SettlementEmptyBatch",
      );
    }
  });

  it("refuses a commit sent through a contract (not top-level)", async () => {
    const f = await t.load();
    // The sequencer role held by a contract the sequencer's key drives.
    const wallet = await viem.deployContract("TestERC1271Wallet", [f.addr(f.wallets.sequencer)]);
    await f.settlement.write.setRoles(
      [wallet.address, f.addr(f.wallets.arbiter), f.addr(f.wallets.guardian)],
      { account: f.wallets.timelock.account },
    );
    const p = await f.prepare([f.simpleTrade().fill]);
    const data = encodeFunctionData({
      abi: f.settlement.abi,
      functionName: "commitBatch",
      args: [p.batchId, p.packed, p.deltas],
    });
    await viem.assertions.revertWithCustomError(
      wallet.write.execute([f.settlement.address, data], seq(f)),
      f.settlement,
      "SettlementNotTopLevel",
    );
  });

  it("lets anyone rebuild a committed batch's fills and root from the transaction input alone", async () => {
    const f = await t.load();
    const [alice, bob, carol, dave] = [
      f.wallets.alice,
      f.wallets.bob,
      f.wallets.carol,
      f.wallets.dave,
    ].map(f.addr) as [Hex, Hex, Hex, Hex];
    const sell = (trader: Hex, price: bigint) => f.order(trader, { side: SELL, price });
    const buy = (trader: Hex, price: bigint) => f.order(trader, { side: BUY, price });
    const price = 2_000n * 10n ** 6n;
    const c = await f.commit([
      f.fillOf(sell(alice, price), buy(bob, price), ONE_BASE / 2n),
      f.fillOf(buy(carol, price - 10_000n), sell(dave, price - 20_000n), ONE_BASE / 4n),
      f.fillOf(sell(alice, price + 10_000n), buy(carol, price + 10_000n), ONE_BASE / 10n, {
        makerFee: 0n,
      }),
    ]);
    // A watcher knows only the transaction hash (from the BatchCommitted log) and the markets.
    const tx = await t.publicClient.getTransaction({ hash: c.hash });
    const call = decodeCommitInput(tx.input);
    assert.equal(call.batchId, c.batchId);
    assert.deepEqual(call.deltas, c.deltas);
    const leaves = decodeCommitFills(call.batchId, call.fills, call.deltas, f.markets);
    assert.deepEqual(leaves, c.fills);
    const stored = (await f.settlement.read.batch([c.batchId])).fillsRoot;
    assert.equal(buildFillTree(leaves).root, stored);
    // OpenZeppelin's own StandardMerkleTree (leaves unsorted) agrees, and its proofs verify.
    const reference = buildTree(leaves);
    assert.equal(reference.root, stored);
    await viem.assertions.revertWithCustomError(
      f.settlement.write.proveMislabelledFill([c.batchId, leaves[2]!, reference.proofs[2]!]),
      f.settlement,
      "SettlementNoFraud",
    );
  });

  it("admits a commit of exactly 120,000 calldata bytes and refuses one byte more", async () => {
    const f = await t.load();
    const { fill } = f.simpleTrade();
    const n = maxFillsFor(5);
    const p = prepareCommit(1n, Array(n).fill(fill), f.markets, f.addr(f.wallets.feeRecipient));
    const data = encodeFunctionData({
      abi: f.settlement.abi,
      functionName: "commitBatch",
      args: [1n, p.packed, p.deltas],
    });
    const bytes = (data.length - 2) / 2;
    assert.equal(bytes, commitCalldataBytes(n, p.deltas.length));
    assert.ok(bytes <= MAX_COMMIT_BYTES);
    // ABI encoding comes in words; trailing bytes (ignored by the decoder) count toward the cap.
    const padded = (extra: number) => `${data}${"00".repeat(extra)}` as Hex;
    const over = padded(MAX_COMMIT_BYTES - bytes + 1);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.wallets.sequencer.sendTransaction({
        account: f.wallets.sequencer.account,
        to: f.settlement.address,
        data: over,
      }),
      f.settlement,
      "SettlementBatchTooLarge",
      [BigInt(n), BigInt(p.deltas.length), BigInt(MAX_COMMIT_BYTES + 1)],
    );
    const hash = await f.wallets.sequencer.sendTransaction({
      account: f.wallets.sequencer.account,
      to: f.settlement.address,
      data: padded(MAX_COMMIT_BYTES - bytes),
    });
    const receipt = await t.publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    assert.equal((await t.publicClient.getTransaction({ hash })).input.length, 2 + 2 * 120_000);
    const b = await f.settlement.read.batch([1n]);
    assert.equal(b.fillsRoot, p.root);
    assert.equal(b.fillCount, n);
  });
});
