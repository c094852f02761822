// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title MarketLib
/// @notice Price and size rules of a market (DESIGN.md, "Tokens, markets, amounts").
library MarketLib {
    /// @dev 10^38 < 2^128, so one whole base unit always fits a uint128 and every product below
    /// (a uint128 times a uint128) fits a uint256. Real tokens stay far below (18, at most 24).
    uint8 internal constant MAX_BASE_DECIMALS = 38;

    /// @notice Whether a market with these steps can be registered: non-zero steps, and
    /// `lotSize * tickSize` a multiple of one whole base unit, so every on-grid fill has an exact
    /// quote amount (base = a·lot, price = b·tick ⇒ base·price = a·b·lot·tick ≡ 0 mod 10^decimals).
    function validSteps(uint128 tickSize, uint128 lotSize, uint8 baseDecimals) internal pure returns (bool) {
        if (tickSize == 0 || lotSize == 0 || baseDecimals > MAX_BASE_DECIMALS) return false;
        return (uint256(lotSize) * tickSize) % (10 ** baseDecimals) == 0;
    }

    /// @notice Whether `quoteAmount == baseAmount * price / 10^baseDecimals` with no remainder.
    function quoteIsExact(
        ISettlement.Market memory market,
        uint128 baseAmount,
        uint128 price,
        uint128 quoteAmount
    ) internal pure returns (bool) {
        uint256 notional = uint256(baseAmount) * price; // < 2^256: two uint128 factors
        uint256 unit = 10 ** market.baseDecimals; // <= 10^38: checked at registration
        return notional % unit == 0 && notional / unit == quoteAmount;
    }

    /// @notice Whether `price` is a multiple of the tick and `baseAmount` of the lot.
    function onGrid(
        ISettlement.Market memory market,
        uint128 price,
        uint128 baseAmount
    ) internal pure returns (bool) {
        return price % market.tickSize == 0 && baseAmount % market.lotSize == 0;
    }
}
