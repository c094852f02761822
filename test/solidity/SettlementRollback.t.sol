// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {Settlement} from "../../contracts/Settlement.sol";
import {TestERC20} from "../../contracts/test/TestERC20.sol";

/// @dev Rolling back a pending batch that is not the oldest one: the cascade covers it and every
/// later batch, and leaves the earlier pending batches finalizable, in order.
/// (Found by the invariant test: a rollback used to move `nextFinalizeId` past the earlier pending
/// batches, stranding them as Pending forever.)
contract SettlementRollbackTest is Test {
    ISettlement internal settlement;
    TestERC20 internal token;
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B00);

    function setUp() public {
        token = new TestERC20("Token", "TKN", 18);
        // This test holds every role; disputes need no bond so the arbiter path is one call.
        ISettlement.InitParams memory p = ISettlement.InitParams({
            timelock: address(this),
            guardian: address(this),
            arbiter: address(this),
            sequencer: address(this),
            feeRecipient: address(0xFEE),
            challengeWindow: 1 hours,
            challengeResponseWindow: 30 minutes,
            withdrawalDelay: 2 hours,
            disputeTimeout: 1 days,
            disputeBond: 0
        });
        Settlement implementation = new Settlement();
        settlement = ISettlement(
            address(new ERC1967Proxy(address(implementation), abi.encodeCall(Settlement.initialize, (p))))
        );
        settlement.setTokenAllowed(address(token), true);
        token.mint(ALICE, 100);
        vm.startPrank(ALICE);
        token.approve(address(settlement), 100);
        settlement.deposit(address(token), 100);
        vm.stopPrank();
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

    function _commit(ISettlement.Delta[] memory deltas) internal {
        settlement.commitBatch(settlement.nextBatchId(), keccak256("fills"), deltas, 1);
    }

    function _upholdDispute(uint64 batchId) internal {
        uint256 disputeId = settlement.openDispute(batchId, keccak256("claim"));
        settlement.resolveDispute(disputeId, true);
    }

    function _aliceToBob(int256 amount) internal view returns (ISettlement.Delta[] memory deltas) {
        deltas = new ISettlement.Delta[](2);
        // Sorted by account: 0xA11CE < 0xB0B00.
        deltas[0] = ISettlement.Delta(ALICE, address(token), -amount);
        deltas[1] = ISettlement.Delta(BOB, address(token), amount);
    }
}
