// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {SettlementDeploy} from "./SettlementDeploy.sol";
import {TestERC20} from "../../contracts/test/TestERC20.sol";
import {FeeOnTransferERC20} from "../../contracts/test/FeeOnTransferERC20.sol";
import {SettlementHandler} from "./SettlementHandler.sol";

/// @dev Whatever sequence of deposits, withdrawals, commits, finalizations and rollbacks the handler
/// runs: the vault holds at least every balance, the recorded totals are exact, balances follow the
/// model (and never exceed deposits plus credits), and batches finalize strictly in order.
/// Runs and depth: `test.solidity.invariant` in hardhat.config.ts.
contract SettlementInvariantTest is Test {
    uint32 internal constant MARKET_ID = 1;
    address internal constant FEE_RECIPIENT = address(0xFEE);

    ISettlement internal settlement;
    TestERC20 internal base;
    TestERC20 internal quote;
    FeeOnTransferERC20 internal feeToken;
    SettlementHandler internal handler;

    function setUp() public {
        base = new TestERC20("Wrapped Ether", "WETH", 18);
        quote = new TestERC20("USD Coin", "USDC", 6);
        feeToken = new FeeOnTransferERC20("Fee On Transfer", "FOT", 100); // 1% burnt per transfer

        // This test is the timelock and guardian; the handler becomes sequencer and arbiter below.
        settlement = SettlementDeploy.proxy(SettlementDeploy.params(address(this), FEE_RECIPIENT, 0.1 ether));
        settlement.setTokenAllowed(address(base), true);
        settlement.setTokenAllowed(address(quote), true);
        // Allowed, so that only its short delivery can refuse its deposits.
        settlement.setTokenAllowed(address(feeToken), true);
        // tick 0.01 USDC, lot 0.0001 WETH: lot·tick = 10^18, one whole base unit.
        settlement.registerMarket(MARKET_ID, address(base), address(quote), 10_000, 1e14);

        uint256[] memory traderKeys = new uint256[](4);
        for (uint256 i; i < traderKeys.length; ++i) traderKeys[i] = 0xA11CE + i;
        handler = new SettlementHandler(
            settlement,
            base,
            quote,
            feeToken,
            MARKET_ID,
            traderKeys,
            FEE_RECIPIENT
        );
        settlement.setRoles(address(handler), address(handler), address(this));

        bytes4[] memory selectors = new bytes4[](10);
        selectors[0] = SettlementHandler.deposit.selector;
        selectors[1] = SettlementHandler.depositFeeOnTransfer.selector;
        selectors[2] = SettlementHandler.requestWithdrawal.selector;
        selectors[3] = SettlementHandler.withdraw.selector;
        selectors[4] = SettlementHandler.commitBatch.selector;
        selectors[5] = SettlementHandler.finalizeBatch.selector;
        selectors[6] = SettlementHandler.proveConflictingFills.selector;
        selectors[7] = SettlementHandler.challengeFill.selector;
        selectors[8] = SettlementHandler.dispute.selector;
        selectors[9] = SettlementHandler.warp.selector;
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    // ------------------------------------------------------------ invariants

    /// @dev For every token: the vault holds at least the sum of all balances, and `totalBalance`
    /// is exactly that sum.
    function invariant_vaultCoversEveryBalance() public view {
        address[3] memory tokens = [address(base), address(quote), address(feeToken)];
        address[] memory accounts = handler.accounts();
        for (uint256 t; t < tokens.length; ++t) {
            uint256 sum;
            for (uint256 a; a < accounts.length; ++a) sum += settlement.balanceOf(accounts[a], tokens[t]);
            assertGe(
                IERC20(tokens[t]).balanceOf(address(settlement)),
                sum,
                "vault holds less than the balances"
            );
            assertEq(settlement.totalBalance(tokens[t]), sum, "totalBalance is not the sum of balances");
        }
        assertEq(settlement.totalBalance(address(feeToken)), 0, "fee-on-transfer token credited");
    }

    /// @dev Every balance is what the model says, and never more than deposits plus credits.
    function invariant_balancesFollowTheModel() public view {
        address[2] memory tokens = [address(base), address(quote)];
        address[] memory accounts = handler.accounts();
        for (uint256 a; a < accounts.length; ++a) {
            for (uint256 t; t < tokens.length; ++t) {
                uint256 balance = settlement.balanceOf(accounts[a], tokens[t]);
                assertEq(
                    balance,
                    handler.ghostBalance(accounts[a], tokens[t]),
                    "balance differs from the model"
                );
                assertLe(
                    balance,
                    handler.ghostDeposited(accounts[a], tokens[t]) +
                        handler.ghostCredited(accounts[a], tokens[t]),
                    "balance above deposits plus credits"
                );
            }
        }
    }

    /// @dev Batches settle strictly in order: everything before nextFinalizeId is finalized or rolled
    /// back, nextFinalizeId is pending (or nothing is), and after it pending batches are interleaved
    /// only with rolled-back ones. No batch was finalized at or past nextFinalizeId.
    function invariant_batchesFinalizeInOrder() public view {
        uint64 next = settlement.nextBatchId();
        uint64 nextFinalize = settlement.nextFinalizeId();
        assertLe(nextFinalize, next);
        for (uint64 id = 1; id < next; ++id) {
            ISettlement.BatchStatus status = settlement.batch(id).status;
            if (id < nextFinalize) {
                assertTrue(
                    status == ISettlement.BatchStatus.Finalized ||
                        status == ISettlement.BatchStatus.RolledBack,
                    "batch before nextFinalizeId still pending"
                );
            } else if (id == nextFinalize) {
                assertEq(uint8(status), uint8(ISettlement.BatchStatus.Pending), "nextFinalizeId not pending");
            } else {
                assertTrue(
                    status == ISettlement.BatchStatus.Pending || status == ISettlement.BatchStatus.RolledBack,
                    "batch after nextFinalizeId finalized"
                );
            }
        }
        assertEq(uint8(settlement.batch(next).status), uint8(ISettlement.BatchStatus.None));
        assertLt(handler.lastFinalized(), nextFinalize, "a batch finalized past nextFinalizeId");
    }

    /// @dev What the handler checked along the way (reverts inside it are ignored by the runner).
    function invariant_handlerSawNoViolation() public view {
        uint256 count = handler.violationCount();
        assertEq(count, 0, count == 0 ? "" : handler.violations(0));
    }

    // ------------------------------------------------------------ the handler reaches every path

    /// @dev A fixed sequence through the handler that must reach every path, so that the invariants
    /// above are not vacuously true over a handler that always reverts.
    function test_handler_reachesEveryPath() public {
        for (uint256 i; i < 4; ++i) {
            handler.deposit(i, true, 100e18);
            handler.deposit(i, false, 1_000_000e6);
        }
        handler.depositFeeOnTransfer(0, 1e18);

        handler.commitBatch(1, 4, false, false);
        handler.finalizeBatch(); // prudent: fits
        handler.commitBatch(2, 1, false, true);
        handler.proveConflictingFills(0);
        handler.commitBatch(3, 2, false, false);
        handler.proveConflictingFills(0); // refused: disjoint fills
        handler.challengeFill(0, true);
        handler.dispute(0, false);
        handler.finalizeBatch();
        handler.commitBatch(4, 2, false, false);
        handler.challengeFill(0, false);
        handler.commitBatch(5, 2, false, false);
        handler.dispute(0, true);
        // Reckless batches overdraw sooner or later.
        for (uint256 seed = 6; handler.calls("rolledBack:negativeBalance") == 0 && seed < 40; ++seed) {
            handler.commitBatch(seed, 6, true, false);
            handler.finalizeBatch();
        }
        handler.requestWithdrawal(0, true, 1e18);
        handler.withdraw(0, true);
        handler.warp(1);

        string[13] memory paths = [
            "deposit",
            "depositFeeOnTransfer",
            "requestWithdrawal",
            "withdraw",
            "commitBatch",
            "finalized",
            "rolledBack:negativeBalance",
            "rolledBack:conflictingFills",
            "refused:noConflict",
            "challengeAnswered",
            "rolledBack:challengeUnanswered",
            "rolledBack:disputeUpheld",
            "disputeDismissed"
        ];
        for (uint256 i; i < paths.length; ++i) {
            assertGt(handler.calls(bytes32(bytes(paths[i]))), 0, paths[i]);
        }
        invariant_vaultCoversEveryBalance();
        invariant_balancesFollowTheModel();
        invariant_batchesFinalizeInOrder();
        invariant_handlerSawNoViolation();
    }
}
