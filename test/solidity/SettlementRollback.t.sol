// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {CommitPacker} from "./CommitPacker.sol";
import {SettlementDeploy} from "./SettlementDeploy.sol";
import {TestERC20} from "../../contracts/test/TestERC20.sol";

/// @dev Rolling back a pending batch that is not the oldest one: the cascade covers it and every
/// later batch, and leaves the earlier pending batches finalizable, in order.
/// (Found by the invariant test: a rollback used to move `nextFinalizeId` past the earlier pending
/// batches, stranding them as Pending forever.)
/// Every batch is one real fill (v2 commit): Bob buys `amount` base atoms from Alice at one quote
/// atom each (lot 1, tick 10^18: quote = lots · ticks), no fees, so Bob gains `amount` base.
contract SettlementRollbackTest is Test {
    ISettlement internal settlement;
    TestERC20 internal token; // the base token: what Alice's fills move to Bob
    TestERC20 internal quote;
    uint32 internal constant MARKET = 1;
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B00);

    function setUp() public {
        token = new TestERC20("Token", "TKN", 18);
        quote = new TestERC20("Quote", "QTE", 18);
        // This test holds every role; disputes need no bond so the arbiter path is one call.
        settlement = SettlementDeploy.proxy(SettlementDeploy.params(address(this), address(0xFEE), 0));
        settlement.setTokenAllowed(address(token), true);
        settlement.setTokenAllowed(address(quote), true);
        settlement.registerMarket(MARKET, address(token), address(quote), 1e18, 1);
        _deposit(ALICE, token, 1_000);
        _deposit(BOB, quote, 1_000);
    }

    function test_rollback_keepsEarlierPendingBatchFinalizable() public {
        _commit(_aliceToBob(10));
        _commit(_aliceToBob(20));
        _upholdDispute(2);

        assertEq(uint8(settlement.batch(1).status), uint8(ISettlement.BatchStatus.Pending));
        assertEq(uint8(settlement.batch(2).status), uint8(ISettlement.BatchStatus.RolledBack));
        assertEq(settlement.nextFinalizeId(), 1);

        vm.warp(settlement.batch(1).finalizableAt);
        assertTrue(settlement.finalizeBatch(1, _aliceToBob(10)));
        assertEq(settlement.balanceOf(BOB, address(token)), 10);
        // Nothing pending: the rolled-back batch 2 is skipped.
        assertEq(settlement.nextFinalizeId(), settlement.nextBatchId());
    }

    function test_finalizeBatch_skipsRolledBackBatchesToTheNextPendingOne() public {
        _commit(_aliceToBob(10));
        _commit(_aliceToBob(20));
        _commit(_aliceToBob(30));
        _upholdDispute(2); // rolls back 2 and 3
        _commit(_aliceToBob(40)); // batch 4

        vm.warp(settlement.batch(4).finalizableAt);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementBatchOutOfOrder.selector, 1, 4));
        settlement.finalizeBatch(4, _aliceToBob(40));
        assertTrue(settlement.finalizeBatch(1, _aliceToBob(10)));
        assertEq(settlement.nextFinalizeId(), 4);
        assertTrue(settlement.finalizeBatch(4, _aliceToBob(40)));
        assertEq(settlement.nextFinalizeId(), 5);
        assertEq(settlement.balanceOf(BOB, address(token)), 50);
    }

    /// @dev A rollback of the oldest pending batch still takes everything after it.
    function test_rollback_ofOldestPendingBatchCascadesOverGaps() public {
        _commit(_aliceToBob(10));
        _commit(_aliceToBob(20));
        _upholdDispute(2);
        _commit(_aliceToBob(30)); // batch 3
        _upholdDispute(1);

        for (uint64 id = 1; id <= 3; ++id) {
            assertEq(uint8(settlement.batch(id).status), uint8(ISettlement.BatchStatus.RolledBack));
        }
        assertEq(settlement.nextFinalizeId(), 4);
        assertEq(settlement.nextBatchId(), 4);
    }

    /// @dev No protocol path loops over batches (review finding 2): the gas of a rollback, of the
    /// finalize that skips the rolled-back range, and of the batch status views is the same with 1
    /// or 1,000 later pending batches. Before v2 the rollback wrote every later batch and finalize
    /// walked the range one id at a time, so a flood of empty batches pushed them past a block.
    function test_rollbackAndSkip_costTheSameWhateverTheQueue() public {
        // A first run warms what a transaction pays for once (EIP-2929 account access), so the two
        // compared runs start alike.
        _rollbackSecondThenFinalizeFirst(1);
        setUp();
        (uint256 rollbackFew, uint256 finalizeFew) = _rollbackSecondThenFinalizeFirst(1);
        setUp();
        (uint256 rollbackMany, uint256 finalizeMany) = _rollbackSecondThenFinalizeFirst(1_000);
        emit log_named_uint("rollback, 1 later", rollbackFew);
        emit log_named_uint("rollback, 1000 later", rollbackMany);
        emit log_named_uint("finalize, 1 skipped", finalizeFew);
        emit log_named_uint("finalize, 1000 skipped", finalizeMany);
        // Equal up to warm/cold differences of the few slots touched (no per-batch term).
        assertEq(rollbackMany, rollbackFew, "rollback gas grows with the queue");
        assertEq(finalizeMany, finalizeFew, "finalize gas grows with the range skipped");
        assertLt(rollbackMany, 60_000);
    }

    /// @dev The pending span is capped: the 1,025th batch waits until the oldest one finalizes.
    function test_commitBatch_refusesPastThePendingCap() public {
        for (uint256 i; i < 1_024; ++i) _commit(_aliceToBob(1));
        uint64 next = settlement.nextBatchId();
        CommitPacker.Commit memory c = _batch(next, 1);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementTooManyPending.selector, 1_024));
        CommitPacker.commit(settlement, address(this), c);

        vm.warp(settlement.batch(1).finalizableAt);
        assertTrue(settlement.finalizeBatch(1, _aliceToBob(1)));
        _commit(_aliceToBob(1));
        assertEq(settlement.nextBatchId(), next + 1);
    }

    /// @dev Random commits, rollbacks of random pending batches and finalizations, checked against a
    /// naive model that marks every batch one by one: statuses, both cursors and balances agree.
    function testFuzz_segmentsMatchANaiveModel(uint256 seed) public {
        uint8[] memory model = new uint8[](200); // 0 none, 1 pending, 2 finalized, 3 rolled back
        uint64 next = 1;
        int256 bobExpected;
        int256[] memory amounts = new int256[](200);
        for (uint256 step; step < 120; ++step) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            uint256 action = seed % 8;
            if (action < 4 && next < 199) {
                amounts[next] = int256(1 + ((seed >> 8) % 3));
                _commit(_aliceToBob(amounts[next]));
                model[next++] = 1;
            } else if (action < 6) {
                // Roll back a random pending batch (by model), through an upheld dispute.
                uint64 pick = _randomPending(model, next, seed >> 16);
                if (pick == 0) continue;
                _upholdDispute(pick);
                for (uint64 id = pick; id < next; ++id) if (model[id] == 1) model[id] = 3;
            } else {
                uint64 oldest = _randomPending(model, next, 0);
                if (oldest == 0) continue;
                uint256 t0 = block.timestamp;
                vm.warp(settlement.batch(oldest).finalizableAt);
                assertTrue(settlement.finalizeBatch(oldest, _aliceToBob(amounts[oldest])));
                // Back in time, so the later batches' dispute windows stay open for the next steps
                // (the segments under test do not depend on time).
                vm.warp(t0);
                model[oldest] = 2;
                bobExpected += amounts[oldest];
            }
            uint64 expectedCursor = next;
            for (uint64 id = 1; id < next; ++id) {
                assertEq(uint8(settlement.batch(id).status), model[id], "status differs from the model");
                if (model[id] == 1 && id < expectedCursor) expectedCursor = id;
            }
            assertEq(settlement.nextFinalizeId(), expectedCursor, "finalize cursor differs from the model");
            assertEq(settlement.nextBatchId(), next);
        }
        assertEq(settlement.balanceOf(BOB, address(token)), uint256(bobExpected));
    }

    /// @dev With `salt` 0 the oldest pending batch of the model, else a pseudo-random one; 0 if none.
    function _randomPending(uint8[] memory model, uint64 next, uint256 salt) internal pure returns (uint64) {
        uint256 count;
        for (uint64 id = 1; id < next; ++id) if (model[id] == 1) ++count;
        if (count == 0) return 0;
        uint256 k = salt % count;
        for (uint64 id = 1; id < next; ++id) {
            if (model[id] != 1) continue;
            if (k == 0) return id;
            --k;
        }
        return 0;
    }

    /// @dev Commits 1 + `later` batches after a first one, rolls back the second (taking `later`
    /// more with it), then finalizes the first, skipping the range; returns both gas figures.
    function _rollbackSecondThenFinalizeFirst(
        uint256 later
    ) internal returns (uint256 rollbackGas, uint256 finalizeGas) {
        _commit(_aliceToBob(1));
        for (uint256 i; i <= later; ++i) _commit(_aliceToBob(1));
        uint256 disputeId = settlement.openDispute(2, keccak256("claim"));
        // Gas of the call itself (the test contract's own memory grows with the queue).
        settlement.resolveDispute(disputeId, true);
        rollbackGas = vm.lastCallGas().gasTotalUsed;
        assertEq(
            uint8(settlement.batch(uint64(2 + later)).status),
            uint8(ISettlement.BatchStatus.RolledBack)
        );

        vm.warp(settlement.batch(1).finalizableAt);
        settlement.finalizeBatch(1, _aliceToBob(1));
        finalizeGas = vm.lastCallGas().gasTotalUsed;
        assertEq(settlement.nextFinalizeId(), settlement.nextBatchId());
    }

    function _commit(ISettlement.Delta[] memory deltas) internal {
        uint64 batchId = settlement.nextBatchId();
        // What `_aliceToBob` moved; the helper's deltas of the fill must be those exactly.
        int256 amount = deltas[1].delta < 0 ? -deltas[1].delta : deltas[1].delta;
        CommitPacker.Commit memory c = _batch(batchId, amount);
        assertEq(keccak256(abi.encode(c.deltas)), keccak256(abi.encode(deltas)), "deltas of the fill");
        CommitPacker.commit(settlement, address(this), c);
    }

    /// @dev Batch `batchId`: one fill, Alice's order sells `amount` to Bob's at one tick.
    function _batch(uint64 batchId, int256 amount) internal view returns (CommitPacker.Commit memory) {
        ISettlement.Fill[] memory fills = new ISettlement.Fill[](1);
        fills[0].makerOrderHash = keccak256(abi.encode("alice sells", batchId));
        fills[0].takerOrderHash = keccak256(abi.encode("bob buys", batchId));
        fills[0].maker = ALICE;
        fills[0].taker = BOB;
        fills[0].marketId = MARKET;
        fills[0].takerSide = 0; // Bob buys
        fills[0].price = 1e18; // one tick: one quote atom per base atom
        fills[0].baseAmount = uint128(uint256(amount));
        fills[0].makerFilledAfter = uint128(uint256(amount));
        fills[0].takerFilledAfter = uint128(uint256(amount));
        return CommitPacker.build(settlement, batchId, fills);
    }

    function _upholdDispute(uint64 batchId) internal {
        uint256 disputeId = settlement.openDispute(batchId, keccak256("claim"));
        settlement.resolveDispute(disputeId, true);
    }

    /// @dev The deltas of `_batch(_, amount)`, sorted by (account, token): Alice gives `amount` base
    /// for as much quote, Bob the reverse; the fee recipient's quote pair is touched, at zero.
    function _aliceToBob(int256 amount) internal view returns (ISettlement.Delta[] memory deltas) {
        (address lo, address hi) = address(token) < address(quote)
            ? (address(token), address(quote))
            : (address(quote), address(token));
        int256 sign = lo == address(token) ? int256(1) : int256(-1);
        deltas = new ISettlement.Delta[](5);
        // 0xA11CE < 0xB0B00; the fee recipient 0xFEE sorts first.
        deltas[0] = ISettlement.Delta(address(0xFEE), address(quote), 0);
        deltas[1] = ISettlement.Delta(ALICE, lo, -amount * sign);
        deltas[2] = ISettlement.Delta(ALICE, hi, amount * sign);
        deltas[3] = ISettlement.Delta(BOB, lo, amount * sign);
        deltas[4] = ISettlement.Delta(BOB, hi, -amount * sign);
    }

    function _deposit(address who, TestERC20 t, uint256 amount) internal {
        t.mint(who, amount);
        vm.startPrank(who);
        t.approve(address(settlement), amount);
        settlement.deposit(address(t), amount);
        vm.stopPrank();
    }
}
