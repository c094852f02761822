// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "./interfaces/ISettlement.sol";
import {OrderLib} from "./libraries/OrderLib.sol";
import {SettlementCore} from "./SettlementCore.sol";
import {SettlementExtension} from "./SettlementExtension.sol";

/// @title SettlementForwarding
/// @notice The functions of `ISettlement` that `SettlementExtension` implements, forwarded to it by
/// DELEGATECALL with the caller's calldata, value and sender unchanged.
/// @dev Declared here (rather than left to a fallback) so the contract is a complete `ISettlement`
/// and its ABI lists them. The parameters are unnamed: the extension decodes them.
abstract contract SettlementForwarding is ISettlement, SettlementCore {
    /// @notice The extension this implementation delegates to, deployed with it.
    address public immutable extension;

    constructor() {
        extension = address(new SettlementExtension());
    }

    /// @inheritdoc ISettlement
    function proveFillFraud(
        Fill calldata,
        bytes32[] calldata,
        OrderLib.Order calldata,
        bool
    ) external returns (FraudKind) {
        return FraudKind(_forward());
    }

    /// @inheritdoc ISettlement
    function proveConflictingFills(
        Fill calldata,
        bytes32[] calldata,
        bool,
        Fill calldata,
        bytes32[] calldata,
        bool
    ) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function proveMislabelledFill(uint64, Fill calldata, bytes32[] calldata) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function challengeFill(Fill calldata, bytes32[] calldata) external returns (uint256) {
        return _forward();
    }

    /// @inheritdoc ISettlement
    function answerChallenge(uint256, OrderLib.Order calldata, bytes calldata) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function upholdChallenge(uint256) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function openDispute(uint64, bytes32) external payable returns (uint256) {
        return _forward();
    }

    /// @inheritdoc ISettlement
    function resolveDispute(uint256, bool) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function expireDispute(uint256) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function withdrawBond() external returns (uint256) {
        return _forward();
    }

    /// @inheritdoc ISettlement
    function pause() external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function unpause() external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function setMarketPaused(uint32, bool) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function setTokenAllowed(address, bool) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function registerMarket(uint32, address, address, uint128, uint128) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function setRoles(address, address, address) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function setFeeRecipient(address) external {
        _forward();
    }

    /// @inheritdoc ISettlement
    function setParameters(uint64, uint64, uint64, uint64, uint128) external {
        _forward();
    }

    /// @dev OpenZeppelin `Proxy._delegate`: runs the extension on this storage and returns or reverts
    /// with exactly its return data. Never returns to the caller's Solidity code (the declared
    /// result only lets the forwarders above type-check).
    function _forward() private returns (uint256 never) {
        address target = extension;
        assembly {
            never := 0
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), target, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            switch ok
            case 0 {
                revert(0, returndatasize())
            }
            default {
                return(0, returndatasize())
            }
        }
    }
}
