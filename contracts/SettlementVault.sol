// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {SettlementCore} from "./SettlementCore.sol";
import {SettlementStorage} from "./libraries/SettlementStorage.sol";
import {SignatureLib} from "./libraries/SignatureLib.sol";

/// @title SettlementVault
/// @notice Custody: deposits, the sequencer-free withdrawal path, and on-chain order invalidation.
abstract contract SettlementVault is ISettlement, SettlementCore {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    /// @inheritdoc ISettlement
    function deposit(address token, uint256 amount) external nonReentrant whenNotPaused {
        SettlementStorage.Layout storage $ = _s();
        if (!$._tokenAllowed[token]) revert SettlementTokenNotAllowed(token);
        if (amount == 0) revert SettlementZeroAmount();

        // Measure what arrives: a fee-on-transfer token would otherwise credit more than the vault holds.
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received < amount) revert SettlementDeflationaryToken(token, amount, received);

        $._balances[msg.sender][token] += amount;
        $._totalBalances[token] += amount;
        emit Deposited(msg.sender, token, amount);
    }

    /// @inheritdoc ISettlement
    function requestWithdrawal(address token, uint256 amount) external {
        if (amount == 0) revert SettlementZeroAmount();
        SettlementStorage.Layout storage $ = _s();
        uint64 executableAt = uint64(block.timestamp) + $._withdrawalDelay;
        $._withdrawals[msg.sender][token] = WithdrawalRequest(SafeCast.toUint128(amount), executableAt);
        emit WithdrawalRequested(msg.sender, token, amount, executableAt);
    }

    /// @inheritdoc ISettlement
    function cancelWithdrawal(address token) external {
        SettlementStorage.Layout storage $ = _s();
        if ($._withdrawals[msg.sender][token].amount == 0)
            revert SettlementNoWithdrawalRequest(msg.sender, token);
        delete $._withdrawals[msg.sender][token];
        emit WithdrawalCancelled(msg.sender, token);
    }

    /// @inheritdoc ISettlement
    function withdraw(address token) external nonReentrant returns (uint256 amount) {
        SettlementStorage.Layout storage $ = _s();
        WithdrawalRequest memory request = $._withdrawals[msg.sender][token];
        if (request.amount == 0) revert SettlementNoWithdrawalRequest(msg.sender, token);
        if (block.timestamp < request.executableAt) revert SettlementWithdrawalNotReady(request.executableAt);

        // Batches finalized since the request may have spent part of it: pay what is left.
        uint256 balance = $._balances[msg.sender][token];
        amount = request.amount < balance ? request.amount : balance;
        delete $._withdrawals[msg.sender][token];
        // amount <= balance <= totalBalance (the total is the sum of all balances).
        unchecked {
            $._balances[msg.sender][token] = balance - amount;
            $._totalBalances[token] -= amount;
        }
        emit Withdrawn(msg.sender, token, amount);
        if (amount != 0) IERC20(token).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ISettlement
    function cancelOrder(bytes32 orderHash) external {
        if (_stampFirst(_s()._cancelledAt[msg.sender], orderHash)) emit OrderCancelled(msg.sender, orderHash);
    }

    /// @inheritdoc ISettlement
    function approveOrder(bytes32 orderHash) external {
        if (_stampFirst(_s()._approvedAt[msg.sender], orderHash)) emit OrderApproved(msg.sender, orderHash);
    }

    /// @inheritdoc ISettlement
    function recordApproval(address trader, bytes32 orderHash, bytes calldata signature) external {
        if (!SignatureLib.erc1271Accepts(trader, orderHash, signature, APPROVAL_GAS))
            revert SettlementInvalidSignature();
        if (_stampFirst(_s()._approvedAt[trader], orderHash)) emit OrderApproved(trader, orderHash);
    }

    /// @dev Records the current block for `orderHash` unless one is recorded; whether it did. The
    /// first cancel or approval counts: a later block would only narrow the batches it reaches.
    function _stampFirst(mapping(bytes32 => uint64) storage at, bytes32 orderHash) private returns (bool) {
        if (at[orderHash] != 0) return false;
        at[orderHash] = uint64(block.number);
        return true;
    }

    /// @inheritdoc ISettlement
    function invalidateNonces(uint64 minNonce_) external {
        Checkpoints.Trace208 storage history = _s()._minNonces[msg.sender];
        uint64 current = uint64(history.latest()); // only uint64 values are ever pushed
        if (minNonce_ <= current) revert SettlementNonceNotIncreasing(current, minNonce_);
        history.push(SafeCast.toUint48(block.number), minNonce_);
        emit NoncesInvalidated(msg.sender, minNonce_);
    }
}
