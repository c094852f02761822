// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SignatureLib} from "../libraries/SignatureLib.sol";

/// @dev Test-only: the contract's signature acceptance rule, for the shared signature vectors
/// (the sequencer must accept exactly what this accepts).
contract SignatureLibHarness {
    function isValidSignatureNow(
        address signer,
        bytes32 hash,
        bytes calldata signature
    ) external pure returns (bool) {
        return SignatureLib.recovers(signer, hash, signature);
    }
}
