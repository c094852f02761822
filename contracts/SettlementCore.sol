// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {FillLib} from "./libraries/FillLib.sol";
import {OrderLib} from "./libraries/OrderLib.sol";
import {SettlementStorage} from "./libraries/SettlementStorage.sol";

/// @title SettlementCore
/// @notice What every part of `Settlement` and of `SettlementExtension` shares: storage access, role
/// checks, the EIP-712 domain, fill verification and the cascading rollback.
/// @dev Deliberately not an `ISettlement`: the extension implements only part of the interface, so
/// types, errors and events are named through `ISettlement.` here.
abstract contract SettlementCore is ReentrancyGuardUpgradeable {
    /// @dev keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    bytes32 private constant _DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    /// @dev keccak256("Clearmatch"): the domain name of DESIGN.md
    bytes32 private constant _NAME_HASH = keccak256("Clearmatch");
    /// @dev keccak256("1"): the domain version of DESIGN.md
    bytes32 private constant _VERSION_HASH = keccak256("1");

    /// @notice The most batch ids that may lie between the finalize cursor and the next id (pending
    /// batches and rolled-back ones not yet passed): one cut every 2 s over a 30-minute challenge
    /// window needs 900 (docs/protocol.md, section 2).
    uint64 internal constant MAX_PENDING_BATCHES = 1024;

    /// @notice The most fills and deltas one batch may carry, so that finalizing it fits the 15M
    /// gas budget in the worst case (every credit a new storage slot, a negative balance at the
    /// last delta: `test/settlement/batch-limits.test.ts`) and a committed batch can always be
    /// finalized or rolled back (docs/protocol.md, section 3).
    uint32 internal constant MAX_BATCH_FILLS = 1024;
    uint256 internal constant MAX_BATCH_DELTAS = 512;
    /// @dev Most calldata bytes of one commit: Geth and Bor refuse transactions over 128 KB,
    /// zkEVM-profile pools over 100 KB (docs/protocol.md, section 3).
    uint256 internal constant MAX_COMMIT_BYTES = 120_000;

    /// @notice How much longer than the withdrawal delay the timelock must wait before any upgrade
    /// or parameter change, so that a user who sees one scheduled can always request, wait out the
    /// delay and withdraw first (docs/protocol.md, section 6).
    uint64 internal constant EXIT_MARGIN = 7 days;

    /// @notice Gas `recordApproval` gives a wallet's ERC-1271 `isValidSignature` (the EIP's own
    /// suggestion for a bounded check).
    uint256 internal constant APPROVAL_GAS = 50_000;

    modifier onlyTimelock() {
        _checkCaller(_s()._timelock);
        _;
    }

    modifier onlySequencer() {
        _checkCaller(_s()._sequencer);
        _;
    }

    modifier onlyArbiter() {
        _checkCaller(_s()._arbiter);
        _;
    }

    modifier whenNotPaused() {
        if (_s()._paused) revert ISettlement.SettlementPaused();
        _;
    }

    function _s() internal pure returns (SettlementStorage.Layout storage) {
        return SettlementStorage.layout();
    }

    function _checkCaller(address role) internal view {
        if (msg.sender != role) revert ISettlement.SettlementUnauthorized(msg.sender);
    }

    function _checkGuardianOrTimelock() internal view {
        SettlementStorage.Layout storage $ = _s();
        if (msg.sender != $._guardian && msg.sender != $._timelock)
            revert ISettlement.SettlementUnauthorized(msg.sender);
    }

    /// @dev Computed, not cached: it depends only on constants, the chain id and this (proxy)
    /// address, so it stays right across forks and upgrades and costs no storage read.
    function _domainSeparator() internal view returns (bytes32) {
        return
            keccak256(abi.encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, block.chainid, address(this)));
    }

    function _hashOrder(OrderLib.Order memory order) internal view returns (bytes32) {
        return OrderLib.hash(order, _domainSeparator());
    }

    /// @dev Reverts unless `order` hashes to `expected`; returns the hash.
    function _checkOrder(OrderLib.Order memory order, bytes32 expected) internal view returns (bytes32) {
        if (_hashOrder(order) != expected) revert ISettlement.SettlementOrderMismatch(expected);
        return expected;
    }

    /// @dev The batch, reverting unless it is pending.
    function _pendingBatch(uint64 batchId) internal view returns (SettlementStorage.StoredBatch storage b) {
        b = _s()._batches[batchId];
        if (!_isPending(batchId, b)) revert ISettlement.SettlementBatchNotPending(batchId);
    }

    /// @dev Whether committed batch `batchId` (stored as `b`) is still pending: not finalized, not
    /// passed by the finalize cursor, and inside a live segment (its slot not dropped or reused by a
    /// rollback, and the id below the segment's end once it is closed). O(1): docs/protocol.md,
    /// section 2.
    function _isPending(
        uint64 batchId,
        SettlementStorage.StoredBatch storage b
    ) internal view returns (bool) {
        SettlementStorage.Layout storage $ = _s();
        if (b.status != ISettlement.BatchStatus.Pending || batchId < $._nextFinalizeId) return false;
        uint64 index = b.segment;
        uint64 top = $._segmentTop;
        if (index > top) return false;
        SettlementStorage.Segment storage seg = $._segments[index];
        if (seg.start != b.segmentStart) return false; // the slot was reused by a newer segment
        return (index == top && !$._segmentTopClosed) || batchId < seg.end;
    }

    /// @dev The public status: Finalized and None as stored; a stored Pending is Pending while
    /// `_isPending`, RolledBack after.
    function _statusOf(uint64 batchId) internal view returns (ISettlement.BatchStatus) {
        SettlementStorage.StoredBatch storage b = _s()._batches[batchId];
        if (b.status != ISettlement.BatchStatus.Pending) return b.status;
        return _isPending(batchId, b) ? ISettlement.BatchStatus.Pending : ISettlement.BatchStatus.RolledBack;
    }

    /// @dev Reverts unless `proof` shows `fill` is a leaf of `b`'s fills tree; returns the leaf.
    function _verifyFill(
        SettlementStorage.StoredBatch storage b,
        ISettlement.Fill memory fill,
        bytes32[] calldata proof
    ) internal view returns (bytes32 leaf) {
        leaf = FillLib.leaf(fill);
        if (!MerkleProof.verifyCalldata(proof, b.fillsRoot, leaf))
            revert ISettlement.SettlementInvalidProof();
    }

    /// @dev Rolls back pending batch `fromBatchId` and every later one: batches finalize in order, so
    /// a later batch may rest on the rolled-back one and cannot stand alone. Earlier pending batches
    /// stay pending and finalizable; `finalizeBatch` skips the rolled-back range after them in one
    /// step. Ids are never reused: new batches continue at nextBatchId, in a new segment. O(1): the
    /// batch's segment is cut at `fromBatchId` (or dropped if it starts there) and becomes the
    /// closed top, which drops every segment above it (docs/protocol.md, section 2).
    function _rollback(uint64 fromBatchId, ISettlement.RollbackReason reason) internal {
        SettlementStorage.Layout storage $ = _s();
        uint64 end = $._nextBatchId; // > fromBatchId: fromBatchId is pending
        uint64 index = $._batches[fromBatchId].segment;
        SettlementStorage.Segment storage seg = $._segments[index];
        if (fromBatchId == seg.start) {
            // Segment `index` vanishes; the one below (or the sentinel 0) was closed when `index`
            // was pushed, so it keeps its end.
            $._segmentTop = index - 1;
        } else {
            seg.end = fromBatchId;
            $._segmentTop = index;
        }
        $._segmentTopClosed = true;
        // With nothing pending before it, nothing is pending at all.
        if (fromBatchId == $._nextFinalizeId) $._nextFinalizeId = end;
        emit ISettlement.BatchesRolledBack(fromBatchId, end - 1, reason);
    }

    function _setRoles(address sequencer, address arbiter, address guardian) internal {
        if (sequencer == address(0) || arbiter == address(0) || guardian == address(0)) {
            revert ISettlement.SettlementZeroAddress();
        }
        SettlementStorage.Layout storage $ = _s();
        $._sequencer = sequencer;
        $._arbiter = arbiter;
        $._guardian = guardian;
        emit ISettlement.RolesSet(sequencer, arbiter, guardian);
    }

    function _setFeeRecipient(address feeRecipient_) internal {
        if (feeRecipient_ == address(0)) revert ISettlement.SettlementZeroAddress();
        _s()._feeRecipient = feeRecipient_;
        emit ISettlement.FeeRecipientSet(feeRecipient_);
    }

    /// @dev Reverts unless the timelock waits at least the withdrawal delay plus `EXIT_MARGIN`
    /// (`TimelockController.getMinDelay`): checked by every upgrade and parameter change, so a
    /// timelock whose delay was lowered (`updateDelay` is its own decision) can do neither until
    /// it is raised again.
    function _checkExitWindow(uint64 withdrawalDelay) internal view {
        uint256 timelockDelay = TimelockController(payable(_s()._timelock)).getMinDelay();
        if (timelockDelay < uint256(withdrawalDelay) + EXIT_MARGIN)
            revert ISettlement.SettlementExitWindowTooShort(
                timelockDelay,
                uint256(withdrawalDelay) + EXIT_MARGIN
            );
    }

    /// @dev The withdrawal delay must outlast every hold a batch committed before a withdrawal
    /// request can carry: its challenge window, then a challenge's response window and a dispute's
    /// timeout (both can only be opened within the window; the sum is stricter than the larger of
    /// the two), so that batch is finalized or rolled back before the request matures.
    function _setParameters(
        uint64 challengeWindow,
        uint64 challengeResponseWindow,
        uint64 withdrawalDelay,
        uint64 disputeTimeout,
        uint128 disputeBond
    ) internal {
        if (
            challengeWindow == 0 ||
            challengeResponseWindow == 0 ||
            disputeTimeout == 0 ||
            uint256(withdrawalDelay) <= uint256(challengeWindow) + challengeResponseWindow + disputeTimeout
        ) revert ISettlement.SettlementInvalidParameters();
        SettlementStorage.Layout storage $ = _s();
        $._challengeWindow = challengeWindow;
        $._challengeResponseWindow = challengeResponseWindow;
        $._withdrawalDelay = withdrawalDelay;
        $._disputeTimeout = disputeTimeout;
        $._disputeBond = disputeBond;
        emit ISettlement.ParametersSet(
            challengeWindow,
            challengeResponseWindow,
            withdrawalDelay,
            disputeTimeout,
            disputeBond
        );
    }
}
