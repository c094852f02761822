// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "./interfaces/ISettlement.sol";
import {SettlementCore} from "./SettlementCore.sol";
import {SettlementStorage} from "./libraries/SettlementStorage.sol";

/// @title SettlementDisputes
/// @notice Bonded claims that no fraud proof can show, decided by the arbiter. An undecided dispute
/// expires with its bond forfeited (a hold on settlement is never free), so it never freezes a
/// batch forever and no safety property waits for the arbiter. Bonds are credited, never pushed:
/// each party takes its own with `withdrawBond` (docs/protocol.md, section 5).
abstract contract SettlementDisputes is SettlementCore {
    /// @notice See `ISettlement`.
    function openDispute(
        uint64 batchId,
        bytes32 claimHash
    ) external payable nonReentrant returns (uint256 disputeId) {
        SettlementStorage.Layout storage $ = _s();
        if (msg.value != $._disputeBond) revert ISettlement.SettlementWrongBond($._disputeBond, msg.value);
        SettlementStorage.StoredBatch storage b = _pendingBatch(batchId);
        if (block.timestamp >= b.finalizableAt) revert ISettlement.SettlementChallengeWindowClosed(batchId);

        // Ids start at 1 for symmetry with challenges; a uint64 counter cannot overflow.
        disputeId = ++$._lastDisputeId;
        $._disputes[disputeId] = ISettlement.Dispute({
            batchId: batchId,
            disputer: msg.sender,
            bond: uint128(msg.value), // == disputeBond, a uint128
            deadline: uint64(block.timestamp) + $._disputeTimeout,
            status: ISettlement.DisputeStatus.Open,
            claimHash: claimHash
        });
        ++b.openDisputes;
        emit ISettlement.DisputeOpened(disputeId, batchId, msg.sender, claimHash);
    }

    /// @notice See `ISettlement`.
    /// @dev Upholding a dispute whose batch already rolled back (for another reason) only refunds.
    function resolveDispute(uint256 disputeId, bool uphold) external onlyArbiter nonReentrant {
        ISettlement.Dispute storage d = _close(
            disputeId,
            uphold ? ISettlement.DisputeStatus.Upheld : ISettlement.DisputeStatus.Dismissed
        );
        if (uphold && _isPending(d.batchId, _s()._batches[d.batchId])) {
            _rollback(d.batchId, ISettlement.RollbackReason.DisputeUpheld);
        }
        _creditBond(uphold ? d.disputer : _s()._feeRecipient, d.bond);
    }

    /// @notice See `ISettlement`.
    /// @dev Past the deadline with the batch still pending, the bond is forfeited to the fee
    /// recipient: the disputer held settlement for the whole timeout. Also allowed before the
    /// deadline once the batch is no longer pending (rolled back for another reason): nothing is
    /// left to decide, the hold is over, and the bond is refunded.
    function expireDispute(uint256 disputeId) external nonReentrant {
        ISettlement.Dispute storage d = _s()._disputes[disputeId];
        bool pending = _isPending(d.batchId, _s()._batches[d.batchId]);
        if (d.status == ISettlement.DisputeStatus.Open && block.timestamp < d.deadline && pending)
            revert ISettlement.SettlementDisputeDeadlineNotReached(disputeId);
        _close(disputeId, ISettlement.DisputeStatus.Expired);
        _creditBond(pending ? _s()._feeRecipient : d.disputer, d.bond);
    }

    /// @notice See `ISettlement`.
    function withdrawBond() external nonReentrant returns (uint256 amount) {
        mapping(address => uint256) storage credits = _s()._bondCredits;
        amount = credits[msg.sender];
        if (amount == 0) revert ISettlement.SettlementNoBond(msg.sender);
        credits[msg.sender] = 0;
        emit ISettlement.BondWithdrawn(msg.sender, amount);
        (bool ok, ) = msg.sender.call{value: amount}("");
        if (!ok) revert ISettlement.SettlementBondTransferFailed();
    }

    /// @dev Ends an open dispute with `status` and releases its hold on the batch.
    function _close(
        uint256 disputeId,
        ISettlement.DisputeStatus status
    ) private returns (ISettlement.Dispute storage d) {
        d = _s()._disputes[disputeId];
        if (d.status != ISettlement.DisputeStatus.Open)
            revert ISettlement.SettlementDisputeNotOpen(disputeId);
        d.status = status;
        --_s()._batches[d.batchId].openDisputes; // >= 1: this dispute was open on it
        emit ISettlement.DisputeResolved(disputeId, status);
    }

    /// @dev Credits a bond to `to`, who takes it with `withdrawBond`: a recipient that refuses the
    /// native currency can delay only its own payment, never the dispute.
    function _creditBond(address to, uint256 amount) private {
        if (amount == 0) return;
        _s()._bondCredits[to] += amount;
        emit ISettlement.BondCredited(to, amount);
    }
}
