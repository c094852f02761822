// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title DeltaLib
/// @notice A batch's netted balance deltas: validation at commit, hashing, application at finalize.
library DeltaLib {
    /// @notice The hash a batch commits to: keccak256(abi.encode(deltas)).
    function hash(ISettlement.Delta[] calldata deltas) internal pure returns (bytes32) {
        return keccak256(abi.encode(deltas));
    }

    /// @notice Reverts unless `deltas` are strictly sorted by (account, token), non-zero, and sum to
    /// zero per token. A batch touches few tokens, so a linear scan of a small table per delta
    /// (O(n·k)) is cheaper than anything cleverer.
    function validate(ISettlement.Delta[] calldata deltas) internal pure {
        uint256 n = deltas.length;
        address[] memory tokens = new address[](n);
        int256[] memory sums = new int256[](n);
        uint256 tokenCount;
        for (uint256 i; i < n; ++i) {
            ISettlement.Delta calldata d = deltas[i];
            if (d.delta == 0) revert ISettlement.SettlementDeltaZero(i);
            if (i != 0 && !_ascending(deltas[i - 1], d)) revert ISettlement.SettlementDeltasNotSorted(i);
            uint256 j;
            while (j < tokenCount && tokens[j] != d.token) ++j;
            if (j == tokenCount) tokens[tokenCount++] = d.token;
            sums[j] += d.delta; // checked: absurd deltas revert rather than wrap to a false zero
        }
        for (uint256 j; j < tokenCount; ++j) {
            if (sums[j] != 0) revert ISettlement.SettlementDeltasNotBalanced(tokens[j]);
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
            ISettlement.Delta calldata d = deltas[i];
            (bool ok, uint256 updated) = _add(balances[d.account][d.token], d.delta);
            if (!ok) {
                _undo(balances, deltas, i);
                return false;
            }
            balances[d.account][d.token] = updated;
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
            ISettlement.Delta calldata d = deltas[i];
            // The inverse of a step that succeeded cannot fail.
            (, uint256 restored) = _add(balances[d.account][d.token], d.delta, true);
            balances[d.account][d.token] = restored;
        }
    }

    function _add(uint256 balance, int256 delta) private pure returns (bool ok, uint256 result) {
        return _add(balance, delta, false);
    }

    /// @dev balance ± |delta| (sign flipped when `negate`), reporting underflow and overflow instead
    /// of reverting.
    function _add(uint256 balance, int256 delta, bool negate) private pure returns (bool ok, uint256 result) {
        unchecked {
            // Two's complement: for delta < 0, uint256(-delta) is |delta| even for int256.min
            // (-min wraps to min, whose unsigned reading is 2^255 = |min|).
            bool credit = (delta > 0) != negate;
            uint256 magnitude = delta > 0 ? uint256(delta) : uint256(-delta);
            if (credit) {
                result = balance + magnitude;
                ok = result >= balance; // wrapped iff the sum exceeded 2^256 - 1
            } else {
                ok = magnitude <= balance;
                result = balance - magnitude; // only used when ok: no underflow
            }
        }
    }

    /// @dev Strict order on (uint160(account), uint160(token)).
    function _ascending(
        ISettlement.Delta calldata a,
        ISettlement.Delta calldata b
    ) private pure returns (bool) {
        if (a.account != b.account) return uint160(a.account) < uint160(b.account);
        return uint160(a.token) < uint160(b.token);
    }
}
