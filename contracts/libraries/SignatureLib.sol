// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title SignatureLib
/// @notice EOA (ECDSA) or ERC-1271 signature check: OpenZeppelin 5.4's
/// `SignatureChecker.isValidSignatureNow(address,bytes32,bytes)`, reproduced line for line.
/// @dev Why not import it: in 5.4, SignatureChecker.sol imports utils/Bytes.sol, whose inline
/// assembly uses MCOPY, which does not compile for the shanghai target (DESIGN.md, zkEVM chains).
library SignatureLib {
    /// @notice If `signer` has code, asks it (ERC-1271); otherwise recovers the ECDSA signer.
    /// @dev ERC-1271 answers can change over time (a wallet may revoke), which is fine here: a
    /// challenge answer is judged once, when it is given.
    function isValidSignatureNow(
        address signer,
        bytes32 hash,
        bytes memory signature
    ) internal view returns (bool) {
        if (signer.code.length == 0) {
            (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
            return err == ECDSA.RecoverError.NoError && recovered == signer;
        }
        (bool success, bytes memory result) = signer.staticcall(
            abi.encodeCall(IERC1271.isValidSignature, (hash, signature))
        );
        return (success &&
            result.length >= 32 &&
            abi.decode(result, (bytes32)) == bytes32(IERC1271.isValidSignature.selector));
    }
}
