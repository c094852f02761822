// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SignatureLib} from "./libraries/SignatureLib.sol";
import {OrderLib} from "./libraries/OrderLib.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {SettlementCore} from "./SettlementCore.sol";
import {SettlementStorage} from "./libraries/SettlementStorage.sol";

/// @title SettlementChallenges
/// @notice "I never signed this order": a trader named in a fill challenges it, and the sequencer must
/// show the signed order on-chain within the response window, or the batch rolls back.
abstract contract SettlementChallenges is SettlementCore {
    /// @notice See `ISettlement`.
    function challengeFill(
        ISettlement.Fill memory fill,
        bytes32[] calldata proof
    ) external returns (uint256 challengeId) {
        SettlementStorage.Layout storage $ = _s();
        SettlementStorage.StoredBatch storage b = _pendingBatch(fill.batchId);
        // A late challenge (the batch still pending after its window, waiting for an earlier one)
        // holds nothing: it rolls the batch back only if still pending and unanswered at its
        // deadline, so no hold outlasts the exit window (docs/protocol.md, section 5).
        bool late = block.timestamp >= b.finalizableAt;
        _verifyFill(b, fill, proof);
        bytes32 orderHash = _challengedOrder(fill);
        if ($._challengeOf[fill.batchId][orderHash] != 0)
            revert ISettlement.SettlementChallengeExists(fill.batchId, orderHash);

        // Ids start at 1 (0 means "none" in _challengeOf); a uint64 counter cannot overflow.
        challengeId = ++$._lastChallengeId;
        $._challenges[challengeId] = SettlementStorage.ChallengeRecord(
            ISettlement.Challenge({
                batchId: fill.batchId,
                trader: msg.sender,
                deadline: uint64(block.timestamp) + $._challengeResponseWindow,
                status: ISettlement.ChallengeStatus.Open
            }),
            orderHash,
            late
        );
        $._challengeOf[fill.batchId][orderHash] = challengeId;
        if (!late) ++b.openChallenges;
        emit ISettlement.ChallengeOpened(challengeId, fill.batchId, orderHash, msg.sender);
    }

    /// @notice See `ISettlement`.
    function answerChallenge(
        uint256 challengeId,
        OrderLib.Order memory order,
        bytes calldata signature
    ) external {
        SettlementStorage.ChallengeRecord storage record = _openChallenge(challengeId);
        ISettlement.Challenge storage c = record.challenge;
        if (block.timestamp >= c.deadline) revert ISettlement.SettlementChallengeDeadlinePassed(challengeId);
        bytes32 orderHash = _checkOrder(order, record.orderHash);
        // The order hash covers the trader, so the order names the challenger iff this holds.
        if (order.trader != c.trader) revert ISettlement.SettlementOrderMismatch(orderHash);
        // The trader's ECDSA signature, whatever code its address has; else a contract wallet's
        // approval recorded on-chain by the batch's cancel cutoff (a grace before the commit).
        // Nothing the trader controls is asked now, so nothing can be revoked (finding 5).
        if (!SignatureLib.recovers(c.trader, orderHash, signature)) {
            uint64 approvedAt = _s()._approvedAt[c.trader][orderHash];
            if (approvedAt == 0 || approvedAt > _s()._batches[c.batchId].cancelCutoffBlock)
                revert ISettlement.SettlementInvalidSignature();
        }

        c.status = ISettlement.ChallengeStatus.Answered;
        if (!record.late) --_s()._batches[c.batchId].openChallenges; // >= 1: it holds the batch
        emit ISettlement.ChallengeAnswered(challengeId);
    }

    /// @notice See `ISettlement`.
    /// @dev If the batch already rolled back for another reason, the challenge is closed as upheld
    /// without a second rollback.
    function upholdChallenge(uint256 challengeId) external {
        SettlementStorage.ChallengeRecord storage record = _openChallenge(challengeId);
        ISettlement.Challenge storage c = record.challenge;
        if (block.timestamp < c.deadline)
            revert ISettlement.SettlementChallengeDeadlineNotReached(challengeId);

        c.status = ISettlement.ChallengeStatus.Upheld;
        SettlementStorage.StoredBatch storage b = _s()._batches[c.batchId];
        if (!record.late) --b.openChallenges; // >= 1: it holds the batch
        emit ISettlement.ChallengeUpheld(challengeId);
        // A holding challenge kept the batch pending (or it rolled back for another reason); a
        // late one held nothing, so the batch may also have finalized: then nothing rolls back.
        if (_isPending(c.batchId, b)) _rollback(c.batchId, ISettlement.RollbackReason.ChallengeUnanswered);
    }

    function _openChallenge(
        uint256 challengeId
    ) private view returns (SettlementStorage.ChallengeRecord storage r) {
        r = _s()._challenges[challengeId];
        if (r.challenge.status != ISettlement.ChallengeStatus.Open)
            revert ISettlement.SettlementChallengeNotOpen(challengeId);
    }

    /// @dev The caller's side of the fill. A self-trade names the caller on both sides: the maker
    /// side is challenged first, the taker side once the maker side has a challenge.
    function _challengedOrder(ISettlement.Fill memory fill) private view returns (bytes32) {
        bool maker = msg.sender == fill.maker;
        if (
            maker && (msg.sender != fill.taker || _s()._challengeOf[fill.batchId][fill.makerOrderHash] == 0)
        ) {
            return fill.makerOrderHash;
        }
        if (msg.sender == fill.taker) return fill.takerOrderHash;
        revert ISettlement.SettlementNotNamedInFill(msg.sender);
    }
}
