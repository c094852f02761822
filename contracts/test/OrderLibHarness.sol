// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OrderLib} from "../libraries/OrderLib.sol";

/// @dev Test-only: exposes OrderLib's hashing under a standalone EIP-712 domain.
contract OrderLibHarness {
    bytes32 private constant _DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );

    function domainSeparator(address verifyingContract) public view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    _DOMAIN_TYPEHASH,
                    keccak256("Clearmatch"),
                    keccak256("1"),
                    block.chainid,
                    verifyingContract
                )
            );
    }

    function hashOrder(
        OrderLib.Order calldata order,
        address verifyingContract
    ) external view returns (bytes32) {
        return OrderLib.hash(order, domainSeparator(verifyingContract));
    }

    function hashCancel(bytes32 orderHash, address verifyingContract) external view returns (bytes32) {
        return OrderLib.hashCancel(orderHash, domainSeparator(verifyingContract));
    }
}
