// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {CommitPacker} from "./CommitPacker.sol";
import {SettlementDeploy} from "./SettlementDeploy.sol";
import {SettlementStorage} from "../../contracts/libraries/SettlementStorage.sol";
import {TestERC20} from "../../contracts/test/TestERC20.sol";

/// @dev The storage layout check for later upgrades: where each field of the ERC-7201 namespace
/// lives, read back raw from the proxy. An upgrade that reorders, retypes or inserts a field moves
/// one of these slots or offsets and fails here; new fields go at the end of `Layout` only, and
/// get a line below when they are added.
contract SettlementLayoutTest is Test {
    ISettlement internal settlement;
    TestERC20 internal token;
    uint256 internal constant ROOT = uint256(SettlementStorage.SLOT);
    address internal constant ALICE = address(0xA11CE);

    function setUp() public {
        token = new TestERC20("Token", "TKN", 18);
        ISettlement.InitParams memory p = ISettlement.InitParams({
            timelock: address(0x7100),
            guardian: address(this),
            arbiter: address(0xA4B1),
            sequencer: address(this),
            feeRecipient: address(0xFEE),
            challengeWindow: 11,
            challengeResponseWindow: 12,
            withdrawalDelay: 40,
            disputeTimeout: 14,
            disputeBond: 15,
            cancelGraceBlocks: 16
        });
        settlement = SettlementDeploy.proxy(p);
    }

    function _word(uint256 offset) internal view returns (uint256) {
        return uint256(vm.load(address(settlement), bytes32(ROOT + offset)));
    }

    /// @dev `bits` bits at bit `shift` of the namespace's word `offset`.
    function _field(uint256 offset, uint256 shift, uint256 bits) internal view returns (uint256) {
        return (_word(offset) >> shift) & ((1 << bits) - 1);
    }

    function test_layoutOfTheNamespace() public {
        assertEq(address(uint160(_word(0))), address(0x7100), "_timelock");
        assertEq(address(uint160(_word(1))), address(this), "_guardian");
        assertEq(address(uint160(_word(2))), address(0xA4B1), "_arbiter");
        assertEq(address(uint160(_word(3))), address(this), "_sequencer");
        assertEq(address(uint160(_word(4))), address(0xFEE), "_feeRecipient");
        assertEq(_field(4, 160, 64), 11, "_challengeWindow (packed after _feeRecipient)");
        assertEq(_field(5, 0, 64), 12, "_challengeResponseWindow");
        assertEq(_field(5, 64, 64), 40, "_withdrawalDelay");
        assertEq(_field(5, 128, 64), 14, "_disputeTimeout");
        assertEq(_field(6, 0, 128), 15, "_disputeBond");
        assertEq(_field(6, 128, 8), 0, "_paused");
        assertEq(_field(6, 136, 64), 1, "_nextBatchId");
        assertEq(_field(7, 0, 64), 1, "_nextFinalizeId");
        assertEq(_field(21, 64, 8), 1, "_segmentTopClosed");
        assertEq(_field(23, 0, 32), 16, "_cancelGraceBlocks");

        // Mappings: the value of a key at keccak256(key . slot).
        vm.prank(address(0x7100));
        settlement.setTokenAllowed(address(token), true);
        assertEq(_mapped(8, address(token)), 1, "_tokenAllowed");
        token.mint(ALICE, 5);
        vm.startPrank(ALICE);
        token.approve(address(settlement), 5);
        settlement.deposit(address(token), 5);
        settlement.requestWithdrawal(address(token), 3);
        settlement.cancelOrder(keccak256("order"));
        settlement.approveOrder(keccak256("order"));
        vm.stopPrank();
        assertEq(_nested(9, ALICE, bytes32(uint256(uint160(address(token))))), 5, "_balances");
        assertEq(_mapped(10, address(token)), 5, "_totalBalances");
        assertEq(
            _nested(11, ALICE, bytes32(uint256(uint160(address(token))))) & type(uint128).max,
            3,
            "_withdrawals"
        );
        assertEq(_nested(12, ALICE, keccak256("order")), block.number, "_cancelledAt");
        assertEq(_nested(24, ALICE, keccak256("order")), block.number, "_approvedAt");

        // A batch: _batches at 16, _segments at 20, _segmentTop at 21. One fill: ALICE sells a
        // whole token (lot 1e18, tick 1) to BOB for one quote atom.
        TestERC20 quote = new TestERC20("Quote", "QTE", 18);
        vm.startPrank(address(0x7100));
        settlement.setTokenAllowed(address(quote), true);
        settlement.registerMarket(1, address(token), address(quote), 1, 1e18);
        vm.stopPrank();
        ISettlement.Fill[] memory fills = new ISettlement.Fill[](1);
        fills[0].makerOrderHash = keccak256("maker order");
        fills[0].takerOrderHash = keccak256("taker order");
        (fills[0].maker, fills[0].taker, fills[0].marketId) = (ALICE, address(0xB0B), 1);
        (fills[0].price, fills[0].baseAmount) = (1, 1e18);
        (fills[0].makerFilledAfter, fills[0].takerFilledAfter) = (1e18, 1e18);
        CommitPacker.Commit memory c = CommitPacker.build(settlement, 1, fills);
        CommitPacker.commit(settlement, address(this), c);
        bytes32 batchSlot = keccak256(abi.encode(uint256(1), ROOT + 16));
        assertEq(vm.load(address(settlement), batchSlot), c.root, "_batches[1].fillsRoot");
        assertEq(_field(21, 0, 64), 1, "_segmentTop");
        assertEq(_field(21, 64, 8), 0, "_segmentTopClosed after a commit");
        bytes32 segmentSlot = keccak256(abi.encode(uint256(1), ROOT + 20));
        assertEq(uint64(uint256(vm.load(address(settlement), segmentSlot))), 1, "_segments[1].start");
    }

    function _mapped(uint256 offset, address key) internal view returns (uint256) {
        return uint256(vm.load(address(settlement), keccak256(abi.encode(key, ROOT + offset))));
    }

    function _nested(uint256 offset, address key, bytes32 inner) internal view returns (uint256) {
        bytes32 outer = keccak256(abi.encode(key, ROOT + offset));
        return uint256(vm.load(address(settlement), keccak256(abi.encode(inner, outer))));
    }
}
