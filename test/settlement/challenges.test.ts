import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeFunctionData, getAddress, keccak256, toHex } from "viem";
import {
  CANCEL_GRACE,
  ONE_BASE,
  PARAMS,
  SELL,
  createSettlementTest,
  type SettlementFixture,
} from "../helpers/settlement-fixture.js";

const CHALLENGE_UNANSWERED = 2;
const DISPUTE_UPHELD = 3;
const ROLLED_BACK = 3;
const FINALIZED = 2;
/** ISettlement.ChallengeStatus / DisputeStatus */
const C = { Open: 1, Answered: 2, Upheld: 3 } as const;
const D = { Open: 1, Upheld: 2, Dismissed: 3, Expired: 4 } as const;

describe("Settlement challenges and disputes", async () => {
  const t = await createSettlementTest();
  const { viem, networkHelpers } = t;

  /** Asserts `wallet` is owed `amount`, then that `withdrawBond` pays it exactly once. */
  async function expectCredited(
    f: SettlementFixture,
    wallet: SettlementFixture["wallets"]["carol"],
    amount: bigint,
  ) {
    const who = wallet.account.address;
    assert.equal(await f.settlement.read.bondCredit([who]), amount);
    const tx = f.settlement.write.withdrawBond({ account: wallet.account });
    await viem.assertions.balancesHaveChanged(tx, [{ address: who, amount }]);
    assert.equal(await f.settlement.read.bondCredit([who]), 0n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.withdrawBond({ account: wallet.account }),
      f.settlement,
      "SettlementNoBond",
      [who],
    );
  }

  /** carol, the owner of contract wallet `wallet`, challenges the first fill of `c` as the wallet. */
  async function challengeThrough(
    f: SettlementFixture,
    wallet: Awaited<ReturnType<typeof viem.deployContract<"TestERC1271Wallet">>>,
    c: Awaited<ReturnType<SettlementFixture["commit"]>>,
  ) {
    const data = encodeFunctionData({
      abi: f.settlement.abi,
      functionName: "challengeFill",
      args: [c.fills[0]!, c.proofs[0]!],
    });
    await wallet.write.execute([f.settlement.address, data], { account: f.wallets.carol.account });
  }

  /** Commits the plain trade and has bob (its taker) challenge it, `late` seconds into the window. */
  async function challenged(f: SettlementFixture, late = 0n) {
    const trade = f.simpleTrade();
    const c = await f.commit([trade.fill]);
    if (late > 0n) await networkHelpers.time.increase(late);
    const tx = await f.settlement.write.challengeFill([c.fills[0]!, c.proofs[0]!], {
      account: f.wallets.bob.account,
    });
    return { ...trade, c, tx };
  }

  describe("challenges", () => {
    it("opens a challenge that blocks finalization until the sequencer answers with the signed order", async () => {
      const f = await t.load();
      // Challenged a minute before the window ends: the answer is due after it.
      const { c, tx, takerOrder } = await challenged(f, PARAMS.challengeWindow - 60n);
      await viem.assertions.emitWithArgs(tx, f.settlement, "ChallengeOpened", [
        1n,
        c.batchId,
        f.hashOrder(takerOrder),
        f.addr(f.wallets.bob),
      ]);
      const now = (await t.publicClient.getBlock()).timestamp;
      assert.deepEqual(await f.settlement.read.challenge([1n]), {
        batchId: c.batchId,
        trader: f.addr(f.wallets.bob),
        deadline: now + PARAMS.challengeResponseWindow,
        status: C.Open,
      });
      assert.equal((await f.settlement.read.batch([c.batchId])).openChallenges, 1);
      await networkHelpers.time.increase(60n);
      await viem.assertions.revertWithCustomError(
        f.settlement.write.finalizeBatch([c.batchId, c.deltas]),
        f.settlement,
        "SettlementBatchNotFinalizable",
      );
      const signature = await f.signOrder(f.wallets.bob, takerOrder);
      await viem.assertions.emitWithArgs(
        f.settlement.write.answerChallenge([1n, takerOrder, signature], {
          account: f.wallets.sequencer.account,
        }),
        f.settlement,
        "ChallengeAnswered",
        [1n],
      );
      assert.equal((await f.settlement.read.challenge([1n])).status, C.Answered);
      await f.settlement.write.finalizeBatch([c.batchId, c.deltas]);
      assert.equal((await f.settlement.read.batch([c.batchId])).status, FINALIZED);
    });

    it("answers a contract wallet's challenge by its on-chain approval a grace before the commit, never by asking the wallet (finding 5)", async () => {
      const f = await t.load();
      const wallet = await viem.deployContract("TestERC1271Wallet", [f.addr(f.wallets.carol)]);
      const makerOrder = f.order(wallet.address, { side: SELL });
      const takerOrder = f.order(f.addr(f.wallets.bob), { price: 2_100n * 10n ** 6n });
      const hash = f.hashOrder(makerOrder);
      // The wallet's owner approves through the wallet itself; anyone may record the wallet's
      // ERC-1271 consent instead (checked with capped gas, once).
      await viem.assertions.revertWithCustomError(
        f.settlement.write.recordApproval([
          wallet.address,
          hash,
          await f.signOrder(f.wallets.dave, makerOrder),
        ]),
        f.settlement,
        "SettlementInvalidSignature",
      );
      await viem.assertions.emitWithArgs(
        f.settlement.write.recordApproval(
          [wallet.address, hash, await f.signOrder(f.wallets.carol, makerOrder)],
          { account: f.wallets.dave.account },
        ),
        f.settlement,
        "OrderApproved",
        [getAddress(wallet.address), hash],
      );
      const approvedAt = await f.settlement.read.approvedAtBlock([wallet.address, hash]);
      assert.equal(approvedAt, await t.publicClient.getBlockNumber());
      await networkHelpers.mine(CANCEL_GRACE - 1);
      const c = await f.commit([f.fillOf(makerOrder, takerOrder, ONE_BASE / 2n)]);
      await challengeThrough(f, wallet, c);
      assert.equal((await f.settlement.read.challenge([1n])).trader, getAddress(wallet.address));
      // The wallet now answers "not mine" to everything: nothing asks it any more.
      const revoker = await viem.deployContract("TestERC1271Wallet", [f.addr(f.wallets.dave)]);
      await networkHelpers.setCode(
        wallet.address,
        (await t.publicClient.getCode({ address: revoker.address }))!,
      );
      await f.settlement.write.answerChallenge([1n, makerOrder, "0x"]);
      assert.equal((await f.settlement.read.challenge([1n])).status, C.Answered);
    });

    it("does not answer a contract wallet's challenge by an approval recorded within the grace, nor by a live ERC-1271 answer", async () => {
      const f = await t.load();
      const wallet = await viem.deployContract("TestERC1271Wallet", [f.addr(f.wallets.carol)]);
      const makerOrder = f.order(wallet.address, { side: SELL });
      const takerOrder = f.order(f.addr(f.wallets.bob), { price: 2_100n * 10n ** 6n });
      const signature = await f.signOrder(f.wallets.carol, makerOrder);
      await f.settlement.write.recordApproval([wallet.address, f.hashOrder(makerOrder), signature]);
      const c = await f.commit([f.fillOf(makerOrder, takerOrder, ONE_BASE / 2n)]); // too soon
      await challengeThrough(f, wallet, c);
      // The wallet's owner did sign (ERC-1271 would say yes), but consent asked at answer time
      // could as well be withdrawn: only the on-chain record counts, and it is too late.
      await viem.assertions.revertWithCustomError(
        f.settlement.write.answerChallenge([1n, makerOrder, signature]),
        f.settlement,
        "SettlementInvalidSignature",
      );
    });

    it("counts the trader's own ECDSA signature even after its address gains code that revokes it (finding 5, EIP-7702)", async () => {
      const f = await t.load();
      const { takerOrder } = await challenged(f); // bob, an EOA, challenges his own order's fill
      const signature = await f.signOrder(f.wallets.bob, takerOrder);
      // bob's address then gains code that answers "not mine" to every ERC-1271 query, as an
      // EIP-7702 delegation could (simulated with hardhat_setCode: the chain runs shanghai).
      const revoker = await viem.deployContract("TestERC1271Wallet", [f.addr(f.wallets.dave)]);
      const code = await t.publicClient.getCode({ address: revoker.address });
      await networkHelpers.setCode(f.addr(f.wallets.bob), code!);
      await f.settlement.write.answerChallenge([1n, takerOrder, signature], {
        account: f.wallets.sequencer.account,
      });
      assert.equal((await f.settlement.read.challenge([1n])).status, C.Answered);
    });

    it("refuses challenges by traders not in the fill, twice for one order, or on a settled batch", async () => {
      const f = await t.load();
      const { c } = await challenged(f);
      const [fill, proof] = [c.fills[0]!, c.proofs[0]!];
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.challengeFill([fill, proof], { account: f.wallets.carol.account }),
        f.settlement,
        "SettlementNotNamedInFill",
        [f.addr(f.wallets.carol)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.challengeFill([fill, proof], { account: f.wallets.bob.account }),
        f.settlement,
        "SettlementChallengeExists",
        [c.batchId, fill.takerOrderHash],
      );
      await viem.assertions.revertWithCustomError(
        f.settlement.write.challengeFill([{ ...fill, baseAmount: 1n }, proof], {
          account: f.wallets.alice.account,
        }),
        f.settlement,
        "SettlementInvalidProof",
      );
      await f.passWindow();
      await networkHelpers.time.increase(PARAMS.challengeResponseWindow);
      await f.settlement.write.upholdChallenge([1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.challengeFill([fill, proof], { account: f.wallets.alice.account }),
        f.settlement,
        "SettlementBatchNotPending",
        [c.batchId],
      );
    });

    /**
     * Two batches; a dispute holds the first, so the second waits past its own window, and bob
     * then challenges it: v1 refused that (SettlementChallengeWindowClosed) although the batch
     * was still pending.
     */
    async function lateChallenge(f: SettlementFixture) {
      const first = await f.commit([f.simpleTrade().fill]);
      const c = await f.commit([f.simpleTrade().fill]);
      await f.settlement.write.openDispute([first.batchId, keccak256(toHex("claim"))], {
        account: f.wallets.carol.account,
        value: PARAMS.disputeBond,
      });
      await f.passWindow();
      await networkHelpers.time.increase(60n);
      await f.settlement.write.challengeFill([c.fills[0]!, c.proofs[0]!], {
        account: f.wallets.bob.account,
      });
      return { first, c };
    }

    it("takes a challenge while the batch waits past its window, without letting it hold the batch (finding 11)", async () => {
      const f = await t.load();
      const { first, c } = await lateChallenge(f);
      assert.equal((await f.settlement.read.batch([c.batchId])).openChallenges, 0);
      // It holds nothing: once the first batch is decided, the second finalizes at once...
      await f.settlement.write.resolveDispute([1n, false], { account: f.wallets.arbiter.account });
      await f.settlement.write.finalizeBatch([first.batchId, first.deltas]);
      await f.settlement.write.finalizeBatch([c.batchId, c.deltas]);
      assert.equal((await f.settlement.read.batch([c.batchId])).status, FINALIZED);
      // ...and its deadline then rolls nothing back.
      await networkHelpers.time.increase(PARAMS.challengeResponseWindow);
      await f.settlement.write.upholdChallenge([1n]);
      assert.equal((await f.settlement.read.batch([c.batchId])).status, FINALIZED);
    });

    it("rolls a still-waiting batch back when a late challenge goes unanswered", async () => {
      const f = await t.load();
      const { first, c } = await lateChallenge(f);
      await networkHelpers.time.increase(PARAMS.challengeResponseWindow);
      await f.settlement.write.upholdChallenge([1n]);
      assert.equal((await f.settlement.read.batch([c.batchId])).status, ROLLED_BACK);
      assert.equal((await f.settlement.read.batch([first.batchId])).status, 1); // still pending
    });

    it("refuses answers with another order, after the deadline, or to a closed challenge", async () => {
      const f = await t.load();
      const { makerOrder, takerOrder } = await challenged(f);
      const signature = await f.signOrder(f.wallets.alice, makerOrder);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.answerChallenge([1n, makerOrder, signature]),
        f.settlement,
        "SettlementOrderMismatch",
        [f.hashOrder(takerOrder)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.answerChallenge([2n, makerOrder, signature]),
        f.settlement,
        "SettlementChallengeNotOpen",
        [2n],
      );
      await networkHelpers.time.increase(PARAMS.challengeResponseWindow);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.answerChallenge([
          1n,
          takerOrder,
          await f.signOrder(f.wallets.bob, takerOrder),
        ]),
        f.settlement,
        "SettlementChallengeDeadlinePassed",
        [1n],
      );
    });

    it("refuses to answer a trader's challenge with another trader's signed order", async () => {
      const f = await t.load();
      // The fill names carol as taker but points at bob's order: carol never signed anything.
      const { fill, takerOrder } = f.simpleTrade({ taker: f.addr(f.wallets.carol) });
      const c = await f.commit([fill]);
      await f.settlement.write.challengeFill([c.fills[0]!, c.proofs[0]!], {
        account: f.wallets.carol.account,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.answerChallenge([
          1n,
          takerOrder,
          await f.signOrder(f.wallets.bob, takerOrder),
        ]),
        f.settlement,
        "SettlementOrderMismatch",
        [f.hashOrder(takerOrder)],
      );
    });

    it("rolls back the batch and every later one when a challenge goes unanswered", async () => {
      const f = await t.load();
      const { c } = await challenged(f);
      const later = await f.commit([f.simpleTrade().fill]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.upholdChallenge([1n]),
        f.settlement,
        "SettlementChallengeDeadlineNotReached",
        [1n],
      );
      await networkHelpers.time.increase(PARAMS.challengeResponseWindow);
      const tx = f.settlement.write.upholdChallenge([1n], { account: f.wallets.dave.account });
      await viem.assertions.emitWithArgs(tx, f.settlement, "BatchesRolledBack", [
        c.batchId,
        later.batchId,
        CHALLENGE_UNANSWERED,
      ]);
      assert.equal((await f.settlement.read.challenge([1n])).status, C.Upheld);
      assert.equal((await f.settlement.read.batch([later.batchId])).status, ROLLED_BACK);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.upholdChallenge([1n]),
        f.settlement,
        "SettlementChallengeNotOpen",
        [1n],
      );
    });

    it("closes an open challenge on an already rolled-back batch without blocking anything", async () => {
      const f = await t.load();
      const { c, fill } = await challenged(f);
      await f.settlement.write.challengeFill([c.fills[0]!, c.proofs[0]!], {
        account: f.wallets.alice.account,
      });
      await networkHelpers.time.increase(PARAMS.challengeResponseWindow);
      await f.settlement.write.upholdChallenge([1n]);
      await viem.assertions.emitWithArgs(
        f.settlement.write.upholdChallenge([2n]),
        f.settlement,
        "ChallengeUpheld",
        [2n],
      );
      const next = await f.commit([fill]);
      await f.passWindow();
      await f.settlement.write.finalizeBatch([next.batchId, next.deltas]);
    });

    it("lets a self-trader challenge both sides: the maker order first, then the taker order", async () => {
      const f = await t.load();
      const alice = f.addr(f.wallets.alice);
      const makerOrder = f.order(alice, { side: SELL });
      const takerOrder = f.order(alice, { nonce: 2n });
      const c = await f.commit([
        f.fillOf(makerOrder, takerOrder, ONE_BASE / 2n, { makerFee: 0n, takerFee: 0n }),
      ]);
      for (const expected of [makerOrder, takerOrder]) {
        await viem.assertions.emitWithArgs(
          f.settlement.write.challengeFill([c.fills[0]!, c.proofs[0]!], {
            account: f.wallets.alice.account,
          }),
          f.settlement,
          "ChallengeOpened",
          [expected === makerOrder ? 1n : 2n, c.batchId, f.hashOrder(expected), alice],
        );
      }
    });
  });

  describe("disputes", () => {
    const claim = keccak256(toHex("deltas do not match the fills"));

    async function disputed(f: SettlementFixture) {
      const c = await f.commit([f.simpleTrade().fill]);
      const tx = await f.settlement.write.openDispute([c.batchId, claim], {
        account: f.wallets.carol.account,
        value: PARAMS.disputeBond,
      });
      return { c, tx };
    }

    it("opens a bonded dispute that blocks finalization", async () => {
      const f = await t.load();
      const { c, tx } = await disputed(f);
      await viem.assertions.emitWithArgs(tx, f.settlement, "DisputeOpened", [
        1n,
        c.batchId,
        f.addr(f.wallets.carol),
        claim,
      ]);
      const d = await f.settlement.read.dispute([1n]);
      assert.equal(d.bond, PARAMS.disputeBond);
      assert.equal(d.status, D.Open);
      await f.passWindow();
      await viem.assertions.revertWithCustomError(
        f.settlement.write.finalizeBatch([c.batchId, c.deltas]),
        f.settlement,
        "SettlementBatchNotFinalizable",
      );
    });

    it("refuses a wrong bond, an unknown batch, or a dispute after the window", async () => {
      const f = await t.load();
      const c = await f.commit([f.simpleTrade().fill]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.openDispute([c.batchId, claim], { value: 1n }),
        f.settlement,
        "SettlementWrongBond",
        [PARAMS.disputeBond, 1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.openDispute([9n, claim], { value: PARAMS.disputeBond }),
        f.settlement,
        "SettlementBatchNotPending",
        [9n],
      );
      await f.passWindow();
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.openDispute([c.batchId, claim], { value: PARAMS.disputeBond }),
        f.settlement,
        "SettlementChallengeWindowClosed",
        [c.batchId],
      );
    });

    it("upheld by the arbiter: rolls the batch back and credits the bond back", async () => {
      const f = await t.load();
      const { c } = await disputed(f);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.resolveDispute([1n, true], { account: f.wallets.carol.account }),
        f.settlement,
        "SettlementUnauthorized",
        [f.addr(f.wallets.carol)],
      );
      await f.settlement.write.resolveDispute([1n, true], { account: f.wallets.arbiter.account });
      const events = await t.publicClient.getContractEvents({
        address: f.settlement.address,
        abi: f.settlement.abi,
        eventName: "BatchesRolledBack",
      });
      assert.deepEqual(events.at(-1)!.args, {
        fromBatchId: c.batchId,
        toBatchId: c.batchId,
        reason: DISPUTE_UPHELD,
      });
      assert.equal((await f.settlement.read.dispute([1n])).status, D.Upheld);
      await expectCredited(f, f.wallets.carol, PARAMS.disputeBond);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.resolveDispute([1n, false], { account: f.wallets.arbiter.account }),
        f.settlement,
        "SettlementDisputeNotOpen",
        [1n],
      );
    });

    it("dismissed by the arbiter: credits the bond to the fee recipient and lets the batch finalize", async () => {
      const f = await t.load();
      const { c } = await disputed(f);
      await f.settlement.write.resolveDispute([1n, false], { account: f.wallets.arbiter.account });
      await expectCredited(f, f.wallets.feeRecipient, PARAMS.disputeBond);
      assert.equal((await f.settlement.read.dispute([1n])).status, D.Dismissed);
      await f.passWindow();
      await f.settlement.write.finalizeBatch([c.batchId, c.deltas]);
    });

    it("expires an undecided dispute after the arbiter's deadline, forfeiting the bond: a hold is never free", async () => {
      const f = await t.load();
      const { c } = await disputed(f);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.expireDispute([1n]),
        f.settlement,
        "SettlementDisputeDeadlineNotReached",
        [1n],
      );
      await networkHelpers.time.increase(PARAMS.disputeTimeout);
      await f.settlement.write.expireDispute([1n], { account: f.wallets.dave.account });
      assert.equal(await f.settlement.read.bondCredit([f.addr(f.wallets.carol)]), 0n);
      await expectCredited(f, f.wallets.feeRecipient, PARAMS.disputeBond);
      assert.equal((await f.settlement.read.dispute([1n])).status, D.Expired);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.expireDispute([1n]),
        f.settlement,
        "SettlementDisputeNotOpen",
        [1n],
      );
      await f.passWindow();
      await f.settlement.write.finalizeBatch([c.batchId, c.deltas]);
      assert.equal((await f.settlement.read.batch([c.batchId])).status, FINALIZED);
    });

    it("refunds at once a dispute whose batch rolled back for another reason", async () => {
      const f = await t.load();
      const { c } = await disputed(f);
      await f.settlement.write.openDispute([c.batchId, claim], {
        account: f.wallets.dave.account,
        value: PARAMS.disputeBond,
      });
      await f.settlement.write.resolveDispute([1n, true], { account: f.wallets.arbiter.account });
      await f.settlement.write.expireDispute([2n]);
      await expectCredited(f, f.wallets.dave, PARAMS.disputeBond);
    });

    it("decides a dispute whose bond goes to an address that refuses the native currency (finding 7)", async () => {
      const f = await t.load();
      const { c } = await disputed(f);
      // A fee recipient that cannot receive the native currency: v1 pushed the bond, so the
      // dismissal reverted and the dispute could never end.
      await f.settlement.write.setFeeRecipient([f.base.address], {
        account: f.wallets.timelock.account,
      });
      await f.settlement.write.resolveDispute([1n, false], { account: f.wallets.arbiter.account });
      assert.equal((await f.settlement.read.dispute([1n])).status, D.Dismissed);
      assert.equal(await f.settlement.read.bondCredit([f.base.address]), PARAMS.disputeBond);
      await f.passWindow();
      await f.settlement.write.finalizeBatch([c.batchId, c.deltas]);
      assert.equal((await f.settlement.read.batch([c.batchId])).status, FINALIZED);
    });

    it("pays a credited bond only to its owner, once", async () => {
      const f = await t.load();
      await disputed(f);
      await f.settlement.write.resolveDispute([1n, true], { account: f.wallets.arbiter.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.settlement.write.withdrawBond({ account: f.wallets.dave.account }),
        f.settlement,
        "SettlementNoBond",
        [f.addr(f.wallets.dave)],
      );
      await expectCredited(f, f.wallets.carol, PARAMS.disputeBond);
    });
  });
});
