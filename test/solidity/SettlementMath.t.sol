// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {FillLib} from "../../contracts/libraries/FillLib.sol";
import {MarketLib} from "../../contracts/libraries/MarketLib.sol";
import {OrderLib} from "../../contracts/libraries/OrderLib.sol";

/// @dev Amount, price and fee rules (MarketLib, FillLib) and the fraud check's price test, fuzzed
/// against independent reference computations.
contract SettlementMathTest is Test {
    address internal constant MAKER = address(0xA11CE);
    address internal constant TAKER = address(0xB0B);
    uint32 internal constant MARKET_ID = 7;

    // ------------------------------------------------------------ quote exactness

    /// @dev Any steps that pass registration make every on-grid fill's quote amount exact.
    function testFuzz_quoteIsExact_onGridFillsUnderValidSteps(
        uint8 decimalsSeed,
        uint64 lotSeed,
        uint64 tickFactor,
        uint64 lots,
        uint64 ticks
    ) public pure {
        uint8 decimals = uint8(bound(decimalsSeed, 0, 24));
        uint256 unit = 10 ** decimals;
        uint128 lot = uint128(bound(lotSeed, 1, type(uint64).max));
        // The smallest tick making lot·tick a multiple of the unit is unit / gcd(lot, unit);
        // any multiple of it is valid too.
        uint256 minTick = unit / _gcd(lot, unit);
        uint128 tick = uint128(minTick * bound(tickFactor, 1, 1_000));
        assertTrue(MarketLib.validSteps(tick, lot, decimals), "registration refuses valid steps");

        uint128 baseAmount = uint128(bound(lots, 0, type(uint128).max / lot));
        baseAmount *= lot;
        uint128 price = uint128(bound(ticks, 0, type(uint128).max / tick));
        price *= tick;

        uint256 notional = uint256(baseAmount) * price;
        assertEq(notional % unit, 0, "on-grid notional not a whole number of quote atoms");
        ISettlement.Market memory m = _market(tick, lot, decimals);
        vm.assume(notional / unit <= type(uint128).max); // a fill's quote amount is a uint128
        uint128 quote = uint128(notional / unit);
        assertTrue(MarketLib.onGrid(m, price, baseAmount));
        assertTrue(MarketLib.quoteIsExact(m, baseAmount, price, quote));
        if (quote != 0) assertFalse(MarketLib.quoteIsExact(m, baseAmount, price, quote - 1));
        if (quote != type(uint128).max) assertFalse(MarketLib.quoteIsExact(m, baseAmount, price, quote + 1));
    }

    /// @dev Registration accepts exactly the steps whose smallest fill (one lot at one tick) is exact.
    function testFuzz_validSteps_acceptsExactlyExactSteps(
        uint128 tick,
        uint128 lot,
        uint8 decimalsSeed
    ) public pure {
        uint8 decimals = uint8(bound(decimalsSeed, 0, MarketLib.MAX_BASE_DECIMALS));
        bool expected = tick != 0 && lot != 0 && mulmod(lot, tick, 10 ** decimals) == 0;
        assertEq(MarketLib.validSteps(tick, lot, decimals), expected);
    }

    function test_validSteps_refusesTooManyDecimals() public pure {
        assertFalse(MarketLib.validSteps(1, 10 ** 38, 39));
        assertTrue(MarketLib.validSteps(1, 10 ** 38, 38));
    }

    /// @dev A quote amount that is not base·price/unit, or a remainder, is never "exact".
    function testFuzz_quoteIsExact_matchesReference(
        uint128 baseAmount,
        uint128 price,
        uint128 quote,
        uint8 decimalsSeed
    ) public pure {
        uint8 decimals = uint8(bound(decimalsSeed, 0, MarketLib.MAX_BASE_DECIMALS));
        uint256 unit = 10 ** decimals;
        // Reference: Math.mulDiv with its remainder, independent of the library's uint256 product.
        bool expected = mulmod(baseAmount, price, unit) == 0 && Math.mulDiv(baseAmount, price, unit) == quote;
        assertEq(MarketLib.quoteIsExact(_market(1, 1, decimals), baseAmount, price, quote), expected);
    }

    // ------------------------------------------------------------ fee cap

    /// @dev FeeAboveMax iff fee > floor(quote·maxFeeBps / 10^4), for any uint128 fee and quote and
    /// any uint16 cap: the check never overflows (this would revert) and rounds in the trader's favour.
    function testFuzz_findFraud_feeCapMatchesReference(
        uint128 quote,
        uint128 fee,
        uint16 maxFeeBps,
        bool isMaker
    ) public pure {
        vm.assume(quote != 0);
        // Decimals 0, tick 1, lot 1: one base atom at price `quote` has quote amount `quote`.
        ISettlement.Fill memory fill = _fill(quote, 1);
        if (isMaker) fill.makerFee = fee;
        else fill.takerFee = fee;
        OrderLib.Order memory order = _orderFor(fill, isMaker);
        order.maxFeeBps = maxFeeBps;

        (bool found, ISettlement.FraudKind kind) = FillLib.findFraud(
            fill,
            order,
            isMaker,
            _context(_market(1, 1, 0))
        );
        bool above = fee > Math.mulDiv(quote, maxFeeBps, FillLib.BPS);
        assertEq(found, above);
        if (above) assertEq(uint8(kind), uint8(ISettlement.FraudKind.FeeAboveMax));
    }

    function test_findFraud_feeAtExactCapIsAllowed() public pure {
        ISettlement.Fill memory fill = _fill(1_000_000, 1); // quote 1,000,000
        fill.takerFee = 3_000; // exactly 30 bps
        OrderLib.Order memory order = _orderFor(fill, false);
        order.maxFeeBps = 30;
        (bool found, ) = FillLib.findFraud(fill, order, false, _context(_market(1, 1, 0)));
        assertFalse(found);
        fill.takerFee = 3_001;
        ISettlement.FraudKind kind;
        (found, kind) = FillLib.findFraud(fill, order, false, _context(_market(1, 1, 0)));
        assertTrue(found);
        assertEq(uint8(kind), uint8(ISettlement.FraudKind.FeeAboveMax));
    }

    // ------------------------------------------------------------ price check monotonicity

    /// @dev For a fill naming the right trader, market and side, "PriceWorseThanLimit" is reported
    /// exactly when the price is worse than the order's limit (above a buy's, below a sell's), and
    /// other faults of the fill (fees, fill amounts, expiry, cancels, nonces, pauses) never mask
    /// nor fake it.
    /// @dev Faults of a fill other than its price, fuzzed together.
    struct OtherFaults {
        uint128 fee; // against maxFeeBps 100%: above the quote amount is FeeAboveMax
        bool overFilled; // order amount one atom below the fill's cumulative amount
        uint64 expiry; // <= 1,000 (the commit time) is Expired
        bool cancelled;
        uint64 minNonce; // > 5 (the order's nonce) is NonceInvalidated
        bool marketPaused;
    }

    function testFuzz_findFraud_priceWorseThanLimitExactlyWhenWorse(
        uint32 limitTicks,
        uint32 fillTicks,
        uint32 lots,
        bool isMaker,
        bool orderBuys,
        OtherFaults memory faults
    ) public pure {
        ISettlement.Market memory m = _wethUsdc();
        uint128 limit = uint128(bound(limitTicks, 1, type(uint32).max)) * m.tickSize;
        uint128 price = uint128(bound(fillTicks, 1, type(uint32).max)) * m.tickSize;
        uint128 baseAmount = uint128(bound(lots, 1, type(uint32).max)) * m.lotSize;

        ISettlement.Fill memory fill = _fill(price, baseAmount);
        fill.quoteAmount = uint128((uint256(baseAmount) * price) / 10 ** m.baseDecimals);
        // The order's side decides the fill's takerSide through the side it is on.
        uint8 side = orderBuys ? OrderLib.SIDE_BUY : OrderLib.SIDE_SELL;
        fill.takerSide = isMaker ? 1 - side : side;
        if (isMaker) fill.makerFee = faults.fee;
        else fill.takerFee = faults.fee;

        OrderLib.Order memory order = _orderFor(fill, isMaker);
        order.price = limit;
        order.expiry = faults.expiry;
        if (faults.overFilled) order.amount -= 1;

        (bool found, ISettlement.FraudKind kind) = FillLib.findFraud(
            fill,
            order,
            isMaker,
            _faultyContext(m, faults)
        );
        bool worse = orderBuys ? price > limit : price < limit;
        assertEq(found && kind == ISettlement.FraudKind.PriceWorseThanLimit, worse);
    }

    function _faultyContext(
        ISettlement.Market memory m,
        OtherFaults memory faults
    ) private pure returns (FillLib.CommitContext memory ctx) {
        ctx = _context(m);
        ctx.cancelledBeforeCommit = faults.cancelled;
        ctx.minNonceBeforeCommit = faults.minNonce;
        ctx.marketPausedAtCommit = faults.marketPaused;
    }

    /// @dev A consistent fill at or better than the limit is no fraud at all; moving its price past
    /// the limit by one tick is always caught.
    function testFuzz_findFraud_consistentFillIsCleanUntilPriceCrossesLimit(
        uint32 limitTicks,
        uint32 improvementTicks,
        uint32 lots,
        bool isMaker,
        bool orderBuys
    ) public pure {
        ISettlement.Market memory m = _wethUsdc();
        uint128 limitT = uint128(bound(limitTicks, 2, type(uint32).max));
        uint128 improvement = uint128(bound(improvementTicks, 0, limitT - 1));
        uint128 limit = limitT * m.tickSize;
        uint128 price = (orderBuys ? limitT - improvement : limitT + improvement) * m.tickSize;
        uint128 baseAmount = uint128(bound(lots, 1, type(uint32).max)) * m.lotSize;

        ISettlement.Fill memory fill = _fill(price, baseAmount);
        fill.quoteAmount = uint128((uint256(baseAmount) * price) / 10 ** m.baseDecimals);
        uint8 side = orderBuys ? OrderLib.SIDE_BUY : OrderLib.SIDE_SELL;
        fill.takerSide = isMaker ? 1 - side : side;
        OrderLib.Order memory order = _orderFor(fill, isMaker);
        order.price = limit;

        (bool found, ISettlement.FraudKind kind) = FillLib.findFraud(fill, order, isMaker, _context(m));
        if (isMaker && improvement != 0) {
            // A maker executes at its own limit: an improvement is the taker's (finding 9).
            assertTrue(found, "a maker filled off its limit is not reported");
            assertEq(uint8(kind), uint8(ISettlement.FraudKind.NotMakersPrice));
        } else {
            assertFalse(found, "consistent fill reported as fraud");
        }

        // One tick past the limit, with the quote amount recomputed so only the price is wrong.
        fill.price = orderBuys ? limit + m.tickSize : limit - m.tickSize;
        fill.quoteAmount = uint128((uint256(baseAmount) * fill.price) / 10 ** m.baseDecimals);
        (found, kind) = FillLib.findFraud(fill, order, isMaker, _context(m));
        assertTrue(found);
        assertEq(uint8(kind), uint8(ISettlement.FraudKind.PriceWorseThanLimit));
    }

    // ------------------------------------------------------------ leaf hash

    /// @dev The leaf is OpenZeppelin StandardMerkleTree's: the double keccak of the fields'
    /// abi.encode, written out field by field here (no reliance on struct encoding).
    function testFuzz_leaf_isStandardMerkleTreeLeafOfTheFields(ISettlement.Fill memory f) public pure {
        bytes memory fields = bytes.concat(
            abi.encode(f.batchId, f.index, f.makerOrderHash, f.takerOrderHash, f.maker, f.taker),
            abi.encode(f.marketId, f.takerSide, f.price, f.baseAmount, f.quoteAmount),
            abi.encode(f.makerFee, f.takerFee, f.makerFilledAfter, f.takerFilledAfter),
            abi.encode(f.takerFok, f.fokRunEnd)
        );
        assertEq(fields.length, 17 * 32);
        assertEq(FillLib.leaf(f), keccak256(bytes.concat(keccak256(fields))));
        assertEq(FillLib.leaf(f), keccak256(bytes.concat(keccak256(abi.encode(f)))));
    }

    function testFuzz_leaf_changesWithTheFilledAmount(ISettlement.Fill memory f, uint128 other) public pure {
        vm.assume(other != f.makerFilledAfter);
        bytes32 before = FillLib.leaf(f);
        f.makerFilledAfter = other;
        assertTrue(FillLib.leaf(f) != before);
    }

    // ------------------------------------------------------------ conflicting fills

    /// @dev overlaps() is symmetric and agrees with a reference on clamped half-open ranges.
    function testFuzz_overlaps_matchesRangeIntersection(
        uint128 baseA,
        uint128 afterA,
        uint128 baseB,
        uint128 afterB
    ) public pure {
        bool result = FillLib.overlaps(baseA, afterA, baseB, afterB);
        assertEq(result, FillLib.overlaps(baseB, afterB, baseA, afterA), "not symmetric");
        uint256 startA = afterA >= baseA ? afterA - baseA : 0;
        uint256 startB = afterB >= baseB ? afterB - baseB : 0;
        bool expected = baseA != 0 && baseB != 0 && Math.max(startA, startB) < Math.min(afterA, afterB);
        assertEq(result, expected);
    }

    // ------------------------------------------------------------ helpers

    function _gcd(uint256 a, uint256 b) private pure returns (uint256) {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    function _market(
        uint128 tick,
        uint128 lot,
        uint8 decimals
    ) private pure returns (ISettlement.Market memory) {
        return ISettlement.Market(address(1), address(2), tick, lot, decimals, true, false);
    }

    /// @dev WETH/USDC as in the contract tests: tick 0.01 USDC, lot 0.0001 WETH (lot·tick = 10^18).
    function _wethUsdc() private pure returns (ISettlement.Market memory) {
        return _market(10_000, 10 ** 14, 18);
    }

    /// @dev A fill of `baseAmount` at `price` with the quote amount of a 0-decimal market (fix it up
    /// for others), no fees, each order filled by exactly this fill; the taker buys.
    function _fill(uint128 price, uint128 baseAmount) private pure returns (ISettlement.Fill memory f) {
        f.batchId = 1;
        f.makerOrderHash = keccak256("maker");
        f.takerOrderHash = keccak256("taker");
        f.maker = MAKER;
        f.taker = TAKER;
        f.marketId = MARKET_ID;
        f.takerSide = OrderLib.SIDE_BUY;
        f.price = price;
        f.baseAmount = baseAmount;
        f.quoteAmount = uint128(uint256(baseAmount) * price);
        f.makerFilledAfter = baseAmount;
        f.takerFilledAfter = baseAmount;
    }

    /// @dev The order on one side of `fill` that the fill respects.
    function _orderFor(
        ISettlement.Fill memory fill,
        bool isMaker
    ) private pure returns (OrderLib.Order memory o) {
        FillLib.Side memory s = FillLib.sideOf(fill, isMaker);
        o.trader = s.trader;
        o.marketId = fill.marketId;
        o.side = s.side;
        o.price = fill.price;
        o.amount = s.filledAfter;
        o.nonce = 5;
        o.expiry = type(uint64).max;
        o.maxFeeBps = 10_000;
    }

    function _context(ISettlement.Market memory m) private pure returns (FillLib.CommitContext memory ctx) {
        ctx.committedAt = 1_000;
        ctx.market = m;
    }
}
