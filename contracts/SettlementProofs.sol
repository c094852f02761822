// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {FillLib} from "./libraries/FillLib.sol";
import {OrderLib} from "./libraries/OrderLib.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {SettlementCore} from "./SettlementCore.sol";
import {SettlementStorage} from "./libraries/SettlementStorage.sol";

/// @title SettlementProofs
/// @notice Fraud proofs checked entirely on-chain: a fill against its signed order, and two fills
/// of one order claiming the same part of it.
abstract contract SettlementProofs is SettlementCore {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice See `ISettlement`.
    function proveFillFraud(
        ISettlement.Fill memory fill,
        bytes32[] calldata proof,
        OrderLib.Order memory order,
        bool isMaker
    ) external returns (ISettlement.FraudKind kind) {
        SettlementStorage.StoredBatch storage b = _pendingBatch(fill.batchId);
        _verifyFill(b, fill, proof);
        bytes32 orderHash = _checkOrder(order, isMaker ? fill.makerOrderHash : fill.takerOrderHash);

        kind = _findFraud(b, fill, order, isMaker, orderHash);

        emit ISettlement.FraudProven(fill.batchId, orderHash, kind);
        _rollback(fill.batchId, ISettlement.RollbackReason.FraudProof);
    }

    /// @notice See `ISettlement`.
    function proveConflictingFills(
        ISettlement.Fill memory a,
        bytes32[] calldata proofA,
        bool aIsMaker,
        ISettlement.Fill memory b,
        bytes32[] calldata proofB,
        bool bIsMaker
    ) external {
        bytes32 leafA = _verifyFill(_settledOrPendingBatch(a.batchId), a, proofA);
        bytes32 leafB = _verifyFill(_settledOrPendingBatch(b.batchId), b, proofB);
        bytes32 orderHash = aIsMaker ? a.makerOrderHash : a.takerOrderHash;
        if ((bIsMaker ? b.makerOrderHash : b.takerOrderHash) != orderHash)
            revert ISettlement.SettlementOrderMismatch(orderHash);
        if (leafA == leafB) revert ISettlement.SettlementNoFraud();

        FillLib.Side memory sideA = FillLib.sideOf(a, aIsMaker);
        FillLib.Side memory sideB = FillLib.sideOf(b, bIsMaker);
        if (!FillLib.overlaps(a.baseAmount, sideA.filledAfter, b.baseAmount, sideB.filledAfter)) {
            revert ISettlement.SettlementNoFraud();
        }

        // The later fill is the one that contradicts what was already committed.
        uint64 later = a.batchId > b.batchId ? a.batchId : b.batchId;
        _pendingBatch(later);
        _rollback(later, ISettlement.RollbackReason.ConflictingFills);
    }

    /// @notice See `ISettlement`.
    function proveMislabelledFill(
        uint64 batchId,
        ISettlement.Fill memory fill,
        bytes32[] calldata proof
    ) external {
        SettlementStorage.StoredBatch storage b = _pendingBatch(batchId);
        _verifyFill(b, fill, proof);
        if (fill.batchId == batchId && fill.index < b.fillCount) revert ISettlement.SettlementNoFraud();
        emit ISettlement.FraudProven(batchId, bytes32(0), ISettlement.FraudKind.MislabelledLeaf);
        _rollback(batchId, ISettlement.RollbackReason.FraudProof);
    }

    /// @dev The first fraud of `fill` against `order`; reverts `SettlementNoFraud` if there is none.
    function _findFraud(
        SettlementStorage.StoredBatch storage b,
        ISettlement.Fill memory fill,
        OrderLib.Order memory order,
        bool isMaker,
        bytes32 orderHash
    ) private view returns (ISettlement.FraudKind kind) {
        FillLib.CommitContext memory ctx = _commitContext(b, order.trader, orderHash, fill.marketId);
        bool found;
        (found, kind) = FillLib.findFraud(fill, order, isMaker, ctx);
        if (!found) revert ISettlement.SettlementNoFraud();
    }

    /// @dev A fill of a rolled-back batch never happened, so it conflicts with nothing.
    function _settledOrPendingBatch(
        uint64 batchId
    ) private view returns (SettlementStorage.StoredBatch storage b) {
        b = _s()._batches[batchId];
        if (b.status != ISettlement.BatchStatus.Finalized && !_isPending(batchId, b)) {
            revert ISettlement.SettlementBatchNotPending(batchId);
        }
    }

    /// @dev What the chain said about the order and its market at the batch's commit. Cancels and
    /// nonce bumps count up to the batch's cancelCutoffBlock (commitBlock - cancel grace). A market
    /// counts as paused at the commit if it was paused at the end of
    /// block commitBlock - 1 or at the end of commitBlock: the pause may precede the commit within
    /// the block, and block granularity cannot tell, so doubt goes to the traders.
    function _commitContext(
        SettlementStorage.StoredBatch storage b,
        address trader,
        bytes32 orderHash,
        uint32 marketId
    ) private view returns (FillLib.CommitContext memory ctx) {
        SettlementStorage.Layout storage $ = _s();
        uint48 commitBlock = SafeCast.toUint48(b.commitBlock);
        uint48 cutoff = SafeCast.toUint48(b.cancelCutoffBlock);
        uint64 cancelledAt = $._cancelledAt[trader][orderHash];
        Checkpoints.Trace208 storage pauses = $._marketPauses[marketId];

        ctx.committedAt = b.committedAt;
        // A cancel or nonce bump binds the batch only from the cancel grace on (finding 10): one in
        // the blocks just before the commit cannot make the trader's own fill provable.
        ctx.cancelledBeforeCommit = cancelledAt != 0 && cancelledAt <= cutoff;
        ctx.minNonceBeforeCommit = uint64($._minNonces[trader].upperLookupRecent(cutoff));
        ctx.marketPausedAtCommit =
            pauses.upperLookupRecent(commitBlock - 1) != 0 ||
            pauses.upperLookupRecent(commitBlock) != 0;
        ctx.market = $._markets[marketId];
    }
}
