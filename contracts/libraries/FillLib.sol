// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../interfaces/ISettlement.sol";
import {OrderLib} from "./OrderLib.sol";
import {MarketLib} from "./MarketLib.sol";

/// @title FillLib
/// @notice A matched fill: its Merkle leaf, and the on-chain test of a fill against the order it names.
library FillLib {
    /// @dev Fees are capped in basis points of the quote amount.
    uint256 internal constant BPS = 10_000;

    /// @notice What a fraud check needs to know about the chain at the batch's commit, gathered by
    /// the contract (the checks themselves stay pure).
    struct CommitContext {
        uint64 committedAt; // batch.committedAt
        bool cancelledBeforeCommit; // the order was cancelled at or before batch.cancelCutoffBlock
        uint64 minNonceBeforeCommit; // trader's minimum nonce at the end of batch.cancelCutoffBlock
        bool marketPausedAtCommit; // market paused at the end of commitBlock - 1 or of commitBlock
        ISettlement.Market market; // the fill's market
    }

    /// @dev One side of a fill, as seen by the order on that side.
    struct Side {
        address trader;
        uint8 side; // 0 buy, 1 sell; > 1 if the fill's takerSide is malformed
        uint128 fee;
        uint128 filledAfter;
    }

    /// @notice The OpenZeppelin StandardMerkleTree leaf of a fill:
    /// keccak256(bytes.concat(keccak256(abi.encode(fields in DESIGN.md order)))). Every field is a
    /// static type, so abi.encode(fill) is exactly the encoding of the fields in declaration order.
    function leaf(ISettlement.Fill memory fill) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(fill))));
    }

    /// @notice The maker's or the taker's side of `fill`.
    function sideOf(ISettlement.Fill memory fill, bool isMaker) internal pure returns (Side memory s) {
        if (isMaker) {
            // The maker takes the opposite side; a malformed takerSide (> 1) makes it malformed too.
            s = Side(
                fill.maker,
                fill.takerSide > 1 ? 2 : 1 - fill.takerSide,
                fill.makerFee,
                fill.makerFilledAfter
            );
        } else {
            s = Side(fill.taker, fill.takerSide, fill.takerFee, fill.takerFilledAfter);
        }
    }

    /// @notice The first way in which `fill` contradicts `order` (its maker order if `isMaker`, else
    /// its taker order), checked in the fixed order of the checks below; `found` false if none.
    /// @dev A fill naming an unregistered market counts as WrongMarket.
    function findFraud(
        ISettlement.Fill memory fill,
        OrderLib.Order memory order,
        bool isMaker,
        CommitContext memory ctx
    ) internal pure returns (bool found, ISettlement.FraudKind kind) {
        Side memory s = sideOf(fill, isMaker);
        if (order.trader != s.trader) return (true, ISettlement.FraudKind.WrongTrader);
        if (order.marketId != fill.marketId || !ctx.market.registered) {
            return (true, ISettlement.FraudKind.WrongMarket);
        }
        if (order.side != s.side) return (true, ISettlement.FraudKind.WrongSide);
        if (order.side == OrderLib.SIDE_BUY ? fill.price > order.price : fill.price < order.price) {
            return (true, ISettlement.FraudKind.PriceWorseThanLimit);
        }
        if (s.filledAfter > order.amount || s.filledAfter < fill.baseAmount) {
            return (true, ISettlement.FraudKind.OverFilled);
        }
        // uint128 × 10^4 and quote (uint128) × maxFeeBps (uint16) both fit a uint256.
        if (uint256(s.fee) * BPS > uint256(fill.quoteAmount) * order.maxFeeBps) {
            return (true, ISettlement.FraudKind.FeeAboveMax);
        }
        if (order.expiry <= ctx.committedAt) return (true, ISettlement.FraudKind.Expired);
        if (ctx.cancelledBeforeCommit) return (true, ISettlement.FraudKind.Cancelled);
        if (ctx.minNonceBeforeCommit > order.nonce) return (true, ISettlement.FraudKind.NonceInvalidated);
        if (ctx.marketPausedAtCommit) return (true, ISettlement.FraudKind.MarketPaused);
        if (!MarketLib.quoteIsExact(ctx.market, fill.baseAmount, fill.price, fill.quoteAmount)) {
            return (true, ISettlement.FraudKind.BadQuoteAmount);
        }
        if (!MarketLib.onGrid(ctx.market, fill.price, fill.baseAmount)) {
            return (true, ISettlement.FraudKind.OffTickOrLot);
        }
        // A fill executes at the resting (maker) order's limit: a better price for the taker is
        // the taker's, never handed to the maker (DESIGN.md; review finding 9).
        if (isMaker && fill.price != order.price) return (true, ISettlement.FraudKind.NotMakersPrice);
        // A post-only order never takes; an IOC or FOK order never rests, so it is never a maker.
        if (
            isMaker
                ? order.flags & (OrderLib.FLAG_IOC | OrderLib.FLAG_FOK) != 0
                : (order.flags & OrderLib.FLAG_POST_ONLY != 0 ||
                    (order.flags & OrderLib.FLAG_FOK != 0) != fill.takerFok)
        ) return (true, ISettlement.FraudKind.FlagsViolated);
        // A FOK order fills whole in one batch: its run there starts at 0 (commit checks it) and
        // its end must reach the amount (no proof needs the absence of a leaf).
        if (!isMaker && fill.takerFok && fill.fokRunEnd && fill.takerFilledAfter < order.amount) {
            return (true, ISettlement.FraudKind.FokPartial);
        }
        return (false, ISettlement.FraudKind.PriceWorseThanLimit);
    }

    /// @notice Whether two fills of one order claim overlapping parts of it: each fill covers
    /// [filledAfter - baseAmount, filledAfter) of the order, and an order's fills must be disjoint.
    /// @dev Empty fills cover nothing. A fill with filledAfter < baseAmount is clamped to start at 0
    /// (it is also provable on its own as OverFilled).
    function overlaps(
        uint128 baseA,
        uint128 afterA,
        uint128 baseB,
        uint128 afterB
    ) internal pure returns (bool) {
        if (baseA == 0 || baseB == 0) return false;
        uint128 startA = afterA > baseA ? afterA - baseA : 0;
        uint128 startB = afterB > baseB ? afterB - baseB : 0;
        return startA < afterB && startB < afterA;
    }
}
