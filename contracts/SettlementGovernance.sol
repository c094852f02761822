// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {MarketLib} from "./libraries/MarketLib.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {SettlementBase} from "./SettlementBase.sol";
import {SettlementStorage} from "./libraries/SettlementStorage.sol";

/// @title SettlementGovernance
/// @notice The guardian stops things at once; everything else waits for the timelock.
abstract contract SettlementGovernance is SettlementBase {
    using Checkpoints for Checkpoints.Trace208;

    /// @inheritdoc ISettlement
    function pause() external {
        _checkGuardianOrTimelock();
        _s()._paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc ISettlement
    function unpause() external onlyTimelock {
        _s()._paused = false;
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc ISettlement
    function setMarketPaused(uint32 marketId, bool paused_) external {
        if (paused_) _checkGuardianOrTimelock();
        else _checkCaller(_s()._timelock);
        SettlementStorage.Layout storage $ = _s();
        Market storage m = $._markets[marketId];
        if (!m.registered) revert SettlementUnknownMarket(marketId);

        m.paused = paused_;
        // History by block, so a fraud proof can ask whether the market was paused at a commit.
        $._marketPauses[marketId].push(SafeCast.toUint48(block.number), paused_ ? 1 : 0);
        emit MarketPaused(marketId, paused_);
    }

    /// @inheritdoc ISettlement
    /// @dev Disallowing a token stops deposits only: balances in it can still be withdrawn.
    function setTokenAllowed(address token, bool allowed) external onlyTimelock {
        if (token == address(0)) revert SettlementZeroAddress();
        _s()._tokenAllowed[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    /// @inheritdoc ISettlement
    function registerMarket(
        uint32 marketId,
        address baseToken,
        address quoteToken,
        uint128 tickSize,
        uint128 lotSize
    ) external onlyTimelock {
        SettlementStorage.Layout storage $ = _s();
        if ($._markets[marketId].registered) revert SettlementMarketExists(marketId);
        if (!$._tokenAllowed[baseToken]) revert SettlementTokenNotAllowed(baseToken);
        if (!$._tokenAllowed[quoteToken]) revert SettlementTokenNotAllowed(quoteToken);
        uint8 baseDecimals = IERC20Metadata(baseToken).decimals();
        if (baseToken == quoteToken || !MarketLib.validSteps(tickSize, lotSize, baseDecimals)) {
            revert SettlementInvalidMarket();
        }

        $._markets[marketId] = Market(baseToken, quoteToken, tickSize, lotSize, baseDecimals, true, false);
        emit MarketRegistered(marketId, baseToken, quoteToken, tickSize, lotSize, baseDecimals);
    }

    /// @inheritdoc ISettlement
    function setRoles(address sequencer, address arbiter, address guardian) external onlyTimelock {
        _setRoles(sequencer, arbiter, guardian);
    }

    /// @inheritdoc ISettlement
    function setFeeRecipient(address feeRecipient_) external onlyTimelock {
        _setFeeRecipient(feeRecipient_);
    }

    /// @inheritdoc ISettlement
    function setParameters(
        uint64 challengeWindow,
        uint64 challengeResponseWindow,
        uint64 withdrawalDelay,
        uint64 disputeTimeout,
        uint128 disputeBond
    ) external onlyTimelock {
        _setParameters(
            challengeWindow,
            challengeResponseWindow,
            withdrawalDelay,
            disputeTimeout,
            disputeBond
        );
    }

    /// @dev UUPS: only the timelock upgrades, so every upgrade waits out its delay in public.
    function _authorizeUpgrade(address) internal view override onlyTimelock {}
}
