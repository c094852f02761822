// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title DeltaLib
/// @notice A batch's netted balance deltas: validation at commit, hashing, application at finalize.
/// @dev These loops are the whole marginal cost of a batch, so they read calldata directly
/// (`_read`): Solidity's checked accessors for a calldata struct array cost ~160 gas per field
/// here, about a fifth of a finalize. Everything else stays checked Solidity.
library DeltaLib {
    /// @notice The hash a batch commits to: keccak256(abi.encode(deltas)).
    /// @dev For an array of static structs whose words are clean (commit's `validate` and finalize's
    /// `applyTo` both reject dirty address words), abi.encode is the offset word 0x20, the length,
    /// then the elements verbatim, so hashing that copy is the same value without re-encoding.
    function hash(ISettlement.Delta[] calldata deltas) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let size := mul(deltas.length, 0x60) // length * 3 words; within calldata, so no overflow
            mstore(ptr, 0x20)
            mstore(add(ptr, 0x20), deltas.length)
            calldatacopy(add(ptr, 0x40), deltas.offset, size)
            h := keccak256(ptr, add(size, 0x40))
            mstore(0x40, add(ptr, add(size, 0x40)))
        }
    }

    /// @notice Reverts unless `deltas` are strictly sorted by (account, token) and sum to zero per
    /// token. A zero delta is allowed: in v2 it stands for a pair the batch's fills touch but net
    /// out (CommitLib binds every delta to its fills). A batch touches few tokens, so a linear scan
    /// of a small table per delta (O(n·k)) is cheaper than anything cleverer.
    function validate(ISettlement.Delta[] calldata deltas) internal pure {
        uint256 n = deltas.length;
        // Running sums as (token, sum) word pairs: at most one entry per delta.
        uint256 table;
        assembly ("memory-safe") {
            table := mload(0x40)
            mstore(0x40, add(table, mul(n, 0x40))) // n <= calldata size / 96: no overflow
        }
        uint256 tokenCount;
        address prevAccount;
        address prevToken;
        for (uint256 i; i < n; ++i) {
            (address account, address token, int256 delta) = _read(deltas, i);
            if (i != 0 && (account < prevAccount || (account == prevAccount && token <= prevToken))) {
                revert ISettlement.SettlementDeltasNotSorted(i);
            }
            (prevAccount, prevToken) = (account, token);
            tokenCount = _accumulate(table, tokenCount, token, delta);
        }
        for (uint256 j; j < tokenCount; ++j) {
            (address token, int256 sum) = _entry(table, j);
            if (sum != 0) revert ISettlement.SettlementDeltasNotBalanced(token);
        }
    }

    /// @notice Applies `deltas` to `balances` in one pass. If a balance would go negative (or, for an
    /// absurd credit, overflow), undoes what it applied and returns false: nothing changes.
    /// @dev Balanced deltas leave every token's total unchanged, so per-token totals need no update.
    function applyTo(
        mapping(address account => mapping(address token => uint256)) storage balances,
        ISettlement.Delta[] calldata deltas
    ) internal returns (bool applied) {
        uint256 n = deltas.length;
        for (uint256 i; i < n; ++i) {
            (address account, address token, int256 delta) = _read(deltas, i);
            if (delta == 0) continue; // a pair the fills net out: nothing to write
            mapping(address token => uint256) storage accountBalances = balances[account];
            (bool ok, uint256 updated) = _add(accountBalances[token], delta, false);
            if (!ok) {
                _undo(balances, deltas, i);
                return false;
            }
            accountBalances[token] = updated;
        }
        return true;
    }

    /// @dev Reverts deltas [0, end). Each (account, token) appears once (strict sort), and each of
    /// these steps succeeded forward, so each backward step restores the exact earlier balance.
    function _undo(
        mapping(address account => mapping(address token => uint256)) storage balances,
        ISettlement.Delta[] calldata deltas,
        uint256 end
    ) private {
        for (uint256 i; i < end; ++i) {
            (address account, address token, int256 delta) = _read(deltas, i);
            if (delta == 0) continue;
            // The inverse of a step that succeeded cannot fail.
            (, uint256 restored) = _add(balances[account][token], delta, true);
            balances[account][token] = restored;
        }
    }

    /// @dev balance ± |delta| (sign flipped when `negate`), reporting underflow and overflow instead
    /// of reverting.
    function _add(uint256 balance, int256 delta, bool negate) private pure returns (bool ok, uint256 result) {
        unchecked {
            // Two's complement: for delta < 0, uint256(-delta) is |delta| even for int256.min
            // (-min wraps to min, whose unsigned reading is 2^255 = |min|).
            uint256 magnitude = delta > 0 ? uint256(delta) : uint256(-delta);
            if ((delta > 0) != negate) {
                result = balance + magnitude;
                ok = result >= balance; // wrapped iff the sum exceeded 2^256 - 1
            } else {
                ok = magnitude <= balance;
                result = balance - magnitude; // only used when ok: no underflow
            }
        }
    }

    /// @dev Adds `delta` to `token`'s sum in the table (appending the token if new); returns the new
    /// entry count. A sum that would overflow int256 cannot come from real balances: it reverts as
    /// unbalanced rather than wrap to a false zero.
    function _accumulate(
        uint256 table,
        uint256 count,
        address token,
        int256 delta
    ) private pure returns (uint256) {
        bool overflow;
        assembly ("memory-safe") {
            let end := add(table, mul(count, 0x40))
            let entry := table
            for {} and(lt(entry, end), iszero(eq(mload(entry), token))) {} {
                entry := add(entry, 0x40)
            }
            if eq(entry, end) {
                mstore(entry, token)
                mstore(add(entry, 0x20), 0)
                count := add(count, 1)
            }
            let sum := mload(add(entry, 0x20))
            let next := add(sum, delta)
            // Signed overflow: a positive delta made the sum smaller, or a negative one larger.
            overflow := or(and(sgt(delta, 0), slt(next, sum)), and(slt(delta, 0), sgt(next, sum)))
            mstore(add(entry, 0x20), next)
        }
        if (overflow) revert ISettlement.SettlementDeltasNotBalanced(token);
        return count;
    }

    function _entry(uint256 table, uint256 j) private pure returns (address token, int256 sum) {
        assembly ("memory-safe") {
            let entry := add(table, mul(j, 0x40))
            token := mload(entry)
            sum := mload(add(entry, 0x20))
        }
    }

    /// @dev Delta `i` (the caller guarantees i < deltas.length; the ABI decoder already checked
    /// that the whole array lies within calldata). Dirty address words are rejected, as Solidity's
    /// own accessors would.
    function _read(
        ISettlement.Delta[] calldata deltas,
        uint256 i
    ) private pure returns (address account, address token, int256 delta) {
        assembly ("memory-safe") {
            let p := add(deltas.offset, mul(i, 0x60))
            account := calldataload(p)
            token := calldataload(add(p, 0x20))
            delta := calldataload(add(p, 0x40))
            if or(shr(160, account), shr(160, token)) {
                revert(0, 0)
            }
        }
    }
}
