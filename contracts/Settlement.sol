// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {SettlementBatches} from "./SettlementBatches.sol";
import {SettlementForwarding} from "./SettlementForwarding.sol";
import {SettlementVault} from "./SettlementVault.sol";
import {SettlementViews} from "./SettlementViews.sol";
import {SettlementStorage} from "./libraries/SettlementStorage.sol";

/// @title Settlement
/// @notice Clearmatch's settlement contract (see ISettlement and DESIGN.md): the UUPS implementation
/// behind an ERC1967Proxy, initialized once through the proxy with `initialize(InitParams)`.
/// @dev The hot paths (vault, batches, views) run here; fraud proofs, challenges, disputes and
/// governance run in `SettlementExtension` by DELEGATECALL (see `SettlementForwarding`). Every part
/// shares the one ERC-7201 namespace of `SettlementStorage`, so the order of the parts below does
/// not affect the storage layout.
contract Settlement is
    SettlementVault,
    SettlementBatches,
    SettlementViews,
    SettlementForwarding,
    UUPSUpgradeable
{
    /// @dev The implementation itself is never initialized: only proxies are.
    /// @custom:oz-upgrades-unsafe-allow constructor state-variable-immutable
    constructor() {
        _disableInitializers();
    }

    /// @notice Sets roles, fee recipient and parameters. Batch ids start at 1, so a zeroed fill never
    /// names a real batch.
    function initialize(InitParams calldata p) external initializer {
        __ReentrancyGuard_init();
        __UUPSUpgradeable_init();
        if (p.timelock == address(0)) revert SettlementZeroAddress();
        SettlementStorage.Layout storage $ = _s();
        $._timelock = p.timelock;
        _setRoles(p.sequencer, p.arbiter, p.guardian);
        _setFeeRecipient(p.feeRecipient);
        _setParameters(
            p.challengeWindow,
            p.challengeResponseWindow,
            p.withdrawalDelay,
            p.disputeTimeout,
            p.disputeBond
        );
        if (p.cancelGraceBlocks == 0) revert SettlementInvalidParameters();
        $._cancelGraceBlocks = p.cancelGraceBlocks;
        $._nextBatchId = 1;
        $._nextFinalizeId = 1;
        $._segmentTopClosed = true; // no segment yet: the first commit pushes segment 1
    }

    /// @dev UUPS: only the timelock upgrades, so every upgrade waits out its delay in public, and
    /// only while that delay leaves every user time to leave first (`_checkExitWindow`).
    function _authorizeUpgrade(address) internal view override onlyTimelock {
        _checkExitWindow(_s()._withdrawalDelay);
    }
}
