// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {MarketLib} from "./libraries/MarketLib.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {SettlementCore} from "./SettlementCore.sol";
import {SettlementStorage} from "./libraries/SettlementStorage.sol";

/// @title SettlementGovernance
/// @notice The guardian stops things at once; everything else waits for the timelock.
abstract contract SettlementGovernance is SettlementCore {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice See `ISettlement`.
    function pause() external {
        _checkGuardianOrTimelock();
        _s()._paused = true;
        emit ISettlement.Paused(msg.sender);
    }

    /// @notice See `ISettlement`.
    /// @dev The guardian unpauses as fast as it pauses: a pause stops commits, finalization and
    /// deposits but never withdrawals, and neither direction moves a balance (docs/protocol.md,
    /// section 6), so unpausing need not wait out the exit window.
    function unpause() external {
        _checkGuardianOrTimelock();
        _s()._paused = false;
        emit ISettlement.Unpaused(msg.sender);
    }

    /// @notice See `ISettlement`.
    function setMarketPaused(uint32 marketId, bool paused_) external {
        _checkGuardianOrTimelock(); // both ways, as for the whole contract (see `unpause`)
        SettlementStorage.Layout storage $ = _s();
        ISettlement.Market storage m = $._markets[marketId];
        if (!m.registered) revert ISettlement.SettlementUnknownMarket(marketId);

        m.paused = paused_;
        // History by block, so a fraud proof can ask whether the market was paused at a commit.
        $._marketPauses[marketId].push(SafeCast.toUint48(block.number), paused_ ? 1 : 0);
        emit ISettlement.MarketPaused(marketId, paused_);
    }

    /// @notice See `ISettlement`.
    /// @dev Disallowing a token stops deposits only: balances in it can still be withdrawn.
    function setTokenAllowed(address token, bool allowed) external onlyTimelock {
        if (token == address(0)) revert ISettlement.SettlementZeroAddress();
        _s()._tokenAllowed[token] = allowed;
        emit ISettlement.TokenAllowed(token, allowed);
    }

    /// @notice See `ISettlement`.
    function registerMarket(
        uint32 marketId,
        address baseToken,
        address quoteToken,
        uint128 tickSize,
        uint128 lotSize
    ) external onlyTimelock {
        SettlementStorage.Layout storage $ = _s();
        if ($._markets[marketId].registered) revert ISettlement.SettlementMarketExists(marketId);
        if (!$._tokenAllowed[baseToken]) revert ISettlement.SettlementTokenNotAllowed(baseToken);
        if (!$._tokenAllowed[quoteToken]) revert ISettlement.SettlementTokenNotAllowed(quoteToken);
        uint8 baseDecimals = IERC20Metadata(baseToken).decimals();
        if (baseToken == quoteToken || !MarketLib.validSteps(tickSize, lotSize, baseDecimals)) {
            revert ISettlement.SettlementInvalidMarket();
        }

        $._markets[marketId] = ISettlement.Market(
            baseToken,
            quoteToken,
            tickSize,
            lotSize,
            baseDecimals,
            true,
            false
        );
        emit ISettlement.MarketRegistered(marketId, baseToken, quoteToken, tickSize, lotSize, baseDecimals);
    }

    /// @notice See `ISettlement`.
    function setRoles(address sequencer, address arbiter, address guardian) external onlyTimelock {
        _setRoles(sequencer, arbiter, guardian);
    }

    /// @notice See `ISettlement`.
    function setFeeRecipient(address feeRecipient_) external onlyTimelock {
        _setFeeRecipient(feeRecipient_);
    }

    /// @notice See `ISettlement`.
    function setParameters(
        uint64 challengeWindow,
        uint64 challengeResponseWindow,
        uint64 withdrawalDelay,
        uint64 disputeTimeout,
        uint128 disputeBond
    ) external onlyTimelock {
        _checkExitWindow(withdrawalDelay);
        _setParameters(
            challengeWindow,
            challengeResponseWindow,
            withdrawalDelay,
            disputeTimeout,
            disputeBond
        );
    }
}
