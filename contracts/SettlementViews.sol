// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {OrderLib} from "./libraries/OrderLib.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {SettlementCore} from "./SettlementCore.sol";
import {SettlementStorage} from "./libraries/SettlementStorage.sol";

/// @title SettlementViews
/// @notice Read-only access to the state, for the sequencer, indexers and tests.
abstract contract SettlementViews is ISettlement, SettlementCore {
    using Checkpoints for Checkpoints.Trace208;

    /// @inheritdoc ISettlement
    function balanceOf(address account, address token) external view returns (uint256) {
        return _s()._balances[account][token];
    }

    /// @inheritdoc ISettlement
    function totalBalance(address token) external view returns (uint256) {
        return _s()._totalBalances[token];
    }

    /// @inheritdoc ISettlement
    function withdrawalRequest(
        address account,
        address token
    ) external view returns (WithdrawalRequest memory) {
        return _s()._withdrawals[account][token];
    }

    /// @inheritdoc ISettlement
    function isTokenAllowed(address token) external view returns (bool) {
        return _s()._tokenAllowed[token];
    }

    /// @inheritdoc ISettlement
    function market(uint32 marketId) external view returns (Market memory) {
        return _s()._markets[marketId];
    }

    /// @inheritdoc ISettlement
    function batch(uint64 batchId) external view returns (Batch memory) {
        SettlementStorage.StoredBatch storage b = _s()._batches[batchId];
        return
            Batch({
                fillsRoot: b.fillsRoot,
                deltasHash: b.deltasHash,
                committedAt: b.committedAt,
                commitBlock: b.commitBlock,
                finalizableAt: b.finalizableAt,
                fillCount: b.fillCount,
                openChallenges: b.openChallenges,
                openDisputes: b.openDisputes,
                status: _statusOf(batchId),
                cancelCutoffBlock: b.cancelCutoffBlock
            });
    }

    /// @inheritdoc ISettlement
    function nextBatchId() external view returns (uint64) {
        return _s()._nextBatchId;
    }

    /// @inheritdoc ISettlement
    function nextFinalizeId() external view returns (uint64) {
        return _s()._nextFinalizeId;
    }

    /// @inheritdoc ISettlement
    function cancelGraceBlocks() external view returns (uint32) {
        return _s()._cancelGraceBlocks;
    }

    /// @inheritdoc ISettlement
    function bondCredit(address account) external view returns (uint256) {
        return _s()._bondCredits[account];
    }

    /// @inheritdoc ISettlement
    function challenge(uint256 challengeId) external view returns (Challenge memory) {
        return _s()._challenges[challengeId].challenge;
    }

    /// @inheritdoc ISettlement
    function dispute(uint256 disputeId) external view returns (Dispute memory) {
        return _s()._disputes[disputeId];
    }

    /// @inheritdoc ISettlement
    function cancelledAtBlock(address trader, bytes32 orderHash) external view returns (uint64) {
        return _s()._cancelledAt[trader][orderHash];
    }

    /// @inheritdoc ISettlement
    function approvedAtBlock(address trader, bytes32 orderHash) external view returns (uint64) {
        return _s()._approvedAt[trader][orderHash];
    }

    /// @inheritdoc ISettlement
    function minNonceAt(address trader, uint64 blockNumber) external view returns (uint64) {
        Checkpoints.Trace208 storage history = _s()._minNonces[trader];
        // Checkpoint keys are uint48 block numbers; any later block sees the latest value.
        if (blockNumber > type(uint48).max) return uint64(history.latest());
        return uint64(history.upperLookupRecent(uint48(blockNumber)));
    }

    /// @inheritdoc ISettlement
    function minNonce(address trader) external view returns (uint64) {
        return uint64(_s()._minNonces[trader].latest());
    }

    /// @inheritdoc ISettlement
    function hashOrder(OrderLib.Order memory order) external view returns (bytes32) {
        return _hashOrder(order);
    }

    /// @inheritdoc ISettlement
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator();
    }

    /// @inheritdoc ISettlement
    function roles()
        external
        view
        returns (address timelock, address guardian, address arbiter, address sequencer)
    {
        SettlementStorage.Layout storage $ = _s();
        return ($._timelock, $._guardian, $._arbiter, $._sequencer);
    }

    /// @inheritdoc ISettlement
    function feeRecipient() external view returns (address) {
        return _s()._feeRecipient;
    }

    /// @inheritdoc ISettlement
    function parameters()
        external
        view
        returns (
            uint64 challengeWindow,
            uint64 challengeResponseWindow,
            uint64 withdrawalDelay,
            uint64 disputeTimeout,
            uint128 disputeBond
        )
    {
        SettlementStorage.Layout storage $ = _s();
        return (
            $._challengeWindow,
            $._challengeResponseWindow,
            $._withdrawalDelay,
            $._disputeTimeout,
            $._disputeBond
        );
    }

    /// @inheritdoc ISettlement
    function paused() external view returns (bool) {
        return _s()._paused;
    }
}
