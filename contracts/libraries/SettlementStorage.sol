// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title SettlementStorage
/// @notice The whole upgradeable state of `Settlement`, in one ERC-7201 namespace so that upgrades
/// (and inherited OpenZeppelin parts, which use their own namespaces) can never collide with it.
/// @dev Append new fields at the end of `Layout` only; a later version that needs unrelated state
/// takes its own namespace (see `contracts/test/SettlementV2.sol`). `SettlementLayout.t.sol` reads
/// every field back from its raw slot, so a reordering or retyping fails the tests.
library SettlementStorage {
    /// @dev A challenge as the contract keeps it: the public view plus the order hash it is about,
    /// which `answerChallenge` must match.
    struct ChallengeRecord {
        ISettlement.Challenge challenge;
        bytes32 orderHash;
        bool late; // opened at or after the batch's finalizableAt: holds nothing (see challengeFill)
    }

    /// @dev A committed batch as stored: the public `ISettlement.Batch` fields (whose `status` here
    /// is only None, Pending or Finalized: "rolled back" is derived, see `SettlementCore._isPending`)
    /// plus the segment of pending batches it was committed into (docs/protocol.md, section 2),
    /// packed into the last slot's free bytes.
    struct StoredBatch {
        bytes32 fillsRoot;
        bytes32 deltasHash;
        uint64 committedAt;
        uint64 commitBlock;
        uint64 finalizableAt;
        uint32 fillCount;
        uint32 openChallenges;
        uint32 openDisputes;
        ISettlement.BatchStatus status;
        uint64 segment; // index of its segment in the stack
        uint64 segmentStart; // first batch id of that segment when it was committed
        uint64 cancelCutoffBlock; // commitBlock - cancel grace (ISettlement.Batch)
    }

    /// @dev A run of consecutive live batch ids [start, end); `end` is meaningful once the segment
    /// is closed (every segment but an open top one).
    struct Segment {
        uint64 start;
        uint64 end;
    }

    /// @custom:storage-location erc7201:clearmatch.storage.Settlement
    struct Layout {
        // ---- roles (timelock can never change: upgrades go through it)
        address _timelock;
        address _guardian;
        address _arbiter;
        address _sequencer;
        address _feeRecipient;
        // ---- parameters, packed in two slots
        uint64 _challengeWindow;
        uint64 _challengeResponseWindow;
        uint64 _withdrawalDelay;
        uint64 _disputeTimeout;
        uint128 _disputeBond;
        bool _paused;
        // ---- batch cursors: [_nextFinalizeId, _nextBatchId) holds every pending batch (and the ranges
        // rolled back after one, which _segments tells apart); _nextFinalizeId is pending, or equal
        // to _nextBatchId
        uint64 _nextBatchId;
        uint64 _nextFinalizeId;
        // ---- id counters (start at 1 so that 0 means "none")
        uint64 _lastChallengeId;
        uint64 _lastDisputeId;
        // ---- vault
        mapping(address token => bool allowed) _tokenAllowed;
        mapping(address account => mapping(address token => uint256 amount)) _balances;
        mapping(address token => uint256 amount) _totalBalances;
        mapping(address account => mapping(address token => ISettlement.WithdrawalRequest)) _withdrawals;
        // ---- order invalidation, answerable at any past block
        mapping(address trader => mapping(bytes32 orderHash => uint64 blockNumber)) _cancelledAt;
        mapping(address trader => Checkpoints.Trace208 minNonce) _minNonces;
        // ---- markets; pause history: 1 paused, 0 active, keyed by block number
        mapping(uint32 marketId => ISettlement.Market) _markets;
        mapping(uint32 marketId => Checkpoints.Trace208 paused) _marketPauses;
        // ---- batches and what can roll them back
        mapping(uint64 batchId => StoredBatch) _batches;
        mapping(uint256 challengeId => ChallengeRecord) _challenges;
        mapping(uint64 batchId => mapping(bytes32 orderHash => uint256 challengeId)) _challengeOf;
        mapping(uint256 disputeId => ISettlement.Dispute) _disputes;
        // ---- the stack of pending segments (docs/protocol.md, section 2): slot 0 is an empty
        // sentinel; _segmentTop is the top index, open (extended by commits) unless closed
        mapping(uint64 index => Segment) _segments;
        uint64 _segmentTop;
        bool _segmentTopClosed;
        // ---- native currency owed (refunded or forfeited bonds), paid only by withdrawBond
        mapping(address account => uint256 amount) _bondCredits;
        // ---- blocks between an on-chain cancel or nonce bump and the first commit it binds
        uint32 _cancelGraceBlocks;
        // ---- contract wallets' consent to orders, fixed on-chain (block of the first approval)
        mapping(address trader => mapping(bytes32 orderHash => uint64 blockNumber)) _approvedAt;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("clearmatch.storage.Settlement")) - 1)) & ~bytes32(uint256(0xff))
    /// (ERC-7201: the last byte is cleared so the struct sits at the start of a 256-slot region).
    bytes32 internal constant SLOT = 0x92bb2a10460f84d576e385617f2b71f668c8cd5d28ad754d15ded0c96085f400;

    function layout() internal pure returns (Layout storage $) {
        bytes32 slot = SLOT;
        assembly ("memory-safe") {
            $.slot := slot
        }
    }
}
