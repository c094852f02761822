// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DeltaLib} from "./libraries/DeltaLib.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {SettlementCore} from "./SettlementCore.sol";
import {SettlementStorage} from "./libraries/SettlementStorage.sol";

/// @title SettlementBatches
/// @notice The two-phase commit: the sequencer commits a batch, anyone finalizes it after its window.
abstract contract SettlementBatches is ISettlement, SettlementCore {
    /// @inheritdoc ISettlement
    function commitBatch(
        uint64 batchId,
        bytes32 fillsRoot,
        Delta[] calldata deltas,
        uint32 fillCount
    ) external onlySequencer whenNotPaused {
        SettlementStorage.Layout storage $ = _s();
        if (batchId != $._nextBatchId) revert SettlementBatchOutOfOrder($._nextBatchId, batchId);
        if (fillCount == 0) revert SettlementEmptyBatch();
        DeltaLib.validate(deltas);

        bytes32 deltasHash = DeltaLib.hash(deltas);
        uint64 finalizableAt = uint64(block.timestamp) + $._challengeWindow;
        $._batches[batchId] = Batch({
            fillsRoot: fillsRoot,
            deltasHash: deltasHash,
            committedAt: uint64(block.timestamp),
            commitBlock: uint64(block.number),
            finalizableAt: finalizableAt,
            fillCount: fillCount,
            openChallenges: 0,
            openDisputes: 0,
            status: BatchStatus.Pending
        });
        $._nextBatchId = batchId + 1;
        emit BatchCommitted(batchId, fillsRoot, deltasHash, fillCount, finalizableAt);
    }

    /// @inheritdoc ISettlement
    function finalizeBatch(
        uint64 batchId,
        Delta[] calldata deltas
    ) external whenNotPaused returns (bool finalized) {
        SettlementStorage.Layout storage $ = _s();
        if (batchId != $._nextFinalizeId) revert SettlementBatchOutOfOrder($._nextFinalizeId, batchId);
        Batch storage b = _pendingBatch(batchId);
        if (block.timestamp < b.finalizableAt || b.openChallenges != 0 || b.openDisputes != 0) {
            revert SettlementBatchNotFinalizable(batchId);
        }
        if (DeltaLib.hash(deltas) != b.deltasHash) revert SettlementDeltasMismatch(batchId);

        if (!DeltaLib.applyTo($._balances, deltas)) {
            // Rejected rather than stuck: nothing was applied, and later batches may rest on it.
            _rollback(batchId, RollbackReason.NegativeBalance);
            return false;
        }
        b.status = BatchStatus.Finalized;
        $._nextFinalizeId = _nextToFinalize(batchId);
        emit BatchFinalized(batchId);
        return true;
    }

    /// @dev The batch to finalize after `batchId`: the next one, past any range rolled back while
    /// `batchId` was still pending (a rollback of a later batch leaves earlier ones pending). Each
    /// rolled-back id is skipped once, and was committed (and paid for) by the sequencer.
    function _nextToFinalize(uint64 batchId) private view returns (uint64 next) {
        SettlementStorage.Layout storage $ = _s();
        uint64 end = $._nextBatchId;
        next = batchId + 1;
        while (next < end && $._batches[next].status == BatchStatus.RolledBack) ++next;
    }
}
