// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";

/// @dev How the Solidity tests build a v2 commit (contracts/libraries/CommitLib.sol): the packed
/// 143-byte records of a batch's fills, the netted deltas they justify (strictly sorted by
/// (account, token), a zero entry kept for every pair a fill touches, the fee recipient's quote
/// pair included), each record's five delta indexes, and the fills tree as the contract rebuilds
/// it (OpenZeppelin StandardMerkleTree layout, leaves NOT sorted), with its proofs.
/// Written from the spec in CommitLib's header, not from its code, so the tests compare two
/// implementations.
library CommitPacker {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant RECORD_BYTES = 143;

    // Offsets of a record's fields (big-endian, packed), for tests that corrupt one.
    uint256 internal constant OFF_MAKER_ORDER_HASH = 0;
    uint256 internal constant OFF_TAKER_ORDER_HASH = 32;
    uint256 internal constant OFF_MARKET_ID = 64;
    uint256 internal constant OFF_TAKER_SIDE = 68;
    uint256 internal constant OFF_TICKS = 69;
    uint256 internal constant OFF_LOTS = 77;
    uint256 internal constant OFF_MAKER_FEE = 85;
    uint256 internal constant OFF_TAKER_FEE = 101;
    uint256 internal constant OFF_MAKER_LOTS = 117;
    uint256 internal constant OFF_TAKER_LOTS = 125;
    uint256 internal constant OFF_MAKER_BASE = 133;
    uint256 internal constant OFF_MAKER_QUOTE = 135;
    uint256 internal constant OFF_TAKER_BASE = 137;
    uint256 internal constant OFF_TAKER_QUOTE = 139;
    uint256 internal constant OFF_FEE_QUOTE = 141;

    /// @dev A commit ready to send, and what tests check against it.
    struct Commit {
        uint64 batchId;
        bytes fills; // the packed records: commitBatch's `fills`
        ISettlement.Delta[] deltas; // commitBatch's `deltas`
        ISettlement.Fill[] leaves; // the fills as the contract rebuilds them (batchId, index, quoteAmount)
        bytes32[] leafHashes; // FillLib.leaf of each, in batch order
        bytes32 root; // the fills root the contract must store
    }

    // ------------------------------------------------------------ building

    /// @dev The commit of `fills` as batch `batchId` of `settlement` (markets and fee recipient read
    /// from it). Each fill needs its order hashes, maker, taker, marketId, takerSide, price,
    /// baseAmount, fees and filledAfter amounts (on its market's grid); batchId, index and
    /// quoteAmount are set here, in `fills` itself too, as the contract rebuilds them.
    function build(
        ISettlement settlement,
        uint64 batchId,
        ISettlement.Fill[] memory fills
    ) internal view returns (Commit memory) {
        ISettlement.Market[] memory markets = new ISettlement.Market[](fills.length);
        for (uint256 i; i < fills.length; ++i) {
            markets[i] =
                i != 0 && fills[i].marketId == fills[i - 1].marketId
                    ? markets[i - 1]
                    : settlement.market(fills[i].marketId);
            require(markets[i].registered, "CommitPacker: unregistered market");
        }
        return pack(batchId, fills, markets, settlement.feeRecipient());
    }

    /// @dev As `build`, but with `deltas` given (sorted, holding every pair the fills touch; any
    /// amounts, any other pairs): the records point at them. For commits the fills do not justify.
    function buildWith(
        ISettlement settlement,
        uint64 batchId,
        ISettlement.Fill[] memory fills,
        ISettlement.Delta[] memory deltas
    ) internal view returns (Commit memory) {
        ISettlement.Market[] memory markets = new ISettlement.Market[](fills.length);
        for (uint256 i; i < fills.length; ++i) markets[i] = settlement.market(fills[i].marketId);
        return packWith(batchId, fills, markets, settlement.feeRecipient(), deltas);
    }

    /// @dev As `build`, for the next batch id of `settlement`.
    function buildNext(
        ISettlement settlement,
        ISettlement.Fill[] memory fills
    ) internal view returns (Commit memory) {
        return build(settlement, settlement.nextBatchId(), fills);
    }

    /// @dev The pure core of `build`: `markets[i]` is fill i's market.
    function pack(
        uint64 batchId,
        ISettlement.Fill[] memory fills,
        ISettlement.Market[] memory markets,
        address feeRecipient
    ) internal pure returns (Commit memory) {
        return packWith(batchId, fills, markets, feeRecipient, deltasOf(fills, markets, feeRecipient));
    }

    /// @dev As `pack`, with the deltas given (see `buildWith`).
    function packWith(
        uint64 batchId,
        ISettlement.Fill[] memory fills,
        ISettlement.Market[] memory markets,
        address feeRecipient,
        ISettlement.Delta[] memory deltas
    ) internal pure returns (Commit memory c) {
        uint256 n = fills.length;
        c.batchId = batchId;
        c.leaves = fills;
        c.leafHashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            ISettlement.Fill memory f = fills[i];
            ISettlement.Market memory m = markets[i];
            f.batchId = batchId;
            f.index = uint32(i);
            f.quoteAmount = uint128((uint256(f.baseAmount) * f.price) / 10 ** m.baseDecimals);
            // The end of a FOK run: the next fill is of another taker order, or there is none.
            f.fokRunEnd = f.takerFok && (i + 1 == n || fills[i + 1].takerOrderHash != f.takerOrderHash);
        }
        for (uint256 i; i < n; ++i) c.leafHashes[i] = leaf(fills[i]);
        c.deltas = deltas;
        c.fills = new bytes(n * RECORD_BYTES);
        for (uint256 i; i < n; ++i) {
            ISettlement.Fill memory f = fills[i];
            ISettlement.Market memory m = markets[i];
            require(
                f.price % m.tickSize == 0 &&
                    f.baseAmount % m.lotSize == 0 &&
                    f.makerFilledAfter % m.lotSize == 0 &&
                    f.takerFilledAfter % m.lotSize == 0,
                "CommitPacker: fill off its market's grid"
            );
            uint16[5] memory idx = [
                indexOf(c.deltas, f.maker, m.baseToken),
                indexOf(c.deltas, f.maker, m.quoteToken),
                indexOf(c.deltas, f.taker, m.baseToken),
                indexOf(c.deltas, f.taker, m.quoteToken),
                indexOf(c.deltas, feeRecipient, m.quoteToken)
            ];
            writeRecord(c.fills, i, f, m, idx);
        }
        c.root = root(c.leafHashes);
    }

    /// @dev The deltas `fills` justify: taker buys: taker +base, -(quote + takerFee); maker -base,
    /// +(quote - makerFee). Taker sells: the mirror. Fee recipient +(makerFee + takerFee) in quote.
    /// Sorted strictly by (account, token), one entry per pair touched, zeros kept.
    function deltasOf(
        ISettlement.Fill[] memory fills,
        ISettlement.Market[] memory markets,
        address feeRecipient
    ) internal pure returns (ISettlement.Delta[] memory deltas) {
        deltas = new ISettlement.Delta[](5 * fills.length);
        uint256 count;
        for (uint256 i; i < fills.length; ++i) {
            ISettlement.Fill memory f = fills[i];
            ISettlement.Market memory m = markets[i];
            int256 b = int256(uint256(f.baseAmount));
            int256 q = int256((uint256(f.baseAmount) * f.price) / 10 ** m.baseDecimals);
            int256 mf = int256(uint256(f.makerFee));
            int256 tf = int256(uint256(f.takerFee));
            bool takerBuys = f.takerSide == 0;
            count = _add(deltas, count, f.taker, m.baseToken, takerBuys ? b : -b);
            count = _add(deltas, count, f.taker, m.quoteToken, takerBuys ? -(q + tf) : q - tf);
            count = _add(deltas, count, f.maker, m.baseToken, takerBuys ? -b : b);
            count = _add(deltas, count, f.maker, m.quoteToken, takerBuys ? q - mf : -(q + mf));
            count = _add(deltas, count, feeRecipient, m.quoteToken, mf + tf);
        }
        assembly ("memory-safe") {
            mstore(deltas, count)
        }
    }

    /// @dev Adds `amount` to the (account, token) entry of the sorted `deltas[:count]`, inserting it
    /// in place if absent; returns the new count.
    function _add(
        ISettlement.Delta[] memory deltas,
        uint256 count,
        address account,
        address token,
        int256 amount
    ) private pure returns (uint256) {
        uint256 j = count;
        while (j > 0 && !lessThan(deltas[j - 1].account, deltas[j - 1].token, account, token)) {
            ISettlement.Delta memory d = deltas[j - 1];
            if (d.account == account && d.token == token) {
                d.delta += amount;
                return count;
            }
            --j;
        }
        for (uint256 k = count; k > j; --k) deltas[k] = deltas[k - 1];
        deltas[j] = ISettlement.Delta(account, token, amount);
        return count + 1;
    }

    /// @dev Position of the (account, token) delta; reverts if there is none.
    function indexOf(
        ISettlement.Delta[] memory deltas,
        address account,
        address token
    ) internal pure returns (uint16) {
        for (uint256 j; j < deltas.length; ++j) {
            if (deltas[j].account == account && deltas[j].token == token) return uint16(j);
        }
        revert("CommitPacker: no such delta");
    }

    function lessThan(address a1, address t1, address a2, address t2) internal pure returns (bool) {
        return a1 < a2 || (a1 == a2 && t1 < t2);
    }

    // ------------------------------------------------------------ records

    /// @dev Writes record `i` of `f` (whose amounts must be on `m`'s grid) into `data`.
    function writeRecord(
        bytes memory data,
        uint256 i,
        ISettlement.Fill memory f,
        ISettlement.Market memory m,
        uint16[5] memory idx
    ) internal pure {
        setField(data, i, OFF_MAKER_ORDER_HASH, 32, uint256(f.makerOrderHash));
        setField(data, i, OFF_TAKER_ORDER_HASH, 32, uint256(f.takerOrderHash));
        setField(data, i, OFF_MARKET_ID, 4, f.marketId);
        setField(data, i, OFF_TAKER_SIDE, 1, f.takerSide | (f.takerFok ? 2 : 0));
        setField(data, i, OFF_TICKS, 8, f.price / m.tickSize);
        setField(data, i, OFF_LOTS, 8, f.baseAmount / m.lotSize);
        setField(data, i, OFF_MAKER_FEE, 16, f.makerFee);
        setField(data, i, OFF_TAKER_FEE, 16, f.takerFee);
        setField(data, i, OFF_MAKER_LOTS, 8, f.makerFilledAfter / m.lotSize);
        setField(data, i, OFF_TAKER_LOTS, 8, f.takerFilledAfter / m.lotSize);
        setField(data, i, OFF_MAKER_BASE, 2, idx[0]);
        setField(data, i, OFF_MAKER_QUOTE, 2, idx[1]);
        setField(data, i, OFF_TAKER_BASE, 2, idx[2]);
        setField(data, i, OFF_TAKER_QUOTE, 2, idx[3]);
        setField(data, i, OFF_FEE_QUOTE, 2, idx[4]);
    }

    /// @dev Overwrites the `size`-byte big-endian field at `offset` of record `i` with `value`
    /// (which must fit). Only the field's own bytes change.
    function setField(
        bytes memory data,
        uint256 i,
        uint256 offset,
        uint256 size,
        uint256 value
    ) internal pure {
        require(size >= 1 && size <= 32 && offset + size <= RECORD_BYTES, "CommitPacker: bad field");
        require(size == 32 || value >> (8 * size) == 0, "CommitPacker: value does not fit its field");
        uint256 at = i * RECORD_BYTES + offset;
        require(at + size <= data.length, "CommitPacker: beyond the data");
        for (uint256 k; k < size; ++k) data[at + k] = bytes1(uint8(value >> (8 * (size - 1 - k))));
    }

    /// @dev The `size`-byte big-endian field at `offset` of record `i`.
    function getField(
        bytes memory data,
        uint256 i,
        uint256 offset,
        uint256 size
    ) internal pure returns (uint256 value) {
        uint256 at = i * RECORD_BYTES + offset;
        for (uint256 k; k < size; ++k) value = (value << 8) | uint8(data[at + k]);
    }

    // ------------------------------------------------------------ the fills tree

    /// @dev FillLib's leaf: keccak256(bytes.concat(keccak256(abi.encode(fill)))).
    function leaf(ISettlement.Fill memory f) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(f))));
    }

    /// @dev The tree of StandardMerkleTree.of(values, encoding, { sortLeaves: false }): leaf i at
    /// 2n - 2 - i, node k = the sorted-pair hash of nodes 2k + 1 and 2k + 2.
    function tree(bytes32[] memory leafHashes) internal pure returns (bytes32[] memory t) {
        uint256 n = leafHashes.length;
        require(n != 0, "CommitPacker: empty tree");
        t = new bytes32[](2 * n - 1);
        for (uint256 i; i < n; ++i) t[2 * n - 2 - i] = leafHashes[i];
        for (uint256 k = n - 1; k > 0; --k) t[k - 1] = hashPair(t[2 * k - 1], t[2 * k]);
    }

    function root(bytes32[] memory leafHashes) internal pure returns (bytes32) {
        return tree(leafHashes)[0];
    }

    /// @dev The proof of leaf `i` (siblings from the leaf up), as OpenZeppelin's getProof.
    function proof(bytes32[] memory leafHashes, uint256 i) internal pure returns (bytes32[] memory p) {
        bytes32[] memory t = tree(leafHashes);
        uint256 k = t.length - 1 - i;
        uint256 depth;
        for (uint256 x = k; x > 0; x = (x - 1) / 2) ++depth;
        p = new bytes32[](depth);
        for (uint256 d; k > 0; ++d) {
            p[d] = t[k % 2 == 1 ? k + 1 : k - 1];
            k = (k - 1) / 2;
        }
    }

    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    // ------------------------------------------------------------ sending

    /// @dev Commits `c` as `sequencer`, top-level (msg.sender == tx.origin, as commitBatch requires).
    function commit(ISettlement settlement, address sequencer, Commit memory c) internal {
        vm.prank(sequencer, sequencer);
        settlement.commitBatch(c.batchId, c.fills, c.deltas);
    }
}
