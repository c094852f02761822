// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Settlement} from "../Settlement.sol";

/// @dev Test-only upgrade target: Settlement plus a version string and state in its own namespace,
/// proving an upgrade keeps the V1 state and can add more without touching it.
contract SettlementV2 is Settlement {
    /// @custom:storage-location erc7201:clearmatch.storage.SettlementV2
    struct V2Storage {
        uint256 marker;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("clearmatch.storage.SettlementV2")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _V2_SLOT = 0x39925b5a3bef92834901f14a7b7fbf08c8d1f5ef0f404bc79d61ea9472d7d600;

    /// @notice Optional upgrade call (`upgradeToAndCall(v2, initializeV2(marker))`).
    function initializeV2(uint256 marker_) external reinitializer(2) {
        _v2().marker = marker_;
    }

    function version() external pure returns (string memory) {
        return "2";
    }

    function marker() external view returns (uint256) {
        return _v2().marker;
    }

    function _v2() private pure returns (V2Storage storage $) {
        assembly ("memory-safe") {
            $.slot := _V2_SLOT
        }
    }
}
