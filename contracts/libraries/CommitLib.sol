// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../interfaces/ISettlement.sol";
import {SettlementStorage} from "./SettlementStorage.sol";

/// @title CommitLib
/// @notice The v2 commit (docs/protocol.md, section 3): a batch's fills travel as packed calldata;
/// the contract rebuilds every fill's leaf (with its own batch id and index), the Merkle root, and
/// each fill's effect on balances, and checks that every committed delta equals the sum of the
/// effects its fills assign to it. A delta that no fill justifies cannot be committed.
/// @dev One record per fill, `RECORD_BYTES` long, big-endian, packed:
///
///   offset size field
///        0   32 makerOrderHash
///       32   32 takerOrderHash
///       64    4 marketId
///       68    1 bit 0 takerSide (0 taker buys, 1 taker sells), bit 1 takerFok; other bits zero
///       69    8 price in ticks              (price = ticks * tickSize)
///       77    8 base amount in lots         (baseAmount = lots * lotSize)
///       85   16 makerFee (quote atoms)
///      101   16 takerFee (quote atoms)
///      117    8 maker's cumulative filled base after this fill, in lots
///      125    8 taker's cumulative filled base after this fill, in lots
///      133    2 index of the delta (maker, base token)
///      135    2 index of the delta (maker, quote token)
///      137    2 index of the delta (taker, base token)
///      139    2 index of the delta (taker, quote token)
///      141    2 index of the delta (fee recipient, quote token)
///
/// The leaf's `takerFok` is bit 1 of byte 68; its `fokRunEnd` is set here for a FOK record whose
/// next record is of another taker order (or that is the last). FOK records of one taker order
/// must form one contiguous run from 0 (docs/protocol.md, section 3).
/// The maker and the taker are the accounts of the deltas the record points at; the quote amount
/// is `baseAmount * price / 10^baseDecimals` (exact on the grid by the market registration rule).
/// The deltas are strictly sorted by (account, token), so each pair has exactly one delta: a fill
/// cannot spread its effect over two entries, and each delta must equal the sum its fills assign
/// to it (zero included, for pairs the batch touched but netted out).
library CommitLib {
    uint256 internal constant RECORD_BYTES = 143;

    /// @dev Words of an ISettlement.Fill (every field static): its abi.encode is these 17 words.
    uint256 private constant FILL_WORDS = 17;

    /// @dev What the pass over the records carries, flat so the record loop reads it by offset:
    /// one accumulator per delta, the fee recipient, and the last market a record named (batches
    /// touch few markets): its tokens, steps and one whole base unit (10^baseDecimals).
    struct Context {
        int256[] acc; // 0x00
        address feeRecipient; // 0x20
        uint256 marketId; // 0x40, type(uint256).max until a market is loaded
        address baseToken; // 0x60
        address quoteToken; // 0x80
        uint256 tickSize; // 0xa0
        uint256 lotSize; // 0xc0
        uint256 unit; // 0xe0
        uint256 records; // 0x100, the batch's fill count
        // 0x120 to 0x1a0: the current record's five delta indexes, (maker, base), (maker, quote),
        // (taker, base), (taker, quote), (fee recipient, quote)
        uint256 makerBase; // 0x120
        uint256 makerQuote; // 0x140
        uint256 takerBase; // 0x160
        uint256 takerQuote; // 0x180
        uint256 feeQuote; // 0x1a0
    }

    /// @dev `_record` outcomes.
    uint256 private constant OK = 0;
    uint256 private constant BAD_FILL = 1;
    uint256 private constant DELTA_MISMATCH = 2;

    /// @notice Checks `fills` against `deltas` for batch `batchId` and returns the fills root and
    /// count. Reverts `SettlementBadFill(index)` for a record that cannot be a fill,
    /// `SettlementFillDeltaMismatch(fillIndex)` for a record pointing at a delta of another account
    /// or token, `SettlementDeltaNotNetted(deltaIndex)` for a delta that differs from its fills' sum.
    /// @dev `deltas` must already be validated as strictly sorted with clean address words
    /// (DeltaLib.validate).
    function check(
        SettlementStorage.Layout storage $,
        uint64 batchId,
        bytes calldata fills,
        ISettlement.Delta[] calldata deltas
    ) internal view returns (bytes32 root, uint32 fillCount) {
        uint256 n = fills.length / RECORD_BYTES;
        if (n == 0) revert ISettlement.SettlementEmptyBatch();
        if (n * RECORD_BYTES != fills.length || n > type(uint32).max) revert ISettlement.SettlementBadFill(n);
        fillCount = uint32(n);

        // Allocated once: the Merkle tree (StandardMerkleTree layout, leaves unsorted), one
        // accumulator per delta, and one scratch Fill whose 15 words are hashed as the leaf.
        bytes32[] memory tree = new bytes32[](2 * n - 1);
        Context memory c;
        c.acc = new int256[](deltas.length);
        c.feeRecipient = $._feeRecipient;
        c.marketId = type(uint256).max;
        c.records = n;
        ISettlement.Fill memory fill;
        fill.batchId = batchId;
        uint256 offset;
        assembly ("memory-safe") {
            offset := fills.offset
        }
        _leaves($, c, fill, deltas, offset, tree);
        int256[] memory acc = c.acc;
        for (uint256 j; j < deltas.length; ++j) {
            int256 committed;
            assembly ("memory-safe") {
                committed := calldataload(add(add(deltas.offset, mul(j, 0x60)), 0x40))
            }
            if (acc[j] != committed) revert ISettlement.SettlementDeltaNotNetted(j);
        }
        root = _root(tree, n);
    }

    /// @dev Every record's leaf into `tree` (leaf i at 2n - 2 - i), the records starting at calldata
    /// offset `p`.
    function _leaves(
        SettlementStorage.Layout storage $,
        Context memory c,
        ISettlement.Fill memory fill,
        ISettlement.Delta[] calldata deltas,
        uint256 p,
        bytes32[] memory tree
    ) private view {
        uint256 n = c.records;
        uint256 slot;
        assembly ("memory-safe") {
            slot := add(add(tree, 0x20), shl(5, sub(shl(1, n), 2))) // &tree[2n - 2]; n >= 1
        }
        for (uint256 i; i < n;) {
            bytes32 leaf = _leaf($, c, fill, deltas, p, i);
            assembly ("memory-safe") {
                mstore(slot, leaf)
                slot := sub(slot, 0x20)
                p := add(p, RECORD_BYTES) // within calldata: no overflow
                i := add(i, 1)
            }
        }
    }

    /// @dev Record `i` at calldata offset `p`: its market loaded, then `_record`; reverts on a bad
    /// outcome.
    function _leaf(
        SettlementStorage.Layout storage $,
        Context memory c,
        ISettlement.Fill memory fill,
        ISettlement.Delta[] calldata deltas,
        uint256 p,
        uint256 i
    ) private view returns (bytes32 leaf) {
        uint256 marketId;
        assembly ("memory-safe") {
            marketId := shr(224, calldataload(add(p, 64)))
        }
        if (marketId != c.marketId) _loadMarket($, c, marketId);
        uint256 outcome;
        (leaf, outcome) = _record(c, fill, deltas, p, i);
        if (outcome == BAD_FILL) revert ISettlement.SettlementBadFill(i);
        if (outcome == DELTA_MISMATCH) revert ISettlement.SettlementFillDeltaMismatch(i);
    }

    /// @dev Market `id` into the context; unregistered markets are refused.
    function _loadMarket(SettlementStorage.Layout storage $, Context memory c, uint256 id) private view {
        ISettlement.Market storage m = $._markets[uint32(id)];
        if (!m.registered) revert ISettlement.SettlementUnknownMarket(uint32(id));
        c.marketId = id;
        c.baseToken = m.baseToken;
        c.quoteToken = m.quoteToken;
        c.tickSize = m.tickSize;
        c.lotSize = m.lotSize;
        c.unit = 10 ** m.baseDecimals; // <= 10^38: checked at registration
    }

    /// @dev Record `i` at calldata offset `p` (its market loaded in `c`): decoded into the scratch
    /// `fill`, its five delta indexes checked against the deltas' accounts and tokens, its effect
    /// added to the accumulators; returns its leaf,
    /// keccak256(bytes.concat(keccak256(abi.encode(fill)))), and the outcome (OK, BAD_FILL or
    /// DELTA_MISMATCH; nothing is meaningful unless OK).
    /// @dev One assembly block, no helper calls: in checked Solidity with a helper per field this
    /// pass cost about 6,000 gas a fill, here about 1,900 (a harness over 501 and 1,001 fills).
    /// Bounds, in order of the checks:
    /// ticks, lots and cumulative lots < 2^64 and steps < 2^128, so price, base and the cumulative
    /// amounts are products below 2^192, each then required below 2^128, so base * price < 2^256;
    /// fees < 2^128; accumulator terms below 2^129 added at most 2^32 times, far from int256's
    /// range, so plain add and sub are exact. Delta words are clean (DeltaLib.validate).
    function _record(
        Context memory c,
        ISettlement.Fill memory fill,
        ISettlement.Delta[] calldata deltas,
        uint256 p,
        uint256 i
    ) private pure returns (bytes32 leaf, uint256 outcome) {
        assembly ("memory-safe") {
            // Amounts, written straight into the scratch fill's words (declaration order).
            {
                let ticks := shr(192, calldataload(add(p, 69)))
                let lots := shr(192, calldataload(add(p, 77)))
                let makerLots := shr(192, calldataload(add(p, 117)))
                let takerLots := shr(192, calldataload(add(p, 125)))
                // Not a fill: a malformed side, nothing exchanged, a zero price, or an order whose
                // cumulative fill is below this very fill.
                outcome := or(
                    or(gt(byte(0, calldataload(add(p, 68))), 3), or(iszero(lots), iszero(ticks))),
                    or(lt(makerLots, lots), lt(takerLots, lots))
                )
                mstore(add(fill, 0x100), mul(ticks, mload(add(c, 0xa0))))
                mstore(add(fill, 0x120), mul(lots, mload(add(c, 0xc0))))
                mstore(add(fill, 0x1a0), mul(makerLots, mload(add(c, 0xc0))))
                mstore(add(fill, 0x1c0), mul(takerLots, mload(add(c, 0xc0))))
            }
            mstore(add(fill, 0xe0), and(byte(0, calldataload(add(p, 68))), 1))
            // A FOK taker order (bit 1 of the side byte) fills whole in this batch: its records are
            // one contiguous run (each the previous one's cumulative fill plus its own base) that
            // starts at 0; the contract marks the run's last record, whose leaf a proof compares with
            // the order amount (FillLib, FokPartial). A record next to one of the same taker order
            // must agree with it on the flag.
            {
                let fok := and(shr(1, byte(0, calldataload(add(p, 68)))), 1)
                let prev := sub(p, RECORD_BYTES)
                let prevSame := 0
                if i {
                    prevSame := eq(calldataload(add(prev, 32)), calldataload(add(p, 32)))
                }
                if prevSame {
                    outcome := or(
                        outcome,
                        iszero(eq(fok, and(shr(1, byte(0, calldataload(add(prev, 68)))), 1)))
                    )
                }
                if fok {
                    // Cumulative taker lots: after this record = before it + its lots.
                    let before := 0
                    if prevSame {
                        before := shr(192, calldataload(add(prev, 125)))
                    }
                    outcome := or(
                        outcome,
                        iszero(
                            eq(
                                shr(192, calldataload(add(p, 125))),
                                add(before, shr(192, calldataload(add(p, 77))))
                            )
                        )
                    )
                    let end := 1
                    if lt(add(i, 1), mload(add(c, 0x100))) {
                        end := iszero(
                            eq(calldataload(add(add(p, RECORD_BYTES), 32)), calldataload(add(p, 32)))
                        )
                    }
                    mstore(add(fill, 0x200), end)
                }
                if iszero(fok) {
                    mstore(add(fill, 0x200), 0)
                }
                mstore(add(fill, 0x1e0), fok)
            }
            {
                let price := mload(add(fill, 0x100))
                let base := mload(add(fill, 0x120))
                // Beyond uint128 (checked before the product below, which then fits a uint256).
                let wide := shr(
                    128,
                    or(or(price, base), or(mload(add(fill, 0x1a0)), mload(add(fill, 0x1c0))))
                )
                let quote := 0
                if iszero(wide) {
                    quote := div(mul(base, price), mload(add(c, 0xe0)))
                    wide := shr(128, quote)
                }
                outcome := or(outcome, wide)
                mstore(add(fill, 0x140), quote)
            }
            mstore(add(fill, 0x160), shr(128, calldataload(add(p, 85))))
            mstore(add(fill, 0x180), shr(128, calldataload(add(p, 101))))

            switch outcome
            case 0 {
                // The five deltas: (maker, base), (maker, quote), (taker, base), (taker, quote),
                // (fee recipient, quote); each index in range, of its token and of its account. An
                // index out of range reads past the deltas (zeros, or other calldata) but fails `lt`.
                {
                    let ix := calldataload(add(p, 133))
                    mstore(add(c, 0x120), shr(240, ix))
                    mstore(add(c, 0x140), and(shr(224, ix), 0xffff))
                    mstore(add(c, 0x160), and(shr(208, ix), 0xffff))
                    mstore(add(c, 0x180), and(shr(192, ix), 0xffff))
                    mstore(add(c, 0x1a0), and(shr(176, ix), 0xffff))
                }
                let ok := 0
                {
                    let j := mload(add(c, 0x120))
                    let at := add(deltas.offset, mul(j, 0x60))
                    ok := and(lt(j, deltas.length), eq(calldataload(add(at, 0x20)), mload(add(c, 0x60))))
                    mstore(add(fill, 0x80), calldataload(at)) // maker
                }
                {
                    let j := mload(add(c, 0x160))
                    let at := add(deltas.offset, mul(j, 0x60))
                    ok := and(
                        ok,
                        and(lt(j, deltas.length), eq(calldataload(add(at, 0x20)), mload(add(c, 0x60))))
                    )
                    mstore(add(fill, 0xa0), calldataload(at)) // taker
                }
                {
                    let j := mload(add(c, 0x140))
                    let at := add(deltas.offset, mul(j, 0x60))
                    ok := and(
                        ok,
                        and(lt(j, deltas.length), eq(calldataload(add(at, 0x20)), mload(add(c, 0x80))))
                    )
                    ok := and(ok, eq(calldataload(at), mload(add(fill, 0x80))))
                }
                {
                    let j := mload(add(c, 0x180))
                    let at := add(deltas.offset, mul(j, 0x60))
                    ok := and(
                        ok,
                        and(lt(j, deltas.length), eq(calldataload(add(at, 0x20)), mload(add(c, 0x80))))
                    )
                    ok := and(ok, eq(calldataload(at), mload(add(fill, 0xa0))))
                }
                {
                    let j := mload(add(c, 0x1a0))
                    let at := add(deltas.offset, mul(j, 0x60))
                    ok := and(
                        ok,
                        and(lt(j, deltas.length), eq(calldataload(add(at, 0x20)), mload(add(c, 0x80))))
                    )
                    ok := and(ok, eq(calldataload(at), mload(add(c, 0x20))))
                }
                outcome := mul(iszero(ok), 2) // DELTA_MISMATCH
            }
            default {
                outcome := 1 // BAD_FILL
            }
            if iszero(outcome) {
                // Net: the buyer gains base and pays quote plus its fee, the seller the reverse
                // less its fee, the fee recipient both fees.
                let acc := add(mload(c), 0x20)
                let sells := mload(add(fill, 0xe0)) // the taker sells
                {
                    let v := mload(add(fill, 0x120)) // base
                    let at := add(acc, shl(5, mload(add(c, 0x160)))) // (taker, base)
                    switch sells
                    case 0 {
                        mstore(at, add(mload(at), v))
                    }
                    default {
                        mstore(at, sub(mload(at), v))
                    }
                    at := add(acc, shl(5, mload(add(c, 0x120)))) // (maker, base)
                    switch sells
                    case 0 {
                        mstore(at, sub(mload(at), v))
                    }
                    default {
                        mstore(at, add(mload(at), v))
                    }
                }
                {
                    let q := mload(add(fill, 0x140)) // quote
                    let at := add(acc, shl(5, mload(add(c, 0x180)))) // (taker, quote)
                    switch sells
                    case 0 {
                        mstore(at, sub(mload(at), add(q, mload(add(fill, 0x180)))))
                    }
                    default {
                        mstore(at, add(mload(at), sub(q, mload(add(fill, 0x180)))))
                    }
                    at := add(acc, shl(5, mload(add(c, 0x140)))) // (maker, quote)
                    switch sells
                    case 0 {
                        mstore(at, add(mload(at), sub(q, mload(add(fill, 0x160)))))
                    }
                    default {
                        mstore(at, sub(mload(at), add(q, mload(add(fill, 0x160)))))
                    }
                }
                {
                    let at := add(acc, shl(5, mload(add(c, 0x1a0)))) // (fee recipient, quote)
                    mstore(at, add(mload(at), add(mload(add(fill, 0x160)), mload(add(fill, 0x180)))))
                }

                // The leaf over the fill's 15 words (batchId set once; amounts written above).
                mstore(add(fill, 0x20), i)
                calldatacopy(add(fill, 0x40), p, 0x40) // both order hashes
                mstore(add(fill, 0xc0), shr(224, calldataload(add(p, 64))))
                mstore(0x00, keccak256(fill, mul(FILL_WORDS, 0x20)))
                leaf := keccak256(0x00, 0x20)
            }
        }
    }

    /// @dev The root of OpenZeppelin's StandardMerkleTree layout over `n` leaves (leaf i at
    /// `2n - 2 - i`, node k hashing children 2k + 1 and 2k + 2 as a sorted pair), without sorting
    /// the leaves: `StandardMerkleTree.of(values, encoding, { sortLeaves: false })`.
    function _root(bytes32[] memory tree, uint256 n) private pure returns (bytes32 root) {
        assembly ("memory-safe") {
            let base := add(tree, 0x20)
            for {
                let k := sub(n, 1)
            } gt(k, 0) {} {
                k := sub(k, 1)
                let a := mload(add(base, shl(5, add(shl(1, k), 1))))
                let b := mload(add(base, shl(5, add(shl(1, k), 2))))
                switch lt(a, b)
                case 1 {
                    mstore(0x00, a)
                    mstore(0x20, b)
                }
                default {
                    mstore(0x00, b)
                    mstore(0x20, a)
                }
                mstore(add(base, shl(5, k)), keccak256(0x00, 0x40))
            }
            root := mload(base)
        }
    }
}
