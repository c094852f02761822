// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommitLib} from "./libraries/CommitLib.sol";
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
        bytes calldata fills,
        Delta[] calldata deltas
    ) external onlySequencer whenNotPaused {
        // Top-level only, so anyone rebuilds every fill from the transaction's input alone (no trace).
        if (msg.sender != tx.origin) revert SettlementNotTopLevel();
        SettlementStorage.Layout storage $ = _s();
        if (batchId != $._nextBatchId) revert SettlementBatchOutOfOrder($._nextBatchId, batchId);
        uint256 records = fills.length / CommitLib.RECORD_BYTES;
        if (
            records > MAX_BATCH_FILLS ||
            deltas.length > MAX_BATCH_DELTAS ||
            msg.data.length > MAX_COMMIT_BYTES
        ) revert SettlementBatchTooLarge(records, deltas.length, msg.data.length);
        DeltaLib.validate(deltas);
        // Validity where it is cheap: the root and the netting are rebuilt here from the fills, so a
        // delta no fill justifies, or a leaf naming another batch or index, cannot be committed.
        (bytes32 fillsRoot, uint32 fillCount) = CommitLib.check($, batchId, fills, deltas);

        // The pending span (rolled-back ids inside it included) is capped, so a flood of batches
        // cannot outgrow what the challenge window and the batch interval call for.
        if (batchId - $._nextFinalizeId >= MAX_PENDING_BATCHES)
            revert SettlementTooManyPending(MAX_PENDING_BATCHES);

        // Join the open top segment, or push a new one after a rollback closed the top.
        uint64 segment = $._segmentTop;
        if ($._segmentTopClosed) {
            segment += 1;
            $._segments[segment] = SettlementStorage.Segment(batchId, 0);
            $._segmentTop = segment;
            $._segmentTopClosed = false;
        }

        bytes32 deltasHash = DeltaLib.hash(deltas);
        uint64 finalizableAt = uint64(block.timestamp) + $._challengeWindow;
        $._batches[batchId] = SettlementStorage.StoredBatch({
            fillsRoot: fillsRoot,
            deltasHash: deltasHash,
            committedAt: uint64(block.timestamp),
            commitBlock: uint64(block.number),
            finalizableAt: finalizableAt,
            fillCount: fillCount,
            openChallenges: 0,
            openDisputes: 0,
            status: BatchStatus.Pending,
            segment: segment,
            segmentStart: $._segments[segment].start,
            // Cancels and nonce bumps up to this block bind the batch (ISettlement, time rules).
            cancelCutoffBlock: block.number > $._cancelGraceBlocks
                ? uint64(block.number) - $._cancelGraceBlocks
                : 0
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
        SettlementStorage.StoredBatch storage b = _pendingBatch(batchId);
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
        $._nextFinalizeId = _nextToFinalize(batchId, b.segment);
        emit BatchFinalized(batchId);
        return true;
    }

    /// @dev The batch to finalize after `batchId` (just finalized, in segment `index`): the next id,
    /// or past the range rolled back after it in one step: the start of the next segment, or
    /// nextBatchId if there is none. One jump suffices: the segment above starts at the first id
    /// committed after the rollback that closed this one (docs/protocol.md, section 2).
    function _nextToFinalize(uint64 batchId, uint64 index) private view returns (uint64 next) {
        SettlementStorage.Layout storage $ = _s();
        next = batchId + 1;
        uint64 top = $._segmentTop;
        if (index == top && !$._segmentTopClosed) return next; // the open top runs to nextBatchId
        if (next != $._segments[index].end) return next;
        next = index < top ? $._segments[index + 1].start : $._nextBatchId;
    }
}
