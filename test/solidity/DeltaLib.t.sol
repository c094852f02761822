// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {DeltaLib} from "../../contracts/libraries/DeltaLib.sol";

/// @dev DeltaLib works on calldata, so it is reached through external calls.
contract DeltaLibHarness {
    mapping(address account => mapping(address token => uint256)) public balances;

    function validate(ISettlement.Delta[] calldata deltas) external pure {
        DeltaLib.validate(deltas);
    }

    function hash(ISettlement.Delta[] calldata deltas) external pure returns (bytes32) {
        return DeltaLib.hash(deltas);
    }

    function setBalance(address account, address token, uint256 amount) external {
        balances[account][token] = amount;
    }

    function applyTo(ISettlement.Delta[] calldata deltas) external returns (bool) {
        return DeltaLib.applyTo(balances, deltas);
    }
}

/// @dev Batch deltas: validation accepts exactly the sorted, non-zero, balanced sets (with the
/// contract's error for the first fault), hashing equals abi.encode, and applying is all or nothing.
contract DeltaLibTest is Test {
    DeltaLibHarness internal harness;

    /// @dev Few accounts and tokens with tiny deltas, so random sets often collide, tie and balance.
    uint256 internal constant ACCOUNTS = 3;
    uint256 internal constant TOKENS = 2;

    function setUp() public {
        harness = new DeltaLibHarness();
    }

    // ------------------------------------------------------------ validate

    /// @dev Random small sets (half of them sorted first, so sorted ones are common) get exactly the
    /// verdict and error of a plain reference implementation.
    function testFuzz_validate_matchesReference(
        uint256[8] memory seeds,
        uint8 lengthSeed,
        bool sortFirst
    ) public {
        uint256 n = bound(lengthSeed, 0, 8);
        ISettlement.Delta[] memory deltas = new ISettlement.Delta[](n);
        for (uint256 i; i < n; ++i) {
            deltas[i] = ISettlement.Delta(
                _account(seeds[i] % ACCOUNTS),
                _token((seeds[i] >> 8) % TOKENS),
                int256((seeds[i] >> 16) % 7) - 3
            );
        }
        if (sortFirst) _sort(deltas);

        bytes memory expected = _referenceError(deltas);
        if (expected.length == 0) {
            harness.validate(deltas);
        } else {
            vm.expectRevert(expected);
            harness.validate(deltas);
        }
    }

    /// @dev Sets built as a sequencer builds them (one entry per account and token, a balancing
    /// account per token) always pass; changing one amount always unbalances them.
    function testFuzz_validate_acceptsBalancedSortedSets(int64[6] memory amounts, uint8 bump) public {
        ISettlement.Delta[] memory deltas = _balancedSet(amounts);
        vm.assume(deltas.length != 0);
        harness.validate(deltas);

        uint256 i = bound(bump, 0, deltas.length - 1);
        deltas[i].delta += deltas[i].delta > 0 ? int256(1) : int256(-1); // stays non-zero
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.SettlementDeltasNotBalanced.selector, deltas[i].token)
        );
        harness.validate(deltas);
    }

    function testFuzz_validate_rejectsSwappedNeighbours(int64[6] memory amounts, uint8 at) public {
        ISettlement.Delta[] memory deltas = _balancedSet(amounts);
        vm.assume(deltas.length >= 2);
        uint256 i = bound(at, 1, deltas.length - 1);
        (deltas[i - 1], deltas[i]) = (deltas[i], deltas[i - 1]);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementDeltasNotSorted.selector, i));
        harness.validate(deltas);
    }

    function test_validate_rejectsDuplicatePair() public {
        ISettlement.Delta[] memory deltas = new ISettlement.Delta[](2);
        deltas[0] = ISettlement.Delta(_account(0), _token(0), 1);
        deltas[1] = ISettlement.Delta(_account(0), _token(0), -1);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementDeltasNotSorted.selector, 1));
        harness.validate(deltas);
    }

    /// @dev v2: a zero delta is a pair the batch's fills net out; CommitLib binds it to them.
    function test_validate_acceptsZeroDelta() public view {
        ISettlement.Delta[] memory deltas = new ISettlement.Delta[](1);
        deltas[0] = ISettlement.Delta(_account(0), _token(0), 0);
        harness.validate(deltas);
    }

    /// @dev A running sum that leaves int256 is refused as unbalanced, never wrapped to a false zero.
    function test_validate_rejectsOverflowingSum() public {
        ISettlement.Delta[] memory deltas = new ISettlement.Delta[](3);
        deltas[0] = ISettlement.Delta(_account(0), _token(0), type(int256).max);
        deltas[1] = ISettlement.Delta(_account(1), _token(0), type(int256).max);
        deltas[2] = ISettlement.Delta(_account(2), _token(0), 2); // max + max + 2 wraps to 0
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementDeltasNotBalanced.selector, _token(0)));
        harness.validate(deltas);
    }

    function test_validate_acceptsEmptySet() public view {
        harness.validate(new ISettlement.Delta[](0));
    }

    // ------------------------------------------------------------ hash

    function testFuzz_hash_isKeccakOfAbiEncode(int64[6] memory amounts) public view {
        ISettlement.Delta[] memory deltas = _balancedSet(amounts);
        assertEq(harness.hash(deltas), keccak256(abi.encode(deltas)));
    }

    // ------------------------------------------------------------ applyTo

    /// @dev Applying either moves every balance by its delta (sums per token unchanged) or, if any
    /// balance would go negative, changes nothing and reports false.
    function testFuzz_applyTo_allOrNothing(int64[6] memory amounts, uint64[6] memory balances) public {
        ISettlement.Delta[] memory deltas = _balancedSet(amounts);
        bool fits = true;
        for (uint256 i; i < deltas.length; ++i) {
            uint256 balance = balances[i % 6];
            harness.setBalance(deltas[i].account, deltas[i].token, balance);
            if (deltas[i].delta < 0 && uint256(-deltas[i].delta) > balance) fits = false;
        }
        uint256[] memory before = _balancesOf(deltas);
        uint256[TOKENS] memory sumsBefore = _sums(deltas);

        assertEq(harness.applyTo(deltas), fits);

        uint256[] memory afterwards = _balancesOf(deltas);
        for (uint256 i; i < deltas.length; ++i) {
            int256 expected = fits ? int256(before[i]) + deltas[i].delta : int256(before[i]);
            assertEq(int256(afterwards[i]), expected);
        }
        uint256[TOKENS] memory sumsAfter = _sums(deltas);
        for (uint256 t; t < TOKENS; ++t) assertEq(sumsAfter[t], sumsBefore[t]);
    }

    /// @dev A credit that would overflow a balance is refused like a debit that would underflow.
    function test_applyTo_refusesOverflowingCredit() public {
        ISettlement.Delta[] memory deltas = new ISettlement.Delta[](2);
        deltas[0] = ISettlement.Delta(_account(0), _token(0), -1);
        deltas[1] = ISettlement.Delta(_account(1), _token(0), 1);
        harness.setBalance(_account(0), _token(0), 1);
        harness.setBalance(_account(1), _token(0), type(uint256).max);
        assertFalse(harness.applyTo(deltas));
        assertEq(harness.balances(_account(0), _token(0)), 1);
        assertEq(harness.balances(_account(1), _token(0)), type(uint256).max);
    }

    // ------------------------------------------------------------ helpers

    /// @dev Ascending addresses, so index order is sort order.
    function _account(uint256 i) internal pure returns (address) {
        return address(uint160(0x1000 + i));
    }

    function _token(uint256 i) internal pure returns (address) {
        return address(uint160(0x2000 + i));
    }

    /// @dev One entry per (account, token) from `amounts` (zeros dropped); in each token the last
    /// account absorbs the sum of the others, as a fee recipient would.
    function _balancedSet(int64[6] memory amounts) internal pure returns (ISettlement.Delta[] memory deltas) {
        int256[ACCOUNTS][TOKENS] memory grid;
        for (uint256 t; t < TOKENS; ++t) {
            int256 sum;
            for (uint256 a; a + 1 < ACCOUNTS; ++a) {
                grid[t][a] = amounts[t * ACCOUNTS + a];
                sum += grid[t][a];
            }
            grid[t][ACCOUNTS - 1] = -sum;
        }
        deltas = new ISettlement.Delta[](ACCOUNTS * TOKENS);
        uint256 n;
        for (uint256 a; a < ACCOUNTS; ++a) {
            for (uint256 t; t < TOKENS; ++t) {
                if (grid[t][a] != 0) deltas[n++] = ISettlement.Delta(_account(a), _token(t), grid[t][a]);
            }
        }
        assembly ("memory-safe") {
            mstore(deltas, n)
        }
    }

    /// @dev Insertion sort by (account, token); ties keep their order (so duplicates survive).
    function _sort(ISettlement.Delta[] memory deltas) internal pure {
        for (uint256 i = 1; i < deltas.length; ++i) {
            ISettlement.Delta memory d = deltas[i];
            uint256 j = i;
            while (j > 0 && _key(deltas[j - 1]) > _key(d)) {
                deltas[j] = deltas[j - 1];
                --j;
            }
            deltas[j] = d;
        }
    }

    function _key(ISettlement.Delta memory d) internal pure returns (uint256) {
        return (uint256(uint160(d.account)) << 160) | uint160(d.token);
    }

    /// @dev The first fault the contract must report, as revert data; empty if the set is valid.
    /// Per index: order. Then tokens in order of first appearance: any non-zero sum.
    function _referenceError(ISettlement.Delta[] memory deltas) internal pure returns (bytes memory) {
        for (uint256 i; i < deltas.length; ++i) {
            if (i != 0 && _key(deltas[i]) <= _key(deltas[i - 1])) {
                return abi.encodeWithSelector(ISettlement.SettlementDeltasNotSorted.selector, i);
            }
        }
        for (uint256 i; i < deltas.length; ++i) {
            bool firstAppearance = true;
            for (uint256 j; j < i; ++j) if (deltas[j].token == deltas[i].token) firstAppearance = false;
            if (!firstAppearance) continue;
            int256 sum;
            for (uint256 j = i; j < deltas.length; ++j)
                if (deltas[j].token == deltas[i].token) sum += deltas[j].delta;
            if (sum != 0)
                return
                    abi.encodeWithSelector(ISettlement.SettlementDeltasNotBalanced.selector, deltas[i].token);
        }
        return "";
    }

    function _balancesOf(ISettlement.Delta[] memory deltas) internal view returns (uint256[] memory out) {
        out = new uint256[](deltas.length);
        for (uint256 i; i < deltas.length; ++i) out[i] = harness.balances(deltas[i].account, deltas[i].token);
    }

    /// @dev Sum of every account's balance per token (over all accounts, touched or not).
    function _sums(ISettlement.Delta[] memory) internal view returns (uint256[TOKENS] memory sums) {
        for (uint256 t; t < TOKENS; ++t) {
            for (uint256 a; a < ACCOUNTS; ++a) sums[t] += harness.balances(_account(a), _token(t));
        }
    }
}
